"""``guardrails facts [KIND]``: the facts the sources gathered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from guardrails.cli.explain import find_rule
from guardrails.cli.options import config_option, echo, echo_json, plugin_option, session_for
from guardrails.errors import UsageError
from guardrails.exits import wrap_session
from guardrails.fmt import number
from guardrails.textsafe import printable

if TYPE_CHECKING:
    from guardrails.session import Session


@click.command()
@click.argument("kind", required=False)
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              help="table: a few columns a fact; json: every field.")
@click.option("--now", "now", metavar="DATE", help="Gather as of this date or timestamp.")
@click.option("--offline", is_flag=True, help="Use cached HTTP data only.")
@click.option("--rule", "rule_id", metavar="RULE_ID",
              help="Only the facts this rule reads.")
@click.option("--compare", "compare", type=click.Choice(["gitlab-dora"]),
              help="Set the DORA metrics beside GitLab's own (GitLab Ultimate's DORA API).")
@plugin_option
def facts(kind: str | None, config_file: str | None, fmt: str, now: str | None,
          offline: bool, rule_id: str | None, compare: str | None,
          plugins: tuple[str, ...]) -> int:
    """Show the facts the sources gathered (all kinds, or KIND)."""
    def body() -> int:
        with session_for(config_file, plugins, now=now, offline=offline) as session:
            if compare:
                return show_comparison(session, fmt)
            return show_facts(session, kind, fmt, rule_id)

    return wrap_session(body)


command = facts


_COLUMNS = {
    "teams": ("id", "type", "size", "services"),
    "services": ("id", "owner", "tier"),
    "deployments": ("id", "service", "finished_at", "status", "environment", "kind", "failed"),
    "incidents": ("id", "severity", "service", "created_at", "resolved_at", "caused_by",
                  "postmortem"),
    "changes": ("id", "author", "merged_at", "additions", "deletions", "deployment"),
    "ci_runs": ("id", "workflow", "started_at", "finished_at", "conclusion"),
    "iterations": ("team", "start", "end", "capacity", "committed"),
    "goals": ("id", "team", "objective"),
    "postmortems": ("id", "incident", "status", "published_at"),
    "survey_answers": ("team", "date", "q1", "q2", "q3", "q4", "q5", "q6"),
    "commits": ("sha", "author", "authored_at"),
    "modules": ("id",),
}


def show_facts(session: Session, kind: str | None, fmt: str, rule_id: str | None) -> int:
    """Gather the facts asked for (a kind, a rule's, or all) and print them."""
    from guardrails.factjson import to_jsonable

    session.collect()
    if rule_id:
        rule = find_rule(session, rule_id)
        check = session.checks[rule.check]
        kinds = sorted(check.needs(rule, session.metrics))
    else:
        # Every kind any configured source provides.
        kinds = []
    if kind:
        known = set(session.store.kinds) | _provided_kinds(session)
        if kind not in known:
            import difflib

            close = difflib.get_close_matches(kind, sorted(known), n=1)
            raise UsageError(f"unknown fact kind {kind!r}",
                             fix=(f"did you mean {close[0]!r}? " if close else "")
                             + f"kinds: {', '.join(sorted(known))}")
        kinds = [kind]
    session.gather(kinds or set(session.store.kinds))
    shown = kinds or session.store.gathered()
    if fmt == "json":
        out: dict[str, Any] = {}
        for k in shown:
            out[k] = {"error": str(session.store.failed[k])} if k in session.store.failed else [
                to_jsonable(k, f, session.store.kinds) for f in session.store.get(k)]
        echo_json(out, indent=2, ensure_ascii=False, default=str)
        return 0
    for w in session.warnings:
        echo(printable(f"warning: {w}"))
    for k in shown:
        if k in session.store.failed:
            echo(printable(f"{k}: ERROR {session.store.failed[k]}"))
            continue
        items = session.store.get(k)
        sources = ", ".join(session.store.provided_by.get(k, [])) or "no source"
        echo(f"{k}: {len(items)} from {sources}")
        _table(k, items)
        echo()
    return 0


def show_comparison(session: Session, fmt: str) -> int:
    """Our DORA numbers beside GitLab's (``--compare gitlab-dora``)."""
    from guardrails.sources import gitlab_dora

    session.collect()
    rows = gitlab_dora.compare(session)
    failed = {k: str(e) for k, e in session.store.failed.items()}
    if fmt == "json":
        echo_json({"compare": "gitlab-dora", "errors": failed,
                   "metrics": [vars(r) for r in rows]}, indent=2, ensure_ascii=False)
        return 0
    for w in session.warnings:
        echo(printable(f"warning: {w}"))
    for kind, err in sorted(failed.items()):
        echo(printable(f"{kind}: ERROR {err}"))
    for line in gitlab_dora.render(rows):
        echo(line)
    return 0


def _provided_kinds(session: Session) -> set[str]:
    """Kinds the configured sources say they provide (plugins may add kinds)."""
    from guardrails.plugin import SourceEnv

    types = session.source_types()
    env = SourceEnv(root=session.config.root, now=session.now, window=session.config.window)
    out: set[str] = set()
    for name, opts in session.config.sources.items():
        cls = types.get(name)
        if cls is None:
            continue
        try:
            out |= cls(opts, env).provides()
        except Exception:  # a source that cannot even say what it provides adds nothing
            continue
    return out


def _cell(v: Any) -> str:
    return printable(_cell_text(v))


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dict):
        # A joined fact shows its id; a table of its own (CODEOWNERS files) its size.
        named = v.get("id") or v.get("file")
        return str(named) if named is not None else (str(len(v)) if v else "-")
    if isinstance(v, list):
        if any(isinstance(x, dict) and x.get("id") is None for x in v):
            return str(len(v))  # records without ids (CODEOWNERS entries): how many
        return ",".join(str(x.get("id") if isinstance(x, dict) else x) for x in v) or "-"
    if isinstance(v, float):
        return number(v)
    return str(v)


def _table(kind: str, items: list[dict[str, Any]], limit: int = 20) -> None:
    if not items:
        return
    cols = _COLUMNS.get(kind) or tuple(list(items[0])[:6])
    rows = [[_cell(f.get(c)) for c in cols] for f in items[:limit]]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    widths = [min(w, 40) for w in widths]
    echo("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip())
    for r in rows:
        echo("  " + "  ".join(v[:w].ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    if len(items) > limit:
        echo(f"  ... {len(items) - limit} more (--format json shows all)")
