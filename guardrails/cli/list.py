"""``guardrails list``: the collected rules, without evaluating them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from guardrails.cli.options import config_option, echo, echo_json, plugin_option, session_for
from guardrails.exits import wrap_session
from guardrails.fmt import pad_width, plural
from guardrails.model import ExitCode, Rule
from guardrails.rulehelp import check_label, plain_json
from guardrails.textsafe import inert_line, printable

if TYPE_CHECKING:
    from guardrails.session import Session


@click.command("list")
@config_option
@click.option("-k", "keyword", metavar="EXPR", help="Only rules whose id or tags match "
              "the substring expression (as check -k).")
@click.option("-m", "markexpr", metavar="TAGS", help="Only rules with these tags "
              "(expression: 'dora or teams').")
@click.option("--focus", help="List under this execution focus (overrides the config): "
              "the rules it enables or disables.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="text: one line per rule; json: a list of the rules' fields.")
@plugin_option
def list_cmd(config_file: str | None, keyword: str | None, markexpr: str | None,
             focus: str | None, fmt: str, plugins: tuple[str, ...]) -> int:
    """Show the collected rules (id, check, severity, tags) without evaluating."""
    def body() -> int:
        with session_for(config_file, plugins, keyword=keyword, markexpr=markexpr,
                         focus=focus) as session:
            return list_rules(session, fmt)

    return wrap_session(body)


command = list_cmd


def list_rules(session: Session, fmt: str) -> int:
    """Print the selected rules; exit code 5 when there are none."""
    rules = session.collect()
    deselected = session.deselected
    # what configuring and collecting warned of (a -m/-k name matching no rule, a
    # -p no: naming no plugin): list is where a selection is previewed
    for w in session.warnings:
        click.echo(inert_line(printable(f"warning: {w}")), err=True)
    if fmt == "json":
        echo_json([_rule_json(r) for r in rules], indent=2)
        return ExitCode.OK if rules else ExitCode.NO_RULES_COLLECTED
    if not rules:
        echo("no rules collected")
        return ExitCode.NO_RULES_COLLECTED
    w_id = pad_width(r.nodeid for r in rules)
    w_check = pad_width(check_label(r) for r in rules)
    for r in rules:
        tags = ", ".join(r.tags)
        # one line per rule: a newline in a title or tag is shown as \n, never a line
        # of its own (a forged '::error' command in a CI log)
        echo(inert_line(printable(f"{r.nodeid.ljust(w_id)}  {check_label(r).ljust(w_check)}  "
                                  f"{r.severity.value:<7}  [{tags}]  {r.title}".rstrip())))
    extra = f", {deselected} deselected" if deselected else ""
    echo(f"\n{plural(len(rules), 'rule')}{extra}")
    return ExitCode.OK


def _rule_json(r: Rule) -> dict[str, Any]:
    return {
        "id": r.nodeid, "title": r.title, "check": r.check, "severity": r.severity.value,
        "tags": list(r.tags), "params": plain_json(dict(r.params)), "file": r.file, "line": r.line,
        "focus": r.focus_applied,
    }
