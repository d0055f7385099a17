"""guardrails.smallschema answers what jsonschema-rs and jsonschema answer, or
leaves the instance (or the schema) to them.

A differential test on the strategies of tests/unit/test_fastvalid.py: random
records for every shipped data schema, random instances of the config, rule pack
and report schemas and of every builtin check's rule and override schemas, and
random schemas with random instances. Each is decided by the three engines:
jsonschema-rs as guardrails builds it for a data schema (patterns on Python's
re), jsonschema as :func:`guardrails.validation.make_validator` builds it, and
this one; where this one says ``Undecided`` the others decide, as in a run.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers import example_without_caches, fuzz_examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_fastvalid import _conditions, _facts, _records, _targets

from guardrails import fastvalid, ruleparams, smallschema, validation
from guardrails.smallschema import Undecided, compile_schema

_references: dict[str, Any] = {}
#: keywords the engine leaves to jsonschema-rs (the strategies use them)
_OUTSIDE = frozenset({"multipleOf", "contains", "dependentSchemas",
                      "unevaluatedProperties", "patternProperties"})


def _engines(schema: Any) -> tuple[Any, Any]:
    key = repr(schema)
    if key not in _references:
        _references[key] = (fastvalid._engine(schema, False),
                            validation.make_validator(schema).is_valid)
    return _references[key]  # type: ignore[no-any-return]


def _agree(schema: Any, instances: list[Any]) -> None:
    small = compile_schema(schema)
    if small is None:
        assert fastvalid.mentions(schema, _OUTSIDE) or _bad_pattern(schema) or \
            _big_number(schema), schema
        return
    rs, reference = _engines(schema)
    for instance in instances:
        try:
            got = small(instance)
        except Undecided:
            continue
        want = reference(instance)
        assert got is want, (schema, instance)
        if rs is not None:
            assert rs(instance) is want, (schema, instance)


def _bad_pattern(schema: Any) -> bool:
    """Whether a pattern of ``schema`` is one Python's re refuses (jsonschema-rs's
    keyword refuses it too: jsonschema decides that schema)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            p = node.get("pattern")
            if isinstance(p, str):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        re.compile(p)
                except re.error:
                    return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _big_number(schema: Any) -> bool:
    """Whether ``schema`` holds a number beyond 2**53 (or not finite): not read here."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif type(node) in (int, float) and not abs(node) <= 2**53:
            return True
    return False


def _builtin_rule_schemas() -> list[dict[str, Any]]:
    """Every builtin check's rule schema (with each metric's) and override schema."""
    from guardrails.collect import registered_checks, registered_metrics
    from guardrails.manager import create_manager

    pm = create_manager()
    checks, metrics = registered_checks(pm), registered_metrics(pm)
    out: list[dict[str, Any]] = []
    for check in checks.values():
        for metric in [None, *metrics.values()] if check.name == "metric" else [None]:
            out += [ruleparams.check_schema(check, metric),
                    ruleparams.override_schema(check, metric)]
    return out


_SCHEMAS = [validation.load_schema(n) for n in ("config", "rules")]


@pytest.mark.fuzz
@pytest.mark.parametrize(("name", "definition"), _targets())
@settings(max_examples=fuzz_examples(12), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_data_records_agree(name: str, definition: str | None, data: st.DataObject) -> None:
    root = validation.load_schema(name)
    schema = root["$defs"][definition] if definition else root
    engine_schema = ({"$defs": root["$defs"], "$ref": f"#/$defs/{definition}"} if definition
                     else root)
    _agree(engine_schema, [data.draw(_records(schema)) for _ in range(4)])


def test_every_schema_guardrails_ships_is_read() -> None:
    """The config, packs, org data, report and every builtin check's keys: none is left
    to jsonschema-rs (else a cold run would import it after all)."""
    for name in validation.SCHEMA_NAMES:
        assert compile_schema(validation.load_schema(name)) is not None, name
    for schema in _builtin_rule_schemas():
        assert compile_schema(schema) is not None, schema


@pytest.mark.fuzz
@pytest.mark.parametrize("which", ["config", "rules", "checks"])
@settings(max_examples=fuzz_examples(25), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_config_rule_and_check_schemas_agree(which: str, data: st.DataObject) -> None:
    schemas = _SCHEMAS[:1] if which == "config" else _SCHEMAS[1:] if which == "rules" else \
        _rule_schemas()
    schema = data.draw(st.sampled_from(schemas))
    _agree(schema, [data.draw(_records(schema)) for _ in range(3)])


_RULE_SCHEMAS: list[dict[str, Any]] = []


def _rule_schemas() -> list[dict[str, Any]]:
    if not _RULE_SCHEMAS:
        _RULE_SCHEMAS.extend(_builtin_rule_schemas())
    return _RULE_SCHEMAS


@pytest.mark.fuzz
@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@settings(max_examples=fuzz_examples(200), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schema=_conditions, facts=st.lists(_facts, min_size=1, max_size=8))
@example(schema={"type": "integer"}, facts=[1.0, 1.5, True, 0, -0.0])
@example(schema={"enum": [1, [0], {"a": 1}]}, facts=[True, 1.0, [False], [0.0], {"a": True}])
@example(schema={"uniqueItems": True},
         facts=[[1, 1.0], [1, True], [[0], [False]], [{"a": 1}, {"a": 1.0}], [None, None]])
def test_random_schemas_agree(schema: Any, facts: list[Any]) -> None:
    _agree(schema, facts)


@pytest.mark.parametrize("instance", [
    (1, 2), {1: "a"}, {"a": (1,)}, 2**60, float("nan"), float("inf"), "\ud800",
    {"\ud800": 1}, b"x", {1, 2},
])
def test_what_it_does_not_read_is_left_to_the_others(instance: Any) -> None:
    small = compile_schema({"type": "object", "additionalProperties": {"type": "array"},
                            "propertyNames": {"minLength": 1}, "minProperties": 0})
    items = compile_schema({"type": ["array", "integer", "number", "string"],
                            "items": {"type": "integer"}})
    assert small is not None and items is not None
    with pytest.raises(Undecided):
        small(instance) if isinstance(instance, dict) else items(instance)


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"$ref": "#"}}},
    {"$ref": "other.json"},
    {"properties": {"a": {"$id": "x", "type": "string"}}},
    {"format": "email"},
    {"pattern": r"\p{L}"},
    {"type": "date"},
    {"minLength": -1},
    {"$schema": "http://json-schema.org/draft-07/schema#"},
    {"unknownKeyword": 1},
])
def test_declines_what_it_does_not_read(schema: Any) -> None:
    assert compile_schema(schema) is None


def test_past_its_budget_jsonschema_rs_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    real = fastvalid._build_rs

    def build(schema: Any, rule: bool) -> Any:
        built.append(schema)
        return real(schema, rule)

    monkeypatch.setattr(fastvalid, "_build_rs", build)
    schema = {"type": "object", "required": ["budget-test"]}
    fast = fastvalid._build(schema, False)
    assert fast is not None
    monkeypatch.setattr(smallschema, "_used", 0)
    assert fast({"budget-test": 1}) is True and fast({}) is False
    assert built == []
    assert fast((1,)) is False  # undecided here: jsonschema-rs is built and asked
    assert built == [schema]
    fresh = fastvalid._build({"type": "object", "required": ["other"]}, False)
    assert fresh is not None
    monkeypatch.setattr(smallschema, "_used", smallschema.BUDGET)
    assert fresh({"other": 1}) is True and fresh({}) is False
    assert len(built) == 2


def test_a_cold_run_of_the_example_imports_no_schema_engine(tmp_path: Path) -> None:
    ran = example_without_caches(tmp_path)
    assert "jsonschema_rs" not in ran.modules and "jsonschema" not in ran.modules, ran.output
