"""A fast yes/no from JSON Schema for hot loops, on jsonschema-rs.

jsonschema walks the schema for every instance and builds error objects as it
goes, about 40 µs a record: too slow for a 100,000-row export or for ``where``
conditions over every fact. :func:`predicate` builds a jsonschema-rs
validator (Rust, Draft 2020-12) once per schema and answers exactly what the
jsonschema validator guardrails uses for that schema answers
(:func:`guardrails.validation.make_validator` for data schemas,
:func:`~guardrails.validation.make_rule_validator` for a rule's ``where`` and
``expect``). jsonschema stays the authority on the words of an error: callers
ask it only for an instance the fast check rejects.

Where the two engines would disagree, jsonschema keeps the schema:

- ``pattern`` runs through a custom keyword on the regex engine the jsonschema
  validator uses: RE2 for a rule (linear time, and ``\\s``, ``\\b`` and ``.``
  mean what they mean on RE2, not what they mean in ECMA-262), Python's ``re``
  for a shipped data schema. Any other regex (``propertyNames`` aside) would
  run on the Rust ``regex`` crate, which is linear time too.
- ``format: date`` runs through a custom keyword doing what jsonschema's
  checker does (an ASCII ``YYYY-MM-DD`` that is a real date), so a config
  with a waiver is validated without importing jsonschema (about 100 ms of
  start-up). A schema with any other ``format``, or with
  ``patternProperties`` or ``multipleOf``, is not built here
  (:func:`predicate` returns None): jsonschema's other format checks depend
  on which optional packages are installed, ``patternProperties`` would
  match keys with ECMA-262 semantics, and the two engines divide floats
  differently (jsonschema-rs says 0.3 is a multiple of 0.1, jsonschema,
  dividing in binary floating point, says it is not; found by the
  differential test).
- An instance jsonschema-rs cannot read (a datetime, a set, a non-text key)
  is decided by jsonschema.

Big integers and NaN reach neither engine from the loaders (they refuse them);
jsonschema-rs decides them as jsonschema does anyway.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from guardrails.schemapatterns import is_date

Predicate = Callable[[Any], bool]

__all__ = ["Predicate", "every_item", "mentions", "predicate"]

#: Keywords whose jsonschema behaviour jsonschema-rs does not reproduce here.
_JSONSCHEMA_ONLY = frozenset({"patternProperties", "multipleOf"})
_CACHE_SIZE = 256
_cache: dict[str, Predicate | None] = {}


def predicate(
    schema: Any, *, rule: bool = False, remember: bool = False, lazy: bool = False
) -> Predicate | None:
    """``is_valid`` of ``schema`` on jsonschema-rs, or None to use jsonschema.

    ``rule``: the schema is a rule's condition, whose patterns run on RE2;
    else a shipped data schema, whose patterns run on Python's ``re``. Results
    are cached by the schema's ``repr`` (so ``1`` and ``True`` never share).
    ``remember`` (data schemas only: the config, rule and org data files): an
    instance a run with this code found valid before is valid without
    importing jsonschema-rs (:mod:`guardrails.verdictcache`), and the engine
    is built at the first instance that was not. ``lazy`` (data schemas): the
    engine is built at the first instance, not here (the files source, which
    remembers whole files, may need none).
    """
    remember = remember and not rule
    lazy = (lazy or remember) and not rule
    key = f"{rule}:{remember}:{lazy}:{schema!r}"
    if key in _cache:
        return _cache[key]
    if mentions(schema, _JSONSCHEMA_ONLY):
        built = None
    elif lazy:
        built = _remembering(schema, repr(schema), remember)
    else:
        built = _build(schema, rule)
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[key] = built
    return built


def every_item(schema: Any) -> Predicate | None:
    """Whether every item of a list is valid under data schema ``schema``, in one
    jsonschema-rs call (a loop of ``predicate(schema)`` costs a Python call and a
    conversion setup per item: 100,000 deployments 0.14 -> 0.10 s), or None where
    that call would not say exactly what ``predicate`` says of each item.

    True only when jsonschema-rs finds the list valid under ``{"type": "array",
    "items": schema}``, which by JSON Schema's definition of ``items`` is every
    item valid under ``schema``; False when one is not, or when jsonschema-rs
    cannot read one (a datetime...): the caller then asks each item, so the
    verdict on each record, and the first error, are as before. The schema is
    moved under ``$defs`` of the array's schema, its ``$defs`` beside it; so a
    schema with anything that a move could change the meaning of (an ``$id``,
    an anchor, a ``$ref`` other than ``#/$defs/...``) gets None, as does one
    :func:`predicate` leaves to jsonschema. The engine is built at the first call.
    """
    key = f"every:{schema!r}"
    if key in _cache:
        return _cache[key]
    built = None
    if isinstance(schema, dict) and not mentions(schema, _JSONSCHEMA_ONLY | _MOVE_SENSITIVE) \
            and _refs_are_local_defs(schema):
        defs = dict(schema.get("$defs") or {})
        name = "guardrails-item"
        while name in defs:
            name += "-"
        defs[name] = {k: v for k, v in schema.items() if k not in ("$schema", "$defs")}
        built = _every(
            {"type": "array", "items": {"$ref": f"#/$defs/{name}"}, "$defs": defs})
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[key] = built
    return built


#: keywords whose meaning depends on where a schema sits in its document
_MOVE_SENSITIVE = frozenset({"$id", "$anchor", "$dynamicAnchor", "$dynamicRef",
                             "$recursiveAnchor", "$recursiveRef"})


def _refs_are_local_defs(schema: Any) -> bool:
    """Whether every ``$ref`` in ``schema`` points into its top-level ``$defs``."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None and not (isinstance(ref, str) and ref.startswith("#/$defs/")):
                return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _every(array_schema: Any) -> Predicate:
    engine: Any = None

    def all_valid(items: list[Any]) -> bool:
        nonlocal engine
        if engine is None:
            engine = _engine(array_schema, False) or _refused
        try:
            # A slice at a time: jsonschema-rs reads its whole argument into values
            # of its own first (100,000 pull requests at once: +17 MiB of peak);
            # 500 records are as fast a record and cost ~0.1 MiB.
            return all(engine(items[k:k + _EVERY_CHUNK])
                       for k in range(0, len(items), _EVERY_CHUNK))
        except (ValueError, TypeError, OverflowError):
            return False  # an item jsonschema-rs cannot read: the caller asks each item

    return all_valid


_EVERY_CHUNK = 500


def _refused(items: Any) -> bool:
    return False


def mentions(schema: Any, words: frozenset[str]) -> bool:
    """Whether any mapping in ``schema`` has one of ``words`` as a key (iterative)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if not words.isdisjoint(node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _engine(schema: Any, rule: bool) -> Predicate | None:
    """jsonschema-rs's bare ``is_valid`` of ``schema``, or None where it refuses it."""
    import jsonschema_rs

    try:
        return jsonschema_rs.Draft202012Validator(  # type: ignore[no-any-return]
            schema,
            validate_formats=False,
            keywords={"pattern": _Re2Pattern if rule else _PythonPattern, "format": _Format},
            # Linear time whatever the pattern, for any regex not run by the keyword.
            pattern_options=jsonschema_rs.RegexOptions(),
            retriever=_refuse,  # guardrails never fetches a schema
        ).is_valid
    except Exception:  # noqa: BLE001 - whatever jsonschema-rs refuses, jsonschema decides
        return None


def _build(schema: Any, rule: bool) -> Predicate | None:
    if not rule:  # a data schema: its first instances on guardrails.smallschema
        small = _small_first(schema)
        if small is not None:
            return small
    return _build_rs(schema, rule)


def _small_first(schema: Any) -> Predicate | None:
    """``is_valid`` answered by :mod:`guardrails.smallschema` (no jsonschema-rs import,
    no validator to build) while its budget lasts and it reads the instance; else by
    what :func:`_build_rs` builds at that moment (jsonschema where it refuses)."""
    from guardrails import smallschema

    small = smallschema.compile_schema(schema)
    if small is None:
        return None
    full: Predicate | None = None

    def is_valid(instance: Any) -> bool:
        nonlocal full
        if full is None:
            if smallschema.take():
                try:
                    return small(instance)
                except (smallschema.Undecided, RecursionError):
                    pass  # jsonschema-rs reads it (or refuses it: then jsonschema)
            full = _build_rs(schema, False) or _jsonschema(schema)
        return full(instance)

    return is_valid


def _build_rs(schema: Any, rule: bool) -> Predicate | None:
    fast = _engine(schema, rule)
    if fast is None:
        return None

    def slow(instance: Any) -> bool:
        from guardrails.jsonvalidators import make_rule_validator, make_validator

        make = make_rule_validator if rule else make_validator
        return bool(make(schema).is_valid(instance))

    def is_valid(instance: Any) -> bool:
        try:
            return fast(instance)
        except (ValueError, TypeError, OverflowError):
            return slow(instance)  # a value jsonschema-rs cannot read

    return is_valid


def _remembering(schema: Any, schema_repr: str, lookup: bool) -> Predicate:
    """``is_valid`` that builds the engine (jsonschema-rs, or jsonschema where it
    refuses the schema) at its first use, and with ``lookup`` first asks the
    verdicts of earlier runs, building the engine only on a miss."""
    from guardrails import verdictcache

    key = verdictcache.schema_key(schema_repr)
    engine: Predicate | None = None

    def is_valid(instance: Any) -> bool:
        nonlocal engine
        text = verdictcache.text_of(instance) if lookup and verdictcache.active() else None
        if text is not None and verdictcache.known_valid(key, text):
            return True
        if engine is None:
            engine = _build(schema, False) or _jsonschema(schema)
        ok = engine(instance)
        if ok and text is not None:
            verdictcache.remember(key, text)
        return ok

    return is_valid


def _jsonschema(schema: Any) -> Predicate:
    from guardrails.jsonvalidators import make_validator

    return make_validator(schema).is_valid  # type: ignore[no-any-return]


def _refuse(uri: str) -> Any:
    raise ValueError(f"schema retrieval is off; {uri!r} is not fetched")


def _pattern_keyword(compile_pattern: Callable[[str], Any]) -> type:
    """``pattern`` as a jsonschema-rs custom keyword, on the regex engine given."""

    class Pattern:
        def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
            if not isinstance(value, str):
                raise ValueError(f"pattern {value!r} is not a string")
            self.search = compile_pattern(value).search

        def validate(self, instance: Any) -> None:
            if isinstance(instance, str) and self.search(instance) is None:
                raise ValueError("does not match")

    return Pattern


#: formats whose jsonschema check needs no optional package, done the same way
#: (jsonschema's ``date`` is ``jsonschema._format.is_date``)
_FORMATS: dict[str, Callable[[str], bool]] = {"date": is_date}


class _Format:
    """``format`` as a jsonschema-rs custom keyword; any format not in
    :data:`_FORMATS` refuses the schema, which jsonschema then decides."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        check = _FORMATS.get(value) if isinstance(value, str) else None
        if check is None:
            raise ValueError(f"format {value!r} is left to jsonschema")
        self.check = check

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self.check(instance):
            raise ValueError("not a valid date")


def _re2(pattern: str) -> Any:
    from guardrails.saferegex import compile_pattern

    return compile_pattern(pattern)


_Re2Pattern = _pattern_keyword(_re2)
_PythonPattern = _pattern_keyword(functools.lru_cache(maxsize=256)(re.compile))
