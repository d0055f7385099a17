"""The tokens of a Common Expression Language expression, for
:mod:`guardrails.celrules.parse`: blanks and ``//`` comments dropped, every
literal form read to its value and CEL type (strings with their escapes, raw
and bytes strings, triple quotes; ints, uints, doubles, hex), and a syntax
error at the character offset where the text stops being CEL. The parser's
callers bound the expression's length before it comes here (``MAX_LENGTH``).
"""

from __future__ import annotations

import re
from typing import Any

from guardrails.records import record


class CelSyntaxError(ValueError):
    """A syntax error at character ``offset`` of the expression."""

    def __init__(self, message: str, offset: int, fix: str | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.fix = fix


_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n\f]+|//[^\n]*)
  | (?P<num>0[xX][0-9a-fA-F]+[uU]?|
            (?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?)
  | (?P<str>(?:[rRbB]{1,2})?(?:\"\"\"|'''|"|'))
  | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:.,\[\](){}])
""", re.VERBOSE | re.ASCII)  # \d: "١٢" is no number (int() reads it as 12)

_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?", "a": "\a", "b": "\b",
            "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


@record(slots=True)
class Token:
    """One token of an expression, at character ``pos``."""

    kind: str  # num, str, ident, op, end
    text: str
    pos: int
    value: Any = None
    lit: str = ""

    def __init__(self, kind: str, text: str, pos: int, value: Any = None, lit: str = "") -> None:
        self.kind = kind
        self.text = text
        self.pos = pos
        self.value = value
        self.lit = lit


def _string(src: str, pos: int, prefix: str, quote: str) -> tuple[str | bytes, int, str]:
    """Read a string literal whose quote starts at ``pos``; (value, end, CEL type)."""
    raw = "r" in prefix.lower()
    is_bytes = "b" in prefix.lower()
    i = pos + len(quote)
    out: list[str] = []
    start = pos - len(prefix)
    while True:
        if i >= len(src):
            raise CelSyntaxError("unterminated string", start,
                                 fix=f"close the string with {quote}")
        if src.startswith(quote, i):
            i += len(quote)
            break
        c = src[i]
        if c == "\n" and len(quote) == 1:
            raise CelSyntaxError("newline inside a string", start,
                                 fix="close the string on its line, or use triple quotes")
        if c == "\\" and not raw:
            nxt = src[i + 1:i + 2]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            width = {"x": 2, "u": 4, "U": 8}.get(nxt)
            if width is not None and re.fullmatch(f"[0-9a-fA-F]{{{width}}}",
                                                  src[i + 2:i + 2 + width]):
                code = int(src[i + 2:i + 2 + width], 16)
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise CelSyntaxError("escape names no character", i)
                out.append(chr(code))
                i += 2 + width
                continue
            if re.fullmatch(r"[0-3][0-7]{2}", src[i + 1:i + 4]):
                out.append(chr(int(src[i + 1:i + 4], 8)))
                i += 4
                continue
            raise CelSyntaxError(f"unknown escape '\\{nxt}' in a string", i,
                                 fix="write '\\\\' for a backslash, or use a raw string r'...'")
        out.append(c)
        i += 1
    text = "".join(out)
    if is_bytes:
        return text.encode("utf-8", "surrogatepass"), i, "bytes"
    return text, i, "string"


def _number(text: str, pos: int) -> tuple[Any, str]:
    unsigned = text[-1] in "uU"
    body = text[:-1] if unsigned else text
    if body[:2] in ("0x", "0X"):
        value: Any = int(body, 16)
        kind = "uint" if unsigned else "int"
    elif unsigned:
        if any(c in body for c in ".eE"):
            raise CelSyntaxError(f"{text} is not a number", pos, fix="a uint is written 12u")
        value, kind = int(body), "uint"
    elif any(c in body for c in ".eE"):
        value, kind = float(body), "double"
    else:
        value, kind = int(body), "int"
    limit = 2**64 - 1 if kind == "uint" else 2**63
    if kind != "double" and value > limit:
        raise CelSyntaxError(f"{text} is out of range", pos)
    return value, kind


def tokens(src: str) -> list[Token]:
    """The tokens of ``src`` (comments and blanks dropped), ending with an ``end`` token."""
    out: list[Token] = []
    i = 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if m is None:
            raise CelSyntaxError(f"unexpected character {src[i]!r}", i)
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "ws":
            i = m.end()
            continue
        if kind == "str":
            quote = text.lstrip("rRbB")
            prefix = text[:len(text) - len(quote)]
            value, end, lit = _string(src, m.end() - len(quote), prefix, quote)
            out.append(Token("str", src[i:end], i, value, lit))
            i = end
            continue
        if kind == "num":
            if m.end() < len(src) and (src[m.end()].isalpha() or src[m.end()] == "_"):
                raise CelSyntaxError(f"unexpected {src[i:m.end() + 1]!r}", i)
            value, lit = _number(text, i)
            out.append(Token("num", text, i, value, lit))
        else:
            out.append(Token(kind, text, i))
        i = m.end()
    out.append(Token("end", "", len(src)))
    return out
