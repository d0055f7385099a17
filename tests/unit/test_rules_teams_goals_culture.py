"""Rules teams::slack-in-plans, goals::measurable-goals and culture::westrum-score.

NOW is 2026-11-20 00:00 UTC; the window is the default 90 days,
[2026-08-22, 2026-11-20). Every expected value is worked out by hand next to
its assertion.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import fact_context, make_project
from hypothesis import given
from hypothesis import strategies as st

from guardrails.builtins import BUILTINS
from guardrails.checks import culture
from guardrails.checks import goals as goals_checks
from guardrails.checks import teams as teams_checks
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
PLUGINS = ("guardrails.checks.teams", "guardrails.checks.goals", "guardrails.checks.culture")

_pm = create_manager()
CHECKS = dict(registered_checks(_pm)) | {
    c.name: c for mod in (teams_checks, goals_checks, culture)
    for c in mod.guardrails_collect_checks()}
METRICS = registered_metrics(_pm)


def builtin_rule(nodeid: str, **params: Any) -> Rule:
    """The shipped rule ``pack::id``, with ``params`` laid over its own."""
    pack, rule_id = nodeid.split("::")
    parser = RuleParser(Config(path=None, root=Path.cwd(), data={}), CHECKS, METRICS)
    rule = next(r for r in parser.parse(Path(str(builtin_packs()[pack]))) if r.id == rule_id)
    return replace(rule, params={**rule.params, **params}) if params else rule


def context(failed: str | None = None, **kinds: list[dict[str, Any]]) -> EvalContext:
    return fact_context(NOW, CHECKS, METRICS, failed, **kinds)


def run(rule: Rule, **kinds: list[dict[str, Any]]) -> Result:
    return run_check(rule, context(**kinds))


def date(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def evidence(result: Result) -> list[tuple[str, str, str | None]]:
    return [(e.subject, e.detail, e.team) for e in result.evidence]


@pytest.mark.parametrize(("nodeid", "kind"), [
    ("teams::slack-in-plans", "iterations"), ("goals::measurable-goals", "goals"),
    ("culture::westrum-score", "survey_answers"),
])
def test_no_data_is_skipped_and_a_failed_source_is_an_error(nodeid: str, kind: str) -> None:
    rule = builtin_rule(nodeid)
    result = run(rule)
    assert (result.outcome, result.message) == (Outcome.SKIPPED, f"no {kind} data")
    errored = run_check(rule, context(failed=kind))
    assert (errored.outcome, errored.message) == (Outcome.ERROR, "source files: boom")


# ---------------------------------------------------------------------------
# slack-in-plans
# ---------------------------------------------------------------------------


def iteration(team: str, start: datetime, days: int, capacity: float, committed: float,
              **extra: Any) -> dict[str, Any]:
    return {"team": team, "start": start, "end": start + timedelta(days=days),
            "capacity": capacity, "committed": committed, **extra}


def test_slack_in_plans_fails_on_full_and_capacity_less_plans() -> None:
    iterations = [
        iteration("a", date(10, 1), 13, 40, 38),  # older: not the latest
        iteration("a", date(11, 2), 11, 40, 30),  # latest started: 30 / 40 = 0.75
        iteration("a", date(11, 23), 11, 40, 40),  # starts after now: ignored
        iteration("b", date(11, 9), 11, 50, 45, name="Sprint 7"),  # 45 / 50 = 0.9
        iteration("c", date(11, 9), 11, 0, 10),  # no capacity planned
        iteration("d", NOW, 11, 10, 10),  # starts at now: not started before now
    ]
    result = run(builtin_rule("teams::slack-in-plans"), iterations=iterations)
    assert result.outcome is Outcome.FAILED
    # two teams offend (b at 0.9, c without capacity); a, b, c have a started iteration
    assert (result.value, result.unit, result.threshold, result.samples) == (
        2, "count", {"max": 0}, 3)
    assert evidence(result) == [
        ("team/b", "Sprint 7 (2026-11-09..2026-11-20): committed 45 of 50 (90.0% > 80.0%)",
         "b"),
        ("team/c", "2026-11-09..2026-11-20: no capacity planned (committed 10)", "c"),
    ]
    assert result.message == ("2 of 3 teams planned their latest iteration above 80.0% "
                              "of capacity: b, c")
    assert result.details == ["latest iteration per team: b 90.0%, a 75.0%"]


def test_slack_in_plans_passes_at_exactly_80_percent() -> None:
    iterations = [iteration("a", date(11, 2), 11, 40, 30), iteration("e", date(11, 2), 11, 40, 32)]
    result = run(builtin_rule("teams::slack-in-plans"), iterations=iterations)
    # a: 30 / 40 = 0.75; e: 32 / 40 = 0.8, not above 0.8
    assert result.outcome is Outcome.PASSED
    assert result.value == 0
    assert result.message == "every team's latest iteration leaves slack: fullest 80.0% <= 80.0%"


def test_slack_in_plans_skips_when_no_iteration_has_started() -> None:
    result = run(builtin_rule("teams::slack-in-plans"),
                 iterations=[iteration("a", date(11, 23), 11, 40, 40)])
    assert (result.outcome, result.message) == (
        Outcome.SKIPPED, "no iterations started before 2026-11-20")


def test_slack_in_plans_max_is_a_parameter() -> None:
    iterations = [iteration("a", date(11, 2), 11, 40, 30)]  # 0.75
    assert builtin_rule("teams::slack-in-plans").params["max"] == 0.8
    result = run(builtin_rule("teams::slack-in-plans", max=0.7), iterations=iterations)
    assert (result.outcome, result.value) == (Outcome.FAILED, 1)
    assert "above 70.0% of capacity" in result.message


# ---------------------------------------------------------------------------
# measurable-goals
# ---------------------------------------------------------------------------

FULL_KR = {"metric": "p75 checkout time (ms)", "baseline": 0, "target": 1200, "due": date(12, 31)}


def test_measurable_goals_names_what_each_key_result_lacks() -> None:
    goals = [
        {"id": "G1", "objective": "o", "team": "a", "key_results": [FULL_KR]},  # baseline 0 counts
        {"id": "G2", "objective": "o", "team": "b"},
        {"id": "G3", "objective": "o", "key_results": [
            {"metric": "x", "target": 5, "due": date(12, 1)},
            {"metric": " ", "baseline": 1},
        ]},
        {"id": "G4", "objective": "o", "key_results": [{"metric": "y"}, FULL_KR]},
    ]
    result = run(builtin_rule("goals::measurable-goals"), goals=goals)
    assert result.outcome is Outcome.FAILED
    assert (result.value, result.unit, result.threshold, result.samples) == (
        2, "count", {"max": 0}, 4)
    assert evidence(result) == [
        ("goal/G2", "no key results", "b"),
        ("goal/G3", "no key result has metric, baseline, target and due: key result 1 lacks "
                    "baseline; key result 2 lacks metric, target, due", None),
    ]
    assert result.message == "2 of 4 goals not measurable: G2, G3"


def test_measurable_goals_pass() -> None:
    result = run(builtin_rule("goals::measurable-goals"),
                 goals=[{"id": "G1", "objective": "o", "key_results": [FULL_KR]}])
    assert result.outcome is Outcome.PASSED
    assert result.message == "every goal has a measurable key result (1 goal)"


# ---------------------------------------------------------------------------
# westrum-score
# ---------------------------------------------------------------------------

Q = ("q1", "q2", "q3", "q4", "q5", "q6")


def answer(team: str, when: datetime, *scores: int | None) -> dict[str, Any]:
    """A survey answer; ``None`` (or a missing trailing score) is a blank cell."""
    return {"team": team, "date": when,
            **{q: s for q, s in zip(Q, scores, strict=False) if s is not None}}


# Team A: 7 (all 7s), 5 (q1 = q2 = 5, rest blank), 3.5 ((5 * 3 + 6) / 6 = 21 / 6)
# -> (7 + 5 + 3.5) / 3 = 5.1667. All 14 answers pooled would give 73 / 14 = 5.214.
TEAM_A = [
    answer("A", date(10, 12), 7, 7, 7, 7, 7, 7),
    answer("A", date(10, 12), 5, 5),
    answer("A", date(10, 13), 3, 3, 3, 3, 3, 6),
    answer("A", datetime(2026, 8, 21, tzinfo=UTC), 1, 1, 1, 1, 1, 1),  # before the window
    answer("A", NOW, 1, 1, 1, 1, 1, 1),  # at now: the window is half-open
]
# Team B: 4, 5, (6 + 2 + 4 * 4) / 6 = 4, (5 + 3) / 2 = 4 -> (4 + 5 + 4 + 4) / 4 = 4.25;
# one response with no answered question is excluded.
TEAM_B = [
    answer("B", date(10, 12), 4, 4, 4, 4, 4, 4),
    answer("B", date(10, 12), 5, 5, 5, 5, 5, 5),
    answer("B", date(10, 13), 6, 2, 4, 4, 4, 4),
    answer("B", date(10, 14), 5, 3),
    answer("B", date(10, 14)),
]
TEAM_C = [answer("C", date(10, 12), 7, 7, 7, 7, 7, 7)] * 2  # two responses: not judged


def test_westrum_score_fails_a_team_below_five() -> None:
    result = run(builtin_rule("culture::westrum-score"), survey_answers=TEAM_A + TEAM_B + TEAM_C)
    assert result.outcome is Outcome.FAILED
    assert result.value == 1  # one judged team below the minimum (B, 4.25)
    assert (result.unit, result.threshold, result.samples) == ("count", {"max": 0}, 2)
    # B's item means over the answers given: q1 (4+5+6+5)/4 = 5, q2 (4+5+2+3)/4 = 3.5,
    # q3..q6 (4+5+4)/3 = 4.33 -> the weakest item is q2
    assert evidence(result) == [(
        "team/B", "score 4.25 < 5.00 from 4 responses; weakest item q2 "
                  "(messengers are not punished) 3.50", "B")]
    assert result.message == "1 of 2 teams below a Westrum score of 5.00 (lowest 4.25): B"
    assert result.details == [
        WINDOW, "1 response without any answered question excluded",
        "fewer than 3 responses, not judged: C (2)", "team scores: B 4.25 (4), A 5.17 (3)"]


def test_westrum_score_is_the_mean_of_response_scores_not_of_all_answers() -> None:
    passed = run(builtin_rule("culture::westrum-score"), survey_answers=TEAM_A)
    assert passed.outcome is Outcome.PASSED
    assert passed.value == 0
    assert passed.message == "1 team judged, all at or above 5.00; lowest 5.17"
    # 5.1667 < 5.2, although the pooled mean 73 / 14 = 5.214 would pass
    failed = run(builtin_rule("culture::westrum-score", min=5.2), survey_answers=TEAM_A)
    assert failed.outcome is Outcome.FAILED


def test_westrum_score_exactly_at_the_minimum_passes() -> None:
    # 6, 16/3 and 11/3 average to exactly 5; summed as floats they fall just below it.
    team = [answer("D", date(10, 12), None, None, None, None, 5, 7),
            answer("D", date(10, 12), None, None, None, 2, 7, 7),
            answer("D", date(10, 12), None, None, None, 1, 3, 7)]
    assert (6 + 16 / 3 + 11 / 3) / 3 < 5.0  # the trap
    result = run(builtin_rule("culture::westrum-score"), survey_answers=team)
    assert (result.outcome, result.value) == (Outcome.PASSED, 0)


def test_westrum_score_skips_without_enough_responses() -> None:
    result = run(builtin_rule("culture::westrum-score"), survey_answers=TEAM_C)
    assert (result.outcome, result.message) == (
        Outcome.SKIPPED, "no team has 3 or more scored survey responses in window")
    assert result.details == [WINDOW, "fewer than 3 responses, not judged: C (2)"]
    old = run(builtin_rule("culture::westrum-score"),
              survey_answers=[answer("A", date(8, 1), 7, 7, 7, 7, 7, 7)] * 3)
    assert (old.outcome, old.message) == (Outcome.SKIPPED, "no survey answers in window")


# ---------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------

ORG = {
    "teams.yaml": """\
        teams:
          - id: a
            members: [{handle: ann}, {handle: bob}, {handle: cat}]
          - id: b
            members: [{handle: dan}, {handle: eve}, {handle: fay}]
        """,
    "iterations.yaml": """\
        iterations:
          - {team: a, start: 2026-11-02, end: 2026-11-13, capacity: 40, committed: 30}
          - {team: b, start: 2026-11-02, end: 2026-11-13, capacity: 40, committed: 38}
        """,
    "goals.yaml": """\
        goals:
          - id: OKR-1
            objective: Checkout never makes a customer wait
            key_results:
              - {metric: p75 LCP (ms), baseline: 2300, target: 1200, due: 2026-12-15}
          - id: OKR-2
            objective: Search is fast
            team: b
            key_results:
              - {metric: p95 latency (ms), target: 300, due: 2026-12-31}
        """,
    "surveys/westrum.csv": """\
        team,date,q1,q2,q3,q4,q5,q6
        a,2026-10-12,6,6,6,6,6,6
        a,2026-10-12,5,,5,,5,
        a,2026-10-13,7,7,7,7,7,7
        b,2026-10-12,4,4,4,4,4,4
        b,2026-10-12,3,5,,,,
        b,2026-10-13,5,5,5,5,5,5
        b,2026-10-13,,,,,,
        """,
}


def plugin_args() -> list[str]:
    """``-p MODULE`` for the plugin modules not (yet) registered as entry points."""
    wired = {b.module for b in BUILTINS}
    return [arg for mod in PLUGINS if mod not in wired for arg in ("-p", mod)]


def test_teams_goals_culture_end_to_end(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_project(
        tmp_path,
        config=("rules: [builtin:teams, builtin:goals, builtin:culture]\n"
                "sources:\n  files: {path: org}\n"),
        rules={}, org=ORG,
    )
    code = main(["check", "-c", str(cfg), "--now", "2026-11-20", "--format", "json",
                 *plugin_args()])
    results = {r["id"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert code == 1
    slack = results["teams::slack-in-plans"]
    # a: 30 / 40 = 0.75; b: 38 / 40 = 0.95: one team offends
    assert (slack["outcome"], slack["value"], slack["unit"]) == ("failed", 1, "count")
    assert "95.0%" in slack["evidence"][0]["detail"]
    assert [(e["subject"], e["team"]) for e in slack["evidence"]] == [("team/b", "b")]
    goals = results["goals::measurable-goals"]
    assert (goals["outcome"], goals["value"]) == ("failed", 1)
    assert goals["evidence"][0]["subject"] == "goal/OKR-2"
    assert goals["evidence"][0]["team"] == "b"
    westrum = results["culture::westrum-score"]
    # a: 6, 5, 7 -> 6; b: 4, (3 + 5) / 2 = 4, 5 -> 13 / 3 = 4.333 (the blank row is excluded)
    assert (westrum["outcome"], westrum["unit"], westrum["samples"]) == ("failed", "count", 2)
    assert westrum["value"] == 1
    assert "score 4.33 < 5.00" in westrum["evidence"][0]["detail"]
    assert [e["subject"] for e in westrum["evidence"]] == ["team/b"]


def test_slack_in_plans_excludes_iterations_ending_before_they_start() -> None:
    # contradictory data (only an HTTP source can deliver it): excluded and counted
    bad = {"team": "a", "start": date(11, 9), "end": date(11, 2), "capacity": 10,
           "committed": 10}
    result = run(builtin_rule("teams::slack-in-plans"),
                 iterations=[bad, iteration("a", date(10, 1), 13, 40, 20)])
    assert (result.outcome, result.value) == (Outcome.PASSED, 0)
    assert "1 iteration ending before it starts excluded (contradictory data)" in result.details


def test_slack_in_plans_equal_ends_take_the_later_start() -> None:
    long = iteration("a", date(11, 2), 14, 40, 20)  # 50%
    short = iteration("a", date(11, 9), 7, 40, 38)  # same end, later start: 95%
    for order in ([long, short], [short, long]):
        result = run(builtin_rule("teams::slack-in-plans"), iterations=order)
        assert (result.outcome, result.value) == (Outcome.FAILED, 1)


def test_iteration_dates_are_days_in_the_config_timezone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # In +05:30 the iteration starting 2026-11-20 began at 2026-11-19T18:30Z, before
    # --now 2026-11-20 (00:00Z); in UTC it starts at now and is not judged yet.
    org = {"iterations.yaml": """\
        iterations:
          - {team: a, start: 2026-11-20, end: 2026-12-03, capacity: 10, committed: 10}
        """}
    for tz, outcome in (("'+05:30'", "failed"), ("UTC", "skipped")):
        cfg = make_project(
            tmp_path / tz.strip("'+:"),
            config=("rules: [builtin:teams]\nsources:\n  files: {path: org}\n"
                    f"timezone: {tz}\n"),
            rules={}, org=org,
        )
        main(["check", "-c", str(cfg), "--now", "2026-11-20", "--format", "json",
              "-k", "slack", *plugin_args()])
        [slack] = json.loads(capsys.readouterr().out)["results"]
        assert slack["outcome"] == outcome
        if outcome == "failed":
            # the evidence shows the days as written, not their UTC instants
            assert slack["evidence"][0]["detail"].startswith("2026-11-20..2026-12-03:")


@given(st.lists(st.one_of(st.integers(1, 7), st.floats(1, 7, allow_nan=False)), min_size=1,
                max_size=12),
       st.floats(1, 7, allow_nan=False))
def test_westrum_exact_arithmetic_is_that_of_fractions(values: list[float], lowest: float) -> None:
    """The score's exact means and the threshold comparison, written with integer
    ratios (no fractions import at start-up), are those of ``fractions.Fraction``."""
    from fractions import Fraction

    want = sum((Fraction(v) for v in values), Fraction(0)) / len(values)
    num, den = culture._mean((float(v).as_integer_ratio() for v in values), len(values))
    assert (num, den) == (want.numerator, want.denominator)
    assert num / den == float(want)
    low = culture._decimal_ratio(str(lowest))
    assert Fraction(*low) == Fraction(str(lowest))
    assert (num * low[1] >= low[0] * den) == (want >= Fraction(str(lowest)))
