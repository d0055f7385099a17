"""Series over the history store, their table with sparklines, and regressions.

A regression (docs/history.md) is judged on the last ``points`` values of a
rule that has a threshold and is not failing yet:

- **drift**: its headroom (distance to the threshold) shrank by more than
  ``fraction`` of what it was at the first of those points; or
- **slope**: the least-squares line through those points reaches the
  threshold within ``horizon`` after the last point (default: as long as the
  points span).

Either makes the rule's trend outcome ``warning``, with words such as
"change failure rate rose from 6.0% to 12.0% in 7 weeks; at this slope it
crosses 15.0% around 2027-01-10".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from guardrails import fmt
from guardrails.history import Entry
from guardrails.timeutil import iso

SPARK_UNICODE = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-:=+*#"


@dataclass
class Point:
    now: datetime
    value: float | None
    outcome: str
    threshold: dict[str, Any] | None
    unit: str | None


@dataclass
class Series:
    """One rule over time, oldest point first."""

    id: str
    title: str = ""
    points: list[Point] = field(default_factory=list)

    @property
    def unit(self) -> str | None:
        return next((p.unit for p in reversed(self.points) if p.unit), None)

    @property
    def threshold(self) -> dict[str, Any] | None:
        return next((p.threshold for p in reversed(self.points) if p.threshold), None)

    def valued(self) -> list[Point]:
        return [p for p in self.points if p.value is not None]


def series(entries: Iterable[Entry], only: Iterable[str] = ()) -> list[Series]:
    """A series per rule id (``only`` narrows: an id, or a substring of one); at one
    ``now``, the last entry read wins (a recorded run over a backfilled point)."""
    wanted = list(only)
    by_id: dict[str, dict[datetime, Point]] = {}
    titles: dict[str, str] = {}
    for e in entries:
        for rid, r in e.results.items():
            if wanted and not any(w == rid or w in rid for w in wanted):
                continue
            value = r.get("value")
            by_id.setdefault(rid, {})[e.now] = Point(
                e.now, float(value) if value is not None else None, str(r.get("outcome", "")),
                r.get("threshold"), r.get("unit"))
            titles[rid] = str(r.get("title") or titles.get(rid, ""))
    return [Series(rid, titles[rid], [pts[k] for k in sorted(pts)])
            for rid, pts in sorted(by_id.items())]


def sparkline(values: list[float | None], ascii_only: bool = False) -> str:
    """One character a value, scaled between the series' min and max; a gap is a space."""
    ramp = SPARK_ASCII if ascii_only else SPARK_UNICODE
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    lo, hi = min(known), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(ramp[len(ramp) // 2])
        else:
            out.append(ramp[min(len(ramp) - 1, int((v - lo) / (hi - lo) * len(ramp)))])
    return "".join(out)


def threshold_text(threshold: dict[str, Any] | None, unit: str | None) -> str:
    if not threshold:
        return ""
    parts = []
    if threshold.get("min") is not None:
        parts.append(f">= {fmt.value(threshold['min'], unit)}")
    if threshold.get("max") is not None:
        parts.append(f"<= {fmt.value(threshold['max'], unit)}")
    return " and ".join(parts)


def table(all_series: list[Series], last: int, ascii_only: bool) -> list[str]:
    """The terminal table: a row per rule, its last ``last`` points as a sparkline."""
    if not all_series:
        return []
    rows = [("rule", "points", "trend", "first", "last", "threshold", "outcome")]
    for s in all_series:
        pts = s.points[-last:]
        valued = [p for p in pts if p.value is not None]
        rows.append((
            s.id, str(len(pts)), sparkline([p.value for p in pts], ascii_only),
            fmt.value(valued[0].value, s.unit) if valued else "n/a",
            fmt.value(valued[-1].value, s.unit) if valued else "n/a",
            threshold_text(s.threshold, s.unit), pts[-1].outcome if pts else ""))
    widths = [fmt.pad_width(r[i] for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def points_table(s: Series, last: int) -> list[str]:
    """Every point of one series: date, value, outcome."""
    lines = [f"{s.id}: {s.title}".rstrip(": ")]
    for p in s.points[-last:]:
        lines.append(f"  {iso(p.now)}  {fmt.value(p.value, p.unit):>12}  {p.outcome}")
    return lines


@dataclass
class Verdict:
    """A rule's trend outcome: warning, passed, failed (already over) or skipped."""

    id: str
    outcome: str
    message: str
    first: float | None = None
    last: float | None = None
    crosses_on: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "outcome": self.outcome, "message": self.message,
                "first": self.first, "last": self.last, "crosses_on": self.crosses_on}


def _label(rule_id: str) -> str:
    return rule_id.split("::", 1)[-1].replace("-", " ").replace("_", " ")


def _span_text(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    if days >= 14 and abs(days / 7 - round(days / 7)) < 0.15:
        return fmt.plural(round(days / 7), "week")
    return fmt.plural(round(days), "day")


def _slope(pts: list[Point]) -> float:
    """Least-squares slope of value over time, per second."""
    t0 = pts[0].now
    xs = [(p.now - t0).total_seconds() for p in pts]
    ys = [float(p.value) for p in pts]  # type: ignore[arg-type]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


def judge(s: Series, points: int = 8, fraction: float = 0.25,
          horizon: timedelta | None = None) -> Verdict:
    """The trend verdict of one series (see the module docstring)."""
    pts = s.valued()[-points:]
    thr = s.threshold
    label, unit = _label(s.id), s.unit
    if not thr or (thr.get("min") is None and thr.get("max") is None):
        return Verdict(s.id, "skipped", "no threshold to move toward")
    if len(pts) < 3:
        return Verdict(s.id, "skipped", f"{fmt.plural(len(pts), 'point')} with a value; "
                       "a trend needs 3")
    first, last = pts[0], pts[-1]
    assert first.value is not None and last.value is not None
    # Headroom: how far a value is from failing; the bound closest to failing counts.
    bounds: list[tuple[str, float]] = [(k, float(thr[k])) for k in ("max", "min")
                                       if thr.get(k) is not None]

    def headroom(v: float) -> tuple[float, str, float]:
        return min(((b - v if k == "max" else v - b), k, b) for k, b in bounds)

    room_last, side, bound = headroom(last.value)
    room_first = headroom(first.value)[0]
    span = last.now - first.now
    shown = fmt.value(first.value, unit), fmt.value(last.value, unit)
    moved = ("stayed" if shown[0] == shown[1] else "rose" if last.value > first.value
             else "fell")
    words = (f"{label} {moved} from {fmt.value(first.value, unit)} to "
             f"{fmt.value(last.value, unit)} in {_span_text(span)}")
    if moved == "stayed":
        words = f"{label} stayed at {shown[1]} for {_span_text(span)}"
    if room_last < 0:
        return Verdict(s.id, "failed", f"{words}; already beyond {fmt.value(bound, unit)}",
                       first.value, last.value)
    slope = _slope(pts)  # per second; toward the bound is up for max, down for min
    toward = slope > 0 if side == "max" else slope < 0
    crosses = None
    if toward and slope != 0:
        seconds = room_last / abs(slope)
        ahead = horizon if horizon is not None else span
        if seconds <= ahead.total_seconds():
            crosses = (last.now + timedelta(seconds=seconds)).date().isoformat()
    drift = room_first > 0 and (room_first - room_last) / room_first > fraction
    if crosses is not None:
        return Verdict(s.id, "warning", f"{words}; at this slope it crosses "
                       f"{fmt.value(bound, unit)} around {crosses}", first.value, last.value,
                       crosses)
    if drift:
        share = (room_first - room_last) / room_first
        return Verdict(s.id, "warning", f"{words}; {share:.0%} of its headroom to "
                       f"{fmt.value(bound, unit)} is gone", first.value, last.value)
    return Verdict(s.id, "passed", words, first.value, last.value)


__all__ = ["Point", "Series", "Verdict", "judge", "points_table", "series", "sparkline",
           "table", "threshold_text"]
