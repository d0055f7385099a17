"""Quoting user text in messages: short, one line, control characters escaped.

An error message may show what it refuses, but only a little of it: a cell
of a 10 MB CSV file, an escape sequence that would repaint the terminal, or a
line of a file the user did not mean to show must not be echoed whole.
"""

from __future__ import annotations

import re

#: Characters of user text an error message quotes at most.
LIMIT = 80

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def excerpt(text: object, limit: int = LIMIT) -> str:
    """``text`` cut to ``limit`` characters (with ``...``), control characters escaped."""
    s = text if isinstance(text, str) else repr(text)
    cut = len(s) > limit
    if cut:
        s = s[:limit]
    s = _UNSAFE.sub(_escape, s)
    return s + "..." if cut else s


def quoted(text: object, limit: int = LIMIT) -> str:
    """:func:`excerpt` in single quotes, for values inside a sentence."""
    return "'" + excerpt(text, limit).replace("'", "\\'") + "'"
