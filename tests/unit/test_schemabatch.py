"""guardrails.schemabatch says a whole list is valid only where the record-by-record
check (guardrails.smallschema, and jsonschema, the authority) finds every record valid.

A differential test on the strategies of tests/unit/test_fastvalid.py: random
tables for every shipped data schema (the records drawn valid and not), random
schemas with random instances, and the example org's own tables, which must
be read here whole (else a cold run checks them record by record after all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import fuzz_examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_fastvalid import _conditions, _facts, _records, _targets
from test_smallschema import _SCHEMAS, _rule_schemas

from guardrails import validation
from guardrails.schemabatch import all_valid
from guardrails.smallschema import Undecided, compile_schema
from guardrails.sources.files_formats import read_table, record_check
from guardrails.sources.files_tables import layout_of

ROOT = Path(__file__).resolve().parents[2]


def _each_valid(schema: Any, instances: list[Any]) -> bool:
    """The record-by-record answer: every instance valid, none undecided."""
    small = compile_schema(schema)
    reference = validation.make_validator(schema).is_valid
    for instance in instances:
        if not reference(instance):
            return False
        if small is not None:
            try:
                if not small(instance):
                    return False
            except Undecided:
                return False
    return True


def _holds(schema: Any, instances: list[Any]) -> None:
    if all_valid(schema, instances):
        assert _each_valid(schema, instances), (schema, instances)


@pytest.mark.fuzz
@pytest.mark.parametrize(("name", "definition"), _targets())
@settings(max_examples=fuzz_examples(25), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_data_tables(name: str, definition: str | None, data: st.DataObject) -> None:
    root = validation.load_schema(name)
    schema = root["$defs"][definition] if definition else root
    engine_schema = ({"$defs": root["$defs"], "$ref": f"#/$defs/{definition}"} if definition
                     else root)
    table = [data.draw(_records(schema)) for _ in range(data.draw(st.integers(1, 5)))]
    _holds(engine_schema, table)


@pytest.mark.fuzz
@pytest.mark.parametrize("which", ["config", "rules", "checks"])
@settings(max_examples=fuzz_examples(25), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_config_rule_and_check_schemas(which: str, data: st.DataObject) -> None:
    """What guardrails.validation.errors_of asks of it for a rule pack and its rules."""
    schemas = _SCHEMAS[:1] if which == "config" else _SCHEMAS[1:] if which == "rules" else \
        _rule_schemas()
    schema = data.draw(st.sampled_from(schemas))
    _holds(schema, [data.draw(_records(schema)) for _ in range(data.draw(st.integers(1, 3)))])


def test_the_builtin_packs_are_read_whole() -> None:
    """A cold run's pack checks (the pack, each rule's common and check keys) need no
    schema engine: every one is answered here."""
    from guardrails import packcache, ruleentry, ruleparams
    from guardrails.collect import registered_checks, registered_metrics
    from guardrails.manager import create_manager
    from guardrails.rulepaths import builtin_rules_dir

    pm = create_manager()
    checks, metrics = registered_checks(pm), registered_metrics(pm)
    rules = validation.load_schema("rules")
    for path in sorted(builtin_rules_dir().glob("*.yaml")):
        data, _ = packcache.precompiled(path, path.read_bytes()) or (None, None)
        assert data is not None, path
        assert all_valid(rules, [data]), path
        for entry in data["rules"]:
            check = checks[entry["check"]]
            metric = metrics.get(entry.get("metric", "")) if entry["check"] == "metric" else None
            assert all_valid(ruleentry._base_rule_schema(), [entry]), entry
            assert all_valid(ruleparams.check_schema(check, metric), [entry]), entry


@pytest.mark.fuzz
@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@settings(max_examples=fuzz_examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schema=_conditions, facts=st.lists(_facts, min_size=1, max_size=8))
@example(schema={"type": "integer"}, facts=[1.0, 2, -0.0])
@example(schema={"type": "integer"}, facts=[1.0, 1.5])
@example(schema={"type": "integer", "minimum": 1}, facts=[1.0, 2, 0.5])
@example(schema={"type": "object", "additionalProperties": False,
                 "properties": {"a": {"type": "string"}}}, facts=[{"a": "x"}, {"b": 1}])
@example(schema={"required": ["a"]}, facts=[{"a": 1}, {"b": 1}])
@example(schema={"items": {"enum": ["x"]}}, facts=[["x"], ["y"]])
@example(schema={"type": "string"}, facts=["ok", "\ud800"])
@example(schema={"type": "string"}, facts=["caf\u00e9", "x"])
@example(schema={"type": "number"}, facts=[1, float("nan")])
@example(schema={"type": "integer"}, facts=[1, 2**60])
@example(schema={"type": "object"}, facts=[{1: "a"}])
def test_random_schemas(schema: Any, facts: list[Any]) -> None:
    _holds(schema, facts)


@pytest.mark.parametrize(("schema", "facts"), [
    ({"type": "string"}, ["caf\u00e9", "x"]),
    ({"type": "integer"}, [1.0, 2, -0.0]),
    ({"type": ["number", "string"]}, [0.5, 2, "x"]),
    ({"$defs": {"a": {"type": "string"}}, "properties": {"k": {"$ref": "#/$defs/a"}}},
     [{"k": "x"}, {}]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, ["a", 1]),
    ({"type": "string", "pattern": "^2", "format": "date"}, ["2026-01-02"]),
    ({"type": "array", "minItems": 1, "items": {"type": "string"}}, [["a"], ["b", "c"]]),

])
def test_says_yes_to_plain_valid_lists(schema: Any, facts: list[Any]) -> None:
    assert all_valid(schema, facts)


@pytest.mark.parametrize(("schema", "facts"), [
    ({"type": "string"}, ["ok", "\ud800"]),  # a lone surrogate: smallschema's Undecided
    ({"type": "integer"}, [1, 2**60]),  # beyond 2**53: Undecided
    ({"type": "number"}, [1, float("inf")]),
    ({"type": "object"}, [{1: "a"}]),  # a key that is not text
    ({"type": "array"}, [(1,)]),  # not plain JSON
    ({"multipleOf": 2}, [4]),  # a keyword not read here
    ({"pattern": "^a"}, ["ab", "ba"]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, ["a", 1.5]),
    ({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}, [1]),  # a $ref loop
    ({"required": ["a"]}, [{"a": 1}, {"b": 1}]),
    ({"type": "integer"}, [1.5]),
    ({"enum": ["a"]}, ["a", "b"]),
])
def test_says_no_when_it_cannot_tell_or_one_is_invalid(schema: Any, facts: list[Any]) -> None:
    assert not all_valid(schema, facts)


@pytest.mark.parametrize(("kind", "name"), [
    ("deployments", "deployments.csv"), ("ci_runs", "ci_runs.csv"),
    ("changes", "pull_requests.jsonl"), ("teams", "teams.yaml"),
    ("incidents", "incidents.yaml"), ("services", "services.yaml"),
    ("goals", "goals.yaml"), ("iterations", "iterations.yaml"),
])
def test_the_example_tables_are_read_whole(kind: str, name: str) -> None:
    path = ROOT / "examples" / "acme" / "org" / name
    table = read_table(path.read_text("utf-8"), name, path.suffix, layout_of(kind, (kind,)))
    check = record_check(kind)
    assert check.every_small(table.records)
    assert _each_valid(check._engine_schema, table.records)
