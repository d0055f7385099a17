"""The schema compiler answers what jsonschema answers, or declines (None)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import validation
from guardrails.fastschema import compile_schema

Draft = jsonschema.Draft202012Validator


def agrees(schema: Any, instance: Any) -> None:
    compiled = compile_schema(schema)
    assert compiled is not None, schema
    assert compiled(instance) is Draft(schema).is_valid(instance), (schema, instance)


# ---------------------------------------------------------------------------
# random schemas and instances
# ---------------------------------------------------------------------------

NAMES = ["a", "b", "c"]
TYPES = ["string", "object", "array", "boolean", "null", "number", "integer"]

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, -2.0, 2.5, 3.0]),
    st.sampled_from(["", "a", "b", "ab", "ba", "7", "abc", "xx"]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from([*NAMES, "z"]), inner, max_size=3),
    max_leaves=8,
)
# Scalars half of the time, so that bounds are met exactly now and then.
_instance = st.one_of(_scalars, _json)
_number = st.one_of(st.integers(-2, 3), st.sampled_from([0.5, 1.0, 2.5]))
_count = st.integers(0, 3)

_KEYWORDS: dict[str, st.SearchStrategy[Any]] = {
    "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), min_size=1, max_size=3,
                                               unique=True),
    "enum": st.lists(_scalars, max_size=4),
    "const": _json,
    "minimum": _number, "maximum": _number,
    "exclusiveMinimum": _number, "exclusiveMaximum": _number,
    "minLength": _count, "maxLength": _count, "minItems": _count, "maxItems": _count,
    "pattern": st.sampled_from(["^a", "b$", "[0-9]", "^$", "a+b", "^(a|b)*$"]),
    "required": st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
    "additionalProperties": st.booleans(),
    "title": st.just("annotations are ignored"),
}


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out


# Few keywords a schema, so that instances often pass the others and reach
# the boundary of the one under test.
_one_keyword = st.one_of(*(st.fixed_dictionaries({k: v}) for k, v in _KEYWORDS.items()))
_leaf_keywords = st.lists(_one_keyword, max_size=2).map(_merged)


def _composite(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    subs = st.lists(children, min_size=1, max_size=3)
    nested = st.one_of(
        st.fixed_dictionaries({"properties": st.dictionaries(st.sampled_from(NAMES), children,
                                                             min_size=1, max_size=3)}),
        st.fixed_dictionaries({"items": children}),
        st.fixed_dictionaries({"anyOf": subs}), st.fixed_dictionaries({"allOf": subs}),
        st.fixed_dictionaries({"oneOf": subs}), st.fixed_dictionaries({"not": children}),
    )
    return st.builds(lambda base, more: {**base, **more}, _leaf_keywords, nested)


_schemas = st.recursive(st.booleans() | _leaf_keywords, _composite, max_leaves=6)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=_schemas, instances=st.lists(_instance, min_size=1, max_size=10))
def test_compiled_schema_agrees_with_jsonschema(schema: Any, instances: list[Any]) -> None:
    compiled = compile_schema(schema)
    assert compiled is not None, schema  # every keyword drawn here is in the subset
    validator = Draft(schema)
    for instance in instances:
        verdict = compiled(instance)
        if verdict:  # the promise callers rely on: accepted means valid
            assert validator.is_valid(instance), (schema, instance)
        assert verdict is validator.is_valid(instance), (schema, instance)


@pytest.mark.parametrize("name", [
    "teams", "services", "deployments", "incidents", "changes", "ci_runs",
    "iterations", "goals", "postmortems", "survey_answers",
])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_shipped_data_schemas_agree_exactly(name: str, data: st.DataObject) -> None:
    schema = validation.load_schema(name)
    fields = sorted(schema["properties"]) + ["other"]
    record = data.draw(st.dictionaries(st.sampled_from(fields), _json, max_size=6))
    # Mostly well-typed values, so the fields' own checks are reached too.
    for field, sub in schema["properties"].items():
        if field in record or data.draw(st.booleans()):
            kind = sub.get("type", "string")
            kind = kind[0] if isinstance(kind, list) else kind
            good = {"string": st.sampled_from(["x", "success", "SEV2", "APPROVED", "open"]),
                    "integer": st.integers(-1, 9), "number": st.floats(-1, 9),
                    "array": st.lists(st.dictionaries(st.sampled_from(
                        ["user", "state", "handle", "title", "status", "due", "metric"]),
                        _scalars, max_size=3), max_size=2)}.get(kind, _json)
            record[field] = data.draw(good | _json)
    expected = Draft(schema).is_valid(record)
    compiled = compile_schema(schema)
    assert compiled is not None
    assert compiled(record) is expected


# ---------------------------------------------------------------------------
# chosen cases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("schema", "instance", "valid"), [
    ({"type": "integer"}, 3.0, True),  # JSON Schema: 3.0 is an integer
    ({"type": "integer"}, True, False),  # but a boolean is not
    ({"type": "number"}, False, False),
    ({"enum": [1, "a"]}, 1.0, True),
    ({"enum": [1]}, True, False),
    ({"enum": [False]}, 0, False),
    ({"enum": [[1, True]]}, [1.0, True], True),
    ({"enum": [[1, True]]}, [1, 1], False),
    ({"const": {"a": [1]}}, {"a": [1.0]}, True),
    ({"const": None}, 0, False),
    ({"const": "x"}, ["x"], False),
    ({"enum": ["a", "b"]}, ["a"], False),  # unhashable, not an error
    ({"pattern": "b"}, "abc", True),  # search, not match
    ({"pattern": "^b"}, 5, True),  # only strings are matched
    ({"minLength": 2}, "é", False),  # code points
    ({"minimum": 2}, "1", True),
    ({"exclusiveMaximum": 2}, 2.0, False),
    ({"required": ["a"]}, [], True),  # only objects need properties
    ({"required": ["a", "b"]}, {"a": 1}, False),
    ({"required": ["a", "b"]}, {"b": 1}, False),
    ({"properties": {"a": False}}, {"b": 1}, True),
    ({"properties": {"a": False}}, {"a": None}, False),
    ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "b": 2}, False),
    ({"additionalProperties": False}, {}, True),
    ({"items": False}, [], True),
    ({"items": False}, [1], False),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1, False),
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 1, True),
    ({"not": {"type": "string"}}, "a", False),
    (True, {"anything": 1}, True),
    (False, None, False),
])
def test_chosen_cases(schema: Any, instance: Any, valid: bool) -> None:
    assert Draft(schema).is_valid(instance) is valid  # the reference, checked too
    agrees(schema, instance)


TREE = {
    "$defs": {"node": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"},
                       "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
    }},
    "$ref": "#/$defs/node",
}


@pytest.mark.parametrize("instance", [
    {"name": "root"},
    {"name": "root", "children": [{"name": "a"}, {"name": "b", "children": [{"name": "c"}]}]},
    {"name": "root", "children": [{"name": "a", "children": [{"name": 7}]}]},
    {"name": "root", "children": [{}]},
])
def test_recursive_ref(instance: Any) -> None:
    agrees(TREE, instance)


def test_ref_to_the_root_and_escaped_pointers() -> None:
    schema = {"$defs": {"a/b": {"type": "integer"}, "m~n": {"minimum": 3}},
              "properties": {"x": {"$ref": "#/$defs/a~1b"}, "y": {"$ref": "#/$defs/m~0n"},
                             "self": {"$ref": "#"}}}
    for instance in [{"x": 1, "y": 3}, {"x": "1"}, {"y": 2}, {"self": {"self": {"x": 1.5}}},
                     {"self": {"self": {"x": 2}}}]:
        agrees(schema, instance)


def test_deep_nesting_compiles() -> None:
    schema: Any = {"type": "integer"}
    instance: Any = 1
    for i in range(30):
        schema = {"type": "array", "items": {"properties": {f"k{i}": schema}}, "minItems": 1}
        instance = [{f"k{i}": instance}]
    agrees(schema, instance)
    bad = instance
    for _ in range(30):
        bad = next(iter(bad[0].values()))
    assert bad == 1  # the innermost value; now make it wrong
    agrees(schema, _replace_innermost(instance, "one"))


def _replace_innermost(value: Any, new: Any) -> Any:
    if isinstance(value, list):
        return [_replace_innermost(value[0], new)]
    if isinstance(value, dict):
        return {k: _replace_innermost(v, new) for k, v in value.items()}
    return new


@pytest.mark.parametrize("schema", [
    {"format": "date-time"},
    {"properties": {"x": {"format": "email"}}},
    {"patternProperties": {"^a": {}}},
    {"additionalProperties": {"type": "string"}},
    {"uniqueItems": True},
    {"prefixItems": [{}]},
    {"$ref": "other.json#/x"},
    {"$ref": "#/$defs/missing"},
    {"$id": "https://example.com/s", "type": "string"},
    {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"},
    {"pattern": "(unclosed"},
    {"type": "strng"},
    {"minimum": "3"},
    {"minLength": -1},
    {"enum": [float("nan")]},
    {"anyOf": []},
    {"if": {"type": "string"}, "then": {"minLength": 1}},
    {"items": [{"type": "string"}]},
    "not a schema",
])
def test_declines_what_it_does_not_translate(schema: Any) -> None:
    assert compile_schema(schema) is None


def test_compiled_once_per_schema() -> None:
    schema = {"type": "object", "required": ["id"]}
    first = compile_schema(schema)
    assert first is not None
    assert compile_schema({"type": "object", "required": ["id"]}) is first
    assert compile_schema({"type": "object", "required": ["ID"]}) is not first
    # 1 and True print differently, so they never share a compiled check.
    assert compile_schema({"const": 1})(1) is True  # type: ignore[misc]
    assert compile_schema({"const": True})(1) is False  # type: ignore[misc]
