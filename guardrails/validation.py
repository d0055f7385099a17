"""JSON Schema validation with errors a person can act on.

Schemas ship in ``guardrails/schemas/*.json`` (Draft 2020-12) and are printed
by ``guardrails schema NAME``. Errors name the file, the line and column of
the offending node, the schema path, and what was expected.

Valid input, nearly all of it, is answered by jsonschema-rs
(:mod:`guardrails.fastvalid`); jsonschema is imported, and the words of an
error built, only for input that fails, or for a schema jsonschema-rs leaves
to it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from guardrails.errors import UsageError
from guardrails.textsafe import excerpt, hide_url_secrets
from guardrails.yamlio import PathKey, Position, nearest


# jsonschema's validators are guardrails.jsonvalidators', imported on first use:
# a run whose input jsonschema-rs or the small engine answers never loads it.
def make_validator(schema: Mapping[str, Any]) -> Any:
    """:func:`guardrails.jsonvalidators.make_validator`."""
    from guardrails.jsonvalidators import make_validator as make

    return make(schema)


def make_rule_validator(schema: Mapping[str, Any]) -> Any:
    """:func:`guardrails.jsonvalidators.make_rule_validator`."""
    from guardrails.jsonvalidators import make_rule_validator as make

    return make(schema)


def __getattr__(name: str) -> Any:
    if name == "RefusedRetrieval":
        from guardrails.jsonvalidators import RefusedRetrieval

        return RefusedRetrieval
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


SCHEMA_NAMES = (
    "config", "rules", "report",
    "teams", "services", "deployments", "incidents", "changes", "ci_runs",
    "iterations", "goals", "postmortems", "survey_answers",
)


_SCHEMAS = Path(__file__).resolve().parent / "schemas"


_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    if not name or not _NAME_CHARS.issuperset(name):  # [A-Za-z0-9_-]+, without compiling it
        raise UsageError(f"no schema named {name!r}",
                         fix=f"use one of: {', '.join(SCHEMA_NAMES)}")
    try:
        # The file beside us; importlib.resources (for a zipped install) costs
        # more to import than reading the file.
        path = _SCHEMAS / f"{name}.json"
        if path.is_file():
            text = path.read_text("utf-8")
        else:
            from importlib import resources

            text = resources.files("guardrails.schemas").joinpath(f"{name}.json").read_text(
                "utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"no schema named {name!r}",
            fix=f"use one of: {', '.join(SCHEMA_NAMES)}",
        ) from None
    return json.loads(text)


@functools.cache
def validator_for(name: str):  # type: ignore[no-untyped-def]
    return make_validator(load_schema(name))


def _json_path(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


#: the keys of an "... was/were unexpected" message (compiled by re's cache, on an error only)
_UNEXPECTED = r"\('?(.*?)'? (?:was|were) unexpected\)"


def _suggest(error: Any) -> str:
    """For an unknown key, suggest the closest allowed one."""
    import difflib

    m = re.search(_UNEXPECTED, error.message)
    if not m:
        return ""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    allowed = list(schema.get("properties", {}))
    hints = []
    for name in re.split(r"'?, '?", m.group(1)):
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            hints.append(f"did you mean {close[0]!r} instead of {name!r}?")
    if not hints and allowed:
        hints.append(f"allowed keys: {', '.join(sorted(allowed))}")
    return " ".join(hints)


def _best(errors: list[Any]) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(errors)


def describe_error(error: Any, base_path: PathKey = ()) -> tuple[str, str]:
    """(message, fix hint) for one jsonschema error."""
    where = _json_path((*base_path, *error.absolute_path))
    schema_path = "/".join(str(p) for p in error.absolute_schema_path)
    msg = f"{_shown_message(error)} at {where} (schema path: {schema_path})"
    return msg, _suggest(error)


#: what a schema error says in place of a value it may not quote
_UNSHOWN = "the value (not shown: it may hold a secret)"


def _shown_message(error: Any) -> str:
    """A schema error's message with no secret a refused text value may carry.

    A URL with a scheme is quoted with :func:`hide_url_secrets` masking its user
    info, query and fragment. A text holding one of the characters a secret rides
    in (``? # @ ;``) that this cannot mask reliably (no ``://``, so no URL to find:
    ``ghe.example/api?token=...``, ``https:/x?token=...``; or a quote, white space
    or a character the quote shows escaped (``\\x0c``), where the URL's parts
    cannot be told) is not quoted at all.
    """
    value = error.instance
    message = str(error.message)
    if isinstance(value, str) and any(c in value for c in "?#@;") and (
            "://" not in value or not value.isprintable()
            or any(c.isspace() or c in "'\"" for c in value)):
        shown = repr(value)
        if shown not in message:
            return f"{_UNSHOWN} is not valid here ({error.validator})"
        message = message.replace(shown, _UNSHOWN)
    return hide_url_secrets(message)


def _required_here(err: Any, root: Mapping[str, Any] | None) -> bool | None:
    """Whether the key whose value ``err`` is about is required by the object schema
    holding it (None when that cannot be told: no root schema, a path through
    ``$ref`` to elsewhere than ``#/...``, a value that is not an object's property)."""
    path = list(err.absolute_schema_path)
    if root is None or len(path) < 3 or path[-3] != "properties" or not err.absolute_path:
        return None
    node: Any = root
    for step in path[:-3]:
        if isinstance(node, Mapping) and step == "$ref" and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return None
            node = root
            for part in ref[2:].split("/"):
                node = node.get(part) if isinstance(node, Mapping) else None
            continue
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    if not isinstance(node, Mapping):
        return None
    required = node.get("required")
    return isinstance(required, list) and path[-2] in required


def _default_fix(err: Any, error_cls: type[UsageError],
                 root: Mapping[str, Any] | None = None) -> str:
    """The way out of a schema error that names none of its own: what to write, or
    where the fields are listed (DESIGN: every usage error names its fix)."""
    from guardrails.errors import RuleFileError
    from guardrails.timeutil import DURATION_FORMS, DURATION_PATTERN

    schema = err.schema if isinstance(err.schema, Mapping) else {}
    if err.validator == "pattern" and err.validator_value == DURATION_PATTERN or (
            err.validator == "type" and schema.get("pattern") == DURATION_PATTERN):
        return f"write a duration: {DURATION_FORMS}"  # a regex alone shows no way out
    if err.validator == "format" and err.validator_value == "date" or (
            err.validator in ("anyOf", "oneOf") and isinstance(err.validator_value, list)
            and any(isinstance(b, Mapping) and b.get("format") == "date"
                    for b in err.validator_value)):
        return "write a date as YYYY-MM-DD (e.g. 2026-11-30)"
    if err.validator == "minItems" and isinstance(err.validator_value, int):
        n = err.validator_value
        items = f"give at least {n} item{'s' if n != 1 else ''} there"
        # A required key cannot be left out: that fix would only trade this error
        # for "'rules' is a required property".
        return items if _required_here(err, root) is not False else f"{items}, or leave the key out"
    value = err.instance
    branches = err.validator_value if err.validator == "anyOf" else None
    if isinstance(branches, list) and branches and all(
            isinstance(b, Mapping) and set(b) == {"required"} and isinstance(b["required"], list)
            and len(b["required"]) == 1 and isinstance(b["required"][0], str)
            for b in branches):
        # {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]}: say which keys
        keys = " or ".join(repr(b["required"][0]) for b in branches)
        return f"give at least one of {keys} there"
    if err.validator == "enum" and isinstance(err.validator_value, list) and 0 < len(
            err.validator_value) <= 20:
        # the schema's own words (never the value, which may hold a secret)
        choices = ", ".join(str(c) for c in err.validator_value)
        return f"use one of: {choices}"
    expected = err.validator_value if err.validator == "type" else None
    if (expected == "array" or isinstance(expected, list) and "array" in expected) and (
            isinstance(value, str | int | float) and not isinstance(value, bool)):
        return "write a list, even for one item: [item], or each item on a '- ' line"
    if err.validator == "required" and isinstance(value, Mapping) and isinstance(
            err.validator_value, list):
        missing = [k for k in err.validator_value if isinstance(k, str) and k not in value]
        if missing:
            name = "rules" if issubclass(error_cls, RuleFileError) else "config"
            return (f"add {excerpt(missing[0], 60)!r} there (its form: `guardrails schema "
                    f"{name}`)")
    if err.validator == "type" and isinstance(value, str) and "number" in str(
            err.validator_value) and _reads_as_number(value):
        return (f"write a number YAML reads as one, without quotes: YAML 1.1 reads "
                f"{excerpt(value, 40)} as text (an exponent needs a dot and a sign: 1.0e+6)")
    name = "rules" if issubclass(error_cls, RuleFileError) else "config"
    described = schema.get("description")
    if err.validator == "pattern" and isinstance(described, str) and 0 < len(described) <= 200:
        # a regex alone shows no way out; the field's own words say what it holds
        return (f"write what this field takes: {described.strip().rstrip('.')} "
                f"(`guardrails schema {name}`)")
    return f"compare it with the fields in `guardrails schema {name}`"


def _reads_as_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _error_at(err: Any, *, file: str, pos_map: Mapping[Any, Any], what: str,
              base_path: PathKey, error_cls: type[UsageError],
              root: Mapping[str, Any] | None = None) -> UsageError:
    msg, fix = describe_error(err, base_path)
    if not fix:
        fix = _default_fix(err, error_cls, root)
    where = (*base_path, *err.absolute_path)
    m = re.search(_UNEXPECTED, err.message) if err.validator in (
        "additionalProperties", "unevaluatedProperties") else None
    if m:
        # Point at the unexpected key itself, not at the mapping holding it.
        first = re.split(r"'?, '?", m.group(1))[0]
        if (*where, first) in pos_map:
            where = (*where, first)
    loc = nearest(pos_map, where) if pos_map else None  # type: ignore[arg-type]
    return error_cls(
        f"invalid {what}: {msg}",
        file=file,
        line=loc[0] if loc else None,
        column=loc[1] if loc else None,
        fix=fix or None,
    )


def errors_of(
    data: Any,
    schema: str | Mapping[str, Any],
    *,
    file: str,
    positions: Callable[[], dict[PathKey, Position]] | dict[PathKey, Position] | None = None,
    what: str = "file",
    base_path: PathKey = (),
    error_cls: type[UsageError] = UsageError,
    remember: bool = True,
) -> list[UsageError]:
    """Every schema violation of ``data``: the most relevant one per place, in order.

    ``remember``: a yes is kept for later runs (guardrails.verdictcache); False for
    what another cache keeps as a whole (a builtin pack the pack cache stores)."""
    from guardrails.fastvalid import predicate

    loaded = load_schema(schema) if isinstance(schema, str) else schema
    # A yes read straight off the schema, no engine built (a cold run's rule packs:
    # 48 checks under 28 schemas), where no verdict is to be remembered.
    if not (remember and _verdicts_kept()):
        from guardrails.schemabatch import all_valid

        if all_valid(loaded, [data]):
            return []
    # Most input is valid: a yes from jsonschema-rs (same answers, see fastvalid)
    # costs microseconds; jsonschema is asked only for the words of an error.
    fast = predicate(loaded, remember=remember)
    if fast is not None and fast(data):
        return []
    v = validator_for(schema) if isinstance(schema, str) else make_validator(schema)
    errors = list(v.iter_errors(data))
    if not errors:
        return []
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for e in errors:
        groups.setdefault(tuple(e.absolute_path), []).append(e)
    pos_map = positions() if callable(positions) else (positions or {})
    out = []
    for group in groups.values():
        out.append(_error_at(_best(group), file=file, pos_map=pos_map, what=what,
                             base_path=base_path, error_cls=error_cls, root=loaded))
    out.sort(key=lambda e: (e.line or 0, e.column or 0))
    return out


def without_places_of(errors: list[UsageError],
                      first: list[UsageError]) -> list[UsageError]:
    """``errors`` less those at a place one of ``first`` already names: a NaN is
    reported once, as NaN, not again as "nan is not of type 'string'"."""
    taken = {(e.file, e.line, e.column) for e in first}
    return [e for e in errors if (e.file, e.line, e.column) not in taken]


def _verdicts_kept() -> bool:
    from guardrails import verdictcache

    return verdictcache.active()


def validate(
    data: Any,
    schema: str | Mapping[str, Any],
    *,
    file: str,
    positions: Callable[[], dict[PathKey, Position]] | dict[PathKey, Position] | None = None,
    what: str = "file",
    base_path: PathKey = (),
    error_cls: type[UsageError] = UsageError,
) -> None:
    """Raise ``error_cls`` for the most relevant schema violation, if any."""
    from guardrails.fastvalid import predicate

    loaded = load_schema(schema) if isinstance(schema, str) else schema
    fast = predicate(loaded, remember=True)
    if fast is not None and fast(data):
        return
    v = validator_for(schema) if isinstance(schema, str) else make_validator(schema)
    errors = list(v.iter_errors(data))
    if not errors:
        return
    pos_map = positions() if callable(positions) else (positions or {})
    raise _error_at(_best(errors), file=file, pos_map=pos_map, what=what,
                    base_path=base_path, error_cls=error_cls, root=loaded)


def nonfinite_paths(data: Any, limit: int = 100) -> list[PathKey]:
    """Paths of NaN and infinite numbers in a loaded document (``.nan``, ``.inf``).

    JSON Schema's ``number`` accepts them, and every comparison with NaN is
    false, so a threshold of ``.nan`` would pass everything: they are refused
    wherever a config or rule file holds them. Iterative, so depth costs no stack.
    """
    out: list[PathKey] = []
    stack: list[tuple[PathKey, Any]] = [((), data)]
    seen: set[int] = set()
    while stack and len(out) < limit:
        path, node = stack.pop()
        if isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                out.append(path)
        elif isinstance(node, Mapping):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend(((*path, k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
    return out


def nonfinite_errors(data: Any, *, file: str, positions: Mapping[Any, Any] | None,
                     base_path: PathKey = (),
                     error_cls: type[UsageError] = UsageError) -> list[UsageError]:
    out = []
    for path in nonfinite_paths(data):
        loc = nearest(positions, (*base_path, *path)) if positions else None  # type: ignore[arg-type]
        out.append(error_cls(
            f"{_json_path(path)} is NaN or infinite", file=file,
            line=loc[0] if loc else None, column=loc[1] if loc else None,
            fix="write a finite number (.nan, .inf and overflowing numbers are refused)"))
    return out
