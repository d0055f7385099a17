"""The config schema's ``pattern`` and ``format: date`` checks, by string methods.

A run whose caches are empty or off validates its config with
:mod:`guardrails.smallschema`, which searched each ``pattern`` with a regex
compiled in that process, and ``format: date`` with one more: five compiles
of ~0.5M instructions each in a run of ~430M (benchmarks/RESULTS.md,
"s28-startup"). The patterns the config schema holds are simple enough to
answer with ``str`` methods: :data:`SEARCHES` maps each, exactly as the
schema writes it, to a function giving what ``re.compile(pattern).search(text)
is not None`` gives for every ``str`` (``^`` is the text's start, ``$`` its end
or just before a final line feed, ``\\d`` is ``str.isdecimal``, ``\\s`` is
``str.isspace``, ``.`` anything but a line feed). A pattern not in the table is
compiled as before. tests/unit/test_schemapatterns.py holds each answer equal
to the regex's (and :func:`is_date` to jsonschema's ``date`` format) on a large
table of valid and invalid texts, and the character classes on every code point.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["SEARCHES", "is_date"]

_DIGITS = "0123456789"
_LOWER_ = "abcdefghijklmnopqrstuvwxyz_"


def _line(text: str) -> str:
    """``text`` without one final line feed: where a ``$`` not in MULTILINE mode
    matches (at the end, or just before a final line feed)."""
    return text[:-1] if text.endswith("\n") else text


def _ascii_digits(text: str) -> bool:
    """``[0-9]+``: one or more ASCII digits."""
    return bool(text) and not text.strip(_DIGITS)


def _rule_id(text: str) -> bool:
    r"""``^[^:\s]+::[^:\s]+$``: two parts without colons or white space, joined by ``::``."""
    line = _line(text)
    head, sep, tail = line.partition("::")
    return bool(sep and head and tail) and ":" not in head and ":" not in tail \
        and line.split() == [line]


def _subject(text: str) -> bool:
    r"""``^[a-z_]+/.+$``: lowercase ASCII letters or ``_``, ``/``, then a rest of the line."""
    line = _line(text)
    head, sep, tail = line.partition("/")
    return bool(sep and head and tail) and not head.strip(_LOWER_) and "\n" not in tail


def _iso_date_shape(text: str) -> bool:
    r"""``^\d{4}-\d{2}-\d{2}$``, searched: Unicode decimal digits, a final line feed allowed."""
    line = _line(text)
    return len(line) == 10 and line[4] == "-" and line[7] == "-" \
        and line[:4].isdecimal() and line[5:7].isdecimal() and line[8:].isdecimal()


def _window(text: str) -> bool:
    r"""``^[0-9]+(\.[0-9]+)?[smhdw]$``: a decimal number of ASCII digits and a unit."""
    line = _line(text)
    if len(line) < 2 or line[-1] not in "smhdw":
        return False
    whole, dot, fraction = line[:-1].partition(".")
    return _ascii_digits(whole) and (not dot or _ascii_digits(fraction))


#: pattern (as the config schema writes it) -> its search, as a yes or no
SEARCHES: dict[str, Callable[[str], bool]] = {
    r"^[^:\s]+::[^:\s]+$": _rule_id,
    r"^[a-z_]+/.+$": _subject,
    r"^\d{4}-\d{2}-\d{2}$": _iso_date_shape,
    r"^[0-9]+(\.[0-9]+)?[smhdw]$": _window,
}


def is_date(text: str) -> bool:
    """jsonschema's ``date`` format check (``jsonschema._format.is_date``): the
    fullmatch of ``^\\d{4}-\\d{2}-\\d{2}$`` with re.ASCII (ten characters, ASCII
    digits, no final line feed), then :meth:`datetime.date.fromisoformat`."""
    if not (len(text) == 10 and text[4] == "-" and text[7] == "-"
            and _ascii_digits(text[:4]) and _ascii_digits(text[5:7])
            and _ascii_digits(text[8:])):
        return False
    from datetime import date

    try:
        return bool(date.fromisoformat(text))
    except ValueError:
        return False
