"""JSON and JSON Lines for the files source: json's verdicts, jiter's speed.

:func:`load_json` decodes a JSON document (or one line of a JSON Lines file
that the fast path does not take) with json, refusing what guardrails does
not accept (duplicate keys, NaN and infinite numbers, integers past Python's
limit, lone surrogates, deep nesting) in words that name the line.
:func:`jsonl_records` reads JSON Lines through jiter and hands to
:func:`load_json` only the lines jiter refuses or might read otherwise; see
its docstring for why and for the measurement.
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

import jiter

from guardrails import yamlio
from guardrails.errors import DataFileError, UsageError
from guardrails.textsafe import excerpt, quoted


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class _NotFinite(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                            parse_float=_finite_float)
# Patterns of the error paths and of text holding a \u escape, compiled at first use
# (re's own cache), not by every run that imports this module.
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_LONG_INT = r"\d{4301,}"
_SURROGATE_ESCAPE = r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
_LONE_SURROGATE = (
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _line_of(text: str, pos: int | None) -> int | None:
    return None if pos is None else text.count("\n", 0, pos) + 1


def _infinite_at(text: str) -> int | None:
    for m in re.finditer(_NUMBER, text):
        token = m.group()
        if ("e" in token or "E" in token or len(token) > 300) and not math.isfinite(float(token)):
            return m.start()
    return None


def _too_deep(value: Any) -> bool:
    """Whether a decoded JSON value nests more than yamlio.MAX_DEPTH levels (no recursion)."""
    stack = [(value, 1)]
    limit = yamlio.MAX_DEPTH
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if type(item) is dict else item
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False


def _check_decoded(value: Any, text: str, display: str, line: int | None) -> None:
    """Refuse what json accepts but guardrails does not: deep nesting, lone surrogates."""
    if (type(value) is dict or type(value) is list) and (
        text.count("[") + text.count("{") > yamlio.MAX_DEPTH) and _too_deep(value):
        raise DataFileError(
            f"the JSON value nests objects and arrays more than {yamlio.MAX_DEPTH} levels deep",
            file=display, line=line, fix="flatten the record",
        )
    if "\\u" in text and re.search(_SURROGATE_ESCAPE, text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            m = re.search(_LONE_SURROGATE, text)
            raise DataFileError(
                "invalid JSON text: a \\u escape names half of a UTF-16 surrogate pair "
                "(a lone surrogate), which is not a character",
                file=display, line=line or _line_of(text, m.start() if m else None),
                fix="write the character itself, or both halves of the pair",
            ) from None


def load_json(text: str, display: str, line: int | None = None) -> Any:
    """json.loads, refusing duplicate keys and NaN/Infinity, errors with lines."""
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise DataFileError(
            f"the JSON value nests objects and arrays more than {yamlio.MAX_DEPTH} levels deep",
            file=display, line=line, fix="flatten the record",
        ) from None
    except _NotFinite as exc:
        raise DataFileError(
            f"invalid JSON: the number {excerpt(exc.args[0], 40)} is too large "
            "(it would be infinite)", file=display,
            line=line or _line_of(text, _infinite_at(text)),
            fix="write a finite number",
        ) from None
    except json.JSONDecodeError as exc:
        control = exc.msg.startswith("Invalid control character")
        raise DataFileError(
            # Python's msg ends "...at" where str(exc) gives the place: ours is the column
            f"invalid JSON: {exc.msg.removesuffix(' at')}", file=display,
            line=(line or 1) + exc.lineno - 1, column=exc.colno,
            fix=("write a control character in a string as an escape (\\u0007), or remove it"
                 if control else "correct the JSON there: names and strings in double quotes, "
                 "no trailing comma, no comments"),
        ) from None
    except _DuplicateKey as exc:
        where = line
        if where is None:
            try:  # JSON is YAML: the YAML loader knows where the duplicate is.
                yamlio.load(text, display)
            except UsageError as yerr:
                where = yerr.line
        raise DataFileError(
            f"duplicate key {quoted(exc.args[0])} in a JSON object", file=display, line=where,
            fix="remove one of them",
        ) from None
    except ValueError as exc:
        where = line
        if "integer string conversion" in str(exc):  # Python's 4300-digit limit
            m = re.search(_LONG_INT, text)
            raise DataFileError(
                "invalid JSON: an integer of more than 4300 digits is larger than "
                "guardrails accepts",
                file=display, line=where or _line_of(text, m.start() if m else None),
                fix="write a shorter number, or quote it as text",
            ) from None
        if where is None:
            m = re.search(r"(?<![\w\"])-?(NaN|Infinity)(?![\w\"])", text)
            where = text.count("\n", 0, m.start()) + 1 if m else None
        raise DataFileError(f"invalid JSON: {exc}", file=display, line=where,
                            fix="write a finite number (JSON has no NaN or Infinity)"
                            if "NaN" in str(exc) or "Infinity" in str(exc) else None) from None
    _check_decoded(value, text, display, line)
    return value


def json_item_lines(text: str) -> list[int]:
    """Start line of each item of the top-level list (or of the single key's list)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    i = ws.match(text, 0).end()  # type: ignore[union-attr]
    if text.startswith("{", i):
        colon = text.find(":", i)
        i = ws.match(text, colon + 1).end() if colon >= 0 else len(text)  # type: ignore[union-attr]
    if not text.startswith("[", i):
        return []
    i += 1
    lines: list[int] = []
    try:
        while True:
            i = ws.match(text, i).end()  # type: ignore[union-attr]
            if text.startswith("]", i):
                return lines
            lines.append(text.count("\n", 0, i) + 1)
            _, i = decoder.raw_decode(text, i)
            i = ws.match(text, i).end()  # type: ignore[union-attr]
            if text.startswith(",", i):
                i += 1
    except ValueError:
        return lines


def jsonl_records(data: bytes, display: str) -> tuple[list[Any], list[int], bool]:
    """One JSON value a line, blank lines allowed: (records, their lines, whether a null may be
    among them).

    The fast path is jiter, which refuses duplicate keys itself (no Python
    hook per object, as json's ``object_pairs_hook`` was) and shares
    repeated strings through its cache (one object for each repeated key
    and short value: 100,000 pull requests held 165 MiB decoded by json,
    84 MiB by jiter). It reads the UTF-8 bytes of each line of ``data`` (the
    file's own bytes, no BOM: files_formats.read_jsonl_file). A line it does
    not take, or that may hold what jiter accepts and guardrails does not (a
    number overflowing to infinity, ``\\u`` escapes, deep nesting), goes to
    :func:`load_json` for the verdict and the message.
    tests/unit/test_jsonl_fast.py holds the two paths to one verdict.
    """
    slow = _slow_lines(data)
    from_json = jiter.from_json
    records: list[Any] = []
    starts: list[int] = []
    # One line at a time (not data.split()): the 100,000 line copies of a
    # split lived all at once and left holes among the records (~25 MiB RSS).
    for n, raw in enumerate(io.BytesIO(data), 1):
        if raw.isspace():
            continue
        value: Any = _MISS
        if n not in slow:
            try:
                value = from_json(raw, allow_inf_nan=False, catch_duplicate_keys=True,
                                  cache_mode="all")
            except ValueError:  # a syntax error, a duplicate key, NaN...: words below
                value = _MISS
        if value is _MISS:
            line = raw.decode().removesuffix("\n")
            if not line.strip():  # blank but for spaces outside ASCII
                continue
            value = load_json(line, display, line=n)
        records.append(value)
        starts.append(n)
    return records, starts, b"null" in data


_MISS = object()
# The lines jiter is not asked about, found by a few scans of the whole file
# rather than tests on each line (tests on each line cost ~0.1 s per 100,000
# lines, a third of jiter's own time):
# - a number that may overflow to infinity, which jiter returns as inf: an
#   exponent of three digits or more, or 210 digits in a row (with an exponent
#   of at most 99, a finite double has at most 309 - 99 = 210 integer digits).
#   Exponents by bytes.find of "e000" and "e-000" in a copy where every digit is
#   "0", "E" is "e" and "+" is "-" (two scans in C; the regex e[-+]?000 tried a
#   match at every "e" of the text: ~41 of the ~90 million instructions of this
#   function on 10,000 pull requests), each found kept only where a number may
#   end there (_ends_number);
#   digit runs as a run of b"0" once every digit is made "0" (bytes.translate:
#   a regex \d{210} took 0.44 s over 25 MB of pull requests, this ~0.03 s);
# - a \u escape (lone surrogates are refused in _check_decoded's words);
# - more than MAX_DEPTH brackets on a line (jiter's own limit is deeper).
_BIG_EXPONENTS = (b"e000", b"e-000")  # in a copy translated by _DIGITS_AS_ZERO
_ESCAPE_U = re.compile(rb"\\u")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789E+", b"000000000e-")
_DIGIT_RUN = b"0" * 210
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{\n")
_CURLY_AS_SQUARE = bytes.maketrans(b"{", b"[")
_MAX_SLOW = 10_000
_CHUNK = 1 << 20


def _slow_lines(data: bytes) -> set[int] | _All:
    """The lines (from 1) the full decoder reads: see the comment above."""
    found: list[int] = []  # byte offsets
    # A text without a backslash (a memchr) holds no escape; else a regex finds them
    # (bytes.find of the two bytes scans at every "u": ~22 ms in 25 MB, the regex ~7).
    if b"\\" in data:
        for m in _ESCAPE_U.finditer(data):
            found.append(m.start())
            if len(found) > _MAX_SLOW:
                return _ALL
    # Digit runs and exponents a megabyte at a time: a translated copy of a whole
    # 25 MB file at once, freed, left glibc's heap that much larger (RSS up ~65 MiB
    # in one run of two). Chunks overlap by a run's length, so none is missed; an
    # exponent (5 bytes at most) is taken in the chunk it starts in. In the copy
    # every digit is "0", "E" is "e" and "+" is "-", so two finds see every exponent.
    run = len(_DIGIT_RUN)
    for start in range(0, len(data), _CHUNK):
        chunk = data[start:start + _CHUNK + run - 1].translate(_DIGITS_AS_ZERO)
        for exponent in _BIG_EXPONENTS:
            at = chunk.find(exponent, 0, _CHUNK + len(exponent) - 1)
            while at >= 0:
                if _ends_number(data, start + at):  # not a hex digest's "e123" in a string
                    found.append(start + at)
                    if len(found) > _MAX_SLOW:
                        return _ALL
                at = chunk.find(exponent, at + 1, _CHUNK + len(exponent) - 1)
        at = chunk.find(_DIGIT_RUN)
        while at >= 0:
            found.append(start + at)
            if len(found) > _MAX_SLOW:
                return _ALL
            at = chunk.find(_DIGIT_RUN, at + run)
    lines: set[int] = set()
    line, pos = 1, 0
    for at in sorted(found):  # one pass over the text, however many were found
        line += data.count(b"\n", pos, at)
        pos = at
        lines.add(line)
    # Only the brackets and line feeds kept, "{" as "[": a line holds more than
    # MAX_DEPTH of them iff that many "[" stand in a row (one find, not a split of
    # the whole text and a length a line: ~9 against ~15 ms a 25 MB file).
    brackets = data.translate(_CURLY_AS_SQUARE, _NOT_BRACKETS)
    if brackets.find(b"[" * (yamlio.MAX_DEPTH + 1)) >= 0:
        lines.update(n for n, b in enumerate(brackets.split(b"\n"), 1)
                     if len(b) > yamlio.MAX_DEPTH)
    return lines


_MANTISSA = frozenset(b"0123456789.")
_BEFORE_VALUE = frozenset(b"[,: \t\r\n\x0b\x0c")  # and two spaces JSON has not: a safe yes
_MAX_MANTISSA = 400


def _ends_number(data: bytes, at: int) -> bool:
    """Whether the ``e``/``E`` at ``at`` may be a JSON number's exponent: digits
    (or a point) just before it, an optional minus before them, and before that
    the start or what a JSON value may follow (``[ , :`` or white space).

    A JSON number jiter reads sits there and nowhere else; the same letters in
    a string (a commit sha's ``8e450``, 66 of them in the example's pull
    requests) sent 57 of its 67 lines to the slow decoder. A false yes only
    costs the slow decoder; a mantissa longer than ``_MAX_MANTISSA`` is a yes.
    """
    i = at
    stop = max(0, at - _MAX_MANTISSA)
    while i > stop and data[i - 1] in _MANTISSA:
        i -= 1
    if i == at:
        return False  # no digit before: not a number (jiter refuses "e5" alone)
    if i == stop:
        return True  # the start, or too long a run to follow: the safe answer
    if data[i - 1] == 0x2D:  # "-"
        i -= 1
        if i == 0:
            return True
    return data[i - 1] in _BEFORE_VALUE


class _All:
    """Every line (too many risky lines to list)."""

    def __contains__(self, _: object) -> bool:
        return True


_ALL = _All()
