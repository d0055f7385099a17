"""Metric samples as a report carries them, and the statistics made from them.

A metric check hands :func:`build` its samples as ``(time, value)`` pairs;
the :class:`~guardrails.model.Series` that comes out is what the JSON report
holds (docs/report.md, "Samples"), and :func:`value` recomputes the metric
from any number of such series pooled together (``guardrails merge``), so an
org-wide median is the median of every repository's samples, never an
average of medians.

Size is bounded: a series keeps at most :data:`~guardrails.model.SERIES_CAP`
samples. Beyond, it is thinned in time order: each run of ``k`` consecutive
samples is kept as its first one, weighted ``k`` (the sum of the run's
weights). The exact count ``n`` and sum ``total`` are kept, so rates stay
exact; medians and percentiles of a thinned series are those of the weighted
samples, an approximation the merged report says it made.
"""

from __future__ import annotations

import contextlib
import math
from array import array
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import compress, islice
from operator import attrgetter, eq, itemgetter
from typing import Any

from guardrails import later
from guardrails.model import SERIES_CAP, Series
from guardrails.results import SAMPLES
from guardrails.timeutil import iso

#: how each ``agg`` turns samples into a value
AGGREGATES = ("median", "p90", "rate", "per_week")

SECONDS_PER_WEEK = 7 * 86400
_SECOND = timedelta(seconds=1)
_time = itemgetter(0)


def build(agg: str, start: datetime, end: datetime,
          points: Iterable[tuple[datetime, float | int]], cap: int = SERIES_CAP) -> Series:
    """The series of ``points`` (each inside ``[start, end)``), sorted and bounded:
    :func:`build_columns` of their times and values."""
    given = list(points)
    return build_columns(agg, start, end, list(map(_time, given)), list(map(_value, given)), cap)


def build_columns(agg: str, start: datetime, end: datetime, times: list[Any],
                  values: list[Any], cap: int = SERIES_CAP) -> Series:
    """The series of the samples ``(times[i], values[i])`` (each time inside ``[start,
    end)``; two lists of one length, which the series keeps: the caller's own),
    sorted and bounded.

    A check that has its samples' times and values at hand passes them as two
    lists: no ``(time, value)`` tuple a sample, made for :func:`build` only to be
    taken apart again (~10 ms a 25,000-sample series, seven series a 100k run).

    The samples are read now; when they are all numbers and every time a ``datetime``
    in UTC, as ``start`` (so that nothing below can fail), their seconds since
    ``start`` are taken, and they are sorted, summed and thinned, when a report first
    reads the series (guardrails.later): the seven series of a 100k run cost ~0.1-0.25 s
    made at once (benchmarks/RESULTS.md, "s24-cold100k", "s25-cold100k"), and the
    terminal report reads none.
    """
    if len(times) != len(values):
        raise ValueError(f"{len(times)} sample times for {len(values)} values")
    # The times as given (the facts' own datetimes: a list of references, 8 bytes a
    # sample as the array of seconds was) and the values as machine words until read:
    # held beside the run's facts, a list of (int, value) pairs was ~1.5 MiB a series
    # (+11 MiB of the 100k run's peak), a list of the values ~0.5 MiB (+6 MiB of a
    # warm run's).
    stamps = times
    series = Series(agg=agg, start=iso(start) or "", end=iso(end) or "")
    types = set(map(type, values))
    if types <= _NUMBERS and _utc_stamps(stamps, start):
        # Nothing below can fail: the seconds, the sort, the sum and the thinning wait
        # for the first read (~0.05 s of a cold 100k run's seven series: the seconds
        # were a subtraction and a division a sample, made for reports that read none)
        later.fill_later(series, SAMPLES,
                         partial(_later_samples, stamps, start, _words(values, types), cap))
    else:  # anything else sorted and summed now: its error is the check's
        series.t, series.v, series.n, series.total, series.w = _samples(
            _seconds(stamps, start), values, cap, series)
    return series


def _seconds(stamps: list[Any], start: datetime) -> Sequence[int]:
    """Whole seconds since ``start``, floored, of each stamp (raises what a stamp that is
    no time raises). timedelta // timedelta is integer arithmetic (int(total_seconds()
    // 1) gives the same for any time within ~285 years of start, where a float still
    holds microseconds exactly), ~40% faster a sample."""
    return array("q", [(ts - start) // _SECOND for ts in stamps])


def _utc_stamps(stamps: list[Any], start: datetime) -> bool:
    """Whether :func:`_seconds` cannot fail on ``stamps``: every one a plain ``datetime``
    in UTC, as ``start`` is (two C passes), and each within the range an int64 of
    seconds holds (any datetime is: years 1-9999)."""
    return (start.tzinfo is UTC and type(start) is datetime
            and set(map(type, stamps)) <= _DATETIME
            and set(map(_tzinfo, stamps)) <= _UTC)


def _later_samples(stamps: list[Any], start: datetime, values: Sequence[Any], cap: int,
                   series: Series) -> tuple[list[int], list[Any], int, float | int,
                                             list[int] | None]:
    """:func:`_samples` of ``stamps`` as seconds since ``start``, when first read."""
    return _samples(_seconds(stamps, start), values, cap, series)


_DATETIME = frozenset({datetime})
_UTC = frozenset({UTC})
_tzinfo = attrgetter("tzinfo")


def _words(values: list[Any], types: set[type]) -> Sequence[Any]:
    """``values`` as an array when all are floats or all ints (not bools) that fit one:
    each reads back as the very number, of its type."""
    if types == {float}:
        return array("d", values)
    if types == {int}:
        with contextlib.suppress(OverflowError):
            return array("q", values)
    return values


_value = itemgetter(1)
#: sample values whose sort and sum cannot fail
_NUMBERS = frozenset({int, float, bool})


def _samples(times: Sequence[int], values: Sequence[Any], cap: int,
             series: Series) -> tuple[list[int], list[Any], int, float | int, list[int] | None]:
    """``(t, v, n, total, w)`` of the samples ``times`` and ``values``."""
    t, v = _sorted(list(zip(times, values, strict=True)))
    # every value an int (bools too) -> an exact int sum; one isinstance per type
    total: float | int = (sum(v) if all(issubclass(k, int) for k in set(map(type, v)))
                          else math.fsum(v))
    if len(v) > cap:
        kept_t, kept_v, w = thin(t, v, None, cap)
        return kept_t, kept_v, len(v), total, w
    return t, v, len(v), total, None


def _sorted(pairs: list[tuple[int, Any]]) -> tuple[list[int], list[Any]]:
    """The times and values of ``pairs`` in the order ``pairs.sort()`` gives (by time,
    then by value), sorted in place.

    Sorted by time alone, whose keys are ints that CPython compares on a fast path of
    its own, not as tuples; then only the runs of equal times are sorted as pairs
    (a few in thousands: times are whole seconds). 250,000 samples (a 90-day window
    at a million facts): ~0.25 s -> ~0.1 s a series; seven series a run.
    """
    pairs.sort(key=_time)
    t = [p[0] for p in pairs]
    # i where t[i] == t[i + 1], found in C; each run of such i is one run of ties
    ties = list(compress(range(len(t) - 1), map(eq, t, islice(t, 1, None))))
    at = 0
    while at < len(ties):
        first = last = ties[at]
        at += 1
        while at < len(ties) and ties[at] == last + 1:
            last = ties[at]
            at += 1
        pairs[first:last + 2] = sorted(pairs[first:last + 2])
    return t, [p[1] for p in pairs]


def thin(t: Sequence[int], v: Sequence[float | int], w: Sequence[int] | None,
         cap: int) -> tuple[list[int], list[float | int], list[int]]:
    """At most ``cap`` samples: each run of ``k`` kept as its first, weighted by the run."""
    k = math.ceil(len(v) / cap)
    out_t: list[int] = []
    out_v: list[float | int] = []
    out_w: list[int] = []
    for i in range(0, len(v), k):
        out_t.append(t[i])
        out_v.append(v[i])
        out_w.append(sum(w[i:i + k]) if w is not None else min(k, len(v) - i))
    return out_t, out_v, out_w


def median(data: Iterable[Any]) -> Any:
    """``statistics.median(data)``, written out: the middle value, or the mean of the
    two middle ones (an int stays an int when the count is odd).

    The metric checks' medians, without importing statistics (and with it random,
    fractions and decimal: ~2.5 ms of every run's start-up, benchmarks/RESULTS.md).
    No data raises ``statistics.StatisticsError`` as before.
    """
    xs = sorted(data)
    n = len(xs)
    if n == 0:
        import statistics

        return statistics.median(xs)  # raises StatisticsError, as it always did
    if n % 2 == 1:
        return xs[n // 2]
    i = n // 2
    return (xs[i - 1] + xs[i]) / 2


def fmean(data: Sequence[float]) -> float:
    """``statistics.fmean`` of a non-empty sequence: ``math.fsum(data) / len(data)``."""
    if not data:
        import statistics

        return statistics.fmean(data)  # raises StatisticsError, as it always did
    return math.fsum(data) / len(data)


def quantile(values: Sequence[float], p: float, weights: Sequence[int] | None = None) -> float:
    """The ``p`` quantile with linear interpolation between closest ranks.

    Without weights, ``values`` are sorted here. With weights, each value
    counts as that many equal samples. ``p == 0.5`` is computed the way
    ``statistics.median`` does (mean of the two middle samples), so a
    repository's median comes out bit for bit the same when recomputed.
    """
    if not values:
        raise ValueError("quantile of no values")
    if weights is None:
        xs = sorted(values)
        n = len(xs)

        def at(i: int) -> float:
            return xs[i]
    else:
        order = sorted(range(len(values)), key=values.__getitem__)
        xs = [values[i] for i in order]
        cum: list[int] = []
        acc = 0
        for i in order:
            acc += weights[i]
            cum.append(acc)
        n = acc

        def at(i: int) -> float:
            # the value at rank i of the expanded multiset
            lo, hi = 0, len(cum) - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if cum[mid] > i:
                    hi = mid
                else:
                    lo = mid + 1
            return xs[lo]

    h = (n - 1) * p
    lo, hi = math.floor(h), math.ceil(h)
    if p == 0.5:
        return at(lo) if lo == hi else (at(lo) + at(hi)) / 2
    a = at(lo)
    return a + (h - lo) * (at(hi) - a)


def value(agg: str, values: Sequence[float], weights: Sequence[int] | None, n: int,
          total: float, weeks: float) -> float | None:
    """The metric of pooled samples: ``n``/``total`` exact, ``weeks`` of window summed.

    ``per_week`` is ``n / weeks`` where the caller passes the summed
    per-repository rates instead when windows differ (see guardrails/merge.py).
    """
    if n == 0:
        return None
    if agg == "rate":
        return total / n
    if agg == "per_week":
        return n / weeks
    if agg == "median":
        return quantile(values, 0.5, weights)
    if agg == "p90":
        return quantile(values, 0.9, weights)
    raise ValueError(f"unknown aggregate {agg!r}")
