"""jsonschema-rs (the fast path) answers what jsonschema answers, or is not used.

A differential test: random records for every shipped data schema, random
rule conditions (``where``/``expect``) with random facts, each decided by both
engines. jsonschema is the reference: for data schemas the validator
:func:`guardrails.validation.make_validator` builds, for rule conditions the
RE2-backed :func:`~guardrails.validation.make_rule_validator`.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from helpers import fuzz_examples, python_in_child
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from guardrails import fastvalid, validation
from guardrails.checks.conditions import condition_problems
from guardrails.fastvalid import predicate

DATA_SCHEMAS = ["teams", "services", "deployments", "incidents", "changes", "ci_runs",
                "iterations", "goals", "postmortems", "survey_answers"]

# Text where RE2, ECMA-262 and Python disagree: Unicode digits, letters and
# spaces, line separators, a Kelvin sign for case folding.
_TEXT = st.sampled_from([
    "", "a", "b", "ab", "ba", "7", "abc", "xx", "A", "K", "\u212a", "é", "\u0663", "\u00a0",
    " ", "\t", "a\n", "\n", "\u2028", "a b", "SEV1", "2026-10-01", "success", "x_y",
])
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10), st.floats(-2, 9, allow_nan=False),
    st.sampled_from([0.0, 1.0, 2.0, -2.0, 2.5, 3.0, 0.3, 2**70, -(2**64)]), _TEXT,
)
_KEYS = ["a", "b", "c", "id", "user", "state", "title", "status", "due", "x"]
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3),
    max_leaves=8,
)


_references: dict[str, Any] = {}


def _jsonschema(schema: Any, rule: bool) -> Any:
    """The reference validator, built once per schema: building it costs more than a check."""
    key = f"{rule}:{schema!r}"
    if key not in _references:
        make = validation.make_rule_validator if rule else validation.make_validator
        _references[key] = make(schema)
    return _references[key]


def _agree(schema: Any, instances: list[Any], rule: bool) -> None:
    fast = predicate(schema, rule=rule)
    if fast is None:
        # Left to jsonschema on purpose (nothing to compare), and only then.
        assert fastvalid.mentions(schema, fastvalid._JSONSCHEMA_ONLY), schema
        return
    reference = _jsonschema(schema, rule)
    for instance in instances:
        assert fast(instance) is reference.is_valid(instance), (schema, instance)


# ---------------------------------------------------------------------------
# shipped data schemas: random records, valid and invalid
# ---------------------------------------------------------------------------


def _good(sub: Any) -> st.SearchStrategy[Any]:
    """Mostly well-typed values for a property, so its own checks are reached."""
    if "enum" in sub:
        return st.sampled_from(sub["enum"])
    kind = sub.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    return {"string": _TEXT, "integer": st.integers(-1, 12), "number": st.floats(-1, 12),
            "boolean": st.booleans(),
            "array": st.lists(st.dictionaries(st.sampled_from(
                ["user", "state", "handle", "title", "status", "due", "metric", "target"]),
                _scalars | _TEXT, max_size=4), max_size=2)}.get(kind, _json)


def _targets() -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for name in DATA_SCHEMAS:
        out.append((name, None))
        out += [(name, d) for d in validation.load_schema(name).get("$defs", {})]
    return out


def _without(record: dict[str, Any], extra: dict[str, Any], gone: set[str]) -> dict[str, Any]:
    out = {**record, **extra}
    for name in gone:
        out.pop(name, None)
    return out


def _records(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Records near the schema's boundary: fields mostly well typed, some wrong,
    unknown or missing; now and then not a record at all."""
    props = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if not props:  # a scalar definition (a survey score)
        return st.one_of(_good(schema), _json)

    def fields(value: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {f: v for f, v in value.items() if f in required},
            optional={f: v for f, v in value.items() if f not in required})

    typed = fields({f: _good(sub) for f, sub in props.items()})
    near = st.builds(
        _without,
        fields({f: _good(sub) | _json for f, sub in props.items()}),
        st.dictionaries(st.sampled_from([*props, "other"]), _json, max_size=2),
        st.sets(st.sampled_from([*props, "other"]), max_size=1),
    )
    return st.one_of(typed, near, near, _json)


@pytest.mark.fuzz
@pytest.mark.parametrize(("name", "definition"), _targets())
@settings(max_examples=fuzz_examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_data_records_agree(name: str, definition: str | None, data: st.DataObject) -> None:
    root = validation.load_schema(name)
    record = data.draw(_records(root["$defs"][definition] if definition else root))
    schema = root
    if definition:
        pointer = definition.replace("~", "~0").replace("/", "~1")
        schema = {"$defs": root["$defs"], "$ref": f"#/$defs/{pointer}"}
    _agree(schema, [record], rule=False)


@pytest.mark.fuzz
@pytest.mark.parametrize(("name", "definition"), _targets())
@settings(max_examples=fuzz_examples(40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_item_is_each_item(name: str, definition: str | None,
                                 data: st.DataObject) -> None:
    """A list's one-call verdict is True exactly when every record is valid to
    ``predicate`` (and so to jsonschema), for every shipped data schema."""
    root = validation.load_schema(name)
    records = data.draw(st.lists(_records(root["$defs"][definition] if definition else root),
                                 max_size=4))
    schema = root
    if definition:
        pointer = definition.replace("~", "~0").replace("/", "~1")
        schema = {"$defs": root["$defs"], "$ref": f"#/$defs/{pointer}"}
    every = fastvalid.every_item(schema)
    assert every is not None  # every shipped data schema can be checked in one call
    one = predicate(schema)
    assert one is not None
    assert every(records) is all(one(r) for r in records), records


def test_every_item_cannot_read_is_no() -> None:
    """An item jsonschema-rs cannot read is a no (each item is then asked), not an error."""
    from datetime import datetime

    every = fastvalid.every_item(validation.load_schema("deployments"))
    assert every is not None
    good = {"id": "d-1", "service": "api", "finished_at": "2026-10-01T10:00:00Z",
            "status": "success"}
    assert every([good, good]) is True
    assert every([good, {**good, "finished_at": datetime(2026, 10, 1)}]) is False
    assert every([good, {**good, "status": 3}]) is False
    assert every([]) is True
    assert every([good] * 1200) is True  # in slices
    assert every([good] * 1100 + [{**good, "status": 3}]) is False


@pytest.mark.parametrize("schema", [
    {"$id": "https://example.com/s", "type": "object"},
    {"type": "object", "properties": {"a": {"$ref": "#"}}},
    {"type": "object", "properties": {"a": {"$ref": "other.json"}}},
    {"$defs": {"x": {"$anchor": "x"}}, "$ref": "#x"},
    {"type": "object", "patternProperties": {"^a": {"type": "string"}}},
])
def test_every_item_declines_what_a_move_could_change(schema: Any) -> None:
    """A schema whose meaning may depend on where it sits is checked item by item."""
    assert fastvalid.every_item(schema) is None


# ---------------------------------------------------------------------------
# rule conditions: random schemas, random facts
# ---------------------------------------------------------------------------

TYPES = ["string", "object", "array", "boolean", "null", "number", "integer"]
_number = st.one_of(st.integers(-2, 3), st.sampled_from([0.5, 1.0, 2.5]))
_count = st.integers(0, 3)
_name = st.sampled_from(["a", "b", "c"])
# RE2 syntax, with the classes whose meaning differs between engines.
_pattern = st.sampled_from([
    "^a", "b$", "[0-9]", "^$", "a+b", "^(a|b)*$", r"^\s$", r"\s", r"\S", r"\bb", r"\Bb",
    r"^\d$", r"\w", r"^\W$", "^.$", "(?i)k", "(?i)^é$", "(?s)a.", r"\pL", r"\p{Greek}",
    "[[:alpha:]]", r"\Qa.b\E", "(?P<n>a)b", "^(a+)+$", r"\x{212a}", "^[^a]$",
])

_KEYWORDS: dict[str, st.SearchStrategy[Any]] = {
    "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), min_size=1, max_size=3,
                                               unique=True),
    "enum": st.lists(_scalars, max_size=4),
    "const": _json,
    "minimum": _number, "maximum": _number,
    "exclusiveMinimum": _number, "exclusiveMaximum": _number,
    "multipleOf": st.sampled_from([1, 2, 3, 0.5, 0.1]),
    "minLength": _count, "maxLength": _count, "minItems": _count, "maxItems": _count,
    "minProperties": _count, "maxProperties": _count,
    "pattern": _pattern,
    "required": st.lists(_name, max_size=2, unique=True),
    "dependentRequired": st.dictionaries(_name, st.lists(_name, max_size=2, unique=True),
                                         max_size=2),
    "uniqueItems": st.booleans(),
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
_leaf = st.lists(_one_keyword, max_size=2).map(_merged)


def _composite(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    subs = st.lists(children, min_size=1, max_size=3)
    one = st.fixed_dictionaries
    nested = st.one_of(
        one({"properties": st.dictionaries(_name, children, min_size=1, max_size=3)}),
        one({"items": children}), one({"prefixItems": subs}), one({"contains": children}),
        one({"anyOf": subs}), one({"allOf": subs}), one({"oneOf": subs}), one({"not": children}),
        one({"if": children, "then": children}), one({"if": children, "else": children}),
        one({"propertyNames": children}), one({"additionalProperties": children}),
        one({"dependentSchemas": st.dictionaries(_name, children, min_size=1, max_size=2)}),
        one({"properties": st.dictionaries(_name, children, min_size=1, max_size=2),
             "unevaluatedProperties": st.booleans()}),
    )
    return st.builds(lambda base, more: {**base, **more}, _leaf, nested)


_bodies = st.recursive(st.booleans() | _leaf, _composite, max_leaves=6)
# A $ref into the root's $defs, from the root or from a property.
_conditions = st.one_of(
    _bodies,
    st.builds(lambda d: {"$defs": {"d": d}, "$ref": "#/$defs/d"}, _bodies),
    st.builds(lambda d, a: {"$defs": {"d": d}, "properties": {"a": {"$ref": "#/$defs/d"}, "b": a}},
              _bodies, _bodies),
)
_facts = st.one_of(_scalars, _json, st.dictionaries(_name, _json, max_size=3))


@pytest.mark.fuzz
# Python's re (jsonschema's "regex" format) frowns at RE2's [[:alpha:]]; RE2 runs it.
@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@settings(max_examples=fuzz_examples(500), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(schema=_conditions, facts=st.lists(_facts, min_size=1, max_size=8))
# Found by this test: the engines divide floats differently (fastvalid's docstring).
@example(schema={"multipleOf": 0.1}, facts=[0.3])
def test_rule_conditions_agree(schema: Any, facts: list[Any]) -> None:
    assume(not condition_problems("where", schema, None))  # what a rule may hold
    _agree(schema, facts, rule=True)


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
    ({"const": {"a": [1]}}, {"a": [1.0]}, True),
    ({"const": None}, 0, False),
    ({"pattern": "b"}, "abc", True),  # search, not match
    ({"pattern": "^b"}, 5, True),  # only strings are matched
    # (data, rule): a data schema's patterns run on Python's re, a rule's on RE2.
    ({"pattern": r"^\s$"}, "\u00a0", (True, False)),  # RE2's \s is ASCII; ECMA's is not
    ({"pattern": r"\bx"}, "éx", (False, True)),  # RE2's \b is ASCII
    ({"pattern": "^.$"}, "\u2028", (True, True)),  # ECMA's . stops at line separators
    ({"minLength": 2}, "é", False),  # code points
    ({"type": "integer", "minimum": 0}, 2**70, True),  # big integers
    ({"maximum": 2**64}, 2**64 + 1, False),
    ({"minimum": 0}, float("nan"), True),  # no comparison with NaN fails
    ({"type": "string"}, ("a",), False),  # a tuple is not JSON
    ({"properties": {"a": {"type": "string"}}}, {"a": b"x"}, False),  # nor bytes: jsonschema
    ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, 2: 2}, False),
    # A lone surrogate (from an HTTP answer): jsonschema-rs below 0.44 failed with SystemError.
    ({"properties": {"a": {"maximum": 5}}}, {"a": "bad\ud800"}, True),
    ({"properties": {"a": {"maximum": 5}}}, {"bad\ud800": 9}, True),
    (True, {"anything": 1}, True),
    (False, None, False),
])
def test_chosen_cases(schema: Any, instance: Any, valid: bool | tuple[bool, bool]) -> None:
    for rule in (False, True):
        expected = valid[rule] if isinstance(valid, tuple) else valid
        assert _jsonschema(schema, rule).is_valid(instance) is expected  # the reference
        _agree(schema, [instance], rule)


def test_catastrophic_pattern_is_linear() -> None:
    """In a child process with a hang guard: a backtracking engine would hang the
    child (killed, the test failed as "hung"), never the suite."""
    out = python_in_child("""
        from guardrails.fastvalid import predicate

        fast = predicate({"pattern": "^(a+)+$"}, rule=True)
        print(fast is not None and fast("a" * 100_000 + "b"))
    """)
    assert out == "False\n"


@pytest.mark.parametrize("schema", [
    {"format": "date-time"},  # jsonschema's format checker depends on optional packages
    {"properties": {"x": {"format": "email"}}},
    {"patternProperties": {"^a": {}}},  # keys would be matched with ECMA-262 semantics
    {"$ref": "https://example.invalid/s.json"},  # never fetched
    {"pattern": "(unclosed"},
    {"type": "strng"},
])
def test_declines_what_jsonschema_decides(schema: Any) -> None:
    assert predicate(schema) is None
    assert predicate(schema, rule=True) is None


@pytest.mark.parametrize("rule", [False, True])
@pytest.mark.parametrize("value", [
    "2026-11-20", "2024-02-29", "2026-02-29", "2026-02-30", "2026-13-01", "2026-1-01",
    "2026-11-20\n", " 2026-11-20", "20261120", "2026-11-20T00:00:00Z", "\uff12026-11-20",
    "0000-01-01", "", 20261120, None,
])
def test_date_format_agrees_with_jsonschema(value: Any, rule: bool) -> None:
    """``format: date`` (the config's waivers) is decided here as jsonschema decides it."""
    schema = {"format": "date"}
    fast = predicate(schema, rule=rule)
    assert fast is not None
    assert fast(value) is validation.make_validator(schema).is_valid(value)


def test_built_once_per_schema() -> None:
    first = predicate({"type": "object", "required": ["id"]})
    assert first is not None
    assert predicate({"type": "object", "required": ["id"]}) is first
    assert predicate({"type": "object", "required": ["id"]}, rule=True) is not first
    # 1 and True print differently, so they never share a validator.
    assert predicate({"const": 1})(1) is True  # type: ignore[misc]
    assert predicate({"const": True})(1) is False  # type: ignore[misc]


def test_jsonschema_rs_is_imported_only_to_validate() -> None:
    code = (
        "import runpy, sys\n"
        "sys.argv = ['guardrails', '--version']\n"
        "try:\n"
        "    runpy.run_module('guardrails', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('jsonschema_rs' in sys.modules)\n"
        "from guardrails.fastvalid import predicate\n"
        "fast = predicate({'type': 'object'})\n"
        "print(fast({}), 'jsonschema_rs' in sys.modules)\n"
        "print(fast((1, 2)), 'jsonschema_rs' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    # A plain instance is answered by guardrails.smallschema (a run's first ones); one it
    # does not read (a tuple) by jsonschema-rs, imported then.
    assert out[-5:] == ["False", "True", "False", "False", "True"], out


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"type": "string"}}},
    {"type": "strng"}, {"minimum": "x"}, {"required": "a"}, {"properties": {"a": 3}},
    {"enum": []}, {"items": [1]}, {"not": {"type": ["string", "string"]}},
    {"anyOf": []}, {"minLength": -1}, {"multipleOf": 0}, {"const": None},
])
def test_rule_condition_metaschema_check_agrees_with_jsonschema(schema: Any) -> None:
    """A rule's where/expect is checked against the metaschema by jsonschema-rs
    first; jsonschema is asked only for a no (to word it)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from guardrails.checks.conditions import _meta_valid

    try:
        Draft202012Validator.check_schema(schema)
        valid = True
    except SchemaError:
        valid = False
    assert _meta_valid(schema) is valid
