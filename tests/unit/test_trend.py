"""Trend verdicts and sparklines, worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guardrails.trend import Point, Series, judge, sparkline

T0 = datetime(2026, 1, 2, tzinfo=UTC)


def _series(values: list[float | None], threshold: dict[str, float] | None,
            unit: str = "per_week") -> Series:
    return Series("stability::deployment-frequency", "", [
        Point(T0 + timedelta(weeks=i), v, "passed", threshold, unit)
        for i, v in enumerate(values)])


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([0, None, 7], ascii_only=True) == "_ #"
    assert sparkline([3, 3]) == "▅▅"
    assert sparkline([None, None]) == "  "


def test_falling_toward_a_minimum_crosses() -> None:
    # 5, 4, 3 a week against min 1: slope -1/week, 2 left, so it crosses 2 weeks after.
    v = judge(_series([5, 4, 3], {"min": 1}))
    assert v.outcome == "warning"
    assert v.message == ("deployment frequency fell from 5.00/week to 3.00/week in 2 weeks; "
                         "at this slope it crosses 1.00/week around 2026-01-30")
    assert v.crosses_on == "2026-01-30"


def test_moving_away_passes_and_gaps_are_skipped() -> None:
    v = judge(_series([1.5, None, 2, 3, 4], {"min": 1}))
    assert v.outcome == "passed" and v.first == 1.5 and v.last == 4


def test_too_few_points_or_no_threshold_is_skipped() -> None:
    assert judge(_series([1, 2], {"min": 1})).outcome == "skipped"
    assert judge(_series([1, 2, 3], None)).message == "no threshold to move toward"


def test_only_the_last_points_are_judged() -> None:
    # An old dip does not count once it is older than the last 3 points.
    values = [1.1, 1.1, 5, 5, 5]
    assert judge(_series(values, {"min": 1}), points=3).outcome == "passed"
    assert judge(_series(values, {"min": 1}), points=5).outcome == "passed"
    assert judge(_series([5, 5, 5, 1.1], {"min": 1}), points=4).outcome == "warning"
