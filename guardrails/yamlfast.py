"""A reader for the plainest YAML, exact or silent: PyYAML is not imported for it.

A run without caches (a CI job's first run) parses its config and the org
data's YAML files; importing PyYAML alone costs ~12 ms of CPU (its reader
compiles a regex of every printable character) and its constructor builds
each node in Python (benchmarks/RESULTS.md, "start-up, coldstart4"). Most
such files use a small part of YAML: block mappings and sequences indented
with spaces, ``key: value`` with plain or simply quoted scalars, one-line
``[a, b]`` and ``{k: v}``, comments. :func:`load` reads exactly that part
and returns what :func:`guardrails.yamlparse.load` returns for it (the same
values of the same types, the same positions), or None for anything else,
which then goes to PyYAML, whose answer (or error) is the only one.

It declines rather than decides: anchors, aliases, tags, block scalars,
multi-line scalars, escapes, tabs, document markers, directives, duplicate
keys, keys that are not plain names, a plain scalar that YAML 1.1 could read
as anything but text unless it is a plain decimal integer or fraction, a
boolean or null word, and nesting deeper than :data:`_MAX_NEST`; an error in
the text is always among what it declines, so every error is PyYAML's, worded
as before. tests/unit/test_yamlfast.py checks it against PyYAML on random
documents built from YAML's traps.
"""

from __future__ import annotations

import re
from typing import Any

Position = tuple[int, int]
PathKey = tuple[Any, ...]

#: Collections nested deeper than this go to PyYAML (which bounds depth itself).
_MAX_NEST = 40

#: a key as a plain name (libyaml refuses an implicit key of more than 1,024
#: characters), ':', and the blanks after it; and, when the rest of the line is the
#: commonest plain scalar, a text from an ASCII letter or one of _/$( holding no ':' or '#'
#: (so no comment, no inner key, no indicator first), that text as group 2: such a
#: line of a block mapping is read by this one match (~75% of the example org's
#: values). The text is what _scalar answers for it: itself, unless a YAML 1.1 word.
#: Dates and numbers are left to _scalar: groups for them made the compile ~1.7M
#: instructions dearer than they save in a run (benchmarks/RESULTS.md, "s28-startup").
#: A match ends after the blanks unless group 2 matched (then at the line's end).
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]{0,999}):(?:$| +(?:([A-Za-z_/$(][^:#]*)$)?)")
#: characters of a scalar starting with a digit or sign that may still make it a
#: number, a date-time or something else YAML 1.1 resolves
_NUMBERISH = frozenset("0123456789abcdefABCDEFxXoOiInN_:.+-")
#: ... of one with no fraction, exponent, .inf, .nan, hex or binary: an integer, base 10 or 60
_SEXAGESIMAL = frozenset("0123456789_:+-")
_DATE_CHARS = frozenset("0123456789-")
#: characters a text may not hold here: not printable YAML, or breaking lines as YAML 1.1 does
_ODD = frozenset("\u2028\u2029\ufeff\ufffe\uffff")
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}
#: first characters of a plain scalar that YAML reserves or reads as structure
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`<=")
#: characters ending a plain scalar in [...] or {...}, or left to PyYAML there ('?'
#: ends one for PyYAML's pure-Python scanner, which guardrails uses for deep texts and
#: where libyaml is missing, but not for libyaml: the two disagree, so it is declined)
_FLOW_STOP = frozenset(",[]{}#:'\"?")


class _Decline(Exception):
    """The text is outside what this reader reads exactly."""


def load(text: str, *, positions: bool = False) -> tuple[Any, dict[PathKey, Position]] | None:
    """(data, positions) of a YAML text as PyYAML gives them, or None when not sure.

    ``positions`` maps each path to the (line, column) of its key (a mapping's
    entry) or of its node (a sequence's item, the root), both from 1, as
    :func:`guardrails.yamlparse.load` does.
    """
    if "\t" in text or "\r" in text or "\\" in text:
        return None
    # Every character refused below is one str.isprintable refuses (a control, a
    # surrogate, a line or paragraph separator, a format character, a noncharacter):
    # a text printable but for its line feeds holds none (one C pass, where the set
    # of a text's characters cost ~50 instructions a character). Else each kind of
    # character is asked (a no-break space is not printable, yet read here).
    if not text.replace("\n", "").isprintable():
        for c in set(text):
            o = ord(c)
            if (o < 32 and c != "\n") or 0x7F <= o <= 0x9F or 0xD800 <= o <= 0xDFFF \
                    or c in _ODD:
                return None
    lines: list[list[Any]] = []  # [line number from 0, column, content]
    for n, raw in enumerate(text.split("\n")):
        content = raw.lstrip(" ")
        if not content or content[0] == "#":
            continue
        if raw.startswith(("---", "...", "%")):
            return None
        lines.append([n, len(raw) - len(content), content.rstrip(" ")])
    if not lines:
        return None
    reader = _Reader(lines, positions)
    try:
        data = reader.block(0, lines[0][1], (), 0)
    except _Decline:
        return None
    if reader.i != len(lines):
        return None
    return data, reader.pos


class _Reader:
    __slots__ = ("i", "lines", "pos", "want")

    def __init__(self, lines: list[list[Any]], want: bool) -> None:
        self.lines = lines
        self.i = 0
        self.pos: dict[PathKey, Position] = {}
        self.want = want

    def block(self, i: int, col: int, path: PathKey, depth: int) -> Any:
        """The block collection starting at line ``i``, column ``col``."""
        if depth > _MAX_NEST:
            raise _Decline
        content = self.lines[i][2]
        if self.want:
            self.pos.setdefault(path, (self.lines[i][0] + 1, col + 1))
        if content == "-" or content.startswith("- "):
            return self.sequence(i, col, path, depth)
        return self.mapping(i, col, path, depth)

    def _next_at(self, col: int) -> bool:
        """Whether the next line continues a collection at ``col`` (False: it ended)."""
        if self.i >= len(self.lines):
            return False
        at = self.lines[self.i][1]
        if at > col:
            raise _Decline  # more indented after a complete node: a continuation or an error
        return at == col

    def mapping(self, i: int, col: int, path: PathKey, depth: int) -> dict[str, Any]:
        # The loop of _next_at, inline, and the line index kept in a local but around
        # _nested (~120 of a run's 630 YAML lines are keys of this loop).
        out: dict[str, Any] = {}
        lines = self.lines
        last = len(lines)
        pos = self.pos if self.want else None
        while True:
            n, _, content = lines[i]
            m = _KEY.match(content)
            if m is None:
                raise _Decline
            key, text = m.groups()
            if key in out or key in _WORDS:
                raise _Decline
            sub = (*path, key)
            if pos is not None:
                pos[sub] = (n + 1, col + 1)
            after = m.end()
            i += 1
            if text is not None:  # the value's position is the key's, set above
                out[key] = _WORDS.get(text, text)
            elif after == len(content) or content[after] == "#":
                self.i = i
                out[key] = self._nested(col, sub, depth)
                i = self.i
            else:  # the value's position is the key's, set above
                out[key] = _scalar(content[after:], n, col + after, sub, pos)
            if i >= last:
                self.i = i
                return out
            at, following = lines[i][1], lines[i][2]
            if at > col:
                raise _Decline  # more indented after a complete node: a continuation or an error
            if at < col:
                self.i = i
                return out
            if following[:1] == "-" and (following == "-" or following[1] == " "):
                raise _Decline  # a sequence entry among keys

    def _nested(self, col: int, path: PathKey, depth: int) -> Any:
        """The value after ``key:`` with nothing else on its line: a block below it, or null."""
        if self.i < len(self.lines) and self.lines[self.i][1] > col:
            line = self.lines[self.i]
            return self.block(self.i, line[1], path, depth + 1)
        if self.i < len(self.lines) and self.lines[self.i][1] == col \
                and self.lines[self.i][2][:1] == "-":
            raise _Decline  # a sequence at the key's own indentation: left to PyYAML
        return None

    def sequence(self, i: int, col: int, path: PathKey, depth: int) -> list[Any]:
        out: list[Any] = []
        lines = self.lines
        self.i = i
        while True:
            line = lines[self.i]
            n, _, content = line
            if content != "-" and not content.startswith("- "):
                raise _Decline
            sub = (*path, len(out))
            rest = content[1:].lstrip(" ")
            at = col + len(content) - len(rest)
            if not rest or rest[0] == "#":
                self.i += 1
                if self.i < len(lines) and lines[self.i][1] > col:
                    out.append(self.block(self.i, lines[self.i][1], sub, depth + 1))
                else:
                    raise _Decline  # an empty item (null): left to PyYAML
            elif _KEY.match(rest):
                line[1], line[2] = at, rest  # the item's mapping starts at its first key
                out.append(self.block(self.i, at, sub, depth + 1))
            elif rest[0] == "-" and (rest == "-" or rest[1] == " "):
                raise _Decline  # "- - x": left to PyYAML
            else:
                self.i += 1
                out.append(_value(rest, n, at, sub, self.pos if self.want else None))
            if not self._next_at(col):
                return out


def _value(text: str, n: int, col: int, path: PathKey,
           pos: dict[PathKey, Position] | None) -> Any:
    """A scalar or one-line flow collection written at column ``col`` of line ``n``."""
    if pos is not None:
        pos.setdefault(path, (n + 1, col + 1))
    return _scalar(text, n, col, path, pos)


def _scalar(text: str, n: int, col: int, path: PathKey,
            pos: dict[PathKey, Position] | None) -> Any:
    """:func:`_value` once ``path``'s position is set (``pos`` is for a flow's entries)."""
    first = text[0]
    if first == "[" or first == "{":
        return _flow(text, n, col, path, pos)
    if first == '"' or first == "'":
        end = text.find(first, 1)
        if end < 0:
            raise _Decline
        _end_of_line(text[end + 1:])
        return text[1:end]
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut].rstrip(" ")
    if ": " in text or text.endswith(":"):
        raise _Decline
    return _plain(text)


def _end_of_line(text: str) -> None:
    """Only blanks and a comment may follow a closed quote or bracket."""
    if text and (text[0] != " " or text.lstrip(" ")[:1] not in ("", "#")):
        raise _Decline


def _plain(text: str) -> Any:
    """The value of a plain scalar as PyYAML resolves it (dates stay text), else decline."""
    first = text[0]
    if first in _INDICATORS and not (first == "-" and len(text) > 1 and text[1] in "0123456789"):
        raise _Decline
    if text in _WORDS:
        return _WORDS[text]
    if first.isdigit() or first == "-" or first == "." or first == "+":
        if first.isdigit() and "-" in text and _DATE_CHARS.issuperset(text):
            # digits and inner dashes (a date): no int or float is written so; asked
            # first, as each test below lets such a text through to this answer
            return text
        # -?(0|[1-9][0-9]{0,17}), then -?(0|[1-9][0-9]{0,14})\.[0-9]{1,15}, told by
        # string methods (isdigit of ASCII text is [0-9]+): the two regexes' compile
        # cost every run ~0.8M instructions (benchmarks/RESULTS.md, "s26-startup")
        body = text[1:] if first == "-" else text
        if body.isascii():
            whole, dot, fraction = body.partition(".")
            if whole.isdigit() and (whole[0] != "0" or whole == "0"):
                if not dot:
                    if len(whole) <= 18:
                        return int(text)
                elif len(whole) <= 15 and fraction.isdigit() and len(fraction) <= 15:
                    return float(text)
        if not _NUMBERISH.issuperset(text):
            return text  # a character no number, sexagesimal or special float has
        body = text[1:] if first in "+-" else text
        if "." not in text and body[:2] not in ("0x", "0b") \
                and not _SEXAGESIMAL.issuperset(text):
            return text  # a letter, yet no fraction, exponent, .inf, .nan, hex or binary
        raise _Decline
    if not first.isalpha() and first not in "_/$(":
        raise _Decline
    return text


def _flow(text: str, n: int, col: int, path: PathKey,
          pos: dict[PathKey, Position] | None) -> Any:
    """``[a, b]`` or ``{k: v, ...}`` on one line, of plain or quoted scalars only."""
    close = "]" if text[0] == "[" else "}"
    end = text.find(close)
    if end < 0:
        raise _Decline
    _end_of_line(text[end + 1:])
    inner = text[1:end]
    items: list[tuple[int, str]] = []  # (column, text) of each entry
    start = 0
    while start <= len(inner):
        cut = inner.find(",", start)
        piece = inner[start:] if cut < 0 else inner[start:cut]
        body = piece.lstrip(" ")
        at = col + 1 + start + len(piece) - len(body)
        body = body.rstrip(" ")
        if body:
            items.append((at, body))
        elif cut >= 0 or items:
            raise _Decline  # an empty entry, or a trailing comma: left to PyYAML
        if cut < 0:
            break
        start = cut + 1
    if close == "]":
        seq = []
        for i, (at, body) in enumerate(items):
            seq.append(_flow_scalar(body, n, at, (*path, i), pos))
        return seq
    out: dict[str, Any] = {}
    for at, body in items:
        # a name, ": " and more (the entry has no trailing blank: "k:" matches alone)
        m = _KEY.match(body)
        if m is None:
            raise _Decline
        key = m.group(1)
        after = m.end() if m.group(2) is None else m.start(2)
        if after < len(key) + 2 or key in out or key in _WORDS:
            raise _Decline
        sub = (*path, key)
        if pos is not None:
            pos[sub] = (n + 1, at + 1)
        out[key] = _flow_scalar(body[after:], n, at + after, sub, None)
    return out


def _flow_scalar(body: str, n: int, at: int, path: PathKey,
                 pos: dict[PathKey, Position] | None) -> Any:
    """One entry of a flow collection: a plain scalar with nothing flow reads in it,
    or a quoted one."""
    if not body:
        raise _Decline
    if pos is not None:
        pos.setdefault(path, (n + 1, at + 1))
    if body[0] == '"' or body[0] == "'":
        if len(body) < 2 or body[-1] != body[0] or body[0] in body[1:-1]:
            raise _Decline
        inner = body[1:-1]
        if not _FLOW_STOP.isdisjoint(inner):
            raise _Decline
        return inner
    if not _FLOW_STOP.isdisjoint(body):
        raise _Decline
    return _plain(body)
