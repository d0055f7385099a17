"""Static SVG charts for the HTML report: a metric over time, and bars.

Written here rather than taken from a plotting library (docs/html.md says
why at length): the charts are two shapes, and the ones that draw them
without a browser (matplotlib, pygal) are heavy to import, embed fonts or
scripts, or give no control over the markup's determinism and
accessibility. This module builds each chart as an :mod:`xml.etree`
tree, so every text and attribute is escaped by the serialiser, never by
string concatenation; the same input gives the same bytes.

Styling is left to the page: elements carry classes (``band-elite``,
``threshold``, ``bar-over``), and the page's CSS colours them for light,
dark and print. Every chart is ``role="img"`` with a ``<title>`` and a
``<desc>`` that says in words what it shows.

A metric chart takes a *series* of points. Today a report holds one point
per metric (its value at ``now``); a history of reports plots the same
way, over time.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from guardrails.textsafe import printable

#: chart size in SVG user units; the page scales it to its column
WIDTH, HEIGHT = 360, 200
#: plot margins: left for y labels, right for band names, bottom for dates
LEFT, RIGHT, TOP, BOTTOM = 64, 64, 16, 28
#: bars at most per bar chart; the rest is said in the description
MAX_BARS = 40


@dataclass(frozen=True)
class Point:
    """One measured value at a time (``at`` is ISO 8601, as the report's ``now``)."""

    at: str
    value: float


@dataclass(frozen=True)
class Band:
    """A performance band: values from ``low`` to ``high`` (None: unbounded)."""

    name: str
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value and a class (``bar-over`` for an offender)."""

    label: str
    value: float
    cls: str = "bar"


def _n(x: float) -> str:
    """A coordinate with two decimals at most: stable text, small files."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): v
                                     for k, v in attrs.items()})
    if text is not None:
        # Labels come from data: no control character or lone surrogate reaches the XML.
        el.text = printable(text)
    return el


def _svg(title: str, desc: str, ident: str, width: int, height: int) -> ET.Element:
    svg = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {width} {height}",
        "width": str(width), "height": str(height), "role": "img",
        "aria-labelledby": f"{ident}-t {ident}-d", "class": "chart"})
    _sub(svg, "title", title, id=f"{ident}-t")
    _sub(svg, "desc", desc, id=f"{ident}-d")
    return svg


def _text(svg: ET.Element) -> str:
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)


def _when(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return None


class _Scale:
    """Value -> y coordinate, linear or logarithmic, over a padded domain."""

    def __init__(self, values: Sequence[float], log: bool, top: float, bottom: float) -> None:
        self.log = log and all(v > 0 for v in values)
        lo, hi = min(values), max(values)
        if self.log:
            lo, hi = math.log10(lo), math.log10(hi)
        pad = (hi - lo) * 0.15 or (abs(hi) * 0.5 if hi else 1.0)
        self.lo, self.hi = lo - pad, hi + pad
        if not self.log and min(values) >= 0:
            self.lo = max(self.lo, 0.0)  # rates and counts start at zero
        self.top, self.bottom = top, bottom

    def __call__(self, v: float) -> float:
        if self.log:
            v = math.log10(v) if v > 0 else self.lo
        v = min(max(v, self.lo), self.hi)
        return self.bottom - (v - self.lo) / (self.hi - self.lo) * (self.bottom - self.top)

    def ticks(self) -> list[float]:
        """Three values to label the axis with: bottom, middle, top of the domain."""
        out = [self.lo, (self.lo + self.hi) / 2, self.hi]
        return [10 ** t for t in out] if self.log else out


def metric_chart(points: Sequence[Point], *, title: str, ident: str,
                 fmt: Callable[[float], str], threshold: dict[str, float] | None = None,
                 bands: Sequence[Band] = (), log: bool = False) -> str:
    """An SVG line chart of ``points`` over time, with threshold lines and shaded bands.

    ``fmt`` formats a value as a person reads it (``12.5%``); ``threshold``
    is the rule's ``{"min": ..}``/``{"max": ..}``; ``bands`` are shaded
    behind the line; ``log`` plots values on a logarithmic axis (durations
    that span minutes to months). ``ident`` makes the element ids unique in
    the page. A series with no points draws an empty frame saying so.
    """
    pts = sorted((p for p in points if math.isfinite(p.value)), key=lambda p: p.at)
    limits = {k: float(v) for k, v in (threshold or {}).items()
              if k in ("min", "max") and isinstance(v, int | float) and math.isfinite(v)}
    words = [f"{p.at[:10]}: {fmt(p.value)}" for p in pts]
    desc = ("; ".join(words) if words else "no value measured") + "".join(
        f"; threshold {k} {fmt(v)}" for k, v in limits.items())
    svg = _svg(title, desc, ident, WIDTH, HEIGHT)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    _sub(svg, "rect", x=_n(x0), y=_n(y0), width=_n(x1 - x0), height=_n(y1 - y0),
         class_="frame")
    if not pts:
        _sub(svg, "text", "no value", x=_n((x0 + x1) / 2), y=_n((y0 + y1) / 2),
             class_="empty", text_anchor="middle")
        return _text(svg)
    edges = [e for b in bands for e in (b.low, b.high) if e is not None]
    # The domain holds the values and the threshold; band edges only widen it a
    # little, so a far band does not squash the line.
    core = [p.value for p in pts] + list(limits.values())
    near = [e for e in edges if min(core) / 4 <= e <= max(core) * 4] if log else [
        e for e in edges if e <= max(core) * 1.5]
    scale = _Scale(core + near, log, y0, y1)
    for b in bands:
        top = scale(b.high) if b.high is not None else y0
        bottom = scale(b.low) if b.low is not None else y1
        if bottom - top < 0.5:
            continue
        _sub(svg, "rect", x=_n(x0), y=_n(top), width=_n(x1 - x0), height=_n(bottom - top),
             class_=f"band band-{b.name}")
        _sub(svg, "text", b.name, x=_n(x1 + 4), y=_n((top + bottom) / 2 + 4),
             class_="band-label")
    for t in scale.ticks():
        _sub(svg, "text", fmt(t), x=_n(x0 - 4), y=_n(scale(t) + 4), class_="tick",
             text_anchor="end")
    for kind, v in limits.items():
        y = scale(v)
        _sub(svg, "line", x1=_n(x0), y1=_n(y), x2=_n(x1), y2=_n(y), class_="threshold")
        _sub(svg, "text", f"{kind} {fmt(v)}", x=_n(x0 + 4), y=_n(y - 4),
             class_="threshold-label")
    times = [_when(p.at) for p in pts]
    if len(pts) == 1 or any(t is None for t in times) or times[0] == times[-1]:
        xs = [x0 + (x1 - x0) * (i + 1) / (len(pts) + 1) for i in range(len(pts))]
    else:
        first, last = times[0], times[-1]
        assert first is not None and last is not None
        span = (last - first).total_seconds()
        xs = [x0 + 12 + (x1 - x0 - 24) * ((t - first).total_seconds() / span)
              for t in times if t is not None]
    coords = [(x, scale(p.value)) for x, p in zip(xs, pts, strict=True)]
    if len(coords) > 1:
        _sub(svg, "polyline", points=" ".join(f"{_n(x)},{_n(y)}" for x, y in coords),
             class_="series")
    for (x, y), p in zip(coords, pts, strict=True):
        dot = _sub(svg, "circle", cx=_n(x), cy=_n(y), r="4", class_="point")
        _sub(dot, "title", f"{p.at[:10]}: {fmt(p.value)}")  # the tooltip
    lx, ly = coords[-1]
    _sub(svg, "text", fmt(pts[-1].value), x=_n(lx), y=_n(ly - 8), class_="value-label",
         text_anchor="middle")
    _sub(svg, "text", pts[0].at[:10], x=_n(xs[0]), y=_n(y1 + 16), class_="tick",
         text_anchor="middle")
    if len(pts) > 1:
        _sub(svg, "text", pts[-1].at[:10], x=_n(xs[-1]), y=_n(y1 + 16), class_="tick",
             text_anchor="middle")
    return _text(svg)


def bar_chart(bars: Sequence[Bar], *, title: str, ident: str, fmt: Callable[[float], str],
              limits: dict[str, float] | None = None) -> str:
    """A horizontal SVG bar chart, one bar a subject, with ``limits`` as lines.

    Bars beyond :data:`MAX_BARS` are left out of the picture (the
    description and the page's table still count them).
    """
    shown = [b for b in bars if math.isfinite(b.value)][:MAX_BARS]
    lim = {k: float(v) for k, v in (limits or {}).items() if math.isfinite(v)}
    words = [f"{b.label} {fmt(b.value)}" for b in shown]
    more = len(bars) - len(shown)
    desc = (", ".join(words) or "no values") + (f", and {more} more" if more else "") + "".join(
        f"; {k} {fmt(v)}" for k, v in lim.items())
    row, label_w, pad = 20, 120, 8
    height = TOP + BOTTOM + row * max(len(shown), 1)
    svg = _svg(title, desc, ident, WIDTH, height)
    x0, x1 = label_w, WIDTH - 48
    top = max([b.value for b in shown] + list(lim.values()) + [1.0])
    span = top * 1.1

    def x(v: float) -> float:
        return x0 + (x1 - x0) * max(v, 0.0) / span

    for i, b in enumerate(shown):
        y = TOP + i * row
        _sub(svg, "text", b.label if len(b.label) <= 18 else b.label[:17] + "…",
             x=_n(x0 - pad), y=_n(y + row * 0.7), class_="bar-label", text_anchor="end")
        _sub(svg, "rect", x=_n(x0), y=_n(y + 3), width=_n(max(x(b.value) - x0, 1.0)),
             height=_n(row - 6), class_=b.cls)
        _sub(svg, "text", fmt(b.value), x=_n(x(b.value) + 4), y=_n(y + row * 0.7),
             class_="value-label")
    bottom = TOP + row * max(len(shown), 1)
    _sub(svg, "line", x1=_n(x0), y1=_n(TOP), x2=_n(x0), y2=_n(bottom), class_="axis")
    for k, v in lim.items():
        _sub(svg, "line", x1=_n(x(v)), y1=_n(TOP - 4), x2=_n(x(v)), y2=_n(bottom + 4),
             class_="threshold")
        _sub(svg, "text", f"{k} {fmt(v)}", x=_n(x(v)), y=_n(bottom + 18),
             class_="threshold-label", text_anchor="middle")
    if not shown:
        _sub(svg, "text", "no values", x=_n((x0 + x1) / 2), y=_n(TOP + row * 0.7),
             class_="empty", text_anchor="middle")
    return _text(svg)
