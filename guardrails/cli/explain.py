"""``guardrails explain RULE_ID``: what a rule checks and why it matters."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

import click

from guardrails.cli.list import _plain, check_label
from guardrails.cli.options import config_option, echo, plugin_option, session_for
from guardrails.errors import UsageError
from guardrails.exits import wrap_session
from guardrails.model import Rule

if TYPE_CHECKING:
    from guardrails.session import Session

EXPLAIN_SECTIONS = (
    ("what", "What it checks"),
    ("why", "Why it matters"),
    ("default", "Default and where it comes from"),
    ("fix", "How to fix a failure"),
    ("data", "Data it needs"),
)


@click.command()
@click.argument("rule_id")
@config_option
@click.option("--focus")
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
    """Print what a rule checks, in the fixed sections."""
    rule = find_rule(session, rule_id)
    check = session.checks.get(rule.check)
    echo(f"{rule.nodeid} - {rule.title}")
    echo(f"check: {check_label(rule)}, severity: {rule.severity.value}, "
          f"tags: {', '.join(rule.tags) or '-'}")
    echo(f"defined in: {rule.file}:{rule.line}{' (builtin)' if rule.builtin else ''}")
    params = {k: v for k, v in rule.params.items() if k != "metric"}
    if params:
        echo("parameters:")
        for k, v in params.items():
            note = ""
            if rule.defaults.get(k) != v:
                note = f"  (default {rule.defaults.get(k)!r}"
                note += f", focus {rule.focus_applied})" if rule.focus_applied else ")"
            echo(f"  {k}: {json.dumps(_plain(v))}{note}")
    if rule.focus_overrides:
        echo("focus overrides:")
        for focus, ov in rule.focus_overrides.items():
            shown = ", ".join(f"{k}: {json.dumps(_plain(v))}" for k, v in ov.items())
            mark = "  <- current focus" if focus == session.config.focus else ""
            echo(f"  {focus}: {shown}{mark}")
    explain = dict(rule.explain)
    if not explain.get("what"):
        explain["what"] = rule.description or (check.doc if check else "")
    needs = sorted(check.needs(rule, session.metrics)) if check else []
    data = explain.get("data", "")
    if needs:
        data = (data + "\n" if data else "") + f"Fact kinds read: {', '.join(needs)}."
    explain["data"] = data
    for key, heading in EXPLAIN_SECTIONS:
        text = (explain.get(key) or "").strip()
        if not text:
            continue
        echo()
        echo(heading)
        for para in text.splitlines():
            echo(textwrap.fill(para, width=88, initial_indent="  ", subsequent_indent="  ")
                  if para.strip() else "")
    return 0
