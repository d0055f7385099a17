"""``guardrails explain RULE_ID``: what a rule checks and why it matters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from guardrails.cli.options import config_option, echo, plugin_option, session_for
from guardrails.errors import UsageError
from guardrails.exits import wrap_session
from guardrails.model import Rule

if TYPE_CHECKING:
    from guardrails.session import Session


@click.command()
@click.argument("rule_id")
@config_option
@click.option("--focus", help="Explain under this execution focus (overrides the "
              "config): its parameters and severity.")
@plugin_option
def explain(rule_id: str, config_file: str | None, focus: str | None,
            plugins: tuple[str, ...]) -> int:
    """What a rule checks, its parameters, its data needs, and why it matters.

    Works on the configured rules and on every builtin rule, with or without a config.
    """
    def body() -> int:
        with session_for(config_file, plugins, focus=focus, allow_no_config=True) as session:
            return explain_rule(session, rule_id)

    return wrap_session(body)


command = explain


def find_rule(session: Session, rule_id: str) -> Rule:
    """The rule with this id: configured, or else builtin; a usage error names close ids."""
    from guardrails.rulepaths import builtin_packs

    candidates = list(session.collect())
    if not any(r.nodeid == rule_id for r in candidates):
        # Every builtin rule can be explained, configured or not: its own pack
        # first (so one broken pack cannot break explain for the others).
        pack = rule_id.split("::", 1)[0]
        packs = list(builtin_packs())
        order = [[pack]] if pack in packs else []
        order.append(packs)
        for names in order:
            got = session.collect([f"builtin:{p}" for p in names])
            candidates += got
            if any(r.nodeid == rule_id for r in got):
                break
    for r in candidates:
        if r.nodeid == rule_id:
            return r
    matches = [r.nodeid for r in candidates if rule_id in r.nodeid]
    import difflib

    close = matches or difflib.get_close_matches(rule_id, [r.nodeid for r in candidates], n=3)
    raise UsageError(
        f"no rule {rule_id!r}",
        fix=(f"did you mean {', '.join(sorted(set(close)))}? " if close else "")
        + "'guardrails list' shows the collected rules; ids are pack::rule-id",
    )


def explain_rule(session: Session, rule_id: str) -> int:
    """Print what a rule checks, in the fixed sections (the text SARIF's help carries)."""
    from guardrails import rulehelp

    rule = find_rule(session, rule_id)
    help = rulehelp.build(rule, session.checks.get(rule.check), session.metrics,
                          session.config.focus)
    echo(rulehelp.text(help))
    return 0
