"""A CEL ``where`` runs on what it reads; the rest is converted for the facts it accepts.

A fact ``where`` rejects is not judged, so data only ``expect`` reads of it
(here a maker's name CEL cannot hold: a lone surrogate, which a plugin
source can hand over though no file source lets one in) no longer makes the
rule ``error``; what ``where`` itself reads still does (docs/rules.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import check_report, make_project

from guardrails.celrules.celrun import CelRun

PLUGIN = '''
from guardrails.kinds import FactKind, Link
from guardrails.plugin import Source, hookimpl

SCHEMA = {"type": "object", "properties": {"id": {"type": "string"},
          "name": {"type": "string"}, "maker": {"type": "string"},
          "country": {"type": "string"}, "size": {"type": "integer"}}}
DATA = {
    "widgets": [{"id": "w1", "maker": "m1", "size": 3},
                {"id": "w2", "maker": "m2", "size": 9},
                {"id": "w3", "maker": "m1", "size": 1}],
    "makers": [{"id": "m1", "name": "Acme", "country": "NL"},
               {"id": "m2", "name": "Bolt " + chr(0xD800), "country": "FR"}],
}

@hookimpl
def guardrails_fact_kinds():
    return [FactKind("widgets", "widget", schema=SCHEMA,
                     links={"made_by": Link("makers", via="maker")}),
            FactKind("makers", "maker", schema=SCHEMA)]

class Shop(Source):
    name = "shop"
    def provides(self):
        return set(DATA)
    def gather(self, kinds):
        return {k: DATA[k] for k in kinds if k in DATA}

@hookimpl
def guardrails_gather_sources():
    return [Shop]
'''

CONFIG = "rules:\n  - rules/\nsources:\n  shop: {}\n"


def _run(tmp_path: Path, rules: str) -> dict[str, dict]:  # type: ignore[type-arg]
    config = make_project(tmp_path, config=CONFIG, org={},
                          rules={"rules/r.yaml": "pack: p\nrules:\n" + rules}, plugins=PLUGIN)
    _, report = check_report(config, tmp_path / "report.json")
    return {r["id"]: r for r in report["results"]}


RULE = """\
  - id: r
    check: each
    facts: widgets
    where: {where}
    expect: fact.made_by.name.size() > 2
"""


@pytest.mark.parametrize(("where", "outcome", "errors"), [
    # w2 (whose maker's name CEL cannot hold) is rejected: not judged, no error
    ("fact.size < 5", "passed", []),
    # w2 accepted: its conversion fails, as it always did
    ("fact.size > 0", "error", ["widget/w2"]),
    # the where itself reads the unconvertible name: an error even for what it rejects
    ("fact.made_by.name != 'x' && fact.size < 5", "error", ["widget/w2"]),
])
def test_where_judges_before_the_rest_is_converted(tmp_path: Path, where: str, outcome: str,
                                                   errors: list[str]) -> None:
    result = _run(tmp_path, RULE.format(where=json.dumps(where)))["p::r"]
    assert result["outcome"] == outcome, result
    shown = [e["subject"] for e in result.get("evidence", [])] if outcome == "error" else []
    assert shown == errors
    if errors:
        assert "a field CEL cannot read" in result["evidence"][0]["detail"]


def test_the_one_step_path_made_the_rejected_fact_an_error(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    # The deliberate change: converting everything first made w2 an error.
    monkeypatch.setattr(CelRun, "lazy_where", False)
    result = _run(tmp_path, RULE.format(where=json.dumps("fact.size < 5")))["p::r"]
    assert result["outcome"] == "error"
    assert [e["subject"] for e in result["evidence"]] == ["widget/w2"]


def test_failing_facts_are_judged_on_the_full_conversion(tmp_path: Path) -> None:
    result = _run(tmp_path, """\
  - id: r
    check: each
    facts: widgets
    where: fact.size < 5
    expect: fact.made_by.country == "FR"
    evidence: '{id} made in {made_by.country}'
""")["p::r"]
    assert result["outcome"] == "failed"
    assert [(e["subject"], e["detail"]) for e in result["evidence"]] == [
        ("widget/w1", "w1 made in NL"), ("widget/w3", "w3 made in NL")]


# --- the same outcomes with and without the where-first path ------------------------

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme" / "org"

#: where/expect shapes: plain fields (decided once per distinct values), a
#: joined fact named in where, a link, the fact as a whole, a value rule
ACME_RULES = """\
  - id: sev-postmortem
    check: each
    facts: incidents
    where: 'fact.severity in ["SEV1", "SEV2"]'
    older_than: {field: resolved_at, age: 5d}
    expect: has(fact.postmortem) && fact.postmortem.status == "closed"
    evidence: "{severity} {title}: {postmortem.status}"
  - id: long-ones
    check: each
    facts: incidents
    where: has(fact.resolved_at) && fact.resolved_at - fact.created_at > duration("3h")
    expect: has(fact.deployment) && fact.deployment.service == fact.service
  - id: joined-where
    check: each
    facts: incidents
    where: has(fact.postmortem) && fact.postmortem.authors.size() > 1
    expect: fact.postmortem.action_items.all(a, a.status == "done")
  - id: whole-where
    check: each
    facts: incidents
    where: '"caused_by" in fact'
    expect: fact.deployment.status == "success"
  - id: failed-deploys
    check: each
    facts: deployments
    where: fact.status == "failure" && fact.environment == "production"
    expect: has(fact.incidents) && fact.incidents.exists(i, i.severity == "SEV1")
  - id: change-size
    check: each
    facts: changes
    where: has(fact.deployment)
    value: fact.additions + fact.deletions
    max: 400
  - id: erroring-where
    check: each
    facts: incidents
    where: fact.resolved_at > fact.created_at
    expect: has(fact.postmortem)
  - id: counted
    check: count
    facts: incidents
    where: fact.severity == "SEV1"
    max: 2
"""


def _results(tmp_path: Path, rules: str) -> dict[str, dict]:  # type: ignore[type-arg]
    import shutil

    shutil.copytree(ACME, tmp_path / "org")
    config = make_project(tmp_path, rules={"rules/r.yaml": "pack: p\nrules:\n" + rules},
                          org={})
    _, report = check_report(config, tmp_path / "report.json")
    return {r["id"]: {k: v for k, v in r.items() if "duration" not in k}
            for r in report["results"]}


def test_the_example_org_gives_the_same_results_both_ways(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    lazy = _results(tmp_path / "lazy", ACME_RULES)
    monkeypatch.setattr(CelRun, "lazy_where", False)
    eager = _results(tmp_path / "eager", ACME_RULES)
    assert lazy == eager
    # the rules are not vacuous: each outcome the comparison covers is there
    assert {r["outcome"] for r in lazy.values()} >= {"passed", "failed", "error"}, lazy


# Random incidents and postmortems, values of every type CEL tells apart
# (1, 1.0, True; -0.0 and 0.0; one instant at two offsets), through each
# where/expect pair below: both paths give the same result.
WHERES = [
    'fact.severity in ["SEV1", "SEV2"]',
    'dyn(fact.severity) == 1',
    'dyn(fact.severity) == true',
    'string(dyn(fact.severity)) == "-0"',
    'string(fact.created_at).endsWith("+02:00")',
    'has(fact.postmortem) && fact.postmortem.status == "closed"',
    '"title" in fact',
    'fact.title.size() > 1',
]
EXPECTS = [
    ("expect", 'has(fact.postmortem)'),
    ("expect", 'has(fact.postmortem) && fact.postmortem.title.size() > 2'),
    ("expect", 'fact.severity != "SEV1"'),
    # fails on some values (an int has no size()): the expect error, decided once
    # per distinct values on the where-first path, is each fact's, as per fact
    ("expect", 'has(fact.postmortem) || fact.title.size() > 1'),
    ("value", 'fact.title.size()'),
]


def _random_case():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta, timezone

    from hypothesis import strategies as st

    scalar = st.sampled_from(["SEV1", "SEV2", 1, 1.0, True, -0.0, 0.0, "ab"])
    stamp = st.builds(lambda d, off: datetime(2026, 11, 1, tzinfo=UTC).astimezone(
        timezone(timedelta(hours=off))) + timedelta(hours=d),
        st.sampled_from([0, 100, 300]), st.sampled_from([0, 2]))
    incident = st.fixed_dictionaries(
        {"created_at": stamp},
        optional={"severity": scalar, "title": scalar, "resolved_at": stamp})
    postmortem = st.fixed_dictionaries(
        {"status": st.sampled_from(["closed", "draft", 1])},
        optional={"title": scalar})
    return st.tuples(st.lists(incident, max_size=12),
                     st.lists(st.tuples(st.integers(0, 11), postmortem), max_size=6),
                     st.sampled_from(WHERES), st.sampled_from(EXPECTS))


def _outcome(incidents, postmortems, where, expect):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from helpers import fact_context

    from guardrails.collect import registered_checks, registered_metrics
    from guardrails.manager import create_manager
    from guardrails.model import Rule
    from guardrails.runner import run_check

    pm = create_manager()
    ctx = fact_context(datetime(2026, 11, 20, tzinfo=UTC), registered_checks(pm),
                       dict(registered_metrics(pm)), incidents=incidents,
                       postmortems=postmortems)
    key, src = expect
    params = {"facts": "incidents", "where": where, key: src}
    if key == "value":
        params["max"] = 2
    result = run_check(Rule("p", "r", "r", "each", params), ctx)
    return (result.outcome, result.message,
            [(e.subject, e.detail) for e in result.evidence])


@pytest.mark.fuzz
def test_random_facts_give_the_same_results_both_ways(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    from helpers import fuzz_examples
    from hypothesis import given, settings

    @settings(max_examples=fuzz_examples(60), deadline=None)
    @given(_random_case())
    def check(case):  # type: ignore[no-untyped-def]
        raw, pms, where, expect = case
        incidents = [{"id": f"INC-{i}", **f} for i, f in enumerate(raw)]
        postmortems = [{"id": f"PM-{j}", "incident": f"INC-{i}", **p}
                       for j, (i, p) in enumerate(pms)]
        with monkeypatch.context() as m:
            m.setattr(CelRun, "lazy_where", True)
            lazy = _outcome(incidents, postmortems, where, expect)
            m.setattr(CelRun, "by_values", False)
            per_fact = _outcome(incidents, postmortems, where, expect)
            m.setattr(CelRun, "lazy_where", False)
            eager = _outcome(incidents, postmortems, where, expect)
        assert lazy == per_fact == eager

    check()


def test_a_rule_reading_plain_fields_is_decided_once_per_distinct_values(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """where and expect read plain fields and whether a joined fact is there: a CEL
    context per distinct values, not per fact, and the same result as per fact
    (expect's errors, and the conversion's of a text CEL cannot hold, a lone
    surrogate, on the facts they are about)."""
    from guardrails.celrules import celrun

    made: list[int] = []
    real = celrun.context

    def counting(values):  # type: ignore[no-untyped-def]
        made.append(1)
        return real(values)

    monkeypatch.setattr(celrun, "context", counting)
    incidents = [{"id": f"INC-{i}", "created_at": datetime(2026, 11, 1, tzinfo=UTC),
                  "severity": ("SEV1", "SEV2", "SEV3")[i % 3],
                  "title": ("ab", 7, "x" + chr(0xD800))[i % 5 % 3]} for i in range(60)]
    postmortems = [{"id": "PM-1", "incident": "INC-3", "status": "closed"},
                   {"id": "PM-2", "incident": "INC-4", "status": "closed"}]
    where = 'fact.severity in ["SEV1", "SEV2"]'
    expect = ("expect", 'has(fact.postmortem) || fact.title.size() > 1')
    lazy = _outcome(incidents, postmortems, where, expect)
    contexts = len(made)
    monkeypatch.setattr(CelRun, "by_values", False)
    assert _outcome(incidents, postmortems, where, expect) == lazy
    # 3 severities (where) and 2 x 3 titles x postmortem or not, at most: far
    # fewer than the 40 facts the where accepts, each converted per fact
    assert contexts <= 3 + 2 * 3 * 2 < len(made) - contexts, (contexts, len(made))
    outcome, _, evidence = lazy
    assert outcome == "error"  # the int titles (expect) and the surrogates (conversion)
    assert {d.split(":")[0] for _, d in evidence} == {"expect", "where"}
