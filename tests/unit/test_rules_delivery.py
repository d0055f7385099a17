"""Pack ``delivery``: small batches, independent review, CI feedback time.

NOW is 2026-11-20 00:00 UTC and the window is the default 90 days, so a
change counts when merged in [2026-08-22 00:00, 2026-11-20 00:00). Every
expected value is worked out by hand next to its assertion.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import fact_context, make_project

from guardrails.builtins import BUILTINS
from guardrails.checks import delivery
from guardrails.cli import main
from guardrails.collect import registered_checks, registered_metrics
from guardrails.config import Config
from guardrails.manager import create_manager
from guardrails.model import Outcome, Result, Rule
from guardrails.plugin import EvalContext
from guardrails.rulefile import RuleParser
from guardrails.rulepaths import builtin_packs
from guardrails.runner import run_check

NOW = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW = "window 2026-08-22 .. 2026-11-20 (90 days)"
PLUGINS = ("guardrails.checks.delivery",)
#: every module behind the builtin packs of this issue (explain collects every pack)
ALL_PLUGINS = ("guardrails.checks.incidents", "guardrails.checks.delivery",
               "guardrails.checks.teams", "guardrails.checks.culture",
               "guardrails.checks.goals")

_pm = create_manager()
CHECKS = registered_checks(_pm)
METRICS = dict(registered_metrics(_pm)) | {m.name: m for m in delivery.guardrails_collect_metrics()}

TEAMS = [
    {"id": "api", "members": [{"handle": "ann"}, {"handle": "bob"}, {"handle": "cat"}]},
    {"id": "web", "members": [{"handle": "wes"}, {"handle": "xia"}, {"handle": "yan"}]},
]


def builtin_rule(rule_id: str, focus: str | None = None, **params: Any) -> Rule:
    """The shipped rule ``delivery::<rule_id>`` as collected under ``focus``."""
    data = {"focus": {"current": focus}} if focus else {}
    rules = RuleParser(Config(path=None, root=Path.cwd(), data=data), CHECKS, METRICS).parse(
        Path(str(builtin_packs()["delivery"])))
    rule = next(r for r in rules if r.id == rule_id)
    return replace(rule, params={**rule.params, **params}) if params else rule


def context(failed: str | None = None, **kinds: list[dict[str, Any]]) -> EvalContext:
    return fact_context(NOW, CHECKS, METRICS, failed, **kinds)


def run(rule: Rule, **kinds: list[dict[str, Any]]) -> Result:
    return run_check(rule, context(**kinds))


def day(n: int, hour: int = 12) -> datetime:
    """2026-11-<n> at ``hour`` UTC."""
    return datetime(2026, 11, n, hour, tzinfo=UTC)


def change(ident: str, merged_at: datetime | None, size: int | None = None,
           author: str | None = "ann", **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"id": ident, **extra}
    if author is not None:
        c["author"] = author
    if merged_at is not None:
        c["merged_at"] = merged_at
    if size is not None:
        c.setdefault("additions", size)
        c.setdefault("deletions", 0)
    return c


def approved(ident: str, merged_at: datetime, author: str = "ann",
             reviewer: str = "bob") -> dict[str, Any]:
    return change(ident, merged_at, 10, author,
                  reviews=[{"user": reviewer, "state": "APPROVED"}])


def evidence(result: Result) -> list[tuple[str, str, str | None]]:
    return [(e.subject, e.detail, e.team) for e in result.evidence]


# ---------------------------------------------------------------------------
# the percentile
# ---------------------------------------------------------------------------


def test_percentile_interpolates_between_closest_ranks() -> None:
    xs = [4, 1, 3, 2]  # sorted 1 2 3 4, n = 4
    assert delivery.percentile(xs, 0.9) == pytest.approx(3.7)  # h = 2.7: 3 + 0.7 * (4 - 3)
    assert delivery.percentile(xs, 0.5) == pytest.approx(2.5)  # h = 1.5: 2 + 0.5 * (3 - 2)
    assert delivery.percentile(xs, 0.0) == 1
    assert delivery.percentile(xs, 1.0) == 4
    assert delivery.percentile([7], 0.9) == 7  # h = 0
    with pytest.raises(ValueError):
        delivery.percentile([], 0.9)


# ---------------------------------------------------------------------------
# small-batches
# ---------------------------------------------------------------------------


def test_small_batches_passes_with_p90_under_the_limit() -> None:
    changes = [change(f"c{i}", day(i), 10 * i) for i in range(1, 11)]  # sizes 10..100
    result = run(builtin_rule("small-batches"), changes=changes)
    # n = 10, h = 9 * 0.9 = 8.1: x[8] + 0.1 * (x[9] - x[8]) = 90 + 0.1 * 10 = 91
    assert result.outcome is Outcome.PASSED
    assert result.value == pytest.approx(91.0)
    assert (result.unit, result.threshold, result.samples) == ("lines", {"max": 400.0}, 10)
    assert result.message == "change size p90 91 lines <= 400 lines"


def test_small_batches_fails_with_the_oversized_changes_and_their_teams() -> None:
    sizes = [100, 200, 300, 350, 380, 390, 395, 399]
    changes = [change(f"c{i}", day(i + 1), s) for i, s in enumerate(sizes)]
    changes += [
        change("c8", day(10), additions=250, deletions=250, author="zed"),  # 500, no team
        change("c9", day(11), additions=880, deletions=20, author="ann"),  # 900
        change("c10", day(12), additions=1000, deletions=200, author="Wes",  # 1200
               title="Move billing to schema v2"),
        change("unsized", day(13), additions=50),  # no deletions: excluded, counted
        change("old", datetime(2026, 8, 21, 23, tzinfo=UTC), 5000),  # before the window
        change("at-now", NOW, 5000),  # the window is half-open
        change("open", None, 9999),  # not merged
    ]
    result = run(builtin_rule("small-batches"), changes=changes, teams=TEAMS)
    # 11 sized changes in the window; sorted, h = 10 * 0.9 = 9 -> x[9] = 900
    assert result.outcome is Outcome.FAILED
    assert result.value == pytest.approx(900.0)
    assert result.samples == 11
    assert result.message == "change size p90 900 lines > 400 lines"
    assert result.details == [WINDOW, "12 changes merged in window",
                              "1 change without additions/deletions excluded"]
    assert evidence(result) == [
        ("change/c10", "1200 lines (+1000 -200) by Wes (web), merged 2026-11-12: "
                       "Move billing to schema v2", "web"),
        ("change/c9", "900 lines (+880 -20) by ann (api), merged 2026-11-11", "api"),
        ("change/c8", "500 lines (+250 -250) by zed, merged 2026-11-10", None),
    ]


def test_small_batches_tightens_to_300_under_focus_throughput() -> None:
    changes = [change(f"c{i}", day(i + 1), 100) for i in range(9)]
    changes += [change("c9", day(15), 350), change("c10", day(16), 350)]
    # n = 11, h = 9: x[9] = 350 -> passes 400, fails 300
    assert builtin_rule("small-batches").params["max"] == 400
    assert run(builtin_rule("small-batches"), changes=changes).outcome is Outcome.PASSED
    rule = builtin_rule("small-batches", focus="throughput")
    assert (rule.params["max"], rule.focus_applied) == (300, "throughput")
    result = run(rule, changes=changes)
    assert result.outcome is Outcome.FAILED
    assert result.threshold == {"max": 300.0}
    assert result.message == ("change size p90 350 lines > 300 lines "
                              "(focus throughput; default 400 lines)")


@pytest.mark.parametrize(("changes", "reason"), [
    ([], "no changes data"),
    ([change("old", datetime(2026, 8, 1, tzinfo=UTC), 10), change("open", None, 10)],
     "no merged changes in window"),
    ([change("unsized", day(1), additions=3)],
     "no merged changes with additions and deletions in window"),
])
def test_small_batches_without_data_is_skipped(changes: list[dict[str, Any]],
                                               reason: str) -> None:
    result = run(builtin_rule("small-batches"), changes=changes)
    assert (result.outcome, result.message) == (Outcome.SKIPPED, reason)


# ---------------------------------------------------------------------------
# independent-review
# ---------------------------------------------------------------------------


def test_independent_review_passes_at_exactly_95_percent() -> None:
    changes = [approved(f"c{i}", day(1) + timedelta(hours=i)) for i in range(19)]
    changes.append(approved("self", day(2), author="ann", reviewer="ann"))
    result = run(builtin_rule("independent-review"), changes=changes)
    # 19 of 20 = 0.95 >= 0.95
    assert result.outcome is Outcome.PASSED
    assert result.value == pytest.approx(0.95)
    assert (result.unit, result.threshold, result.samples) == ("ratio", {"min": 0.95}, 20)
    assert result.message == "independent review rate 95.0% >= 95.0%"


def test_independent_review_lists_changes_without_an_independent_approval() -> None:
    changes = [
        approved("c1", day(1)),
        change("c2", day(2), 10, "ann", reviews=[{"user": "Ann", "state": "APPROVED"}]),
        change("c3", day(3), 10, "wes"),
        change("c4", day(4), 10, "wes", reviews=[
            {"user": "bob", "state": "COMMENTED"},
            {"user": "cat", "state": "CHANGES_REQUESTED"}]),
        change("c5", day(5), 10, "wes", reviews=[
            {"user": "bob", "state": "CHANGES_REQUESTED"},
            {"user": "bob", "state": "APPROVED"}]),
        change("c6", day(6), 10, "ann", reviews=[
            {"user": "bob", "state": "DISMISSED"},
            {"user": "ann", "state": "APPROVED"}]),
        change("c7", day(7), 10, None, reviews=[{"user": "bob", "state": "APPROVED"}]),
        approved("c8", day(8)), approved("c9", day(9)), approved("c10", day(10)),
        approved("late", datetime(2026, 8, 1, tzinfo=UTC), author="ann", reviewer="ann"),
    ]
    result = run(builtin_rule("independent-review"), changes=changes, teams=TEAMS)
    # with an author: c1..c6, c8..c10 = 9; independent: c1, c5, c8, c9, c10 = 5
    assert result.outcome is Outcome.FAILED
    assert result.value == pytest.approx(5 / 9)
    assert result.samples == 9
    assert result.message == "independent review rate 55.6% < 95.0%"
    assert result.details == [WINDOW, "10 changes merged in window",
                              "1 change without author excluded",
                              "5 of 9 approved by someone other than the author"]
    assert evidence(result) == [
        ("change/c2", "self-approved, by ann (api), merged 2026-11-02", "api"),
        ("change/c3", "unreviewed, by wes (web), merged 2026-11-03", "web"),
        ("change/c4", "no approval (1 changes requested, 1 commented), by wes (web), "
                      "merged 2026-11-04", "web"),
        ("change/c6", "self-approved, by ann (api), merged 2026-11-06", "api"),
    ]


def test_independent_review_without_merged_changes_is_skipped() -> None:
    result = run(builtin_rule("independent-review"),
                 changes=[approved("old", datetime(2026, 8, 1, tzinfo=UTC))])
    assert (result.outcome, result.message) == (Outcome.SKIPPED, "no merged changes in window")


# ---------------------------------------------------------------------------
# ci-feedback-time
# ---------------------------------------------------------------------------


def ci_run(ident: str, started: datetime, seconds: float, workflow: str = "ci") -> dict[str, Any]:
    return {"id": ident, "started_at": started, "workflow": workflow,
            "finished_at": started + timedelta(seconds=seconds)}


def test_ci_feedback_time_passes_with_median_under_ten_minutes() -> None:
    runs = [ci_run(f"r{i}", day(i + 1), s) for i, s in enumerate([300, 420, 540, 660, 900])]
    result = run(builtin_rule("ci-feedback-time"), ci_runs=runs)
    # median of 300 420 540 660 900 = 540 s = 9 min
    assert result.outcome is Outcome.PASSED
    assert (result.value, result.unit, result.threshold, result.samples) == (
        540.0, "seconds", {"max": 600.0}, 5)
    assert result.message == "ci feedback time 9m <= 10m"


def test_ci_feedback_time_fails_with_the_slowest_workflows() -> None:
    runs = [
        ci_run("r1", day(1), 900, "e2e"), ci_run("r2", day(2), 1200, "e2e"),
        ci_run("r3", day(3), 1500, "e2e"),
        ci_run("r4", day(4), 60, "lint"), ci_run("r5", day(5), 120, "lint"),
        ci_run("backwards", day(6), -30, "lint"),  # finished before it started: dropped
        ci_run("old", datetime(2026, 8, 21, tzinfo=UTC), 9000, "e2e"),  # before the window
    ]
    result = run(builtin_rule("ci-feedback-time"), ci_runs=runs)
    # median of 60 120 900 1200 1500 = 900 s = 15 min > 10 min
    assert result.outcome is Outcome.FAILED
    assert (result.value, result.samples) == (900.0, 5)
    assert result.message == "ci feedback time 15m > 10m"
    assert result.details == [WINDOW, "5 CI runs started in window",
                              "1 run finishing before it started excluded "
                              "(contradictory data)"]
    # e2e: median of 900 1200 1500 = 1200 s; lint: median of 60 120 = 90 s
    assert evidence(result) == [
        ("workflow/e2e", "median 20m over 3 runs; slowest 25m (run r3, 2026-11-03)", None),
        ("workflow/lint", "median 1.5m over 2 runs; slowest 2m (run r5, 2026-11-05)", None),
    ]


@pytest.mark.parametrize(("runs", "reason"), [
    ([], "no ci_runs data"),
    ([ci_run("old", datetime(2026, 8, 1, tzinfo=UTC), 60)], "no CI runs started in window"),
])
def test_ci_feedback_time_without_data_is_skipped(runs: list[dict[str, Any]],
                                                  reason: str) -> None:
    result = run(builtin_rule("ci-feedback-time"), ci_runs=runs)
    assert (result.outcome, result.message) == (Outcome.SKIPPED, reason)


# ---------------------------------------------------------------------------
# failed sources
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rule_id", "kind"), [
    ("small-batches", "changes"), ("independent-review", "changes"),
    ("ci-feedback-time", "ci_runs"),
])
def test_a_failed_source_makes_the_rule_an_error(rule_id: str, kind: str) -> None:
    result = run_check(builtin_rule(rule_id), context(failed=kind))
    assert (result.outcome, result.message) == (Outcome.ERROR, "source files: boom")


# ---------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------

TEAMS_YAML = """\
teams:
  - id: api
    members: [{handle: ann}, {handle: bob}, {handle: cat}]
  - id: web
    members: [{handle: wes}, {handle: xia}, {handle: yan}]
"""


def pull_requests() -> str:
    """Ten merged pull requests in November: nine of 100 lines by api, one of 900 by web."""
    lines = []
    for i in range(1, 11):
        author, size = ("wes", 900) if i == 10 else ("ann", 100)
        lines.append(json.dumps({
            "id": str(i), "author": author, "merged_at": f"2026-11-{i:02d}T12:00:00Z",
            "additions": size, "deletions": 0,
            "reviews": [{"user": "bob", "state": "APPROVED"}],
        }))
    return "\n".join(lines) + "\n"


CI_RUNS = """\
id,workflow,started_at,finished_at
1,ci,2026-11-01T10:00:00Z,2026-11-01T10:04:00Z
2,ci,2026-11-02T10:00:00Z,2026-11-02T10:06:00Z
3,e2e,2026-11-03T10:00:00Z,2026-11-03T10:30:00Z
"""


def plugin_args(modules: tuple[str, ...] = PLUGINS) -> list[str]:
    """``-p MODULE`` for the plugin modules not (yet) registered as entry points."""
    wired = {b.module for b in BUILTINS}
    return [arg for mod in modules if mod not in wired for arg in ("-p", mod)]


def run_json(cfg: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    code = main(["check", "-c", str(cfg), "--now", "2026-11-20", "--format", "json",
                 *extra, *plugin_args()])
    report = json.loads(capsys.readouterr().out)
    return code, {r["id"]: r for r in report["results"]}


def test_delivery_pack_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_project(
        tmp_path,
        config=("rules: [builtin:delivery]\nsources:\n  files: {path: org}\n"
                "waivers:\n  - {rule: delivery::small-batches, subject: team/web,\n"
                "     reason: billing migration, expires: 2026-12-31}\n"),
        rules={},
        org={"teams.yaml": TEAMS_YAML, "pull_requests.jsonl": pull_requests(),
             "ci_runs.csv": CI_RUNS},
    )
    code, results = run_json(cfg, capsys)
    # sizes: nine of 100 and one of 900; n = 10, h = 8.1: 100 + 0.1 * (900 - 100) = 180
    small = results["delivery::small-batches"]
    assert (small["outcome"], small["unit"], small["threshold"]) == (
        "passed", "lines", {"max": 400.0})
    assert small["value"] == pytest.approx(180.0)
    review = results["delivery::independent-review"]
    assert (review["outcome"], review["value"], review["unit"]) == ("passed", 1.0, "ratio")
    # durations 240, 360, 1800 s: median 360 s
    ci = results["delivery::ci-feedback-time"]
    assert (ci["outcome"], ci["value"], ci["unit"]) == ("passed", 360.0, "seconds")
    assert code == 0

    # Under focus throughput the limit is 300 lines; a 10-day window
    # [2026-11-10, 2026-11-20) holds only change 10 (900 lines, by web).
    (tmp_path / "guardrails.yaml").write_text(
        cfg.read_text().replace("rules: [builtin:delivery]",
                                "rules: [builtin:delivery]\nwindow: 10d"))
    code, results = run_json(cfg, capsys, "--focus", "throughput")
    small = results["delivery::small-batches"]
    # one sample: p90 = 900 > 300; the waiver for team/web covers all the evidence
    assert (small["outcome"], small["value"], small["threshold"]) == (
        "waived", 900.0, {"max": 300.0})
    assert small["evidence"][0]["team"] == "web"
    assert small["waiver"] == {"reason": "billing migration", "expires": "2026-12-31",
                               "subject": "team/web"}
    assert code == 0


def test_explain_shows_the_throughput_override(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "delivery::small-batches", *plugin_args(ALL_PLUGINS)]) == 0
    out = capsys.readouterr().out
    assert "focus overrides:\n  throughput: max: 300\n" in out
    for heading in ("What it checks", "Why it matters", "Default and where it comes from",
                    "How to fix a failure", "Data it needs"):
        assert heading in out


def test_ci_run_still_running_at_now_is_not_a_sample() -> None:
    # METRICS.md, as of now: a run finishing at or after now has not finished yet
    runs = [ci_run("done", day(3), 120), ci_run("zero", day(4), 0),
            ci_run("running", NOW - timedelta(minutes=5), 300)]  # finishes after now
    result = run(builtin_rule("ci-feedback-time"), ci_runs=runs)
    assert (result.value, result.samples) == (60.0, 2)  # median of 0 and 120
    assert "1 run not finished as of now excluded" in result.details
