"""Durations (``30m``, ``36h``, ``7d``, ``2w``), timestamps and windows.

Every timestamp inside guardrails is an aware ``datetime`` in UTC. A window
is the half-open interval ``[now - W, now)``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

DURATION_PATTERN = r"^[0-9]+(\.[0-9]+)?[smhdw]$"
#: what a duration error says to write (config, rule and CLI errors alike)
DURATION_FORMS = ("a number and one unit, no space, ASCII digits: 30m, 36h, 7d, 2w, 1.5h "
                  "(units s, m, h, d, w)")


#: Longest duration accepted anywhere (a window, an age, a threshold): 100 years.
MAX_DURATION = timedelta(days=36500)


def parse_duration(text: str | int | float, *, positive: bool = False) -> timedelta:
    """Parse ``30m``, ``36h``, ``7d``, ``2w`` (or bare seconds) to a timedelta.

    Text is exactly ASCII digits (an optional decimal part) and one unit letter:
    ``12 h``, `` 7d`` and ``١d`` (an Arabic-Indic one) are refused.

    Raises ValueError for text that is not a duration, for NaN and infinity,
    for more than :data:`MAX_DURATION`, and (with ``positive``) for zero or
    less: a window or threshold of ``0d`` would silently select nothing.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        m = _duration_parts(str(text)[:64])
        if m is None:
            shown = str(text)[:40]
            hint = (" (a duration is positive)" if shown.lstrip().startswith("-")
                    else f" (write e.g. 30m, 36h, 7d, 2w: {DURATION_FORMS})")
            raise ValueError(f"not a duration: {shown!r}{hint}")
        seconds = float(m[0]) * _UNITS[m[1]]
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError(f"not a duration: {text!r} (not a finite number)")
    if abs(seconds) > MAX_DURATION.total_seconds():
        raise ValueError(f"duration {text!r} is longer than 100 years")
    if positive and seconds <= 0:
        raise ValueError(f"duration {text!r} must be greater than zero")
    return timedelta(seconds=seconds)


def _duration_parts(text: str) -> tuple[str, str] | None:
    """(number, unit) of a duration written as :data:`DURATION_PATTERN` says, else None.

    One spelling, ASCII only: no space, no digit of another script (\\d and \\s match
    those in Python and Rust, not in an editor's JavaScript), so the pattern the
    shipped schemas publish means the same in every validator and here. Told with
    string methods (``isdigit`` of ASCII text is ``[0-9]+``): compiling the pattern
    cost every run ~0.5M instructions (benchmarks/RESULTS.md, "s26-startup").
    """
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isascii():
        return None
    whole, dot, fraction = number.partition(".")
    if not whole.isdigit() or (dot and not fraction.isdigit()):
        return None
    return number, unit


def format_duration(seconds: float) -> str:
    """Human form of a duration in seconds: ``45s``, ``12m``, ``3.5h``, ``2.1d``."""
    s = float(seconds)
    neg = s < 0
    s = abs(s)
    if s < 60:
        out = f"{s:.0f}s"
    elif s < 3600:
        out = f"{s / 60:.1f}m".replace(".0m", "m")
    elif s < 86400 * 2:
        out = f"{s / 3600:.1f}h".replace(".0h", "h")
    else:
        out = f"{s / 86400:.1f}d".replace(".0d", "d")
    return f"-{out}" if neg else out


def parse_timezone(name: str) -> tzinfo:
    """``UTC``, ``+02:00`` or an IANA name such as ``Europe/Berlin``."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    if name[:1] in ("+", "-"):
        parts = _offset_parts(name[1:])
        if parts is None:
            raise ValueError(f"not a UTC offset: {name!r} (write +HH:MM or +HHMM in ASCII "
                             "digits, e.g. +02:00, or an IANA name such as Europe/Berlin)")
        hours, minutes = parts
        if hours > 23 or minutes > 59:
            raise ValueError(f"the UTC offset {name!r} is out of range: {OFFSET_RANGE}")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if name[0] == "-" else delta)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def _offset_parts(text: str) -> tuple[int, int] | None:
    """(hours, minutes) of ``HH:MM`` or ``HHMM``, else None: ASCII digits only (``\\d``
    and ``int`` take Arabic-Indic or fullwidth ones too) and nothing after them (a
    pattern's ``$`` lets a final newline through)."""
    digits = text[:2] + text[3:] if text[2:3] == ":" else text
    if len(digits) != 4 or not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits[:2]), int(digits[2:])


class NaiveTimestamp(ValueError):
    """A timestamp without an offset and no configured timezone."""


def parse_timestamp(value: object, default_tz: tzinfo | None = None) -> datetime:
    """ISO 8601 with offset or ``Z`` -> aware UTC datetime.

    A timestamp without an offset raises :class:`NaiveTimestamp` unless a
    ``default_tz`` is given (config ``timezone:``).
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        raise ValueError(f"expected a timestamp with time and offset, got the date {value}")
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        read: datetime | None
        try:
            read = datetime.fromisoformat(text)
        except ValueError:
            read = None
        # fromisoformat reads +02:75 as +03:15 (and +02:00:75 as +02:01:15): refused too
        if read is None or read.utcoffset():
            offset = _bad_offset(text)
            if offset is not None:
                raise ValueError(f"the UTC offset {offset} of {_quote(value)} is out of "
                                 f"range: {OFFSET_RANGE}") from None
        if read is None:
            raise ValueError(f"not an ISO 8601 timestamp: {_quote(value)}") from None
        dt = read
    else:
        raise ValueError(f"not a timestamp: {_quote(value)}")
    if dt.tzinfo is None:
        if default_tz is None:
            raise NaiveTimestamp(
                f"timestamp {_quote(value)} has no UTC offset (add 'Z' or '+02:00', "
                "or set 'timezone:' in guardrails.yaml)"
            )
        dt = dt.replace(tzinfo=default_tz)
    return to_utc(dt, value)


def to_utc(dt: datetime, value: object = None) -> datetime:
    """``dt`` in UTC; a time whose UTC year falls outside 1..9999 is a ValueError."""
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        from guardrails.textsafe import excerpt

        raise ValueError(
            f"the timestamp {excerpt(value if value is not None else dt, 40)} falls outside "
            "the years 1..9999 once its UTC offset is applied"
        ) from None


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO date (YYYY-MM-DD): {_quote(value)}") from None
    raise ValueError(f"not a date: {_quote(value)}")


#: what an offset out of range is told (Python's own limit: under 24 hours either way)
OFFSET_RANGE = ("an offset runs from -23:59 to +23:59 (hours 00..23, minutes and any "
                "seconds 00..59); write the offset the time was recorded in, e.g. +01:00, "
                "or Z for UTC")
#: an offset ending a timestamp: +HH, +HH:MM or +HHMM, either with seconds (and a
#: fraction); ASCII digits, and ``\Z``: ``$`` would also match before a final newline
_OFFSET = r"([+-])([0-9]{2})(?::?([0-9]{2})(?::?([0-9]{2})(?:\.[0-9]+)?)?)?\Z"
_offset_re: re.Pattern[str] | None = None


def _offset_pattern() -> re.Pattern[str]:
    """:data:`_OFFSET` compiled on first use, once: it serves only offsets that are not
    UTC (and errors), so a run that never meets one never compiles it, and one that
    does is not handed to ``re``'s cache lookup again per timestamp."""
    global _offset_re
    if _offset_re is None:
        _offset_re = re.compile(_OFFSET)
    return _offset_re


def _bad_offset(text: str) -> str | None:
    """The offset ending ``text`` when it alone is out of range (hours over 23, minutes
    or seconds over 59) and the date and time before it read, else None.

    Python's ``fromisoformat`` refuses only a total of 24 hours or more, so it reads
    ``+02:75`` as ``+03:15``; the files source's fast path refuses what it would take
    here (:func:`guardrails.sources.files_normalise._timestamp_lines`).
    """
    m = _offset_pattern().search(text)
    if m is None or "T" not in text[:m.start()].upper() and " " not in text[:m.start()]:
        return None
    _, hours, minutes, seconds = m.groups()
    if int(hours) <= 23 and int(minutes or 0) <= 59 and int(seconds or 0) <= 59:
        return None
    try:
        datetime.fromisoformat(text[:m.start()])
    except ValueError:
        return None
    return m.group(0)


def _quote(value: object) -> str:
    from guardrails.textsafe import quoted

    return quoted(value, 60)


def parse_date_or_timestamp(value: object, default_tz: tzinfo | None = None) -> datetime:
    """A date or a timestamp, as an aware UTC datetime.

    A date without a time names a whole day in ``default_tz`` (the config's
    ``timezone:``, UTC when unset) and is kept as the first instant of that
    day; :func:`day_of` turns it back into the date.
    """
    if isinstance(value, datetime):
        return parse_timestamp(value, default_tz)
    if isinstance(value, date):
        return day_start(value, default_tz)
    if isinstance(value, str) and len(value.strip()) == 10:
        return day_start(parse_date(value), default_tz)
    return parse_timestamp(value, default_tz)


def day_start(d: date, tz: tzinfo | None = None) -> datetime:
    """The first instant of the day ``d`` in ``tz`` (UTC when None), in UTC."""
    return datetime(d.year, d.month, d.day, tzinfo=tz or UTC).astimezone(UTC)


def day_end(d: date, tz: tzinfo | None = None) -> datetime:
    """The first instant after the day ``d`` in ``tz`` (UTC when None), in UTC."""
    return day_start(d + timedelta(days=1), tz)


def local_date(ts: datetime, tz: tzinfo | None = None) -> date:
    """The calendar date of the instant ``ts`` in ``tz`` (UTC when None)."""
    return ts.astimezone(tz or UTC).date()


def day_of(value: object, tz: tzinfo | None = None) -> date | None:
    """The day a date-valued field names, or None when it is a precise instant.

    Dates are kept as the first instant of their day in ``tz`` (see
    :func:`parse_date_or_timestamp`), so a value at local midnight names the
    whole day. A timestamp written as exactly local midnight reads the same:
    the whole day that starts then.
    """
    if isinstance(value, datetime):
        local = value.astimezone(tz or UTC) if value.tzinfo else value
        if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
            return local.date()
        return None
    if isinstance(value, date):
        return value
    return None


def days_overdue(due: object, now: datetime, tz: tzinfo | None = None) -> int | None:
    """Whole days ``now`` is past ``due``, or None when it is not past due.

    A date (a whole day, inclusive) is past due once that day has ended in
    ``tz``; the days counted are the calendar days after it up to today, so
    an item due yesterday is 1 day overdue. A precise instant is past due
    from that instant on (0 days overdue on the same calendar day).
    """
    day = day_of(due, tz)
    today = local_date(now, tz)
    if day is not None:
        return (today - day).days if today > day else None
    if isinstance(due, datetime) and due < now:
        return max((today - local_date(due, tz)).days, 0)
    return None


def parse_now(text: str | None) -> datetime:
    """``--now``: a date (taken as 00:00 UTC) or a timestamp; default the clock."""
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    return parse_date_or_timestamp(text, UTC)


def iso(dt: datetime | date | None) -> str | None:
    """Stable ISO text: UTC timestamps end in ``Z``."""
    if dt is None:
        return None
    if isinstance(dt, datetime):
        return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return dt.isoformat()


def in_window(ts: datetime | None, start: datetime, end: datetime) -> bool:
    """Half-open window membership: ``start <= ts < end``."""
    return ts is not None and start <= ts < end
