"""The generic checks (each, count, metric) and the named team and goal checks.

Facts are built by hand; every expected value is worked out next to its
assertion. NOW is 2026-11-20 00:00 UTC; rules that name a window use 30d, so
the window is [2026-10-21 00:00, 2026-11-20 00:00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import write

from guardrails.checks import dora
from guardrails.checks.generic import CountCheck, EachCheck, MetricCheck
from guardrails.checks.goals import FocusRevisitedCheck
from guardrails.checks.selection import _where_depth
from guardrails.checks.teams import TeamSizeCheck
from guardrails.config import Config, RunOptions, load_config
from guardrails.datakinds import BUILTIN
from guardrails.facts import FactStore, join
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import EvalContext
from guardrails.session import Session

NOW = datetime(2026, 11, 20, tzinfo=UTC)
START_30D = datetime(2026, 10, 21, tzinfo=UTC)
METRICS = {m.name: m for m in dora.guardrails_collect_metrics()}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # config paths are shown relative to the current folder


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def context(config: Config | None = None, **kinds: list[dict[str, Any]]) -> EvalContext:
    store = FactStore()
    for kind, facts in kinds.items():
        store.add(kind, facts, "test")
    join(store)
    return EvalContext(now=NOW, window=timedelta(days=90), focus=None, store=store,
                       metrics=METRICS, config=config)


def make_rule(check: str, **params: Any) -> Rule:
    return Rule(pack="p", id="r", title="r", check=check, params=params, defaults=dict(params))


# ---------------------------------------------------------------------------
# each
# ---------------------------------------------------------------------------


def incidents() -> list[dict[str, Any]]:
    return [
        # selected (SEV1, resolved 19 days ago) and has a postmortem: passes
        {"id": "INC-1", "severity": "SEV1", "title": "Login down",
         "created_at": ts("2026-11-01T08:00:00Z"), "resolved_at": ts("2026-11-01T10:00:00Z")},
        # selected (SEV2, resolved 10 days ago), no postmortem: fails
        {"id": "INC-2", "severity": "SEV2", "title": "Checkout slow",
         "created_at": ts("2026-11-09T20:00:00Z"), "resolved_at": ts("2026-11-10T00:00:00Z")},
        # SEV3: not selected by `where`
        {"id": "INC-3", "severity": "SEV3", "title": "Typo",
         "created_at": ts("2026-11-01T00:00:00Z"), "resolved_at": ts("2026-11-02T00:00:00Z")},
        # resolved 2 days ago: not older than 5d
        {"id": "INC-4", "severity": "SEV1", "title": "Search down",
         "created_at": ts("2026-11-17T00:00:00Z"), "resolved_at": ts("2026-11-18T00:00:00Z")},
        # still open: not older than anything
        {"id": "INC-5", "severity": "SEV2", "title": "Queue backlog",
         "created_at": ts("2026-11-01T00:00:00Z")},
        # resolved one second before the cutoff (now - 5d = 11-15 00:00): selected, fails;
        # no title, so the template shows '-'
        {"id": "INC-6", "severity": "SEV1",
         "created_at": ts("2026-11-14T20:00:00Z"), "resolved_at": ts("2026-11-14T23:59:59Z")},
        # resolved exactly at the cutoff: not strictly older, not selected
        {"id": "INC-7", "severity": "SEV2", "title": "Edge",
         "created_at": ts("2026-11-14T00:00:00Z"), "resolved_at": ts("2026-11-15T00:00:00Z")},
    ]


POSTMORTEMS = [{"id": "2026-11-02-login.md", "file": "2026-11-02-login.md", "incident": "INC-1",
                "status": "reviewed"}]

EACH = {
    "facts": "incidents",
    "where": {"required": ["severity"], "properties": {"severity": {"enum": ["SEV1", "SEV2"]}}},
    "older_than": {"field": "resolved_at", "age": "5d"},
    "expect": {"required": ["postmortem"], "properties": {"postmortem": {"type": "object"}}},
}


def test_each_fails_with_the_offending_facts_as_evidence() -> None:
    rule = make_rule("each", **EACH, evidence="{severity} {title}: no postmortem")
    res = EachCheck().evaluate(rule, context(incidents=incidents(), postmortems=POSTMORTEMS))
    # selected: INC-1, INC-2, INC-6 (3); failing: INC-2, INC-6 (2)
    assert res.outcome is Outcome.FAILED
    assert (res.value, res.samples, res.unit, res.threshold) == (2, 3, "count", {"max": 0})
    assert res.message == "2 of 3 incidents fail: INC-2, INC-6"
    assert res.evidence == [
        Evidence("incident/INC-2", "SEV2 Checkout slow: no postmortem"),
        Evidence("incident/INC-6", "SEV1 -: no postmortem"),
    ]


def test_each_without_template_explains_the_schema_error() -> None:
    rule = make_rule("each", **EACH)
    res = EachCheck().evaluate(rule, context(incidents=incidents(), postmortems=POSTMORTEMS))
    assert [e.detail for e in res.evidence] == ["'postmortem' is a required property"] * 2


def test_each_passes_when_every_selected_fact_validates() -> None:
    pms = POSTMORTEMS + [
        {"id": "b.md", "file": "b.md", "incident": "INC-2"},
        {"id": "c.md", "file": "c.md", "incident": "INC-6"},
    ]
    res = EachCheck().evaluate(make_rule("each", **EACH),
                               context(incidents=incidents(), postmortems=pms))
    assert res.outcome is Outcome.PASSED
    assert (res.value, res.samples, res.evidence) == (0, 3, [])
    assert res.message == "all 3 incidents pass"


def test_where_sees_joined_facts_only_when_it_may_look_at_them() -> None:
    """A where naming no joined field is tested before the joined view is built; one that
    names it, or applies a schema to unnamed properties, still sees the joined facts."""
    kinds = BUILTIN
    plain = {"properties": {"severity": {"enum": ["SEV1"]}}}
    assert _where_depth("incidents", plain, 1, kinds) == 0
    assert _where_depth("incidents", plain, 0, kinds) == 0
    assert _where_depth("incidents", {"required": ["postmortem"]}, 1, kinds) == 1
    pattern = {"patternProperties": {"^post": {"type": "object"}}}
    assert _where_depth("incidents", pattern, 1, kinds) == 1
    # patternProperties reaches "postmortem" unnamed: the joined postmortem (an object)
    # is accepted, its subject's text would not be
    rule = make_rule("each", facts="incidents", where=pattern, expect={
        "properties": {"postmortem": {"properties": {"status": {"const": "draft"}}}}})
    res = EachCheck().evaluate(rule, context(incidents=incidents(), postmortems=POSTMORTEMS))
    assert [e.subject for e in res.evidence] == ["incident/INC-1"]


def test_each_lists_at_most_five_ids_in_its_message() -> None:
    teams = [{"id": f"t{i}", "members": []} for i in range(1, 8)]
    rule = make_rule("each", facts="teams", expect={"properties": {"size": {"minimum": 1}}})
    res = EachCheck().evaluate(rule, context(teams=teams))
    assert res.message == "7 of 7 teams fail: t1, t2, t3, t4, t5 and 2 more"
    assert len(res.evidence) == 7
    assert res.evidence[0].team is None  # a team fact has no team/owner field


def test_each_evidence_carries_the_owning_team() -> None:
    services = [{"id": "api", "owner": "web"}, {"id": "db", "owner": "data", "tier": 1}]
    rule = make_rule("each", facts="services", expect={"required": ["tier"]})
    res = EachCheck().evaluate(rule, context(services=services))
    assert res.evidence == [Evidence("service/api", "'tier' is a required property",
                                     team="web")]


def test_each_skips_without_data() -> None:
    res = EachCheck().evaluate(make_rule("each", **EACH), context())
    assert res.outcome is Outcome.SKIPPED
    assert res.message == "no incidents data"


def test_each_skips_when_nothing_is_selected() -> None:
    only_sev3 = [i for i in incidents() if i["severity"] == "SEV3"]
    res = EachCheck().evaluate(make_rule("each", **EACH), context(incidents=only_sev3))
    assert res.outcome is Outcome.SKIPPED
    assert res.message == "no incidents match the rule's selection"


def test_each_on_no_data_fail() -> None:
    res = EachCheck().evaluate(make_rule("each", **EACH, on_no_data="fail"), context())
    assert res.outcome is Outcome.FAILED
    assert res.message == "no incidents data (on_no_data: fail)"


def test_on_no_data_written_in_a_rule_file_reaches_the_check(tmp_path: Path) -> None:
    write(tmp_path, "rules/p.yaml", "pack: p\nrules:\n  - id: a\n    check: count\n"
          "    facts: deployments\n    min: 1\n    on_no_data: fail\n")
    session = Session(load_config(write(tmp_path, "guardrails.yaml", "rules: [rules/]\n")))
    session.configure()
    session.collect()
    (rule,) = session.rules
    res = CountCheck().evaluate(rule, context())
    assert (res.outcome, res.message) == (Outcome.FAILED,
                                          "no deployments data (on_no_data: fail)")


def test_each_in_window_selects_by_the_rule_window() -> None:
    # window 30d: [10-21 00:00, 11-20 00:00)
    deployments = [
        {"id": "d1", "service": "api", "status": "success",
         "finished_at": ts("2026-10-21T00:00:00Z")},  # first instant: in
        {"id": "d2", "service": "api", "status": "failure",
         "finished_at": ts("2026-11-19T23:59:59Z")},  # in, and fails expect
        {"id": "d3", "service": "api", "status": "failure",
         "finished_at": ts("2026-10-20T23:59:59Z")},  # before the window
        {"id": "d4", "service": "api", "status": "failure",
         "finished_at": ts("2026-11-20T00:00:00Z")},  # at now: next window
    ]
    rule = make_rule("each", facts="deployments", in_window="finished_at", window="30d",
                     expect={"properties": {"status": {"const": "success"}}})
    res = EachCheck().evaluate(rule, context(deployments=deployments))
    assert (res.value, res.samples) == (1, 2)
    assert [e.subject for e in res.evidence] == ["deployment/d2"]


# ---------------------------------------------------------------------------
# count
# ---------------------------------------------------------------------------


def dep(ident: str, service: str, status: str, finished_at: str) -> dict[str, Any]:
    return {"id": ident, "service": service, "status": status, "finished_at": ts(finished_at)}


def deployments() -> list[dict[str, Any]]:
    return [
        dep("d1", "api", "success", "2026-10-21T00:00:00Z"),  # first instant of the window
        dep("d2", "api", "success", "2026-11-01T12:00:00Z"),
        dep("d3", "web", "success", "2026-11-19T23:00:00Z"),
        dep("d4", "web", "failure", "2026-11-10T00:00:00Z"),
        dep("d5", "web", "success", "2026-10-01T00:00:00Z"),  # before the window
        dep("d6", "web", "success", "2026-11-20T00:00:00Z"),  # at now: next window
    ]


COUNT = {"facts": "deployments", "where": {"properties": {"status": {"const": "success"}}},
         "in_window": "finished_at", "window": "30d"}


def test_count_over_max_fails_with_the_selected_facts() -> None:
    # success and in [10-21, 11-20): d1, d2, d3 -> 3 > 2
    res = CountCheck().evaluate(make_rule("count", **COUNT, max=2), context(
        deployments=deployments()))
    assert res.outcome is Outcome.FAILED
    assert (res.value, res.samples, res.threshold) == (3, 3, {"max": 2})
    assert res.message == "3 deployments selected: 3 > 2"
    assert [e.subject for e in res.evidence] == ["deployment/d1", "deployment/d2",
                                                  "deployment/d3"]


def test_count_within_bounds_passes() -> None:
    res = CountCheck().evaluate(make_rule("count", **COUNT, min=3, max=3),
                                context(deployments=deployments()))
    assert res.outcome is Outcome.PASSED
    assert res.threshold == {"min": 3, "max": 3}
    assert res.evidence == []
    # with both bounds a pass shows the range
    assert res.message == "3 deployments selected: 3 within 3..3"


def test_count_under_min_fails_without_evidence() -> None:
    res = CountCheck().evaluate(make_rule("count", **COUNT, min=4),
                                context(deployments=deployments()))
    assert res.outcome is Outcome.FAILED
    assert res.message == "3 deployments selected: 3 < 4"
    assert res.evidence == []


def test_count_zero_selected_is_a_count_not_missing_data() -> None:
    rule = make_rule("count", facts="deployments", min=1,
                     where={"properties": {"service": {"const": "billing"}}})
    res = CountCheck().evaluate(rule, context(deployments=deployments()))
    assert res.outcome is Outcome.FAILED
    assert res.message == "0 deployments selected: 0 < 1"


def test_count_one_is_singular() -> None:
    rule = make_rule("count", facts="deployments", max=0,
                     where={"properties": {"status": {"const": "failure"}}})
    res = CountCheck().evaluate(rule, context(deployments=deployments()))
    assert res.message == "1 deployment selected: 1 > 0"
    assert [e.subject for e in res.evidence] == ["deployment/d4"]


def test_count_older_than() -> None:
    # older than 30 days before 11-20: finished before 10-21 00:00 -> d5 only
    rule = make_rule("count", facts="deployments", max=0,
                     older_than={"field": "finished_at", "age": "30d"})
    res = CountCheck().evaluate(rule, context(deployments=deployments()))
    assert [e.subject for e in res.evidence] == ["deployment/d5"]


def test_count_without_data_skips_or_fails() -> None:
    res = CountCheck().evaluate(make_rule("count", facts="teams", min=1), context())
    assert (res.outcome, res.message) == (Outcome.SKIPPED, "no teams data")
    res = CountCheck().evaluate(make_rule("count", facts="teams", min=1, on_no_data="fail"),
                                context())
    assert (res.outcome, res.message) == (Outcome.FAILED, "no teams data (on_no_data: fail)")


# ---------------------------------------------------------------------------
# metric
# ---------------------------------------------------------------------------


def restored(ident: str, created: str, hours: float) -> dict[str, Any]:
    start = ts(created)
    return {"id": ident, "severity": "SEV2", "created_at": start,
            "resolved_at": start + timedelta(hours=hours)}


def slow_incidents() -> list[dict[str, Any]]:
    # created in the 30d window; restored in 10h, 20h, 30h -> median 20h = 72000 s
    return [restored("INC-1", "2026-11-01T00:00:00Z", 10),
            restored("INC-2", "2026-11-02T00:00:00Z", 20),
            restored("INC-3", "2026-11-03T00:00:00Z", 30)]


def test_metric_duration_threshold_is_compared_in_seconds() -> None:
    rule = make_rule("metric", metric="dora.time_to_restore", max="12h", window="30d")
    res = MetricCheck().evaluate(rule, context(incidents=slow_incidents()))
    assert res.outcome is Outcome.FAILED
    assert (res.value, res.unit, res.samples) == (72000.0, "seconds", 3)
    assert res.threshold == {"max": 43200.0}  # 12 * 3600
    assert res.message == "time to restore 20h > 12h"
    # the slowest incidents first
    assert [e.subject for e in res.evidence] == ["incident/INC-3", "incident/INC-2",
                                                  "incident/INC-1"]


@pytest.mark.parametrize(
    ("bound", "seconds", "outcome", "message"),
    [
        ("7d", 604800.0, Outcome.PASSED, "time to restore 20h <= 7d"),
        ("1d", 86400.0, Outcome.PASSED, "time to restore 20h <= 24h"),
        ("20h", 72000.0, Outcome.PASSED, "time to restore 20h <= 20h"),  # max is inclusive
        ("1199m", 71940.0, Outcome.FAILED, "time to restore 20h > 20h"),
        (3600, 3600.0, Outcome.FAILED, "time to restore 20h > 1h"),  # bare number: seconds
    ],
)
def test_metric_duration_bounds(bound: Any, seconds: float, outcome: Outcome,
                                message: str) -> None:
    rule = make_rule("metric", metric="dora.time_to_restore", max=bound, window="30d")
    res = MetricCheck().evaluate(rule, context(incidents=slow_incidents()))
    assert res.threshold == {"max": seconds}
    assert res.outcome is outcome
    assert res.message == message
    assert (res.evidence == []) is (outcome is Outcome.PASSED)


def test_metric_min_bound() -> None:
    # 6 successful production deployments in 30 days = 6 / (30 / 7) = 1.4 per week
    deps = [{"id": f"d{i}", "service": "api", "status": "success",
             "finished_at": ts(f"2026-11-{i + 1:02d}T00:00:00Z")} for i in range(6)]
    rule = make_rule("metric", metric="dora.deployment_frequency", min=2, window="30d")
    res = MetricCheck().evaluate(rule, context(deployments=deps))
    assert res.outcome is Outcome.FAILED
    assert res.value == pytest.approx(1.4)
    assert res.threshold == {"min": 2.0}
    assert res.message == "deployment frequency 1.40/week < 2.00/week"


def test_metric_without_samples_skips_with_the_reason() -> None:
    rule = make_rule("metric", metric="dora.time_to_restore", max="12h")
    res = MetricCheck().evaluate(rule, context(incidents=[]))
    assert (res.outcome, res.message) == (Outcome.SKIPPED, "no incidents data")
    res = MetricCheck().evaluate(
        make_rule("metric", metric="dora.time_to_restore", max="12h", on_no_data="fail"),
        context(incidents=[]))
    assert (res.outcome, res.message) == (Outcome.FAILED, "no incidents data (on_no_data: fail)")


def change_failure_data(failed: int) -> dict[str, list[dict[str, Any]]]:
    """10 production deployments in the window, the first ``failed`` caused an incident."""
    deps = [{"id": f"d{i}", "service": "api", "status": "success",
             "finished_at": ts(f"2026-11-{i:02d}T12:00:00Z")} for i in range(1, 11)]
    incs = [{"id": f"INC-{i}", "severity": "SEV2", "caused_by": f"d{i}",
             "created_at": ts(f"2026-11-{i:02d}T13:00:00Z")} for i in range(1, failed + 1)]
    return {"deployments": deps, "incidents": incs}


def builtin_stability_rules(root: Path, focus: str | None) -> dict[str, Rule]:
    cfg = load_config(write(root, "guardrails.yaml", "rules: [builtin:stability]\n"),
                      RunOptions(focus=focus))
    session = Session(cfg)
    session.configure()
    session.collect()
    return {r.nodeid: r for r in session.rules}


def test_metric_message_names_the_focus_and_the_default(tmp_path: Path) -> None:
    rule = builtin_stability_rules(tmp_path, "stability")["stability::change-failure-rate"]
    # 2 of 10 failed = 20.0% > 10.0% (the stability focus); default is 15.0%
    res = MetricCheck().evaluate(rule, context(**change_failure_data(2)))
    assert res.outcome is Outcome.FAILED
    assert res.value == pytest.approx(0.2)
    assert res.threshold == {"max": 0.10}
    assert res.message == "change failure rate 20.0% > 10.0% (focus stability; default 15.0%)"
    assert [e.subject for e in res.evidence] == ["deployment/d1", "deployment/d2"]


def test_metric_focus_note_on_a_pass_and_on_durations(tmp_path: Path) -> None:
    rules = builtin_stability_rules(tmp_path, "stability")
    res = MetricCheck().evaluate(rules["stability::change-failure-rate"],
                                 context(**change_failure_data(1)))
    # 1 of 10 = 10.0% <= 10.0%
    assert res.outcome is Outcome.PASSED
    assert res.message == "change failure rate 10.0% <= 10.0% (focus stability; default 15.0%)"
    # time to restore: the builtin window is the config's 90d; 20h > 12h, default 24h
    res = MetricCheck().evaluate(rules["stability::time-to-restore"],
                                 context(incidents=slow_incidents()))
    assert res.message == "time to restore 20h > 12h (focus stability; default 24h)"


def test_metric_without_focus_has_no_note(tmp_path: Path) -> None:
    rule = builtin_stability_rules(tmp_path, None)["stability::change-failure-rate"]
    res = MetricCheck().evaluate(rule, context(**change_failure_data(2)))
    assert res.message == "change failure rate 20.0% > 15.0%"


def test_unknown_metric_at_evaluation_raises() -> None:
    with pytest.raises(LookupError, match="dora.nope"):
        MetricCheck().evaluate(make_rule("metric", metric="dora.nope", max=1), context())


# ---------------------------------------------------------------------------
# teams.size
# ---------------------------------------------------------------------------


def team(ident: str, size: int) -> dict[str, Any]:
    return {"id": ident, "members": [{"handle": f"{ident}{i}"} for i in range(size)]}


def test_team_size() -> None:
    rule = make_rule("teams.size", min=3, max=8)
    res = TeamSizeCheck().evaluate(rule, context(teams=[team("gamma", 1), team("alpha", 3),
                                                        team("beta", 9)]))
    assert res.outcome is Outcome.FAILED
    assert (res.value, res.samples, res.threshold) == (2, 3, {"max": 0})
    assert res.message == "2 teams outside 3..8 members: beta (9), gamma (1)"
    assert [(e.subject, e.team) for e in res.evidence] == [("team/beta", "beta"),
                                                           ("team/gamma", "gamma")]
    assert res.evidence[0].detail == "9 members (max 8)"


def test_team_size_passes_and_skips() -> None:
    rule = make_rule("teams.size", min=3, max=8)
    res = TeamSizeCheck().evaluate(rule, context(teams=[team("a", 3), team("b", 8)]))
    assert (res.outcome, res.message) == (Outcome.PASSED, "all 2 teams have 3..8 members")
    assert TeamSizeCheck().evaluate(rule, context()) == CheckResult.skipped("no teams data")


def test_team_size_message_with_only_max() -> None:
    res = TeamSizeCheck().evaluate(make_rule("teams.size", max=8),
                                   context(teams=[team("beta", 9)]))
    assert "None" not in res.message


# ---------------------------------------------------------------------------
# goals.focus_revisited
# ---------------------------------------------------------------------------


def focus_config(root: Path, text: str) -> Config:
    return load_config(write(root, "guardrails.yaml", "rules: []\n" + text))


@pytest.mark.parametrize(
    ("reviewed", "days", "outcome", "word"),
    [
        ("2026-10-02", 49, Outcome.PASSED, "within"),   # Oct 2 -> Nov 20: 29 + 20 days
        ("2026-08-22", 90, Outcome.PASSED, "within"),   # exactly 90 days: still fine
        ("2026-08-21", 91, Outcome.FAILED, "older than"),
    ],
)
def test_focus_revisited(tmp_path: Path, reviewed: str, days: int, outcome: Outcome,
                         word: str) -> None:
    cfg = focus_config(tmp_path, f"focus:\n  current: stability\n  reviewed_on: {reviewed}\n")
    res = FocusRevisitedCheck().evaluate(make_rule("goals.focus_revisited", max_age="90d"),
                                         context(cfg))
    assert res.outcome is outcome
    assert res.value == days * 86400
    assert res.threshold == {"max": 90 * 86400}
    assert res.message == f"focus 'stability' last reviewed {reviewed} ({days}d ago); {word} 90d"
    if outcome is Outcome.FAILED:
        (ev,) = res.evidence
        assert (ev.subject, ev.file, ev.line) == ("config/focus", "guardrails.yaml", 4)


def test_focus_not_declared(tmp_path: Path) -> None:
    res = FocusRevisitedCheck().evaluate(make_rule("goals.focus_revisited"),
                                         context(focus_config(tmp_path, "")))
    assert res.outcome is Outcome.FAILED
    assert res.message == "no execution focus is declared (focus.current)"


def test_focus_without_review_date(tmp_path: Path) -> None:
    cfg = focus_config(tmp_path, "focus: {current: throughput}\n")
    res = FocusRevisitedCheck().evaluate(make_rule("goals.focus_revisited"), context(cfg))
    assert res.outcome is Outcome.FAILED
    assert res.message == "focus 'throughput' has no reviewed_on date"


@pytest.mark.parametrize("extra", [
    {"in_window": "finished_at"},
    {"where": "fact.finished_at >= now - window"},
    {"where": "has(fact.finished_at) && now - fact.finished_at < window"},
])
def test_a_rule_window_read_by_in_window_or_cel_loads(extra: dict[str, Any]) -> None:
    CountCheck().validate_rule({"facts": "deployments", "min": 1, "window": "7d", **extra})


@pytest.mark.parametrize("check,params", [
    (CountCheck, {"facts": "deployments", "min": 1, "window": "7d"}),
    # a field named window, or a longer name, is not the rule's window
    (CountCheck, {"facts": "deployments", "min": 1, "window": "7d",
                  "where": "fact.window == 'x' || has(fact.windows)"}),
    (EachCheck, {"facts": "incidents", "window": "30d",
                 "expect": {"required": ["postmortem"]}}),
])
def test_a_rule_window_nothing_reads_is_a_load_error(check: Any,
                                                      params: dict[str, Any]) -> None:
    # min: 1 over every deployment ever would pass for a team that stopped shipping
    from guardrails.checks.conditions import RuleParamErrors

    with pytest.raises(RuleParamErrors) as info:
        check().validate_rule(params)
    (err,) = [e for e in info.value.errors if e.key == "window"]
    assert "read by nothing" in str(err) and "in_window" in (err.fix or "")
