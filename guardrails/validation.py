"""JSON Schema validation with errors a person can act on.

Schemas ship in ``guardrails/schemas/*.json`` (Draft 2020-12) and are printed
by ``guardrails schema NAME``. Errors name the file, the line and column of
the offending node, the schema path, and what was expected.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import Any

from guardrails.errors import UsageError
from guardrails.yamlio import PathKey, Position, nearest

SCHEMA_NAMES = (
    "config", "rules", "report",
    "teams", "services", "deployments", "incidents", "changes", "ci_runs",
    "iterations", "goals", "postmortems", "survey_answers",
)


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    try:
        text = resources.files("guardrails.schemas").joinpath(f"{name}.json").read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"no schema named {name!r}",
            fix=f"use one of: {', '.join(SCHEMA_NAMES)}",
        ) from None
    return json.loads(text)


@functools.cache
def validator_for(name: str):  # type: ignore[no-untyped-def]
    return make_validator(load_schema(name))


def make_validator(schema: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _json_path(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_UNEXPECTED = re.compile(r"\('?(.*?)'? (?:was|were) unexpected\)")


def _suggest(error: Any) -> str:
    """For an unknown key, suggest the closest allowed one."""
    m = _UNEXPECTED.search(error.message)
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


def describe_error(error: Any) -> tuple[str, str]:
    """(message, fix hint) for one jsonschema error."""
    where = _json_path(error.absolute_path)
    schema_path = "/".join(str(p) for p in error.absolute_schema_path)
    msg = f"{error.message} at {where} (schema path: {schema_path})"
    return msg, _suggest(error)


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
    v = validator_for(schema) if isinstance(schema, str) else make_validator(schema)
    errors = list(v.iter_errors(data))
    if not errors:
        return
    err = _best(errors)
    msg, fix = describe_error(err)
    pos_map = positions() if callable(positions) else (positions or {})
    where = (*base_path, *err.absolute_path)
    m = _UNEXPECTED.search(err.message) if err.validator in (
        "additionalProperties", "unevaluatedProperties") else None
    if m:
        # Point at the unexpected key itself, not at the mapping holding it.
        first = re.split(r"'?, '?", m.group(1))[0]
        if (*where, first) in pos_map:
            where = (*where, first)
    loc = nearest(pos_map, where) if pos_map else None
    raise error_cls(
        f"invalid {what}: {msg}",
        file=file,
        line=loc[0] if loc else None,
        column=loc[1] if loc else None,
        fix=fix or None,
    )
