"""Durations, timestamps, dates, --now and the half-open window."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from guardrails.timeutil import (
    DURATION_PATTERN,
    NaiveTimestamp,
    day_end,
    day_of,
    days_overdue,
    format_duration,
    in_window,
    iso,
    parse_date,
    parse_date_or_timestamp,
    parse_duration,
    parse_now,
    parse_timestamp,
    parse_timezone,
)

# ---------------------------------------------------------------------------
# durations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 30 * 60),
        ("36h", 36 * 3600),
        ("7d", 7 * 86400),
        ("2w", 2 * 7 * 86400),
        ("45s", 45),
        ("1.5h", 5400),
        (120, 120),
        (0.5, 0.5),
    ],
)
def test_parse_duration(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["7 days", "7", "d", "-1d", "1y", "", "1h30m", True])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)  # type: ignore[arg-type]


# One spelling, ASCII only: a space, or a digit of another script that Python's
# \d and float() would take (Arabic-Indic, fullwidth, Devanagari), is refused with
# the forms that are accepted. The schemas' pattern (read alike by Python, Rust and
# an editor's JavaScript) refuses them too.
@pytest.mark.parametrize("text", ["12 h", " 90d ", "90d ", "1\u2009d", "7d\u00a0",
                                  "\u0661d", "\uff17d", "\u0967.5h", "1.\u0665h"])
def test_parse_duration_is_ascii_without_spaces(text: str) -> None:
    with pytest.raises(ValueError, match="no space, ASCII digits: 30m, 36h, 7d"):
        parse_duration(text)
    assert not re.search(DURATION_PATTERN, text)


def test_parse_duration_refuses_a_trailing_newline() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("7d\n")  # a '$' would let it through


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45s"),
        (12 * 60, "12m"),
        (90, "1.5m"),
        (3.5 * 3600, "3.5h"),
        (24 * 3600, "24h"),  # below two days stays in hours
        (2 * 86400, "2d"),
        (2.1 * 86400, "2.1d"),
        (-7200, "-2h"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


# ---------------------------------------------------------------------------
# timestamps
# ---------------------------------------------------------------------------


def test_timestamp_with_z_is_utc() -> None:
    got = parse_timestamp("2026-11-20T10:15:00Z")
    assert got == datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    assert got.tzinfo is UTC


def test_timestamp_with_offset_is_converted_to_utc() -> None:
    # 12:00 at +02:00 is 10:00 UTC; 01:30 at -05:00 is 06:30 UTC.
    assert parse_timestamp("2026-11-20T12:00:00+02:00") == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert parse_timestamp("2026-11-20T01:30:00-05:00") == datetime(
        2026, 11, 20, 6, 30, tzinfo=UTC)
    assert parse_timestamp("2026-11-20T12:00:00+02:00").utcoffset() == timedelta(0)


def test_timestamp_lowercase_z_and_space_separator() -> None:
    assert parse_timestamp("2026-11-20 10:00:00z") == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_naive_timestamp_is_rejected_with_a_hint() -> None:
    with pytest.raises(NaiveTimestamp, match="timezone:"):
        parse_timestamp("2026-11-20T10:00:00")


def test_naive_timestamp_is_accepted_with_a_configured_timezone() -> None:
    # Berlin is UTC+1 in November: 10:00 local is 09:00 UTC.
    berlin = parse_timezone("Europe/Berlin")
    assert parse_timestamp("2026-11-20T10:00:00", berlin) == datetime(2026, 11, 20, 9, tzinfo=UTC)
    # ... and UTC+2 in July (summer time).
    assert parse_timestamp("2026-07-01T10:00:00", berlin) == datetime(2026, 7, 1, 8, tzinfo=UTC)
    # A timestamp that has an offset keeps it; the configured zone is only a default.
    assert parse_timestamp("2026-11-20T10:00:00Z", berlin) == datetime(
        2026, 11, 20, 10, tzinfo=UTC)


def test_aware_datetime_objects_are_normalised() -> None:
    plus3 = timezone(timedelta(hours=3))
    assert parse_timestamp(datetime(2026, 1, 1, 3, tzinfo=plus3)) == datetime(
        2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", 1700000000, None])
def test_not_a_timestamp(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize("value", ["2026-11-20T10:00:00+25:00", "2026-11-20T10:00:00-24:00",
                                   "2026-11-20 10:00+2500", "2026-11-20T10:00:00+23:75"])
def test_an_offset_out_of_range_is_named_with_its_range(value: str) -> None:
    """It read 'not an ISO 8601 timestamp', which sent the user to the date and time."""
    with pytest.raises(ValueError) as info:
        parse_timestamp(value)
    message = str(info.value)
    assert message.startswith("the UTC offset ") and "is out of range" in message
    assert "-23:59 to +23:59" in message and "or Z for UTC" in message


@pytest.mark.parametrize("value", ["2026-11-20T25:00:00+25:00", "2026-11-20+25:00",
                                   "2026-13-20T10:00:00+25:00"])
def test_a_bad_time_before_a_bad_offset_is_not_blamed_on_the_offset(value: str) -> None:
    with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
        parse_timestamp(value)


def test_the_widest_offsets_python_takes_are_read() -> None:
    assert parse_timestamp("2026-11-20T00:00:00-23:59") == datetime(2026, 11, 20, 23, 59,
                                                                     tzinfo=UTC)
    assert parse_timestamp("2026-11-20T23:59:00+23:59") == datetime(2026, 11, 20, tzinfo=UTC)


def test_a_date_is_not_a_timestamp() -> None:
    with pytest.raises(ValueError, match="date"):
        parse_timestamp(date(2026, 11, 20))


@pytest.mark.parametrize(
    ("name", "offset"),
    [("UTC", timedelta(0)), ("Z", timedelta(0)), ("+02:00", timedelta(hours=2)),
     ("-0530", timedelta(hours=-5, minutes=-30))],
)
def test_parse_timezone_fixed(name: str, offset: timedelta) -> None:
    assert parse_timezone(name).utcoffset(datetime(2026, 1, 1)) == offset


@pytest.mark.parametrize("name", ["+25:00", "-2400", "+02:75"])
def test_parse_timezone_offset_out_of_range(name: str) -> None:
    """It leaked datetime's own words ('a timedelta strictly between ...'), and took
    +02:75 as +03:15."""
    with pytest.raises(ValueError, match=f"the UTC offset '\\{name}' is out of range: an "
                       "offset runs from -23:59 to \\+23:59"):
        parse_timezone(name)


@pytest.mark.parametrize("name", [
    "+02:00\n",  # a pattern's $ matches before a final newline
    "+\u0660\u0662:\u0660\u0660",  # Arabic-Indic digits: \\d and int() take them
    "+\uff10\uff12\uff10\uff10",  # fullwidth
    "+2:00", "+02:0", "+02:000", "+02:00 ", "-", "+",
])
def test_parse_timezone_takes_an_offset_in_one_spelling(name: str) -> None:
    """An offset is +HH:MM or +HHMM in ASCII digits and nothing more, as every other
    reader of the config (a JSON Schema validator, an editor) sees it."""
    with pytest.raises(ValueError, match="not a UTC offset: .*ASCII digits"):
        parse_timezone(name)


def test_an_offset_is_found_at_the_very_end_only() -> None:
    from guardrails.timeutil import _bad_offset

    assert _bad_offset("2026-01-01T00:00:00+02:75") == "+02:75"
    assert _bad_offset("2026-01-01T00:00:00+02:75\n") is None  # $ matched before the \n
    with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
        parse_timestamp("2026-01-01T00:00:00+0\u0662:00")


def test_parse_timezone_unknown() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        parse_timezone("Mars/Olympus")


# ---------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------


def test_parse_date() -> None:
    assert parse_date("2026-11-30") == date(2026, 11, 30)
    assert parse_date(date(2026, 1, 2)) == date(2026, 1, 2)
    assert parse_date(datetime(2026, 1, 2, 23, 59)) == date(2026, 1, 2)
    for bad in ("2026-02-30", "30.11.2026", 20261130):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_date_or_timestamp() -> None:
    # A date is midnight UTC; a timestamp keeps its time.
    assert parse_date_or_timestamp("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_date_or_timestamp(date(2026, 11, 30)) == datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_date_or_timestamp("2026-11-30T18:00:00+01:00") == datetime(
        2026, 11, 30, 17, tzinfo=UTC)
    with pytest.raises(NaiveTimestamp):
        parse_date_or_timestamp("2026-11-30T18:00:00")


# ---------------------------------------------------------------------------
# --now
# ---------------------------------------------------------------------------


def test_now_from_a_date_is_midnight_utc() -> None:
    assert parse_now("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)


def test_now_from_timestamps() -> None:
    assert parse_now("2026-11-20T12:00:00+02:00") == datetime(2026, 11, 20, 10, tzinfo=UTC)
    # A --now without offset is read as UTC (there is no data file to blame).
    assert parse_now("2026-11-20T12:00:00") == datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_now_defaults_to_the_clock() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    got = parse_now(None)
    after = datetime.now(UTC)
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got.microsecond == 0
    assert before <= got <= after


def test_now_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_now("last tuesday")


# ---------------------------------------------------------------------------
# windows and ISO text
# ---------------------------------------------------------------------------


def test_window_is_half_open() -> None:
    end = datetime(2026, 11, 20, tzinfo=UTC)
    start = end - timedelta(days=90)  # 2026-08-22 00:00 UTC
    assert start == datetime(2026, 8, 22, tzinfo=UTC)
    assert in_window(start, start, end)  # the first instant counts
    assert in_window(end - timedelta(microseconds=1), start, end)
    assert not in_window(end, start, end)  # now itself belongs to the next window
    assert not in_window(start - timedelta(seconds=1), start, end)
    assert not in_window(None, start, end)


def test_iso_ends_in_z() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert iso(datetime(2026, 11, 20, 12, tzinfo=plus2)) == "2026-11-20T10:00:00Z"
    assert iso(date(2026, 11, 20)) == "2026-11-20"
    assert iso(None) is None


EAST = timezone(timedelta(hours=5, minutes=30))
WEST = timezone(-timedelta(hours=8))


@pytest.mark.parametrize("tz, start", [
    (None, datetime(2026, 11, 20, tzinfo=UTC)),
    (EAST, datetime(2026, 11, 19, 18, 30, tzinfo=UTC)),
    (WEST, datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
])
def test_a_date_is_the_first_instant_of_its_day_in_the_timezone(tz, start) -> None:  # type: ignore[no-untyped-def]
    assert parse_date_or_timestamp("2026-11-20", tz) == start
    assert day_of(start, tz) == date(2026, 11, 20)
    assert day_end(date(2026, 11, 20), tz) == start + timedelta(days=1)
    # a timestamp with a time of day is an instant, not a day
    assert day_of(start + timedelta(hours=1), tz) is None


@pytest.mark.parametrize("now, tz, expected", [
    (datetime(2026, 11, 20, 23, 59, tzinfo=UTC), None, None),  # due today: not yet
    (datetime(2026, 11, 21, 0, 0, tzinfo=UTC), None, 1),  # the day has ended
    (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), None, 3),
    (datetime(2026, 11, 20, 18, 29, tzinfo=UTC), EAST, None),
    (datetime(2026, 11, 20, 18, 30, tzinfo=UTC), EAST, 1),  # midnight in +05:30
    (datetime(2026, 11, 21, 7, 59, tzinfo=UTC), WEST, None),  # still the 20th in -08:00
    (datetime(2026, 11, 21, 8, 0, tzinfo=UTC), WEST, 1),
])
def test_days_overdue_counts_whole_days_after_the_due_day(now, tz, expected) -> None:  # type: ignore[no-untyped-def]
    due = parse_date_or_timestamp("2026-11-20", tz)
    assert days_overdue(due, now, tz) == expected


def test_a_due_instant_is_overdue_from_that_moment() -> None:
    due = parse_timestamp("2026-11-20T12:00:00Z")
    assert days_overdue(due, due, None) is None
    assert days_overdue(due, due + timedelta(seconds=1), None) == 0
    assert days_overdue(due, due + timedelta(hours=12), None) == 1
