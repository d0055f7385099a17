"""The bodies of ``list``, ``explain``, ``facts``, ``init`` and ``schema``."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from guardrails import facts as factsmod
from guardrails.errors import UsageError
from guardrails.model import Rule
from guardrails.textsafe import printable

if TYPE_CHECKING:
    from guardrails.session import Session

EXPLAIN_SECTIONS = (
    ("what", "What it checks"),
    ("why", "Why it matters"),
    ("default", "Default and where it comes from"),
    ("fix", "How to fix a failure"),
    ("data", "Data it needs"),
)


def _echo(text: str = "") -> None:
    # Rule titles, ids and fact values come from files and HTTP answers: shown, not obeyed.
    click.echo(printable(text, newlines=True))


# ---------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------


def list_rules(session: Session, fmt: str) -> int:
    from guardrails.session import ExitCode

    session.collect()
    rules = session.rules
    if fmt == "json":
        _echo(json.dumps([_rule_json(r) for r in rules], indent=2))
        return ExitCode.OK if rules else ExitCode.NO_RULES_COLLECTED
    if not rules:
        _echo("no rules collected")
        return ExitCode.NO_RULES_COLLECTED
    w_id = max(len(r.nodeid) for r in rules)
    w_check = max(len(_check_label(r)) for r in rules)
    for r in rules:
        tags = ", ".join(r.tags)
        _echo(f"{r.nodeid.ljust(w_id)}  {_check_label(r).ljust(w_check)}  "
              f"{r.severity.value:<7}  [{tags}]  {r.title}".rstrip())
    extra = f", {session.deselected} deselected" if session.deselected else ""
    _echo(f"\n{len(rules)} rule{'s' if len(rules) != 1 else ''}{extra}")
    return ExitCode.OK


def _check_label(r: Rule) -> str:
    return f"metric:{r.params['metric']}" if r.check == "metric" else r.check


def _rule_json(r: Rule) -> dict[str, Any]:
    return {
        "id": r.nodeid, "title": r.title, "check": r.check, "severity": r.severity.value,
        "tags": list(r.tags), "params": _plain(dict(r.params)), "file": r.file, "line": r.line,
        "focus": r.focus_applied,
    }


def _plain(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


# ---------------------------------------------------------------------------
# explain
# ---------------------------------------------------------------------------


def _find_rule(session: Session, rule_id: str) -> Rule:
    from guardrails.rulepaths import builtin_packs

    session.collect()
    candidates = list(session.rules)
    if not any(r.nodeid == rule_id for r in candidates):
        # Every builtin rule can be explained, configured or not: its own pack
        # first (so one broken pack cannot break explain for the others).
        pack = rule_id.split("::", 1)[0]
        packs = list(builtin_packs())
        order = [[pack]] if pack in packs else []
        order.append(packs)
        saved = session.options.paths
        try:
            for names in order:
                session.options.paths = tuple(f"builtin:{p}" for p in names)
                session.collect()
                candidates += session.rules
                if any(r.nodeid == rule_id for r in session.rules):
                    break
        finally:
            session.options.paths = saved
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
    rule = _find_rule(session, rule_id)
    check = session.checks.get(rule.check)
    _echo(f"{rule.nodeid} - {rule.title}")
    _echo(f"check: {_check_label(rule)}, severity: {rule.severity.value}, "
          f"tags: {', '.join(rule.tags) or '-'}")
    _echo(f"defined in: {rule.file}:{rule.line}{' (builtin)' if rule.builtin else ''}")
    params = {k: v for k, v in rule.params.items() if k != "metric"}
    if params:
        _echo("parameters:")
        for k, v in params.items():
            note = ""
            if rule.defaults.get(k) != v:
                note = f"  (default {rule.defaults.get(k)!r}"
                note += f", focus {rule.focus_applied})" if rule.focus_applied else ")"
            _echo(f"  {k}: {json.dumps(_plain(v))}{note}")
    if rule.focus_overrides:
        _echo("focus overrides:")
        for focus, ov in rule.focus_overrides.items():
            shown = ", ".join(f"{k}: {json.dumps(_plain(v))}" for k, v in ov.items())
            mark = "  <- current focus" if focus == session.config.focus else ""
            _echo(f"  {focus}: {shown}{mark}")
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
        _echo()
        _echo(heading)
        for para in text.splitlines():
            _echo(textwrap.fill(para, width=88, initial_indent="  ", subsequent_indent="  ")
                  if para.strip() else "")
    return 0


# ---------------------------------------------------------------------------
# facts
# ---------------------------------------------------------------------------

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
    session.collect()
    if rule_id:
        rule = _find_rule(session, rule_id)
        session.rules = [rule]
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
    _gather_all(session, kinds)
    shown = kinds or session.store.gathered()
    if fmt == "json":
        out: dict[str, Any] = {}
        for k in shown:
            out[k] = {"error": str(session.store.failed[k])} if k in session.store.failed else [
                factsmod.to_jsonable(k, f, session.store.kinds) for f in session.store.get(k)]
        _echo(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return 0
    for w in session.warnings:
        _echo(f"warning: {w}")
    for k in shown:
        if k in session.store.failed:
            _echo(f"{k}: ERROR {session.store.failed[k]}")
            continue
        items = session.store.get(k)
        sources = ", ".join(session.store.provided_by.get(k, [])) or "no source"
        _echo(f"{k}: {len(items)} from {sources}")
        _table(k, items)
        _echo()
    return 0


def _provided_kinds(session: Session) -> set[str]:
    """Kinds the configured sources say they provide (plugins may add kinds)."""
    from guardrails.plugin import SourceEnv

    assert session.pm is not None
    types = {cls.name: cls for group in session.pm.hook.guardrails_gather_sources()
             for cls in group or ()}
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


def _gather_all(session: Session, kinds: list[str]) -> None:
    original = session.needed_kinds
    if kinds:
        wanted = session.store.kinds.with_requirements(kinds)
    else:
        wanted = set(session.store.kinds)
    session.needed_kinds = lambda: wanted  # type: ignore[method-assign]
    try:
        session.gather()
    finally:
        session.needed_kinds = original  # type: ignore[method-assign]


def _cell(v: Any) -> str:
    return printable(_cell_text(v))


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dict):
        return str(v.get("id") or v.get("file") or "yes")
    if isinstance(v, list):
        return ",".join(str(x.get("id") if isinstance(x, dict) else x) for x in v) or "-"
    return str(v)


def _table(kind: str, items: list[dict[str, Any]], limit: int = 20) -> None:
    if not items:
        return
    cols = _COLUMNS.get(kind) or tuple(list(items[0])[:6])
    rows = [[_cell(f.get(c)) for c in cols] for f in items[:limit]]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    widths = [min(w, 40) for w in widths]
    _echo("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip())
    for r in rows:
        _echo("  " + "  ".join(v[:w].ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    if len(items) > limit:
        _echo(f"  ... {len(items) - limit} more (--format json shows all)")


# ---------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------

INIT_CONFIG = """\
# guardrails configuration: see README "Configuration" and docs/configuration.md
focus:
  current: stability          # stability | throughput | knowledge-sharing
  # Fill in: the date your team last agreed on this focus. Until then the rule
  # goals::focus-revisited fails and says so.
  reviewed_on: YYYY-MM-DD
rules:
  - builtin:stability
  - builtin:incidents
  - builtin:teams
  - builtin:delivery
  - builtin:goals
  - builtin:culture
  - ./guardrails/rules/       # your own rule packs (one .yaml file a pack)
sources:
  files: {{path: org}}
{git}# waivers:
#   - rule: teams::two-pizza-teams
#     subject: team/platform
#     reason: splitting the team in Q1
#     expires: 2027-01-31
window: 90d
# strict: true                # rules skipped for lack of data fail (as --strict)
"""

INIT_TEAMS = """\
# One entry per team; see 'guardrails schema teams'.
teams:
  - id: platform
    name: Platform
    type: platform
    members:
      - {handle: alice, name: Alice Example, email: alice@example.com}
      - {handle: bob, name: Bob Example, email: bob@example.com}
      - {handle: carol, name: Carol Example, email: carol@example.com}
"""

INIT_RULES = """\
# Your own rules: every .yaml file in this folder is a pack ('guardrails schema rules').
# Rule ids are pack::id, here local::teams-declared.
pack: local
description: Rules of our own, next to the builtin packs.
rules:
  - id: teams-declared
    title: At least one team is declared in org/teams.yaml
    check: count
    facts: teams
    min: 1
    severity: error
    tags: [teams]
"""


def scaffold(directory: Path) -> int:
    """Write guardrails.yaml, org/teams.yaml and guardrails/rules/local.yaml; never overwrite.

    Every file is written whole (fileio.atomic_write); a folder where nothing
    can be written (read-only, a file in the way) is a usage error naming it.
    """
    from guardrails.fileio import atomic_write

    targets = {
        # In a git repository, ownership rules (bus factor, CODEOWNERS) read its history.
        directory / "guardrails.yaml": INIT_CONFIG.format(
            git="  git: {path: .}\n" if (directory / ".git").exists() else ""),
        directory / "org" / "teams.yaml": INIT_TEAMS,
        directory / "guardrails" / "rules" / "local.yaml": INIT_RULES,
    }
    existing = [p for p in targets if p.exists() or p.is_symlink()]
    if existing:
        raise UsageError(
            f"{', '.join(str(p) for p in existing)} already exist(s); nothing was written",
            fix="edit the existing files, or run 'guardrails init --dir NEW_FOLDER'",
        )
    doing = f"create folder {directory}"
    try:
        for path in targets:
            doing = f"create folder {path.parent}"
            path.parent.mkdir(parents=True, exist_ok=True)
        for path, text in targets.items():
            doing = f"write {path}"
            atomic_write(path, text)
            _echo(f"created {path}")
    except OSError as exc:
        raise UsageError(f"cannot {doing}: {exc.strerror or exc}",
                         fix="run 'guardrails init' in a folder you can write to, "
                         "or pass --dir FOLDER") from None
    _echo("\nnext: fill in focus.reviewed_on in guardrails.yaml, add your data to org/ "
          "(see 'guardrails schema deployments'), then run 'guardrails check'")
    return 0


# ---------------------------------------------------------------------------
# schema
# ---------------------------------------------------------------------------


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

    if not name:
        _echo("schemas: " + ", ".join(SCHEMA_NAMES))
        _echo("usage: guardrails schema NAME")
        return 0
    if name == "rules":
        schema = composed_rules_schema(plugins)
    else:
        if name not in SCHEMA_NAMES:
            raise UsageError(f"no schema named {name!r}",
                             fix=f"use one of: {', '.join(SCHEMA_NAMES)}")
        schema = load_schema(name)
        if document:
            if name not in DOCUMENT_KEYS:
                raise UsageError(f"--document applies to data kinds, not {name!r}",
                                 fix=f"use one of: {', '.join(DOCUMENT_KEYS)}")
            schema = document_schema(name, schema)
    _echo(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0


def composed_rules_schema(plugins: tuple[str, ...] = ()) -> dict[str, Any]:
    """The pack schema with each registered check's own keys, for editors."""
    import copy

    from guardrails.collect import registered_checks
    from guardrails.manager import create_manager
    from guardrails.rulefile import check_schema
    from guardrails.validation import load_schema

    disabled = tuple(p[3:] for p in plugins if p.startswith("no:"))
    pm = create_manager(disabled)
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
