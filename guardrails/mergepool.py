"""Every sample of one rule across repositories, for ``guardrails merge``.

Samples are kept in packed arrays (16 bytes each, 24 once any repository's
series was thinned and so weighted), so an org of 1,000 repositories with
1,000 samples a metric fits in tens of megabytes; the org value is computed
from all of them (guardrails/series.py), never from the repositories'
values.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime

from guardrails.mergeread import Samples
from guardrails.model import SERIES_CAP, Series
from guardrails.series import SECONDS_PER_WEEK, quantile, thin
from guardrails.timeutil import iso


@dataclass
class Pool:
    """Every sample of one rule across repositories, packed."""

    agg: str
    #: sample times in seconds after ``base`` (the first series' window start)
    times: array[int] = field(default_factory=lambda: array("q"))
    base: int | None = None
    #: where each repository's samples begin in the arrays (they are time-sorted within)
    segments: list[int] = field(default_factory=list)
    values: array[float] = field(default_factory=lambda: array("d"))
    weights: array[int] | None = None
    n: int = 0
    total: float = 0.0
    per_week: float = 0.0
    start: float = float("inf")
    end: float = float("-inf")
    windows: set[float] = field(default_factory=set)
    thinned: list[str] = field(default_factory=list)

    def add(self, s: Samples, repo: str) -> None:
        if s.weights is not None and self.weights is None:
            self.weights = array("q", [1]) * len(self.values)
        if self.weights is not None:
            self.weights.extend(s.weights if s.weights is not None
                                else array("q", [1]) * len(s.values))
        if s.weights is not None:
            self.thinned.append(repo)
        self.segments.append(len(self.values))
        base = int(s.start)
        if self.base is None:
            self.base = base
        if base == self.base:  # the usual case: one --now, one window everywhere
            self.times.extend(s.offsets)
        else:
            shift = base - self.base
            self.times.extend(array("q", (o + shift for o in s.offsets)))
        self.values.extend(s.values)
        self.n += s.n
        self.total += s.total
        weeks = (s.end - s.start) / SECONDS_PER_WEEK
        self.per_week += s.n / weeks
        self.windows.add(s.end - s.start)
        self.start, self.end = min(self.start, s.start), max(self.end, s.end)

    def value(self) -> float | None:
        if self.n == 0:
            return None
        if self.agg == "rate":
            return self.total / self.n
        if self.agg == "per_week":
            return self.per_week
        return quantile(self.values, 0.5 if self.agg == "median" else 0.9, self.weights)

    def series(self) -> Series:
        """The pooled samples as one series over the union of the windows, capped.

        Within the cap, every sample in time order. Beyond it, each
        repository's (time-sorted) samples are thinned as
        :func:`guardrails.series.thin` does, with one ``k`` for all, so each
        keeps its share; the kept samples are then put in time order (and
        thinned once more should thousands of repositories still exceed the
        cap). No sort of all the samples is needed.
        """
        count = len(self.values)
        bounds = [*self.segments, count]
        spans = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
        k = -(-count // SERIES_CAP)
        while k > 1 and sum(-(-(b - a) // k) for a, b in spans) > SERIES_CAP:
            k += 1
        ws = self.weights
        picked: list[tuple[int, float, int]] = []
        for a, b in spans:
            for j in range(a, b, k):
                end = min(j + k, b)
                weight = sum(ws[j:end]) if ws is not None else end - j
                picked.append((self.times[j], self.values[j], weight))
        picked.sort(key=lambda p: p[0])
        shift = int(self.start) - (self.base or 0)  # the union starts at the earliest
        t = [p[0] - shift for p in picked]
        v = [p[1] for p in picked]
        w: list[int] | None = [p[2] for p in picked]
        if len(v) > SERIES_CAP:
            t, v, w = thin(t, v, w, SERIES_CAP)
        if ws is None and k == 1:
            w = None
        return Series(agg=self.agg, start=iso_ts(self.start), end=iso_ts(self.end), t=t, v=v,
                      n=self.n, total=self.total, w=w)


def iso_ts(ts: float) -> str:
    """ISO text of a POSIX timestamp, UTC."""
    return iso(datetime.fromtimestamp(ts, UTC)) or ""
