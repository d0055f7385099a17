"""The SVG chart module: well-formed, accessible, deterministic, and drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from guardrails.reporters.svgchart import MAX_BARS, Band, Bar, Point, bar_chart, metric_chart

NS = {"s": "http://www.w3.org/2000/svg"}
BANDS = (Band("elite", None, 0.05), Band("high", 0.05, 0.10), Band("medium", 0.10, 0.15),
         Band("low", 0.15, None))


def pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def cfr(points: list[Point], **kw: object) -> ET.Element:
    args: dict[str, object] = {"title": "Change failure rate", "ident": "cfr", "fmt": pct,
                               "threshold": {"max": 0.10}, "bands": BANDS}
    args.update(kw)
    return parse(metric_chart(points, **args))  # type: ignore[arg-type]


def test_one_point_is_a_dot_above_the_threshold_it_exceeds() -> None:
    svg = cfr([Point("2026-11-20T00:00:00Z", 0.125)])
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "cfr-t cfr-d"
    assert svg.find("s:title", NS).text == "Change failure rate"  # type: ignore[union-attr]
    desc = svg.find("s:desc", NS).text  # type: ignore[union-attr]
    assert desc == "2026-11-20: 12.5%; threshold max 10.0%"
    [dot] = svg.findall("s:circle", NS)
    [line] = svg.findall("s:line[@class='threshold']", NS)
    # SVG y grows downwards: a value above the maximum is drawn higher than its line.
    assert float(dot.get("cy", "")) < float(line.get("y1", ""))
    assert svg.findall("s:polyline", NS) == []  # one point, no line to draw
    labels = [t.text for t in svg.findall("s:text[@class='value-label']", NS)]
    assert labels == ["12.5%"]


def test_bands_are_shaded_in_order_and_only_where_they_fall_in_the_domain() -> None:
    svg = cfr([Point("2026-11-20", 0.02)], threshold={"max": 0.15})
    bands = svg.findall("s:rect[@class]", NS)
    names = [r.get("class") for r in bands if r.get("class", "").startswith("band")]
    assert names == ["band band-elite", "band band-high", "band band-medium", "band band-low"]
    tops = {r.get("class"): float(r.get("y", "")) for r in bands}
    # elite (lowest rates) is at the bottom of the chart, low at the top
    assert tops["band band-elite"] > tops["band band-high"] > tops["band band-medium"]


def test_a_series_over_time_is_a_line_in_time_order() -> None:
    pts = [Point("2026-11-20", 0.12), Point("2026-10-01", 0.04), Point("2026-11-01", 0.08)]
    svg = cfr(pts)
    [poly] = svg.findall("s:polyline", NS)
    xy = [tuple(map(float, p.split(","))) for p in poly.get("points", "").split()]
    assert [x for x, _ in xy] == sorted(x for x, _ in xy)
    # 0.04 < 0.08 < 0.12: each later point is higher up
    assert xy[0][1] > xy[1][1] > xy[2][1]
    # x is proportional to time: Oct 1 -> Nov 1 (31 days) is wider than Nov 1 -> 20 (19)
    assert xy[1][0] - xy[0][0] > xy[2][0] - xy[1][0]
    assert len(svg.findall("s:circle", NS)) == 3
    dates = [t.text for t in svg.findall("s:text[@class='tick']", NS) if "2026" in (t.text or "")]
    assert dates == ["2026-10-01", "2026-11-20"]


def test_log_scale_orders_durations_spanning_hours_to_weeks() -> None:
    svg = parse(metric_chart([Point("2026-11-01", 3600.0), Point("2026-11-20", 14 * 86400.0)],
                             title="Lead time", ident="lt", fmt=lambda v: f"{v:.0f}s",
                             threshold={"max": 7 * 86400.0}, log=True))
    ys = [float(c.get("cy", "")) for c in svg.findall("s:circle", NS)]
    [line] = svg.findall("s:line[@class='threshold']", NS)
    assert ys[0] > float(line.get("y1", "")) > ys[1]


def test_no_points_draws_an_empty_frame_that_says_so() -> None:
    svg = cfr([])
    assert svg.find("s:desc", NS).text.startswith("no value measured")  # type: ignore[union-attr]
    assert [t.text for t in svg.findall("s:text", NS)] == ["no value"]


def test_hostile_labels_are_escaped_text_and_output_is_deterministic() -> None:
    bars = [Bar("<script>alert(1)</script>", 3), Bar("evil\x1b]0;x\x07", 2, "bar-over")]
    one = bar_chart(bars, title="t & <b>", ident="b", fmt=lambda v: f"{v:g}")
    assert one == bar_chart(bars, title="t & <b>", ident="b", fmt=lambda v: f"{v:g}")
    assert "<script>" not in one and "&lt;script&gt;" in one
    assert "\x1b" not in one and "\\x1b" in one
    svg = parse(one)
    assert svg.find("s:title", NS).text == "t & <b>"  # type: ignore[union-attr]
    assert svg.findall(".//s:script", NS) == []


def test_bars_are_proportional_and_marked() -> None:
    svg = parse(bar_chart([Bar("web", 4), Bar("core", 8, "bar-over")], title="Team sizes",
                          ident="sz", fmt=lambda v: f"{v:g}", limits={"max": 8.0}))
    rects = svg.findall("s:rect", NS)
    assert [r.get("class") for r in rects] == ["bar", "bar-over"]
    w = [float(r.get("width", "")) for r in rects]
    assert w[1] == pytest.approx(2 * w[0], rel=0.01)
    [limit] = svg.findall("s:line[@class='threshold']", NS)
    bar_end = float(rects[1].get("x", "")) + w[1]
    assert float(limit.get("x1", "")) == pytest.approx(bar_end, abs=0.02)
    desc = svg.find("s:desc", NS).text  # type: ignore[union-attr]
    assert desc == "web 4, core 8; max 8"


def test_many_bars_are_capped_and_the_rest_counted() -> None:
    bars = [Bar(f"m{i}", i) for i in range(MAX_BARS + 5)]
    svg = parse(bar_chart(bars, title="Bus factor", ident="bf", fmt=lambda v: f"{v:g}"))
    assert len(svg.findall("s:rect", NS)) == MAX_BARS
    assert svg.find("s:desc", NS).text.endswith(", and 5 more")  # type: ignore[union-attr]
