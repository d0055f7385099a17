"""``guardrails schema [NAME]``: the JSON Schemas of rule files, config, report and data."""

from __future__ import annotations

from typing import Any

import click

from guardrails.cli.options import echo, echo_json, plugin_option
from guardrails.errors import UsageError
from guardrails.exits import wrap_session


@click.command()
@click.argument("name", required=False)
@click.option("--document", is_flag=True,
              help="For a data kind: the schema of a whole YAML/JSON file (teams: [...]), "
              "for editors, instead of one record's.")
@plugin_option
def schema(name: str | None, document: bool, plugins: tuple[str, ...]) -> int:
    """Print the JSON Schema of rule files, the config, the report or a data file.

    \b
    Examples:
      guardrails schema rules > .guardrails-rules.schema.json
      guardrails schema deployments            one deployment record
      guardrails schema teams --document       a whole org/teams.yaml
    """
    return wrap_session(lambda: print_schema(name, plugins, document))


command = schema


# The mapping keys a whole data file may use, per kind (DATA.md "Validation").
DOCUMENT_KEYS = {
    "teams": ("teams",), "services": ("services",), "goals": ("goals",),
    "iterations": ("iterations",), "deployments": ("deployments",),
    "incidents": ("incidents",), "changes": ("pull_requests", "changes"),
    "ci_runs": ("ci_runs",), "survey_answers": ("survey_answers", "answers"),
}


def document_schema(name: str, record: dict[str, Any]) -> dict[str, Any]:
    """A whole data file: ``{<plural>: [record, ...]}`` (YAML) or a JSON list."""
    keys = DOCUMENT_KEYS[name]
    items = {k: v for k, v in record.items() if k not in ("$schema", "$id", "$defs")}
    # The record's own definitions move to the document root, where its
    # "#/$defs/..." references now resolve.
    defs = {**record.get("$defs", {}), "record": items}
    listing = {"type": "array", "items": {"$ref": "#/$defs/record"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{name} file",
        "description": f"A whole {name} data file: a mapping with one of "
                       f"{', '.join(keys)} holding the records, or (JSON) a list of them.",
        "anyOf": [listing, *({"type": "object", "required": [k],
                              "properties": {k: listing}, "additionalProperties": False}
                             for k in keys)],
        "$defs": defs,
    }


def print_schema(name: str | None, plugins: tuple[str, ...], document: bool = False) -> int:
    from guardrails.validation import SCHEMA_NAMES, load_schema

    kinds = _kind_schemas(plugins)
    names = list(SCHEMA_NAMES) + [k for k, v in kinds.items()
                                   if v is not None and k not in SCHEMA_NAMES]
    if not name:
        echo("schemas: " + ", ".join(names))
        echo("usage: guardrails schema NAME")
        return 0
    if name == "rules":
        schema = composed_rules_schema(plugins)
    elif name in SCHEMA_NAMES:
        schema = load_schema(name)
    elif name in kinds:
        # A plugin's fact kind: the schema it registered (None: it declares none).
        declared = kinds[name]
        if declared is None:
            raise UsageError(f"the fact kind {name!r} has no JSON Schema: a source builds "
                             "its facts, nobody writes them in a data file",
                             fix=f"`guardrails facts {name}` shows what they hold")
        schema = dict(declared)
    else:
        raise UsageError(f"no schema named {name!r}", fix=f"use one of: {', '.join(names)}")
    if document:
        if name not in DOCUMENT_KEYS:
            # Only the files source reads whole YAML/JSON documents; other kinds
            # (git's, postmortem markdown, a plugin's) come in their own formats.
            raise UsageError(f"--document applies to the files source's data kinds, not {name!r}",
                             fix=f"use one of: {', '.join(DOCUMENT_KEYS)}")
        schema = document_schema(name, schema)
    echo_json(schema, indent=2, ensure_ascii=False)
    return 0


def _kind_schemas(plugins: tuple[str, ...]) -> dict[str, Any]:
    """Every registered fact kind (plugins' included) -> its record schema or None."""
    from guardrails.kinds import KindRegistry

    pm = _manager(plugins)
    registry = KindRegistry.from_hook(pm.hook.guardrails_fact_kinds())
    return {name: registry[name].schema_dict() for name in registry}


def composed_rules_schema(plugins: tuple[str, ...] = ()) -> dict[str, Any]:
    """The pack schema with each registered check's own keys, for editors."""
    import copy

    from guardrails.collect import registered_checks
    from guardrails.ruleparams import check_schema
    from guardrails.validation import load_schema

    pm = _manager(plugins)
    schema = copy.deepcopy(load_schema("rules"))
    rule = schema["$defs"]["rule"]
    checks = registered_checks(pm)
    rule["properties"]["check"]["enum"] = sorted(checks)
    rule["allOf"] = [
        {"if": {"properties": {"check": {"const": name}}, "required": ["check"]},
         "then": check_schema(check)}
        for name, check in sorted(checks.items())
    ]
    return schema


def _manager(plugins: tuple[str, ...]) -> Any:
    """Installed plugins, less ``-p no:NAME``, plus ``-p MODULE`` (no config is read)."""
    from guardrails.cli.options import split_plugins
    from guardrails.manager import create_manager

    disabled, extra = split_plugins(plugins)
    return create_manager(disabled, extra)
