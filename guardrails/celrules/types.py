"""The types and function tables of the CEL checker (:mod:`guardrails.celrules.check`).

Which functions and operators the runtime (common-expression-language
0.10) has, measured against it: it has no ``int(timestamp)``, no global
``matches()``, no ``bool()`` conversion and no time-zone argument to the
timestamp accessors, so those are load-time errors here rather than
run-time ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from guardrails.celrules.parse import Node
from guardrails.records import record

NUMERIC = frozenset({"int", "uint", "double"})


class CelTypeError(ValueError):
    """A name, field or type error at character ``offset`` of the expression."""

    def __init__(self, message: str, offset: int, fix: str | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.fix = fix


@record(frozen=True)
class T:
    """A CEL type as the checker knows it.

    ``name`` is a CEL type name (``int``, ``string``, ``timestamp``, ``list``,
    ``map``, ``dyn``...) or ``fact`` (a fact of ``kind``) or ``object`` (a
    nested object of a data schema, ``schema`` its JSON Schema).
    """

    name: str
    elem: T | None = None
    kind: str = ""
    schema: Any = field(default=None, compare=False, hash=False)
    root: Any = field(default=None, compare=False, hash=False)

    def __init__(self, name: str, elem: T | None = None, kind: str = "", schema: Any = None,
                 root: Any = None) -> None:
        _set = object.__setattr__
        _set(self, "name", name)
        _set(self, "elem", elem)
        _set(self, "kind", kind)
        _set(self, "schema", schema)
        _set(self, "root", root)

    def __str__(self) -> str:
        if self.name == "list":
            return f"list({self.elem})"
        if self.name == "fact":
            return self.kind.rstrip("s") if self.kind else "map"
        if self.name == "object":
            return "map"
        return self.name


DYN, BOOL, INT, UINT, DOUBLE = T("dyn"), T("bool"), T("int"), T("uint"), T("double")
STRING, BYTES, NULL = T("string"), T("bytes"), T("null")
TIMESTAMP, DURATION, MAP, TYPE = T("timestamp"), T("duration"), T("map"), T("type")


# ASCII digits only (re.ASCII): the CEL runtime refuses a digit of another script,
# which would make the rule an error at every run instead of at load.
DURATION_LITERAL = re.compile(r"-?(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+", re.ASCII)
TIMESTAMP_LITERAL = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)", re.ASCII)

#: Member functions the runtime has: receiver type -> name -> (argument types, result).
METHODS: dict[str, dict[str, tuple[tuple[T, ...], T]]] = {
    "string": {"size": ((), INT), "contains": ((STRING,), BOOL),
               "startsWith": ((STRING,), BOOL), "endsWith": ((STRING,), BOOL),
               "matches": ((STRING,), BOOL)},
    "bytes": {"size": ((), INT)},
    "list": {"size": ((), INT)},
    "map": {"size": ((), INT)},
    "timestamp": {n: ((), INT) for n in (
        "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek",
        "getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds")},
    "duration": {n: ((), INT) for n in (
        "getHours", "getMinutes", "getSeconds", "getMilliseconds")},
}
GLOBALS = ("has", "size", "int", "uint", "double", "string", "bytes", "timestamp",
            "duration", "dyn", "type")
MACROS = ("all", "exists", "exists_one", "map", "filter")
CONVERSIONS = {"int": INT, "uint": UINT, "double": DOUBLE, "string": STRING,
                "bytes": BYTES}
#: What each conversion accepts (the runtime has no int(timestamp), for one).
CONVERTS_FROM = {
    "int": {"int", "uint", "double", "string"},
    "uint": {"int", "uint", "double", "string"},
    "double": {"int", "uint", "double", "string"},
    "string": {"int", "uint", "double", "string", "bytes", "bool", "timestamp", "duration"},
    "bytes": {"string", "bytes"},
}


def schema_type(schema: Any, root: Any, depth: int = 0) -> T:
    """The CEL type of values a JSON Schema (of a data file) describes."""
    if not isinstance(schema, Mapping) or depth > 8:
        return DYN
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and isinstance(root, Mapping):
        target = (root.get("$defs") or {}).get(ref[len("#/$defs/"):])
        return schema_type(target, root, depth + 1)
    types = schema.get("type")
    if isinstance(types, list):
        real = [t for t in types if t != "null"]
        types = real[0] if len(real) == 1 else None
    if types is None and isinstance(schema.get("enum"), list):
        values = schema["enum"]
        if values and all(isinstance(v, str) for v in values):
            return STRING
    if types == "string":
        fmt = schema.get("format")
        return TIMESTAMP if fmt in ("date-time", "date") else STRING
    simple = {"integer": INT, "number": DOUBLE, "boolean": BOOL}
    if types in simple:
        return simple[types]
    if types == "array":
        return T("list", schema_type(schema.get("items"), root, depth + 1))
    if types == "object":
        return T("object", schema=schema, root=root) if "properties" in schema else MAP
    return DYN


ARITH: dict[tuple[str, str, str], T] = {
    ("-", "timestamp", "timestamp"): DURATION,
    ("-", "timestamp", "duration"): TIMESTAMP,
    ("+", "timestamp", "duration"): TIMESTAMP,
    ("+", "duration", "timestamp"): TIMESTAMP,
    ("+", "duration", "duration"): DURATION,
    ("-", "duration", "duration"): DURATION,
}


def comparable(a: T, b: T) -> bool:
    if "null" in (a.name, b.name) or "dyn" in (a.name, b.name):
        return True
    if a.name in NUMERIC and b.name in NUMERIC:
        return True
    maps = ("map", "fact", "object")
    if a.name in maps and b.name in maps:
        return True
    if a.name == b.name == "list":
        return comparable(a.elem or DYN, b.elem or DYN)
    return a.name == b.name


def join_types(types: list[T]) -> T:
    if not types:
        return DYN
    first = types[0]
    return first if all(t == first for t in types) else DYN


def fix_for(a: T, b: T) -> str:
    pair = {a.name, b.name}
    if pair == {"timestamp", "duration"} or "timestamp" in pair and pair & NUMERIC:
        return ("timestamps compare with timestamps (now, fact.resolved_at, "
                "timestamp(\"2026-01-01T00:00:00Z\")); a difference of two is a "
                "duration: compare it with duration(\"120h\")")
    if "duration" in pair and pair & NUMERIC | {"string"}:
        return "write the length as a duration: duration(\"120h\"), duration(\"30m\")"
    if pair == {"int", "double"}:
        return "CEL does not mix int and double: write 2.0 for 2, or double(x)"
    if "string" in pair and pair & NUMERIC:
        return "convert one side: string(x), int(s) or double(s)"
    return "CEL does not convert between types; convert one side with int(), double() " \
           "or string()"


def literal_time(name: str, arg: Node) -> None:
    text = arg.value
    if name == "duration":
        if not DURATION_LITERAL.fullmatch(text):
            days = re.fullmatch(r"([0-9]+)d", text)
            fix = (f"write duration(\"{int(days.group(1)) * 24}h\")" if days else
                   "units are h, m, s, ms, us, ns: duration(\"120h\"), duration(\"1h30m\")")
            raise CelTypeError(f"duration({text!r}) is not a CEL duration", arg.pos, fix=fix)
        return
    if not TIMESTAMP_LITERAL.fullmatch(text):
        raise CelTypeError(f"timestamp({text!r}) is not an RFC 3339 timestamp", arg.pos,
                           fix="write timestamp(\"2026-11-30T00:00:00Z\")")
