"""``guardrails validate [FILES]``: the offline pre-commit check (body in guardrails.precommit)."""

from __future__ import annotations

import sys

import click

from guardrails.cli.options import config_option
from guardrails.exits import wrap_session


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@config_option
def validate(files: tuple[str, ...], config_file: str | None) -> int:
    """Validate the config, rule packs and org data files among FILES (offline, fast).

    Files guardrails does not read are ignored; with no FILES, everything the
    config names is validated. Exit code 0, or 4 with file:line messages;
    check's warnings about the same files are printed too and never fail.
    Used by the guardrails-validate pre-commit hook.
    """
    from guardrails.precommit import validate as run_validate

    return wrap_session(lambda: run_validate(list(files), config_file, sys.stderr))


command = validate
