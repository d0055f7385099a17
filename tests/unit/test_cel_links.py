"""Links in CEL rules: a plugin kind's links decide what is gathered; templates follow links."""

from __future__ import annotations

from pathlib import Path

from helpers import check_report, make_project, run_cli

# Two plugin kinds, one linking the other by id; the source yields only the
# kinds it is asked for, as a real source does, so a rule over widgets sees
# their makers only when the run gathered makers because of the link.
PLUGIN = '''
from guardrails.kinds import FactKind, Link
from pathlib import Path
from guardrails.plugin import Source, hookimpl

SCHEMA = {"type": "object", "properties": {"id": {"type": "string"},
          "name": {"type": "string"}, "maker": {"type": "string"},
          "country": {"type": "string"}}}
DATA = {
    "widgets": [{"id": "w1", "maker": "m1"}, {"id": "w2", "maker": "m2"}],
    "makers": [{"id": "m1", "name": "Acme", "country": "NL"},
               {"id": "m2", "name": "Bolt", "country": "FR"}],
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
        with open(Path(__file__).with_name("asked.txt"), "a") as out:
            out.write(" ".join(sorted(kinds)) + "\\n")
        return {k: DATA[k] for k in kinds if k in DATA}

@hookimpl
def guardrails_gather_sources():
    return [Shop]
'''

CONFIG = """\
rules:
  - rules/
sources:
  shop: {}
"""


def _run(tmp_path: Path, rules: str) -> tuple[int, dict[str, dict]]:  # type: ignore[type-arg]
    config = make_project(tmp_path, config=CONFIG, org={},
                          rules={"rules/r.yaml": "pack: p\nrules:\n" + rules}, plugins=PLUGIN)
    result, report = check_report(config, tmp_path / "report.json")
    return result.exit_code, {r["id"]: r for r in report["results"]}


def test_a_plugin_kinds_link_to_another_plugin_kind_is_gathered(tmp_path: Path) -> None:
    code, results = _run(tmp_path, """\
  - id: dutch
    check: each
    facts: widgets
    expect: fact.made_by.country == "NL"
    evidence: 'made by {made_by.name} in {made_by.country}'
  - id: all-made
    check: expr
    facts: [widgets]
    expect: widgets.all(w, has(w.made_by))
""")
    assert code == 1
    dutch = results["p::dutch"]
    # w2's maker m2 is in France: one failure, named through the link; no error
    # (without makers gathered the link resolves to nothing and every widget errs).
    assert (dutch["outcome"], dutch["value"]) == ("failed", 1)
    assert [(e["subject"], e["detail"]) for e in dutch["evidence"]] == [
        ("widget/w2", "made by Bolt in FR")]
    assert results["p::all-made"]["outcome"] == "passed"
    assert (tmp_path / "asked.txt").read_text().split() == ["makers", "widgets"]


def test_only_what_a_rule_reaches_is_gathered(tmp_path: Path) -> None:
    _, results = _run(tmp_path, """\
  - id: has-maker
    check: each
    facts: widgets
    expect: has(fact.maker)
""")
    assert results["p::has-maker"]["outcome"] == "passed"
    assert (tmp_path / "asked.txt").read_text().split() == ["widgets"]


def test_a_template_reaching_a_link_gathers_it(tmp_path: Path) -> None:
    _, results = _run(tmp_path, """\
  - id: named
    check: each
    facts: widgets
    expect: fact.maker == "m1"
    evidence: 'made by {made_by.name}'
""")
    assert [e["detail"] for e in results["p::named"]["evidence"]] == ["made by Bolt"]
    assert (tmp_path / "asked.txt").read_text().split() == ["makers", "widgets"]


def test_template_names_a_linked_field_of_a_builtin_kind(tmp_path: Path) -> None:
    config = make_project(tmp_path, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: small-team
    check: each
    facts: services
    expect: fact.team.members.size() <= 1
    evidence: '{id} owned by {team.name} ({team.id})'
"""}, org={
        "teams.yaml": "teams:\n  - {id: web, name: Web, members: [{handle: ann}, {handle: bo}]}\n",
        "services.yaml": "services:\n  - {id: shop, name: Shop, owner: web}\n"})
    result = run_cli(["check", "-c", str(config), "--now", "2026-11-20", "-v"])
    assert result.exit_code == 1, result.output
    assert "shop owned by Web (web)" in result.output


def test_template_linked_field_typo_is_a_load_error(tmp_path: Path) -> None:
    config = make_project(tmp_path, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: r
    check: each
    facts: services
    expect: has(fact.team)
    evidence: '{team.nmae}'
  - id: list
    check: each
    facts: teams
    expect: fact.services.size() > 0
    evidence: '{services.name}'
"""})
    result = run_cli(["check", "-c", str(config), "--now", "2026-11-20"])
    assert result.exit_code == 4
    assert "rules/r.yaml:7:" in result.output
    assert "teams have no field 'nmae' ('{team.nmae}')" in result.output
    assert "did you mean 'name'?" in result.output
    assert "rules/r.yaml:12:" in result.output
    assert "services of teams is a list of services" in result.output


def test_a_field_of_ids_named_last_shows_the_ids_as_written(tmp_path: Path) -> None:
    config = make_project(tmp_path, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: r
    check: each
    facts: deployments
    expect: fact.service == "none"
    evidence: 'ships {changes}'
"""}, org={"deployments.yaml": (
        "deployments:\n  - {id: d1, service: web, environment: production, status: success,\n"
        "     finished_at: '2026-11-10T10:00:00Z', changes: ['7', abc123]}\n"),
        "changes.yaml": "changes:\n  - {id: '7', created_at: '2026-11-09T10:00:00Z'}\n"})
    result = run_cli(["check", "-c", str(config), "--now", "2026-11-20", "-v"])
    assert "ships 7, abc123" in result.output, result.output
