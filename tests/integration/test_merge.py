"""``guardrails merge``: one org report from per-repository reports.

The strongest oracle is the example org itself: split into three
repositories (deployments and incidents by service, pull requests and CI
runs by repository), checked one by one with the real CLI, and merged, the
org-wide metrics must equal those of the unsplit org, which are computed
from the same facts in one run. A hand-computed case shows the difference
from averaging: the merged median is not the mean of the medians.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import run_cli
from orgsplit import SPLIT, split_acme

from guardrails.model import Report
from guardrails.validation import load_schema

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"
NOW = "2026-11-20"
def check_json(config: Path, out: Path) -> dict[str, Any]:
    res = run_cli(["check", "-c", str(config / "guardrails.yaml"), "--now", NOW, "-q",
                   "--format", "json", "--output", str(out)])
    assert res.exit_code in (0, 1), res.output
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("org")
    reports = {name: check_json(split_acme(root, name, services), root / f"{name}.json")
               for name, services in SPLIT.items()}
    whole = check_json(ACME, root / "whole.json")
    return {"root": root, "reports": reports, "whole": whole,
            "files": [str(root / f"{n}.json") for n in SPLIT]}


def merged(args: list[str], out: Path) -> tuple[Any, dict[str, Any]]:
    res = run_cli(["merge", *args, "-f", "json", "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return res, data


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["results"]}


def test_three_repositories_merge_to_the_metrics_of_the_whole_org(three: dict[str, Any]) -> None:
    res, org = merged(three["files"], three["root"] / "org.json")
    assert res.exit_code == 1, res.output  # the example org fails rules
    whole, got = by_id(three["whole"]), by_id(org)
    metric_rules = [rid for rid, r in whole.items() if "series" in r]
    assert len(metric_rules) == 7
    for rid in metric_rules:
        per_repo = [by_id(r)[rid]["value"] for r in three["reports"].values()]
        assert got[rid]["samples"] == whole[rid]["samples"], rid
        assert got[rid]["value"] == pytest.approx(whole[rid]["value"], rel=1e-9), (
            rid, got[rid]["value"], whole[rid]["value"], per_repo)
        assert got[rid]["outcome"] == whole[rid]["outcome"], rid
        assert got[rid]["series"]["n"] == whole[rid]["series"]["n"]
    # the repositories really differ: the org value is no mean of theirs
    lead = [by_id(r)["stability::lead-time"]["value"] for r in three["reports"].values()]
    assert len(set(lead)) == 3
    assert got["stability::lead-time"]["value"] != pytest.approx(sum(lead) / 3)
    assert [r["name"] for r in org["org"]["repositories"]] == list(SPLIT)
    assert {t["team"] for t in org["org"]["teams"]} >= {"web", "core-infra"}
    jsonschema.validate(org, load_schema("report"))
    assert Report.from_json(org).to_json() == org


def test_markdown_and_terminal_show_repositories_and_teams(three: dict[str, Any]) -> None:
    md = three["root"] / "org.md"
    res = run_cli(["merge", *three["files"], "-f", "markdown", "-o", str(md)])
    assert res.exit_code == 1
    text = md.read_text(encoding="utf-8")
    assert "## Repositories" in text and "## Teams" in text
    for name in SPLIT:
        assert f"\n| {name} | " in text
    res = run_cli(["merge", *three["files"], "--no-color"])
    assert res.exit_code == 1
    assert res.output.startswith("3 repositories merged\n")
    assert res.output.rstrip().splitlines()[-1].startswith("=")


def test_one_report_merged_alone_keeps_every_value(three: dict[str, Any]) -> None:
    res, org = merged([str(three["root"] / "whole.json")], three["root"] / "one.json")
    assert res.exit_code == 1
    whole = by_id(three["whole"])
    for rid, r in by_id(org).items():
        assert r["value"] == whole[rid]["value"], rid
        assert r["outcome"] == whole[rid]["outcome"], rid


def _series(agg: str, start: str, end: str, t: list[int], v: list[float]) -> dict[str, Any]:
    return {"agg": agg, "start": start, "end": end, "n": len(v), "total": sum(v),
            "t": t, "v": v}


def _result(rid: str, unit: str, value: float, series: dict[str, Any],
            threshold: dict[str, float]) -> dict[str, Any]:
    return {"id": rid, "outcome": "passed", "severity": "error", "title": rid,
            "value": value, "unit": unit, "threshold": threshold,
            "samples": series["n"], "message": "", "evidence": [], "waiver": None,
            "tags": [], "file": "", "line": 0, "details": [], "series": series}


def hand_report(path: Path, days: int, lead: list[float], failed: list[int],
                sizes: list[float], cfr_max: float) -> str:
    start, end = f"2026-11-{20 - days:02d}T00:00:00Z", "2026-11-20T00:00:00Z"
    t = [3600 * i for i in range(len(failed))]
    results = [
        _result("stability::lead-time", "seconds", 0.0,
                _series("median", start, end, [0] * len(lead), lead), {"max": 100.0}),
        _result("stability::change-failure-rate", "ratio", 0.0,
                _series("rate", start, end, t, [float(x) for x in failed]), {"max": cfr_max}),
        _result("stability::deployment-frequency", "per_week", 0.0,
                _series("per_week", start, end, t, [1.0] * len(failed)), {"min": 1.0}),
        _result("delivery::small-batches", "lines", 0.0,
                _series("p90", start, end, [0] * len(sizes), sizes), {"max": 400.0}),
    ]
    path.write_text(json.dumps({"version": 3, "now": end, "focus": None,
                                "summary": {"passed": 4, "failed": 0, "error": 0, "skipped": 0,
                                            "waived": 0, "duration_s": 0.1, "exit_code": 0},
                                "results": results}), "utf-8")
    return str(path)


def test_org_metrics_are_recomputed_not_averaged_hand_oracle(tmp_path: Path) -> None:
    a = hand_report(tmp_path / "a.json", 7, [1, 2, 3], [1, 0], [10, 20], cfr_max=0.15)
    b = hand_report(tmp_path / "b.json", 14, [10, 20, 30, 40, 50], [1] + [0] * 9,
                    [30, 40, 50, 1000], cfr_max=0.2)
    res, org = merged([a, b], tmp_path / "org.json")
    got = by_id(org)
    # median of 1,2,3,10,20,30,40,50 = (10 + 20) / 2; the mean of medians would be 16
    assert got["stability::lead-time"]["value"] == 15
    assert got["stability::lead-time"]["outcome"] == "passed"
    # 2 failed of 12, not (50% + 10%) / 2; the strictest max (15%) applies
    assert got["stability::change-failure-rate"]["value"] == round(2 / 12, 6)  # JSON: 6 places
    assert got["stability::change-failure-rate"]["threshold"] == {"max": 0.15}
    assert got["stability::change-failure-rate"]["outcome"] == "failed"
    # 2 a week in a, 10 in two weeks (5 a week) in b: 7 a week for the org
    assert got["stability::deployment-frequency"]["value"] == pytest.approx(7)
    # p90 of 10,20,30,40,50,1000: h = 5 * 0.9 = 4.5 -> 50 + 0.5 * 950
    assert got["delivery::small-batches"]["value"] == pytest.approx(525)
    assert res.exit_code == 1
    assert got["stability::lead-time"]["samples"] == 8


def test_unusable_files_are_named_and_skipped(three: dict[str, Any], tmp_path: Path) -> None:
    good = three["files"][0]
    text = Path(good).read_text(encoding="utf-8")
    # Cut mid-write, but not just after a "}": the report's timings make the text's
    # length vary, and a cut there reads as "not valid JSON", not "truncated".
    (tmp_path / "cut.json").write_text(text[: len(text) // 2].rstrip("} \n\t,"),
                                       encoding="utf-8")
    (tmp_path / "foreign.json").write_text('{"name": "package.json"}', encoding="utf-8")
    (tmp_path / "newer.json").write_text(text.replace('"version": 3', '"version": 9', 1),
                                         encoding="utf-8")
    bad = [str(tmp_path / n) for n in ("cut.json", "foreign.json", "newer.json",
                                       "missing.json")]
    res, org = merged([*bad, good], tmp_path / "org.json")
    assert res.exit_code == 1, res.output
    assert [s["file"] for s in org["org"]["skipped"]] == bad
    reasons = {Path(s["file"]).name: s["reason"] for s in org["org"]["skipped"]}
    assert reasons["cut.json"].startswith("truncated")
    assert "not a guardrails JSON report" in reasons["foreign.json"]
    assert "version 9" in reasons["newer.json"]
    assert "cannot read" in reasons["missing.json"]
    assert org["org"]["reports"] == 1
    res, _ = merged(bad, tmp_path / "none.json")
    assert res.exit_code == 4
    assert "none of the 4 report files could be merged" in res.output
    assert "Traceback" not in res.output and "cut.json: truncated" in res.output


def test_older_versions_are_read_and_their_missing_samples_named(
        three: dict[str, Any], tmp_path: Path) -> None:
    v2 = json.loads(Path(three["files"][1]).read_text(encoding="utf-8"))
    v2["version"] = 2
    for r in v2["results"]:
        r.pop("series", None)
    v1 = {k: v2[k] for k in ("now", "focus", "summary", "warnings", "results")}
    for r in v1["results"]:
        r.pop("duration", None)
    (tmp_path / "billing.json").write_text(json.dumps(v2), encoding="utf-8")
    (tmp_path / "data.json").write_text(json.dumps(v1), encoding="utf-8")
    res, org = merged([three["files"][0], str(tmp_path / "billing.json"),
                       str(tmp_path / "data.json")], tmp_path / "org.json")
    assert res.exit_code == 1, res.output
    assert [r["version"] for r in org["org"]["repositories"]] == [3, 2, 1]
    lead = by_id(org)["stability::lead-time"]
    web = by_id(three["reports"]["web"])["stability::lead-time"]
    assert lead["value"] == web["value"] and lead["samples"] == web["samples"]
    assert any("no samples in billing, data" in d for d in lead["details"])


def test_unknown_format_is_a_usage_error(three: dict[str, Any]) -> None:
    res = run_cli(["merge", three["files"][0], "-f", "nope"])
    assert res.exit_code == 4 and "known formats" in res.output


def test_html_shows_repositories_with_their_numbers(three: dict[str, Any]) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_html_report import assert_self_contained, parse

    page_file = three["root"] / "org.html"
    res = run_cli(["merge", *three["files"], "-f", "html", "-o", str(page_file),
                   "-f", "json", "-o", str(three["root"] / "org-for-html.json")])
    assert res.exit_code == 1, res.output
    org = json.loads((three["root"] / "org-for-html.json").read_text(encoding="utf-8"))
    page = parse(page_file.read_text(encoding="utf-8"))
    rows = [e for e in page.all("tr") if "data-repository" in e.attrs]
    assert [r.attrs["data-repository"] for r in rows] == list(SPLIT)
    for repo in org["org"]["repositories"]:
        start = page.elements.index(next(r for r in rows
                                         if r.attrs["data-repository"] == repo["name"]))
        cells = []
        for el in page.elements[start + 1:]:
            if el.tag == "tr":
                break
            if el.tag == "data":
                cells.append(json.loads(el.attrs["value"]))
        counts = [repo["summary"][k] for k in ("failed", "error", "passed", "skipped",
                                                "waived")]
        values = [r["value"] for r in repo["results"]
                  if r["unit"] not in (None, "count") and r["value"] is not None]
        assert cells == counts + values, repo["name"]
    assert_self_contained(page, set())
