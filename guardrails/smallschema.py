"""A small JSON Schema engine in Python for the first few instances of a run.

A run whose caches are empty (a CI job's first run) or off validates its
config, every rule of the builtin packs and the example org's records: a few
hundred small instances. jsonschema-rs answers each in microseconds, but
importing it costs ~11 ms of CPU (its module imports ``email``, ``decimal``,
``socket``, ``random`` and ``calendar``) and building its 28 validators ~3
ms more, ~10% of such a run. This engine answers the same yes or no for the
schemas guardrails ships (data, config, rule packs, the checks' own keys)
without either, and is used for the first :data:`BUDGET` instances of a
process (:func:`guardrails.fastvalid.predicate`); past that, or for any
schema or instance outside what it reads exactly, jsonschema-rs answers as
before. jsonschema stays the authority on the words of an error, as ever.

What it reads (Draft 2020-12, as :mod:`guardrails.fastvalid` builds
jsonschema-rs for a shipped data schema): ``type``, ``enum``, ``const``,
``properties``, ``additionalProperties``, ``required``, ``propertyNames``,
``minProperties``/``maxProperties``, ``dependentRequired``, ``items``,
``prefixItems``, ``minItems``/``maxItems``, ``uniqueItems``, ``minLength``/``maxLength``,
``pattern`` (Python's ``re``, as fastvalid's custom keyword, or the same answer by
string methods, :mod:`guardrails.schemapatterns`), ``format:
date`` (as fastvalid's custom keyword), ``minimum``, ``maximum``,
``exclusiveMinimum``, ``exclusiveMaximum``, ``allOf``, ``anyOf``,
``oneOf``, ``not``, ``if``/``then``/``else``, a ``$ref`` to
``#/$defs/NAME`` of the root, boolean schemas, and the annotations
(``title``, ``description``, ``default``, ``examples``, ``$comment``, the
root's ``$schema`` and ``$id``). Any other keyword, a ``$id`` below the root,
or a value of a keyword that is not what the draft allows, and
:func:`compile_schema` gives None: jsonschema-rs decides that schema.

Instances are read as JSON (:mod:`guardrails.smalljson`): ``dict`` with ``str``
keys, ``list``, ``str``, ``int``, ``float``, ``bool`` and ``None``, of exactly
those types (a tuple, a date, a subclass are undecided, :class:`Undecided`, and
jsonschema-rs or jsonschema decide them as before); an integer beyond 2**53, a
NaN or an infinity, a string with a lone surrogate likewise. Numbers compare as
JSON numbers (``1 == 1.0``, ``true`` is not ``1``), strings' lengths count code
points. tests/unit/test_smallschema.py holds its answers equal to
jsonschema-rs's and jsonschema's on random instances of every schema
guardrails ships and on random schemas.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from guardrails.schemapatterns import SEARCHES, is_date
from guardrails.smalljson import (
    BIG,
    JSON_TYPES,
    Undecided,
    checked_text,
    json_equal,
    json_type,
    text_items,
    text_keys,
    unique_items,
)

__all__ = ["BUDGET", "Undecided", "compile_schema", "take"]

#: instances a process answers here before jsonschema-rs takes over: a cold run of
#: the example org validates ~700; a big org's thousands go to the faster engine
BUDGET = 2000

Check = Callable[[Any], bool]
_used = 0


def take() -> bool:
    """Count one instance against :data:`BUDGET`; False once it is spent."""
    global _used
    _used += 1
    return _used <= BUDGET


class _Refused(Exception):
    """A schema this engine does not read exactly."""


#: keywords that only annotate
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment",
                          "deprecated", "readOnly", "writeOnly"})
_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def compile_schema(schema: Any) -> Check | None:
    """``is_valid`` of ``schema`` (raising :class:`Undecided` for an instance it does
    not read), or None when the schema holds anything this engine does not read."""
    try:
        return _Compiler(schema).root()
    except (_Refused, RecursionError):
        return None


@functools.lru_cache(maxsize=256)
def _search(pattern: str) -> Callable[[str], bool]:
    """Whether ``re.search(pattern, text)`` finds a match: by string methods for the
    config schema's patterns (:mod:`guardrails.schemapatterns`, no compile), else by
    the compiled regex (raising re.error for a pattern Python cannot compile)."""
    known = SEARCHES.get(pattern)
    if known is not None:
        return known
    search = re.compile(pattern).search
    return lambda text: search(text) is not None


#: fastvalid's ``format: date`` keyword (jsonschema's ``is_date``)
_is_date = is_date


def _plain(value: Any, depth: int = 0) -> None:
    """Refuse a schema value (an enum's, a const's) that is not plain JSON."""
    if depth > 32:
        raise _Refused("nested too deep")
    try:
        kind = json_type(value)
    except Undecided:
        raise _Refused("not plain data") from None
    if kind == "array":
        for v in value:
            _plain(v, depth + 1)
    elif kind == "object":
        for v in value.values():
            _plain(v, depth + 1)


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise _Refused("not a non-negative integer")
    return int(value)


def _limit(value: Any) -> float | int:
    if type(value) not in (int, float) or not math.isfinite(value) or abs(value) > BIG:
        raise _Refused("not a number")
    return value  # type: ignore[no-any-return]


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root_schema = root
        self.refs: dict[str, list[Check]] = {}

    def root(self) -> Check:
        if isinstance(self.root_schema, dict):
            for key in ("$schema", "$id"):
                if key in self.root_schema and not isinstance(self.root_schema[key], str):
                    raise _Refused(key)
            schema = self.root_schema.get("$schema")
            if schema is not None and "2020-12" not in schema:
                raise _Refused("another draft")
        return self.build(self.root_schema, top=True)

    def ref(self, target: Any) -> Check:
        if not isinstance(target, str) or not target.startswith("#/$defs/"):
            raise _Refused("a $ref other than #/$defs/NAME")
        name = target[len("#/$defs/"):]
        if not name or "/" in name or "~" in name or "%" in name:
            raise _Refused("an escaped $ref")
        defs = self.root_schema.get("$defs") if isinstance(self.root_schema, dict) else None
        if not isinstance(defs, dict) or name not in defs:
            raise _Refused("a $ref to nothing")
        if name not in self.refs:
            holder: list[Check] = []
            self.refs[name] = holder  # a recursive $ref finds the holder filled later
            holder.append(self.build(defs[name]))
        holder = self.refs[name]
        return lambda v: holder[0](v)

    def build(self, schema: Any, top: bool = False) -> Check:
        """One schema's check: the instance's JSON type found once, then the keywords
        that apply to that type."""
        if schema is True:
            return lambda v: json_type(v) is not None
        if schema is False:
            return lambda v: json_type(v) is None
        if not isinstance(schema, dict):
            raise _Refused("a schema that is not an object")
        by_kind: dict[str, list[Check]] = {}
        for key in schema:
            if key in _ANNOTATIONS:
                continue
            if key in ("$schema", "$id", "$defs"):
                if not top:
                    raise _Refused(f"{key} below the root")
                continue
            if key in ("then", "else", "additionalProperties"):
                continue  # with "if", and with "properties", below
            kind, check = self.keyword(key, schema[key], schema)
            by_kind.setdefault(kind, []).append(check)
        if "additionalProperties" in schema:
            by_kind.setdefault("object", []).append(self.additional(schema))
        return _dispatch(by_kind)

    def keyword(self, key: str, value: Any,  # noqa: C901, PLR0911, PLR0912
                schema: dict[str, Any]) -> tuple[str, Check]:
        """(the JSON type it applies to, or "any"; its check of such an instance)."""
        if key == "type":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not names or not set(names) <= _TYPES:
                raise _Refused("type")
            wanted = frozenset(names)
            if "number" in wanted:
                wanted = wanted | {"integer"}
            return "type", wanted  # type: ignore[return-value] # a set, read by _dispatch
        if key == "enum":
            if not isinstance(value, list):
                raise _Refused("enum")
            _plain(value)
            if value and all(type(e) is str for e in value):
                # The usual enum (a status, a state): text against text is ==, as
                # json_equal finds it; any other value is json_equal's to judge.
                members = frozenset(value)

                def text_enum(v: Any) -> bool:
                    if type(v) is str:
                        if not v.isascii():
                            checked_text(v)
                        return v in members
                    return any(json_equal(v, e) for e in value)

                return "any", text_enum
            return "any", lambda v: any(json_equal(v, e) for e in value)
        if key == "const":
            _plain(value)
            return "any", lambda v: json_equal(v, value)
        if key == "properties":
            if not isinstance(value, dict):
                raise _Refused("properties")
            subs = {name: self.build(sub) for name, sub in value.items()}

            def properties(v: dict[str, Any]) -> bool:
                for name, item in v.items():
                    check = subs.get(name) if type(name) is str else None
                    if check is not None and not check(item):
                        return False
                return True

            return "object", properties
        if key == "required":
            if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                raise _Refused("required")
            names = frozenset(value)
            return "object", lambda v: v.keys() >= names  # every name a key
        if key == "propertyNames":
            sub = self.build(value)
            return "object", lambda v: all(sub(k) for k in text_keys(v))
        if key in ("minProperties", "maxProperties"):
            n = _count(value)
            if key == "minProperties":
                return "object", lambda v: len(text_keys(v)) >= n
            return "object", lambda v: len(text_keys(v)) <= n
        if key == "dependentRequired":
            if not isinstance(value, dict) or not all(
                    isinstance(vs, list) and all(isinstance(n, str) for n in vs)
                    for vs in value.values()):
                raise _Refused("dependentRequired")
            deps = tuple((k, tuple(vs)) for k, vs in value.items())
            return "object", lambda v: all(
                all(n in v for n in needs) for k, needs in deps if k in v)
        if key == "items":
            sub = self.build(value)
            skip = len(schema["prefixItems"]) if isinstance(schema.get("prefixItems"),
                                                            list) else 0
            return "array", lambda v: all(sub(x) for x in v[skip:])
        if key == "prefixItems":
            if not isinstance(value, list):
                raise _Refused("prefixItems")
            firsts = tuple(self.build(sub) for sub in value)
            return "array", lambda v: all(
                check(x) for check, x in zip(firsts, v, strict=False))
        if key == "uniqueItems":
            if type(value) is not bool:
                raise _Refused("uniqueItems")
            return "array", unique_items if value else _yes
        if key in ("minItems", "maxItems"):
            n = _count(value)
            if key == "minItems":
                return "array", lambda v: len(v) >= n
            return "array", lambda v: len(v) <= n
        if key in ("minLength", "maxLength"):
            n = _count(value)
            if key == "minLength":
                return "string", lambda v: len(v) >= n
            return "string", lambda v: len(v) <= n
        if key == "pattern":
            if not isinstance(value, str):
                raise _Refused("pattern")
            try:
                search = _search(value)
            except re.error:
                raise _Refused("a pattern Python cannot compile") from None
            return "string", search
        if key == "format":
            if value != "date":
                raise _Refused("a format other than date")
            return "string", _is_date
        if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            limit = _limit(value)
            compare: Check = {
                "minimum": lambda v: v >= limit, "maximum": lambda v: v <= limit,
                "exclusiveMinimum": lambda v: v > limit,
                "exclusiveMaximum": lambda v: v < limit}[key]
            return "number", compare
        if key in ("allOf", "anyOf", "oneOf"):
            if not isinstance(value, list) or not value:
                raise _Refused(key)
            subs_list = tuple(self.build(sub) for sub in value)
            if key == "allOf":
                return "any", lambda v: all(check(v) for check in subs_list)
            if key == "anyOf":
                return "any", lambda v: any(check(v) for check in subs_list)
            return "any", lambda v: sum(1 for check in subs_list if check(v)) == 1
        if key == "not":
            sub = self.build(value)
            return "any", lambda v: not sub(v)
        if key == "if":
            cond = self.build(value)
            then = self.build(schema["then"]) if "then" in schema else None
            other = self.build(schema["else"]) if "else" in schema else None

            def if_then_else(v: Any) -> bool:
                if cond(v):
                    return then is None or then(v)
                return other is None or other(v)

            return "any", if_then_else
        if key == "$ref":
            return "any", self.ref(value)
        raise _Refused(f"keyword {key!r}")

    def additional(self, schema: dict[str, Any]) -> Check:
        props = schema.get("properties", {})
        if not isinstance(props, dict):
            raise _Refused("properties")
        named = frozenset(props)
        extra = schema["additionalProperties"]
        if extra is False:  # the usual record: no key but the named ones
            return lambda v: named.issuperset(text_keys(v))
        sub = self.build(extra)
        return lambda v: all(sub(item) for key, item in text_items(v) if key not in named)


def _yes(value: Any) -> bool:
    return True


_STRING = frozenset({"string"})


def _string_leaf(v: Any) -> bool:
    """``{"type": "string"}``: ``json_type(v) == "string"``, text tested inline."""
    if type(v) is str:
        if not v.isascii():
            checked_text(v)
        return True
    return json_type(v) == "string"


def _dispatch(by_kind: dict[str, list[Any]]) -> Check:
    """The check of one schema from its keywords' checks, by the JSON type they read."""
    allowed: frozenset[str] | None = None
    for names in by_kind.pop("type", ()):  # one "type" a schema; each narrows
        allowed = names if allowed is None else allowed & names
    anyone = tuple(by_kind.pop("any", ()))
    typed = {kind: tuple(checks) for kind, checks in by_kind.items()}
    numbers = typed.pop("number", ())
    if numbers:
        typed["number"] = typed["integer"] = numbers
    if not anyone and not typed:  # the common leaf: {"type": "string"} and the like
        if allowed is None:
            return lambda v: json_type(v) is not None
        only = allowed
        if only == _STRING:
            return _string_leaf
        return lambda v: json_type(v) in only

    def check(v: Any) -> bool:
        # json_type inline for text and containers (one call less a value: most of
        # a record's values); numbers and what is not plain JSON go to json_type.
        t = type(v)
        if t is str:
            if not v.isascii():
                checked_text(v)
            kind = "string"
        else:
            kind = JSON_TYPES.get(t) or json_type(v)
        if allowed is not None and kind not in allowed:
            return False
        for ok in anyone:
            if not ok(v):
                return False
        for ok in typed.get(kind, ()):  # noqa: SIM110 - a loop: no generator per call
            if not ok(v):
                return False
        return True

    return check
