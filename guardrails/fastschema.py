"""JSON Schema compiled to plain Python: a fast yes/no for hot loops.

jsonschema walks the schema for every instance and builds error objects as it
goes, about 40 µs a record: too slow for a 100,000-row export or for ``where``
conditions over every fact. :func:`compile_schema` turns a schema into Python
source, one function per (sub)schema that needs its own, with the checks
written out straight (``if not isinstance(x, dict): return False``), and
``exec``s it once. The result answers exactly what
``Draft202012Validator(schema).is_valid`` answers.

Only a subset of keywords is compiled: type, enum, const, required,
properties, additionalProperties (true/false), items, minimum, maximum,
exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, anyOf,
allOf, oneOf, not, minItems, maxItems, local ``$ref`` (``#/...``), and
annotations (title, description, ...). For any other keyword, or a value the
compiler is not sure about, :func:`compile_schema` returns None and callers
use jsonschema: the schema stays the single source of truth, and callers
still ask jsonschema for the words of an error.
"""

from __future__ import annotations

import itertools
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Predicate = Callable[[Any], bool]

__all__ = ["Predicate", "compile_schema"]

_ANNOTATIONS = frozenset({
    "$schema", "$comment", "$defs", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly",
})
_KEYWORDS = frozenset({
    "type", "enum", "const", "required", "properties", "additionalProperties", "items",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "pattern", "anyOf", "allOf", "oneOf", "not", "minItems", "maxItems", "$ref",
}) | _ANNOTATIONS
_DIALECTS = frozenset({
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2020-12/schema#",
})
# Beyond this nesting a subschema gets its own function: CPython limits
# statically nested blocks (20 loops) and indentation levels (100).
_MAX_INLINE_DEPTH = 5
_CACHE_SIZE = 256

_PLAIN = {"string": "str", "object": "dict", "array": "list", "boolean": "bool"}
# jsonschema's type checks, with the common exact types tested first.
_NUMBER = ("(type({v}) is int or type({v}) is float"
           " or not isinstance({v}, bool) and isinstance({v}, _Number))")
_INTEGER = ("(type({v}) is int or isinstance({v}, int) and not isinstance({v}, bool)"
            " or isinstance({v}, float) and {v}.is_integer())")
_COMPARE = {"minimum": "<", "maximum": ">", "exclusiveMinimum": "<=", "exclusiveMaximum": ">="}


class _Unsupported(Exception):
    """The schema uses something the compiler does not translate."""


def compile_schema(schema: Any, *, safe_regex: bool = False) -> Predicate | None:
    """A predicate equal to jsonschema's Draft 2020-12 ``is_valid``, or None.

    None means the schema uses a keyword (or a keyword value) outside the
    compiled subset; validate with jsonschema instead. Results are cached by
    the schema's ``repr``, so compiling the same rule schema twice is free.

    ``safe_regex``: ``pattern`` runs on RE2 (linear time), as for schemas a
    rule wrote; it must then be validated with
    :func:`guardrails.validation.make_rule_validator`, which uses RE2 too.
    """
    key = f"{safe_regex}:{schema!r}"
    if key in _cache:
        return _cache[key]
    try:
        predicate: Predicate | None = _Generator(schema, safe_regex).build()
    except (_Unsupported, RecursionError, SyntaxError):
        predicate = None
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[key] = predicate
    return predicate


_cache: dict[str, Predicate | None] = {}
_serial = itertools.count(1)


# --- the runtime helpers the generated code calls ------------------------------


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0`` but ``True != 1``, recursively."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, Sequence) and isinstance(b, Sequence):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and _equal(v, b[k]) for k, v in a.items())
    if isinstance(a, bool) or isinstance(b, bool):
        return False  # distinct booleans, or a boolean against a number
    return bool(a == b)


def _in_enum(x: Any, members: tuple[Any, ...]) -> bool:
    return any(_equal(x, m) for m in members)


# --- the generator -------------------------------------------------------------

# A check is ("fail", cond): return False when cond holds; ("block", header,
# checks): checks run under an ``if``/``for`` header; ("stmt", code).
_Check = tuple[Any, ...]


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _has_ref(schema: Any) -> bool:
    if isinstance(schema, dict):
        return any(k == "$ref" or (k not in _ANNOTATIONS and _has_ref(v))
                   for k, v in schema.items())
    if isinstance(schema, list):
        return any(_has_ref(v) for v in schema)
    return False


class _Generator:
    def __init__(self, root: Any, safe_regex: bool = False) -> None:
        self.root = root
        self.safe_regex = safe_regex
        self.namespace: dict[str, Any] = {
            "_Number": numbers.Number, "_equal": _equal, "_in_enum": _in_enum,
        }
        self.functions: dict[int, str] = {}
        self.sources: list[str] = []
        self.counter = 0

    def build(self) -> Predicate:
        name = self.function(self.root)
        # A file name of its own, so profiles tell one compiled schema from another.
        title = self.root.get("title") if isinstance(self.root, dict) else None
        label = f"<fastschema {next(_serial)}{f' {title}' if isinstance(title, str) else ''}>"
        code = compile("\n".join(self.sources), label, "exec")
        exec(code, self.namespace)  # noqa: S102 - our own generated source
        predicate: Predicate = self.namespace[name]
        return predicate

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: Any) -> str:
        name = self.fresh("_c")
        self.namespace[name] = value
        return name

    def function(self, schema: Any) -> str:
        """The name of a function checking ``schema``, generated once per schema object."""
        key = id(schema)
        if key in self.functions:
            return self.functions[key]
        name = self.fresh("_f")
        self.functions[key] = name
        body = _render(self.checks(schema, "x", 0), 1)
        self.sources.append(f"def {name}(x):\n" + "".join(body) + "    return True\n")
        return name

    def call(self, schema: Any, var: str) -> str:
        return f"{self.function(schema)}({var})"

    # -- one schema, inline --------------------------------------------------------

    def checks(self, schema: Any, var: str, depth: int) -> list[_Check]:
        if schema is True:
            return []
        if schema is False:
            return [("fail", "True")]
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        unknown = set(schema) - _KEYWORDS
        if unknown:
            raise _Unsupported(", ".join(map(str, unknown)))
        if schema.get("$schema", next(iter(_DIALECTS))) not in _DIALECTS:
            raise _Unsupported("another dialect")
        if depth > _MAX_INLINE_DEPTH:
            return [("fail", f"not {self.call(schema, var)}")]
        out: list[_Check] = []
        known = None
        if "type" in schema:
            names = schema["type"]
            names = [names] if isinstance(names, str) else names
            out.append(("fail", f"not ({self.type_test(names, var)})"))
            if len(names) == 1:
                known = names[0]
        out += self.value_checks(schema, var, known)
        out += self.number_checks(schema, var, known)
        out += self.string_checks(schema, var, known)
        out += self.guarded(self.array_checks(schema, var, depth), known, "array",
                            f"isinstance({var}, list)")
        out += self.guarded(self.object_checks(schema, var, depth), known, "object",
                            f"isinstance({var}, dict)")
        out += self.combinators(schema, var, depth)
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            if _has_ref(target):  # may recurse: a function of its own
                out.append(("fail", f"not {self.call(target, var)}"))
            else:
                out += self.checks(target, var, depth + 1)
        return out

    @staticmethod
    def guarded(checks: list[_Check], known: str | None, kind: str, test: str) -> list[_Check]:
        if not checks or known == kind:
            return checks
        return [("block", f"if {test}:", checks)]

    def type_test(self, names: Any, v: str) -> str:
        if not isinstance(names, list) or not names or any(
            not isinstance(n, str) or n not in ("null", "number", "integer", *_PLAIN)
            for n in names
        ):
            raise _Unsupported(f"type {names!r}")
        plain = [_PLAIN[n] for n in _PLAIN if n in names]
        tests = []
        if plain:
            classes = plain[0] if len(plain) == 1 else f"({', '.join(plain)})"
            tests.append(f"isinstance({v}, {classes})")
        if "null" in names:
            tests.append(f"{v} is None")
        if "number" in names:
            tests.append(_NUMBER.format(v=v))
        elif "integer" in names:
            tests.append(_INTEGER.format(v=v))
        return " or ".join(tests)

    def value_checks(self, schema: dict[str, Any], v: str, known: str | None) -> list[_Check]:
        out: list[_Check] = []
        if "enum" in schema:
            members = schema["enum"]
            if not isinstance(members, list) or not _is_json(members):
                raise _Unsupported("enum")
            if members and all(isinstance(m, str) for m in members):
                test = f"{v} in {self.const(frozenset(members))}"
                if known != "string":
                    test = f"isinstance({v}, str) and {test}"
                out.append(("fail", f"not ({test})"))
            else:
                out.append(("fail", f"not _in_enum({v}, {self.const(tuple(members))})"))
        if "const" in schema:
            value = schema["const"]
            if not _is_json(value):
                raise _Unsupported("const")
            if isinstance(value, str):
                out.append(("fail", f"{v} != {value!r}"))
            elif value is None or isinstance(value, bool):
                out.append(("fail", f"{v} is not {value!r}"))
            else:
                out.append(("fail", f"not _equal({v}, {self.const(value)})"))
        return out

    def number_checks(self, schema: dict[str, Any], v: str, known: str | None) -> list[_Check]:
        tests = []
        for key, op in _COMPARE.items():
            if key in schema:
                limit = schema[key]
                if isinstance(limit, bool) or not isinstance(limit, int | float) or (
                    isinstance(limit, float) and not math.isfinite(limit)
                ):
                    raise _Unsupported(key)
                tests.append(f"{v} {op} {limit!r}")
        if not tests:
            return []
        cond = " or ".join(tests)
        if known not in ("number", "integer"):
            cond = f"{_NUMBER.format(v=v)} and ({cond})"
        return [("fail", cond)]

    def string_checks(self, schema: dict[str, Any], v: str, known: str | None) -> list[_Check]:
        tests = []
        for key, op in (("minLength", "<"), ("maxLength", ">")):
            if key in schema:
                if not _count(schema[key]):
                    raise _Unsupported(key)
                tests.append(f"len({v}) {op} {schema[key]!r}")
        if "pattern" in schema:
            if not isinstance(schema["pattern"], str):
                raise _Unsupported("pattern")
            try:
                if self.safe_regex:
                    from guardrails.saferegex import compile_pattern

                    compiled = compile_pattern(schema["pattern"])
                else:
                    compiled = re.compile(schema["pattern"])
            except (re.error, ValueError):
                raise _Unsupported("pattern") from None
            tests.append(f"{self.const(compiled)}.search({v}) is None")
        if not tests:
            return []
        cond = " or ".join(tests)
        if known != "string":
            cond = f"isinstance({v}, str) and ({cond})"
        return [("fail", cond)]

    def array_checks(self, schema: dict[str, Any], v: str, depth: int) -> list[_Check]:
        out: list[_Check] = []
        for key, op in (("minItems", "<"), ("maxItems", ">")):
            if key in schema:
                if not _count(schema[key]):
                    raise _Unsupported(key)
                out.append(("fail", f"len({v}) {op} {schema[key]!r}"))
        if "items" in schema:
            items = schema["items"]
            if items is False:
                out.append(("fail", v))
            elif not isinstance(items, bool):
                item = self.fresh("_i")
                inner = self.checks(items, item, depth + 1)
                if inner:
                    out.append(("block", f"for {item} in {v}:", inner))
        return out

    def object_checks(self, schema: dict[str, Any], v: str, depth: int) -> list[_Check]:
        out: list[_Check] = []
        if "required" in schema:
            names = schema["required"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise _Unsupported("required")
            if names:
                out.append(("fail", " or ".join(f"{n!r} not in {v}" for n in dict.fromkeys(names))))
        props = schema.get("properties", {})
        if not isinstance(props, dict) or not all(isinstance(k, str) for k in props):
            raise _Unsupported("properties")
        for name, sub in props.items():
            value = self.fresh("_p")
            inner = self.checks(sub, value, depth + 1)
            if inner:
                # `in` then a subscript: cheaper than .get() with a sentinel.
                out.append(("block", f"if {name!r} in {v}:",
                            [("stmt", f"{value} = {v}[{name!r}]"), *inner]))
        extra = schema.get("additionalProperties", True)
        if extra is False:
            out.append(("fail", f"not {self.const(frozenset(props))}.issuperset({v})"))
        elif extra is not True:
            raise _Unsupported("additionalProperties schema")
        return out

    def combinators(self, schema: dict[str, Any], v: str, depth: int) -> list[_Check]:
        out: list[_Check] = []
        for key in ("allOf", "anyOf", "oneOf"):
            if key not in schema:
                continue
            subs = schema[key]
            if not isinstance(subs, list) or not subs:
                raise _Unsupported(key)
            if key == "allOf":
                for sub in subs:
                    out += self.checks(sub, v, depth + 1)
            elif key == "anyOf":
                out.append(("fail", "not (" + " or ".join(self.call(s, v) for s in subs) + ")"))
            else:
                out.append(("fail", "(" + " + ".join(self.call(s, v) for s in subs) + ") != 1"))
        if "not" in schema:
            out.append(("fail", self.call(schema["not"], v)))
        return out

    def resolve(self, ref: Any) -> Any:
        """The target of a local JSON pointer ``$ref`` (``#`` or ``#/a/b``)."""
        if not isinstance(ref, str) or not ref.startswith("#") or "%" in ref:
            raise _Unsupported(f"$ref {ref!r}")
        target = self.root
        if ref == "#":
            return target
        if not ref.startswith("#/"):
            raise _Unsupported(f"$ref {ref!r}")
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                raise _Unsupported(f"unresolvable $ref {ref!r}")
        return target


def _merge(checks: list[_Check]) -> list[_Check]:
    """Runs of fail checks as one ``or`` chain: the same order, one branch."""
    out: list[_Check] = []
    for check in checks:
        if check[0] == "fail" and out and out[-1][0] == "fail":
            out[-1] = ("fail", f"{_paren(out[-1][1])} or {_paren(check[1])}")
        else:
            out.append(check)
    return out


def _paren(cond: str) -> str:
    return cond if cond.isidentifier() else f"({cond})"


def _render(checks: list[_Check], indent: int) -> list[str]:
    pad = "    " * indent
    lines: list[str] = []
    for check in _merge(checks):
        if check[0] == "fail":
            lines.append(f"{pad}if {check[1]}: return False\n")
        elif check[0] == "stmt":
            lines.append(f"{pad}{check[1]}\n")
        else:
            _, header, inner = check
            inner = _merge(inner)
            if header.startswith("if ") and len(inner) == 1 and inner[0][0] == "fail":
                # `if a:` around one `if b: return False` reads as `if a and (b)`.
                lines.append(f"{pad}{header[:-1]} and {_paren(inner[0][1])}: return False\n")
            else:
                lines.append(f"{pad}{header}\n")
                lines += _render(inner, indent + 1)
    return lines
