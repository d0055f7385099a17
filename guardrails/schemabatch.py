"""Whether every record of a small table is valid, a column at a time.

A run without caches (a CI job's first run) checks each record of the org
data against its kind's schema with :mod:`guardrails.smallschema`, whose
Python check of one record is ~15-45 function calls: ~10% of the example
org's cold run for its ~680 records (benchmarks/RESULTS.md, "start-up,
coldstart6"). :func:`all_valid` answers for the whole list at once instead,
with C-level passes over each property's column (the values' types, one
``isascii`` of their joined text, ``min``/``max`` of the numbers, subset tests
for ``required`` and ``additionalProperties: false``).

It says True only where :func:`guardrails.smallschema.compile_schema`'s check
of each record would say True without :class:`~guardrails.smallschema.Undecided`
(every value it looks at plain JSON: an exact ``dict`` with text keys, ``list``,
``str`` without a lone surrogate, an ``int`` within 2**53, a finite ``float``,
``bool``, ``None``). Anything else (a keyword not read here, an invalid record)
is False: "cannot tell", and the caller checks record by record as before, which
finds the first bad record and its words. Keywords read: ``type``, ``enum`` (of
text), ``properties``, ``required``, ``additionalProperties``, ``items``,
``minimum``/``maximum`` and their exclusive forms, ``minLength``/``maxLength``,
``minItems``/``maxItems``, ``pattern`` (Python's ``re``, as smallschema),
``format: date``, ``allOf``, ``anyOf``, a ``$ref`` to ``#/$defs/NAME`` of
the root, and the annotations.
tests/unit/test_schemabatch.py holds its True to the record-by-record
answer on random tables of every data schema and on random schemas.

:func:`columns_valid` answers the same for a plain CSV table of any size
from what its reader saw of each column (guardrails.sources.files_csvplain),
without a pass over the records: a big table's one engine call (jsonschema-rs
reading every record) was ~90 ms of a cold run at 100,000 deployments and CI
runs (benchmarks/RESULTS.md, "s24-cold100k"); tests/unit/test_csv_columns.py
holds it to the record-by-record answer likewise.
"""

from __future__ import annotations

import math
import re
from itertools import chain, repeat
from typing import Any

from guardrails.smalljson import BIG
from guardrails.smallschema import _ANNOTATIONS, _TYPES, _is_date, _search

__all__ = ["all_valid", "columns_valid"]

#: the Python types of the plain JSON values read here
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})
#: ... of each JSON type (a float is an "integer" too when it is a whole number)
_PY: dict[str, frozenset[type]] = {
    "object": frozenset({dict}), "array": frozenset({list}), "string": frozenset({str}),
    "integer": frozenset({int}), "number": frozenset({int, float}),
    "boolean": frozenset({bool}), "null": frozenset({type(None)})}
_NUMBERS = frozenset({int, float})
_OBJECT_KEYS = frozenset({"properties", "required", "additionalProperties"})
_LIMITS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
#: the length keywords and the one type each applies to
_SIZES: dict[str, type] = {"minLength": str, "maxLength": str, "minItems": list,
                           "maxItems": list}
_MISSING = object()
#: $refs followed without going one level deeper into the values
_MAX_REFS = 16
#: values an anyOf is asked of one by one, when no branch holds them all
_EACH = 64


def all_valid(schema: Any, instances: list[Any]) -> bool:
    """True when every instance is surely valid under ``schema`` (see the module)."""
    try:
        return _valid(schema, instances, schema, 0)
    except RecursionError:
        return False


def columns_valid(schema: Any, cells: dict[str, Any]) -> bool:
    """True when every record of a plain CSV table is surely valid under ``schema``,
    told from what its reader saw of each column (files_csvplain.Column: the values'
    type, the distinct values of a shared column, whether a cell is empty, whether
    one is not), without reading a record.

    Every record is a ``dict`` of the non-empty cells of its row, by column name,
    their text without a lone surrogate (else the reader gives no columns). So the
    record-level keywords are answered by the columns: ``required`` by a column
    without an empty cell, ``properties`` and ``additionalProperties`` by each
    column holding a value. A column's distinct values go through :func:`_valid`;
    a column whose values were not kept (ids, timestamps, lists) is answered only
    where its schema cannot refuse a value of its type (:func:`_any_of_type`).
    Why (benchmarks/RESULTS.md, "s24-cold100k"): jsonschema-rs reading 100,000
    deployments and 100,000 CI runs was ~90 ms of a cold 100k run; these few
    facts a column cost the reader ~5 ms.
    """
    try:
        return isinstance(schema, dict) and bool(cells) and _table(schema, cells)
    except RecursionError:
        return False


def _table(schema: dict[str, Any], cells: dict[str, Any]) -> bool:  # noqa: PLR0911
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if not isinstance(props, dict):
        return False
    for key, value in schema.items():
        if key in _ANNOTATIONS or key in ("properties", "additionalProperties", "$defs"):
            continue
        if key == "$schema":
            if not isinstance(value, str) or "2020-12" not in value:
                return False
        elif key == "type":
            if value != "object" and not (isinstance(value, list) and "object" in value
                                          and set(value) <= _TYPES):
                return False
        elif key == "required":
            if not isinstance(value, list) or not all(
                    type(n) is str and n in cells and cells[n][2] for n in value):
                return False
        else:
            return False
    for name, (kind, values, _full, some) in cells.items():
        if not some:
            continue  # no record holds it
        sub = props.get(name, extra)
        if sub is False:
            return False
        if values is not None:
            if not _valid(sub, values, schema, 0):
                return False
        elif not _any_of_type(sub, kind):
            return False
    return True


def _any_of_type(schema: Any, kind: type | None) -> bool:
    """Whether ``schema`` holds every text (``kind`` str) or every non-empty list of
    texts (``kind`` list): keywords that read no value but its type."""
    if schema is True:
        return kind in (str, list)
    if not isinstance(schema, dict) or kind not in (str, list):
        return False
    name = "string" if kind is str else "array"
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key == "type":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or name not in names or not set(names) <= _TYPES:
                return False
        elif not (key == "items" and kind is list and _any_of_type(value, str)):
            return False
    return True


def _of(values: list[Any], types: set[type], kind: type) -> list[Any]:
    return values if len(types) == 1 else [v for v in values if type(v) is kind]


def _plain(values: list[Any], types: set[type]) -> bool:
    """Every value plain JSON at its top (a dict's keys included), as read here."""
    if not types <= _PLAIN:
        return False
    if str in types and not _text("".join(_of(values, types, str))):
        return False
    if int in types:
        ints = _of(values, types, int)
        if min(ints) < -BIG or max(ints) > BIG:
            return False
    if float in types and not all(map(math.isfinite, _of(values, types, float))):
        return False
    if dict in types:
        keys = list(chain.from_iterable(_of(values, types, dict)))
        if keys and (set(map(type, keys)) != {str} or not _text("".join(keys))):
            return False
    return True


def _text(text: str) -> bool:
    """No lone surrogate (smalljson's ``checked_text``), for the whole column at once."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _valid(schema: Any, values: list[Any], root: Any, refs: int) -> bool:  # noqa: C901, PLR0911, PLR0912
    if not values:
        return True
    types = set(map(type, values))
    if not _plain(values, types):
        return False
    if schema is True:
        return True
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key in ("$schema", "$id", "$defs"):
            if schema is not root or (key != "$defs" and not isinstance(value, str)):
                return False
            if key == "$schema" and "2020-12" not in value:
                return False
        elif key == "type":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not names or not set(names) <= _TYPES:
                return False
            allowed = frozenset().union(*(_PY[n] for n in names))
            if float in types and "integer" in names and "number" not in names:
                if not all(map(float.is_integer, _of(values, types, float))):
                    return False
                allowed |= {float}
            if not types <= allowed:
                return False
        elif key == "enum":
            if not (isinstance(value, list) and value and all(type(e) is str for e in value)):
                return False
            if types != {str} or not set(values) <= set(value):
                return False
        elif key in _OBJECT_KEYS:
            if types != {dict}:
                return False
            if not _object(key, value, schema, values, root):
                return False
        elif key == "items":
            if types != {list} or "prefixItems" in schema:
                return False
            if not _valid(value, list(chain.from_iterable(values)), root, 0):
                return False
        elif key in _LIMITS:
            if not types <= _NUMBERS or type(value) not in (int, float) \
                    or not abs(value) <= BIG:
                return False
            low, high = min(values), max(values)
            if not {"minimum": low >= value, "maximum": high <= value,
                    "exclusiveMinimum": low > value, "exclusiveMaximum": high < value}[key]:
                return False
        elif key in _SIZES:
            if types != {_SIZES[key]} or type(value) is not int or value < 0:
                return False
            lengths = list(map(len, values))
            if not (min(lengths) >= value if key.startswith("min") else max(lengths) <= value):
                return False
        elif key == "pattern":
            if types != {str} or not isinstance(value, str):
                return False
            try:
                search = _search(value)
            except re.error:
                return False
            if not all(map(search, values)):
                return False
        elif key == "format":
            if value != "date" or types != {str} or not all(map(_is_date, values)):
                return False
        elif key in ("allOf", "anyOf"):
            # anyOf: one branch holding every value, else (a short list) each value
            # holding one
            if not isinstance(value, list) or not value:
                return False
            if key == "allOf":
                if not all(_valid(sub, values, root, refs) for sub in value):
                    return False
            elif not any(_valid(sub, values, root, refs) for sub in value) and (
                    len(values) > _EACH or not all(
                        any(_valid(sub, [v], root, refs) for sub in value) for v in values)):
                return False
        elif key == "$ref":
            target = _target(value, root)
            if target is None or refs >= _MAX_REFS or not _valid(target, values, root, refs + 1):
                return False
        else:
            return False
    return True


def _object(key: str, value: Any, schema: dict[str, Any], values: list[Any], root: Any) -> bool:
    if key == "required":
        if not isinstance(value, list) or not all(type(n) is str for n in value):
            return False
        return all(map(frozenset(value).issubset, values))
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        return False
    if key == "properties":
        # only the properties some value has (a rule names a few of its check's keys)
        for name in props.keys() & set(chain.from_iterable(values)):
            sub = props[name]
            got = list(map(dict.get, values, repeat(name), repeat(_MISSING)))
            if _MISSING in got:
                got = [v for v in got if v is not _MISSING]
            if not _valid(sub, got, root, 0):
                return False
        return True
    named = frozenset(props)
    if value is False:
        return all(map(named.issuperset, values))
    extra = set(chain.from_iterable(values)) - named
    return all(_valid(value, [v[k] for v in values if k in v], root, 0) for k in extra)


def _target(ref: Any, root: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return None
    name = ref[len("#/$defs/"):]
    defs = root.get("$defs") if isinstance(root, dict) else None
    if not name or "/" in name or "~" in name or "%" in name or not isinstance(defs, dict):
        return None
    return defs.get(name)
