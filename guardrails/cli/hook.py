"""``guardrails hook [FILES]``: the rules as a git hook (body in guardrails.hookmode)."""

from __future__ import annotations

import sys

import click

from guardrails.cli.options import (
    config_option,
    file_not_option,
    parse_now_option,
    plugin_option,
    split_plugins,
)
from guardrails.exits import wrap_session


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--all", "whole", is_flag=True,
              help="Every rule, whatever changed (the pre-push gate).")
@config_option
@click.option("--offline", is_flag=True, help="Use cached HTTP data only; a source with "
              "nothing cached yet skips its rules (one line for it).")
@click.option("--baseline", metavar="FILE", type=click.Path(dir_okay=False),
              callback=file_not_option,
              help="Fail only on failures FILE does not know (as check --baseline).")
@click.option("--now", "now", metavar="DATE", help="Evaluate as of this date or timestamp.")
@plugin_option
def hook(files: tuple[str, ...], whole: bool, config_file: str | None, offline: bool,
         baseline: str | None, now: str | None, plugins: tuple[str, ...]) -> int:
    """Run the rules whose inputs FILES are, quietly (the pre-commit hooks' entry).

    FILES are the files a commit changes (pre-commit passes them): the config
    changed, every rule runs; a rule file, its rules; an org data file, the
    rules reading the fact kinds it holds. With --all, every rule (the
    guardrails-gate hook at pre-push). Prints failures, one line per source
    that could not answer offline, and one summary line. Exit codes as check;
    no rule reading FILES is 0.

    \b
    Examples:
      guardrails hook --offline org/incidents.yaml
      guardrails hook --all
    """
    from guardrails.hookmode import run_hook

    if whole and files:
        raise click.UsageError("--all runs every rule: give no FILES with it")
    disabled, extra = split_plugins(plugins)
    return wrap_session(lambda: run_hook(
        None if whole else list(files), config_file, offline=offline,
        now=parse_now_option(now), baseline=baseline, disabled_plugins=disabled,
        plugins=extra, out=sys.stdout, err=sys.stderr))


command = hook
