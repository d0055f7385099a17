"""Metric samples: the compact series a report carries, and the statistics made from it."""

from __future__ import annotations

import json
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from guardrails.checks.delivery import percentile
from guardrails.model import Outcome, Report, Result, Series, Severity
from guardrails.reporters.json import render
from guardrails.series import build, build_columns, fmean, median, quantile, thin, value

START = datetime(2026, 8, 22, tzinfo=UTC)
END = datetime(2026, 11, 20, tzinfo=UTC)


def test_build_sorts_by_time_and_keeps_exact_count_and_sum() -> None:
    pts = [(START + timedelta(days=3, seconds=0.7), 5.5), (START, 2.0),
           (START + timedelta(hours=1), 1.0)]
    s = build("median", START, END, pts)
    assert s.t == [0, 3600, 3 * 86400] and s.v == [2.0, 1.0, 5.5]
    assert (s.n, s.total, s.w) == (3, 8.5, None)
    assert s.start == "2026-08-22T00:00:00Z" and s.end == "2026-11-20T00:00:00Z"
    rates = build("rate", START, END, [(START, 1), (START, 0), (START, 1)])
    assert rates.total == 2 and isinstance(rates.total, int)


@pytest.mark.parametrize("seed", range(40))
def test_build_orders_samples_as_sorting_the_pairs_does(seed: int) -> None:
    # Sorted by time, then the runs of equal times by value (the order of
    # sorted((time, value))), each value of its own type (True stays True).
    rng = random.Random(seed)
    span = rng.choice([3, 50, 86400])
    pts = [(START + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10)),
            rng.choice([0, 1, True, False, 1.0, 0.5, rng.randrange(3), rng.random()]))
           for _ in range(rng.randrange(0, 300))]
    want = sorted(((ts - START) // timedelta(seconds=1), v) for ts, v in pts)
    s = build("median", START, END, pts)
    assert s.t == [t for t, _ in want]
    assert [(type(v), v) for v in s.v] == [(type(v), v) for _, v in want]


@pytest.mark.parametrize("seed", range(20))
def test_build_columns_is_build_of_the_zipped_samples(seed: int) -> None:
    # What the metric checks hand over as two lists (times, values) makes the very
    # series the (time, value) pairs make: lazy or at once, thinned or not.
    rng = random.Random(seed)
    n = rng.choice([0, 1, 5, 300, 2500])
    times = [START + timedelta(seconds=rng.randrange(86400 * 90)) for _ in range(n)]
    if seed % 4 == 1 and n:  # one naive time: taken at once (the check's error)
        times[0] = times[0].replace(tzinfo=None)
    values = [rng.choice([0, 1, True, 2.5, rng.random(), rng.randrange(5)]) for _ in range(n)]
    cap = rng.choice([7, 1000])
    want_error = got_error = None
    try:
        want = build("median", START, END, zip(times, values, strict=True), cap)
        want_t, want_v, want_w = want.t, want.v, want.w
    except TypeError as exc:
        want_error = str(exc)
    try:
        got = build_columns("median", START, END, list(times), list(values), cap)
        got_t, got_v, got_w = got.t, got.v, got.w
    except TypeError as exc:
        got_error = str(exc)
    assert got_error == want_error
    if want_error is None:
        assert (got_t, got_w, got.n, got.total) == (want_t, want_w, want.n, want.total)
        assert [(type(v), v) for v in got_v] == [(type(v), v) for v in want_v]


def test_build_columns_refuses_lists_of_two_lengths() -> None:
    with pytest.raises(ValueError, match="2 sample times for 1 values"):
        build_columns("median", START, END, [START, START], [1.0])


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 1000])
def test_quantile_is_statistics_median_and_the_delivery_percentile(n: int) -> None:
    rng = random.Random(n)
    xs = [rng.uniform(0, 1e6) for _ in range(n)]
    assert quantile(xs, 0.5) == statistics.median(xs)
    assert quantile(xs, 0.9) == percentile(xs, 0.9)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101])
def test_median_and_fmean_are_those_of_statistics(n: int) -> None:
    """The checks' own median and fmean (no statistics import at start-up) give
    exactly what statistics gives: the same value and the same type."""
    rng = random.Random(n)
    for data in ([rng.randint(0, 50) for _ in range(n)],
                 [rng.uniform(0, 1e6) for _ in range(n)],
                 [rng.choice((1, 2.5, 3, 7.25)) for _ in range(n)]):
        got, want = median(iter(data)), statistics.median(data)
        assert got == want and type(got) is type(want)
        assert fmean(data) == statistics.fmean(data)
    with pytest.raises(statistics.StatisticsError):
        median(iter([]))
    with pytest.raises(statistics.StatisticsError):
        fmean([])


def test_weighted_quantile_is_that_of_the_expanded_samples() -> None:
    rng = random.Random(7)
    for _ in range(50):
        xs = [float(rng.randint(0, 30)) for _ in range(rng.randint(1, 12))]
        ws = [rng.randint(1, 4) for _ in xs]
        expanded = [x for x, w in zip(xs, ws, strict=True) for _ in range(w)]
        assert quantile(xs, 0.5, ws) == statistics.median(expanded)
        assert quantile(xs, 0.9, ws) == pytest.approx(percentile(expanded, 0.9))


def test_a_series_beyond_the_cap_is_thinned_with_exact_count_and_sum() -> None:
    pts = [(START + timedelta(minutes=i), i % 2) for i in range(25)]
    s = build("rate", START, END, pts, cap=10)
    assert len(s.v) == len(s.t) == len(s.w or ()) == 9  # runs of k = 3
    assert sum(s.w or ()) == s.n == 25 and s.total == 12
    assert s.t[:2] == [0, 180] and s.w == [3] * 8 + [1]
    assert value("rate", s.v, s.w, s.n, s.total, 1) == 12 / 25
    # thinning a thinned series adds the weights up
    t2, v2, w2 = thin(s.t, s.v, s.w, 4)
    assert sum(w2) == 25 and len(v2) == 3


def test_value_of_each_aggregate() -> None:
    assert value("per_week", [1, 1, 1], None, 3, 3, weeks=1.5) == 2
    assert value("median", [3.0, 1.0, 2.0], None, 3, 6, 1) == 2
    assert value("median", [], None, 0, 0, 1) is None
    with pytest.raises(ValueError):
        value("mean", [1.0], None, 1, 1, 1)


def _report(series: Series | None) -> Report:
    return Report(now="2026-11-20T00:00:00Z", focus=None, results=[Result(
        id="stability::lead-time", pack="stability", title="t", outcome=Outcome.PASSED,
        severity=Severity.ERROR, value=2.0, unit="seconds", samples=3, series=series)])


def test_a_series_round_trips_through_the_json_report_thinned_or_not() -> None:
    for s in (build("median", START, END, [(START, 1.5), (START, 2.5)]),
              build("median", START, END, [(START + timedelta(seconds=i), float(i))
                                          for i in range(30)], cap=7)):
        report = _report(s)
        assert Report.from_json(report.to_json()) == report
        assert Report.from_json(json.loads(render(report))) == report


def test_a_version_2_report_has_no_series() -> None:
    data = _report(build("median", START, END, [(START, 1.0)])).to_json()
    data["version"] = 2
    del data["results"][0]["series"]
    assert Report.from_json(data).results[0].series is None


def test_samples_are_sorted_when_first_read_and_as_at_once() -> None:
    """build reads the samples at once and sorts, sums and thins them when a
    reader first asks (guardrails.later): the same fields, compared, copied and
    pickled as a series built whole."""
    import copy
    import pickle

    rng = random.Random(7)
    pts = [(START + timedelta(seconds=rng.randrange(86400)), rng.random()) for _ in range(50)]
    whole = Series(agg="median", start="2026-08-22T00:00:00Z", end="2026-11-20T00:00:00Z",
                   t=sorted((t - START) // timedelta(seconds=1) for t, _ in pts))
    lazy = build("median", START, END, iter(pts), cap=20)
    assert "t" not in vars(lazy)  # not sorted yet
    assert lazy.t == build("median", START, END, pts, cap=20).t
    assert (lazy.n, lazy.w is not None, len(lazy.t)) == (50, True, 17)
    for other in (build("median", START, END, pts), copy.deepcopy(build("median", START, END,
                                                                            pts))):
        assert other.t == whole.t and other == pickle.loads(pickle.dumps(other))


def test_a_sample_build_cannot_read_is_the_checks_error_at_once() -> None:
    """A time that is not one fails in build (the rule's error, as before); values
    that are not numbers are sorted and summed at once, failing there too."""
    with pytest.raises(TypeError):
        build("median", START, END, [(START, 1.0), (None, 2.0)])
    with pytest.raises(TypeError):
        build("median", START, END, [(START, 1.0), (START, None)])
    assert build("median", START, END, [(START, 1.0), (START, 1.5)]).total == 2.5


def test_seconds_wait_only_for_utc_datetimes_and_equal_those_taken_at_once() -> None:
    """The seconds since the start wait for the first read only where they cannot
    fail: every time a plain datetime in UTC, as the start. A naive time (which cannot
    be subtracted from an aware start), one of another zone or of a subclass of
    datetime, or a start in another zone: taken at once, as before, so the error is
    the check's; and a lazy series' seconds are those taken at once."""
    from zoneinfo import ZoneInfo

    class Stamp(datetime):
        pass

    with pytest.raises(TypeError):
        build("median", START, END, [(START, 1.0), (datetime(2026, 9, 1), 2.0)])
    paris = ZoneInfo("Europe/Paris")
    other = [(START, 1.0), (datetime(2026, 9, 1, 2, tzinfo=paris), 2.0),
             (Stamp(2026, 9, 2, tzinfo=UTC), 3.0)]
    for pts, start in ((other, START), (other[:1], START.astimezone(paris))):
        now = build("median", start, END, pts)
        assert "t" in vars(now)  # taken at once
    assert build("median", START, END, other).t == [0, 864000, 950400]
    rng = random.Random(11)
    pts = [(START + timedelta(seconds=rng.randrange(10**7), microseconds=rng.randrange(10**6)),
            rng.random()) for _ in range(300)]
    lazy = build("median", START, END, pts)
    assert "t" not in vars(lazy)
    assert lazy.t == sorted((t - START) // timedelta(seconds=1) for t, _ in pts)


@pytest.mark.parametrize("values", [[2.5, 1.0, -0.0], [3, 1, 2], [2**70, 1, 3], [True, 1, 0.5]])
def test_samples_kept_as_machine_words_read_back_as_they_were(values: list) -> None:
    """Held until read as arrays where every value is a float, or an int that fits:
    each comes back the very number, of its own type (True stays True)."""
    pts = [(START + timedelta(seconds=i), v) for i, v in enumerate(values)]
    got = build("median", START, END, pts).v
    assert got == values and list(map(type, got)) == list(map(type, values))
