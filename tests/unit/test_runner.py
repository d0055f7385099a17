"""Evaluating a rule: crashes become `error`, source failures become `error`, waivers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import PEOPLE_RULES, TEAMS_YAML, make_project

from guardrails.checks.generic import EachCheck
from guardrails.checks.teams import TeamSizeCheck
from guardrails.config import RunOptions, Waiver, load_config
from guardrails.errors import SourceError, UsageError
from guardrails.facts import FactStore, join
from guardrails.model import CheckResult, Evidence, Outcome, Result, Rule, Severity
from guardrails.plugin import Check, EvalContext
from guardrails.runner import apply_waivers, run_check
from guardrails.session import Session

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


class Crashing(Check):
    """A plugin check with a bug."""

    name = "test.crash"

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        return {"a": 1}["b"]  # type: ignore[return-value]


class WrongType(Check):
    name = "test.wrong"

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        return "passed"  # type: ignore[return-value]


class ReportsError(Check):
    name = "test.reports-error"

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        return CheckResult(Outcome.ERROR, "upstream said no")


class RaisesUsage(Check):
    name = "test.usage"

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        raise UsageError("parameter 'x' makes no sense here", file="rules/p.yaml", line=7)


CHECKS: dict[str, Check] = {c.name: c for c in (
    Crashing(), WrongType(), ReportsError(), RaisesUsage(), TeamSizeCheck(), EachCheck())}


def context(store: FactStore | None = None) -> EvalContext:
    return EvalContext(now=NOW, window=timedelta(days=90), focus=None,
                       store=store or FactStore(), checks=CHECKS)


def make_rule(check: str, **params: Any) -> Rule:
    return Rule(pack="p", id="r", title="the rule", check=check, params=params,
                severity=Severity.WARNING, tags=("t",), file="rules/p.yaml", line=3)


def teams_store(*sizes: tuple[str, int]) -> FactStore:
    store = FactStore()
    store.add("teams", [{"id": t, "members": [{"handle": f"{t}{i}"} for i in range(n)]}
                        for t, n in sizes], "test")
    join(store)
    return store


# ---------------------------------------------------------------------------
# containing failures
# ---------------------------------------------------------------------------


def test_a_crashing_check_becomes_an_error_with_the_exception_summary() -> None:
    res = run_check(make_rule("test.crash"), context())
    assert res.outcome is Outcome.ERROR
    assert res.message == "check test.crash crashed: KeyError: 'b'"
    assert "Traceback (most recent call last)" in res.longrepr
    assert "KeyError: 'b'" in res.longrepr
    # the rule's identity is kept
    assert (res.id, res.title, res.severity, res.file, res.line, res.tags) == (
        "p::r", "the rule", Severity.WARNING, "rules/p.yaml", 3, ("t",))


def test_a_source_error_becomes_an_error() -> None:
    store = FactStore()
    store.fail("teams", SourceError("github", "401 Unauthorized (check GITHUB_TOKEN)"))
    res = run_check(make_rule("teams.size", min=3, max=8), context(store))
    assert res.outcome is Outcome.ERROR
    assert res.message == "source github: 401 Unauthorized (check GITHUB_TOKEN)"
    assert res.longrepr == ""  # not a bug: no traceback


def test_a_usage_error_inside_a_check_becomes_an_error_naming_the_place() -> None:
    res = run_check(make_rule("test.usage"), context())
    assert res.outcome is Outcome.ERROR
    assert res.message == "rules/p.yaml:7: parameter 'x' makes no sense here"


def test_a_check_returning_something_else_is_an_error() -> None:
    res = run_check(make_rule("test.wrong"), context())
    assert res.outcome is Outcome.ERROR
    assert res.message == "check test.wrong returned str, not a CheckResult"


def test_a_check_reporting_error_itself() -> None:
    res = run_check(make_rule("test.reports-error"), context())
    assert (res.outcome, res.message) == (Outcome.ERROR, "upstream said no")


def test_an_unavailable_check_is_an_error() -> None:
    res = run_check(make_rule("gone.away"), context())
    assert res.outcome is Outcome.ERROR
    assert "'gone.away' is not available" in res.message


def test_a_passing_check_result_is_copied_into_the_result() -> None:
    res = run_check(make_rule("teams.size", min=1, max=5), context(teams_store(("a", 2))))
    assert res.outcome is Outcome.PASSED
    assert (res.value, res.unit, res.samples, res.threshold) == (0, "count", 1, {"max": 0})


# ---------------------------------------------------------------------------
# the run goes on: a real session with a local plugin
# ---------------------------------------------------------------------------

PLUGIN = """\
from guardrails.errors import SourceError
from guardrails.plugin import Check, Source, hookimpl


class Crash(Check):
    name = "local.crash"

    def evaluate(self, rule, ctx):
        raise RuntimeError("the check has a bug")


class Flaky(Source):
    name = "flaky"

    def provides(self):
        return {"incidents"}

    def gather(self, kinds):
        raise SourceError("flaky", "503 Service Unavailable")


@hookimpl
def guardrails_collect_checks():
    return [Crash()]


@hookimpl
def guardrails_gather_sources():
    return [Flaky]
"""

RULES = PEOPLE_RULES + """\
  - id: crash
    check: local.crash
  - id: postmortems
    check: each
    facts: incidents
    expect: {required: [postmortem]}
"""

CONFIG = """\
rules: [rules/]
sources:
  files: {path: org}
  flaky: {}
"""


def session_for(root: Path, config: str = CONFIG, now: datetime = NOW) -> Session:
    path = make_project(root, config=config, rules={"rules/people.yaml": RULES},
                        org={"teams.yaml": TEAMS_YAML}, plugins=PLUGIN)
    return Session(load_config(path, RunOptions(now=now)))


def test_crash_and_source_failure_do_not_stop_the_run(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    report = session_for(tmp_path).run()
    outcomes = {r.id: (r.outcome, r.message) for r in report.results}
    assert outcomes == {
        # beta has 9 members
        "people::team-size": (Outcome.FAILED, "1 team outside 3..8 members: beta (9)"),
        "people::some-teams": (Outcome.PASSED, "2 teams selected: 2 >= 1"),
        "people::crash": (Outcome.ERROR,
                          "check local.crash crashed: RuntimeError: the check has a bug"),
        "people::postmortems": (Outcome.ERROR, "source flaky: 503 Service Unavailable"),
    }
    assert report.exit_code == 1


NAMELESS_PLUGIN = """\
from datetime import datetime, UTC
from guardrails.plugin import Source, hookimpl

T = datetime(2026, 11, 1, tzinfo=UTC)


class Nameless(Source):
    name = "nameless"

    def provides(self):
        return {"incidents", "deployments", "changes"}

    def gather(self, kinds):
        return {
            # a null id, then none at all: no join or check could name them
            "incidents": [{"id": "INC-1", "created_at": T}, {"id": None, "created_at": T},
                          {"created_at": T}],
            "deployments": {"d": {"id": "d", "finished_at": T}},  # a dict, not a list
            "changes": ({"id": "c1"}, "c2"),  # a tuple is taken; a string is no fact
        }


@hookimpl
def guardrails_gather_sources():
    return [Nameless]
"""

NAMELESS_RULES = """\
pack: p
rules:
  - id: incidents
    check: each
    facts: incidents
    expect: {required: [postmortem]}
  - id: deployments
    check: count
    facts: deployments
    min: 0
  - id: changes
    check: count
    facts: changes
    min: 0
"""


def test_a_plugin_source_whose_facts_have_no_id_makes_its_rules_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the joins and checks name every fact by its id: a fact without one was a
    # KeyError deep in a join (a traceback), or joined to every incident that
    # names no deployment when its id was null
    monkeypatch.chdir(tmp_path)
    path = make_project(tmp_path, config="rules: [rules/]\nsources:\n  nameless: {}\n",
                        rules={"rules/p.yaml": NAMELESS_RULES}, org={},
                        plugins=NAMELESS_PLUGIN)
    report = Session(load_config(path, RunOptions(now=NOW))).run()
    outcomes = {r.id: (r.outcome, r.message) for r in report.results}
    assert outcomes == {
        "p::incidents": (Outcome.ERROR,
                         "source nameless: 2 of its 3 incidents facts are not facts guardrails "
                         "can name (the first, number 2, has no id); each fact is a dict with "
                         'its id set (docs/plugins.md, "Facts")'),
        "p::deployments": (Outcome.ERROR,
                           "source nameless: its deployments are a dict, not a list of facts "
                           '(docs/plugins.md, "Facts")'),
        "p::changes": (Outcome.ERROR,
                       "source nameless: 1 of its 2 changes facts are not facts guardrails "
                       "can name (the first, number 2, is a str, not a dict); each fact is a "
                       'dict with its id set (docs/plugins.md, "Facts")'),
    }
    assert report.exit_code == 1


# ---------------------------------------------------------------------------
# waivers
# ---------------------------------------------------------------------------


def failed_result() -> Result:
    # beta (9) and gamma (1) are outside 3..8
    res = run_check(make_rule("teams.size", min=3, max=8),
                    context(teams_store(("alpha", 4), ("beta", 9), ("gamma", 1))))
    assert res.outcome is Outcome.FAILED
    assert [e.subject for e in res.evidence] == ["team/beta", "team/gamma"]
    return res


def waiver(subject: str | None = None, expires: date = date(2026, 12, 31),
           rule: str = "p::r") -> Waiver:
    return Waiver(rule=rule, reason="splitting in Q1", expires=expires, subject=subject)


def test_whole_rule_waiver() -> None:
    res = failed_result()
    apply_waivers(res, [waiver()], NOW)
    assert res.outcome is Outcome.WAIVED
    assert res.waiver == {"reason": "splitting in Q1", "expires": "2026-12-31"}


def test_subject_waivers_covering_all_evidence_waive_the_rule() -> None:
    res = failed_result()
    apply_waivers(res, [waiver("team/beta"), waiver("team/gamma")], NOW)
    assert res.outcome is Outcome.WAIVED
    assert res.waiver is not None and res.waiver["subject"] in ("team/beta", "team/gamma")


def test_partial_subject_waiver_still_fails_with_the_remaining_evidence() -> None:
    res = failed_result()
    apply_waivers(res, [waiver("team/beta")], NOW)
    assert res.outcome is Outcome.FAILED
    assert [e.subject for e in res.evidence] == ["team/gamma"]
    assert res.details[-1] == "1 subject(s) waived (team/beta)"
    assert res.waiver is None


def test_subject_waiver_matches_the_owning_team_of_evidence() -> None:
    res = Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED,
                 severity=Severity.ERROR, evidence=[
                     Evidence("service/api", "no tier", team="web"),
                     Evidence("service/db", "no tier", team="data")])
    apply_waivers(res, [waiver("team/web")], NOW)
    assert res.outcome is Outcome.FAILED
    assert [e.subject for e in res.evidence] == ["service/db"]


def test_team_waiver_does_not_waive_evidence_whose_words_could_not_be_made() -> None:
    """A team waiver reads each item's team while the rule's verdict is decided, which
    makes the words of evidence left to be made when first read
    (guardrails.evidencelater). A check whose ``make`` raises there would have been
    an ``error`` had it made them at once: its item gets no team, not the index's
    (``web``, which the waiver names), so the waiver cannot turn the bug into a pass."""
    from guardrails.evidencelater import attributed_later, teams_later

    def broken() -> tuple[str, str | None]:
        raise KeyError("merged_at")

    items = [attributed_later("change/c-1", broken), attributed_later("change/c-2", broken)]
    teams_later(items, lambda e: "web")  # the runner's attribution (attribute_teams)
    res = Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED,
                 severity=Severity.ERROR, evidence=items)
    apply_waivers(res, [waiver("team/web")], NOW)
    assert res.outcome is Outcome.FAILED
    assert [(e.subject, e.team) for e in res.evidence] == [("change/c-1", None),
                                                           ("change/c-2", None)]
    assert res.evidence[0].detail == "(detail not made: KeyError: 'merged_at')"


def test_subject_waiver_naming_nothing_in_the_evidence_changes_nothing() -> None:
    res = failed_result()
    apply_waivers(res, [waiver("team/alpha")], NOW)
    assert res.outcome is Outcome.FAILED
    assert len(res.evidence) == 2 and res.details == []


def test_expired_waiver_does_not_waive() -> None:
    res = failed_result()
    apply_waivers(res, [waiver(expires=date(2026, 11, 19)), waiver("team/beta",
                                                                   date(2026, 11, 19))], NOW)
    assert res.outcome is Outcome.FAILED
    assert len(res.evidence) == 2


def test_waiver_still_applies_on_its_last_day() -> None:
    res = failed_result()
    apply_waivers(res, [waiver(expires=date(2026, 11, 20))], NOW)  # NOW is 11-20 09:30
    assert res.outcome is Outcome.WAIVED


def test_waiver_for_another_rule_does_not_apply() -> None:
    res = failed_result()
    apply_waivers(res, [waiver(rule="p::other")], NOW)
    assert res.outcome is Outcome.FAILED


@pytest.mark.parametrize("outcome", [Outcome.PASSED, Outcome.ERROR, Outcome.SKIPPED])
def test_only_failures_are_waived(outcome: Outcome) -> None:
    res = Result(id="p::r", pack="p", title="t", outcome=outcome, severity=Severity.ERROR)
    apply_waivers(res, [waiver()], NOW)
    assert res.outcome is outcome and res.waiver is None


WAIVED_CONFIG = """\
rules: [rules/]
sources:
  files: {path: org}
waivers:
  - rule: people::team-size
    subject: team/beta
    reason: splitting beta in Q1
    expires: 2026-12-31
  - rule: people::no-such-rule
    reason: typo
    expires: 2026-12-31
  - rule: people::some-teams
    reason: old
    expires: 2026-11-19
overrides:
  people::team-sise: {max: 9}
"""


def test_waivers_in_a_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = make_project(tmp_path, config=WAIVED_CONFIG)
    session = Session(load_config(path, RunOptions(now=NOW)))
    report = session.run()
    by_id = {r.id: r for r in report.results}
    assert by_id["people::team-size"].outcome is Outcome.WAIVED
    assert by_id["people::team-size"].waiver == {
        "reason": "splitting beta in Q1", "expires": "2026-12-31", "subject": "team/beta"}
    assert report.exit_code == 0
    assert report.warnings == [
        "guardrails.yaml:16: override for people::team-sise names a rule that is not "
        "collected (did you mean 'people::team-size'?)",
        "guardrails.yaml:9: waiver for people::no-such-rule names a rule that is not collected",
        "guardrails.yaml:12: waiver for people::some-teams expired on 2026-11-19: it no longer "
        "waives; fix the rule's failure and remove the waiver, or renew it with a later "
        "expires and its reason",
    ]


UNUSED_WAIVERS_CONFIG = """\
rules: [rules/]
sources:
  files: {path: org}
waivers:
  - rule: people::team-size
    subject: team/betta
    reason: typo of beta
    expires: 2026-12-31
  - rule: people::team-size
    subject: team/beta
    reason: splitting beta in Q1
    expires: 2026-12-31
  - rule: people::some-teams
    reason: the rule passes
    expires: 2026-12-31
  - rule: people::deploys
    subject: deployment/d1
    reason: no deployment data, so the rule is skipped
    expires: 2026-12-31
"""

DEPLOYS_RULE = """\
  - id: deploys
    check: count
    facts: deployments
    min: 1
"""


def test_waivers_that_waived_nothing_warn(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = make_project(tmp_path, config=UNUSED_WAIVERS_CONFIG,
                        rules={"rules/people.yaml": PEOPLE_RULES + DEPLOYS_RULE})
    report = Session(load_config(path, RunOptions(now=NOW))).run()
    by_id = {r.id: r for r in report.results}
    assert by_id["people::team-size"].outcome is Outcome.WAIVED
    assert by_id["people::deploys"].outcome is Outcome.SKIPPED
    assert report.exit_code == 0  # a warning, never a red gate
    assert report.warnings == [
        "guardrails.yaml:5: waiver for people::team-size (team/betta) waived nothing in this "
        "run: no evidence of the rule names team/betta; did you mean 'team/beta'? write a "
        "subject the rule reports (as shown under it), or remove the waiver",
        "guardrails.yaml:13: waiver for people::some-teams waived nothing in this run: the "
        "rule passed; remove it once the fix holds (it expires on 2026-12-31)",
    ]


#: deploys first, failing for lack of data (on_no_data: fail), so -x stops there
ORDERED_RULES = """\
pack: people
rules:
  - id: deploys
    check: count
    facts: deployments
    min: 1
    on_no_data: fail
  - id: team-size
    check: teams.size
    max: 8
    tags: [size]
  - id: some-teams
    check: count
    facts: teams
    min: 1
    tags: [size]
"""


@pytest.mark.parametrize("options", [
    {"keyword": "deploys"}, {"markexpr": "not size"}, {"exitfirst": True},
])
def test_a_rule_that_did_not_run_leaves_its_waivers_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]) -> None:
    # -k/-m deselect team-size and some-teams, or -x stops before them: their
    # waivers met nothing in this run, and say nothing (nor does the waiver of
    # deploys, which failed for lack of data: it did not judge deployment/d1).
    monkeypatch.chdir(tmp_path)
    path = make_project(tmp_path, config=UNUSED_WAIVERS_CONFIG,
                        rules={"rules/people.yaml": ORDERED_RULES})
    report = Session(load_config(path, RunOptions(now=NOW, strict=False, **options))).run()
    assert "people::deploys" in {r.id for r in report.results}
    assert not {"people::team-size", "people::some-teams"} & {r.id for r in report.results}
    assert [w for w in report.warnings if "waived nothing" in w] == []


def test_a_rule_in_error_leaves_its_waivers_alone(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # postmortems is in error (its source failed), crash crashed: neither judged.
    monkeypatch.chdir(tmp_path)
    config = CONFIG + """\
waivers:
  - rule: people::postmortems
    subject: incident/I1
    reason: written next week
    expires: 2026-12-31
  - rule: people::crash
    reason: fixed in the next release
    expires: 2026-12-31
"""
    report = session_for(tmp_path, config).run()
    assert {r.outcome for r in report.results if r.id in (
        "people::postmortems", "people::crash")} == {Outcome.ERROR}
    assert [w for w in report.warnings if "waived nothing" in w] == []
