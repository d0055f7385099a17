"""Data text made safe to print: no control characters, no escape sequences.

Titles, ids, handles, evidence details and messages come from files and HTTP
answers a stranger may have written. Printed raw, an ``ESC ]`` (OSC) sequence
can retitle a terminal or forge a hyperlink, ``ESC [2J`` can wipe the screen,
a carriage return can overwrite a line, a newline can forge a GitHub
``::error`` command, and a lone surrogate cannot be encoded at all.
:func:`printable` shows every such character as a Python-style escape
(``\\x1b``, ``\\r``, ``\\u202e``, ``\\ud800``), so the text stays readable and
inert, with or without colour. Reporters call it on data; their own colour
codes are added afterwards.
"""

from __future__ import annotations

import re

# C0 controls (tab and, optionally, newline aside), DEL, C1 controls, lone
# surrogates, and the bidirectional overrides/isolates that reorder what a
# terminal shows ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_UNSAFE_NL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, newlines: bool = False) -> str:
    """``text`` as ``str`` with control characters and escapes shown, not obeyed.

    ``newlines=True`` keeps line breaks (for multi-line blocks a reporter
    splits itself); by default a newline is shown as ``\\n`` so one value
    stays one line.
    """
    s = "" if text is None else str(text)
    pattern = _UNSAFE if newlines else _UNSAFE_NL
    return pattern.sub(_escape, s)


__all__ = ["printable"]
