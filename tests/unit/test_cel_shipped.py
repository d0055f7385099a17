"""guardrails/celrules/shipped.py, the builtin packs' CEL checks done ahead, is exactly
what ``python -m guardrails.celrules.shipgen`` writes, answers only its own keys (the
same expression over the same kinds) with what a check finds, and spares a run without
caches the parser and checker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import example_without_caches

from guardrails.celrules import runtime, shipgen, shipped, typecache
from guardrails.celrules.runtime import CelProblem, compile_expression
from guardrails.datakinds import BUILTIN
from guardrails.kinds import FactKind, KindRegistry

#: the builtin packs' expressions (rules/incidents.yaml, rules/teams.yaml) as a run checks them
BUILTIN_EXPRESSIONS = [
    ('fact.severity in ["SEV1", "SEV2"]', "incidents", "bool"),
    ("has(fact.postmortem)", "incidents", "bool"),
    ("fact.members.size()", "teams", "number"),
]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No remembered compilations, the start-up caches off (no file answers)."""
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    monkeypatch.setattr(typecache, "_state", None)
    runtime._compiled.clear()
    yield
    runtime._compiled.clear()


def test_the_module_is_what_the_generator_writes() -> None:
    current = shipgen.TARGET.read_text("utf-8")
    assert current == shipgen.render(), (
        "guardrails/celrules/shipped.py is out of date (a builtin pack's expression, a "
        "builtin kind or the CEL checker changed): run  python -m guardrails.celrules.shipgen"
        "  and commit the result")
    assert shipgen.main(["--check"]) == 0
    assert len(shipped.ENTRIES) == len(BUILTIN_EXPRESSIONS)


def _answers() -> list[tuple[object, ...]]:
    out = []
    for src, kind, want in BUILTIN_EXPRESSIONS:
        c = compile_expression(src, kind, BUILTIN, want=want)
        out.append(({n: u.to_plain() for n, u in c.uses.items()}, c.reaches,
                    (c.checked.type_name, c.checked.type_text), not c.checked.fresh))
    return out


def test_a_shipped_answer_is_the_checks(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from_table = _answers()
    assert all(hit for *_, hit in from_table)  # none was checked
    assert any(reaches for _, reaches, *_ in from_table)  # a postmortem's link is kept
    monkeypatch.setattr(typecache, "_shipped", {})
    runtime._compiled.clear()
    checked = _answers()
    assert not any(hit for *_, hit in checked)
    assert [a[:3] for a in from_table] == [a[:3] for a in checked]


def test_another_registry_or_expression_is_checked(fresh: None) -> None:
    # an incident kind whose schema has no ``severity``: the same text is refused
    incidents = FactKind("incidents", "incident", schema={
        "type": "object", "additionalProperties": False,
        "properties": {"id": {"type": "string"}}})
    other = KindRegistry([incidents, *(k for n, k in BUILTIN.items() if n != "incidents")])
    with pytest.raises(CelProblem, match="no field 'severity'"):
        compile_expression('fact.severity in ["SEV1", "SEV2"]', "incidents", other)
    # one more kind (a plugin's) is another key: checked, and found good
    widgets = KindRegistry([*BUILTIN.values(), FactKind("widgets", "widget")])
    assert compile_expression("fact.members.size()", "teams", widgets,
                              want="number").checked.fresh
    # and so is the same text wanting another type, or any other text
    with pytest.raises(CelProblem, match="not true or false"):
        compile_expression("fact.members.size()", "teams", BUILTIN, want="bool")
    with pytest.raises(CelProblem, match="no field"):
        compile_expression("fact.member.size()", "teams", BUILTIN, want="number")


def test_a_damaged_entry_is_checked(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typecache, "_shipped", {
        k: [{"fact": [1, {}]}, [3]] for k in shipped.ENTRIES})
    assert not any(hit for *_, hit in _answers())


def test_a_run_without_caches_loads_no_cel_checker(tmp_path: Path) -> None:
    ran = example_without_caches(tmp_path)
    assert "guardrails.celrules.parse" not in ran.modules, ran.output
    assert "guardrails.celrules.check" not in ran.modules, ran.output
    assert "guardrails.celrules.runtime" in ran.modules, ran.output  # its expressions did run
