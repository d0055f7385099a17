"""The run as a :class:`~guardrails.model.Report`: what every reporter shows.

:meth:`guardrails.session.Session.report` is this module's :func:`build_report`.
The session conducts the phases; this turns its state (header, sources,
results, rules with their help, waivers, earlier values from the history
store) into the report's data, and is the only place that knows the report's
shape beyond :mod:`guardrails.model`. Kept apart so the conductor reads as the
phases it runs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from guardrails.configmodel import DEFAULT_HISTORY_DIR, Config
from guardrails.installed import pluggy_version, python_version
from guardrails.model import (
    ExitCode,
    Header,
    PluginSummary,
    Report,
    Result,
    Rule,
    RuleHelp,
    RuleSummary,
    SourceSummary,
    WaiverSummary,
)
from guardrails.timeutil import iso

if TYPE_CHECKING:
    from guardrails.gathering import SourceState
    from guardrails.manager import GuardrailsPluginManager


class SessionView(Protocol):
    """What the report reads of :class:`guardrails.session.Session` (named here, not
    imported: the session imports this module); the underscored ones are the session's
    own bookkeeping (the header's lines and warnings before the first rule, two caches)."""

    config: Config
    now: datetime
    pm: GuardrailsPluginManager | None
    rules: list[Rule]
    checks: Mapping[str, Any]
    metrics: Mapping[str, Any]
    sources: dict[str, SourceState]
    results: list[Result]
    warnings: list[str]
    collected: int
    deselected: int
    stopped_early: str | None
    start_time: float
    timings: dict[str, float]
    _header_lines: list[str]
    _warnings_at_start: int
    _repo_root: str | None
    _help: dict[str, RuleHelp]

    def exit_code(self) -> ExitCode: ...


#: at most this many earlier points per rule go into a report (two years of weekly runs)
HISTORY_POINTS = 104


def build_report(session: SessionView, exit_code: int | None = None) -> Report:
    """The run as a :class:`Report`: everything any reporter shows."""
    from guardrails import __version__

    assert session.pm is not None
    cfg = session.config
    code = int(session.exit_code() if exit_code is None else exit_code)
    header = Header(
        guardrails=__version__, python=python_version(),
        pluggy=pluggy_version(),
        plugins=[PluginSummary(i.name, i.module, i.dist, i.version)
                 for i in getattr(session.pm, "infos", ())],
        rootdir=str(cfg.root), config=cfg.display_path,
        config_path=str(cfg.path) if cfg.path is not None else None,
        config_rules_line=cfg.line_of("rules") if cfg.path is not None else None,
        repository_root=repository_root(session),
        focus_reviewed_on=iso(cfg.focus_reviewed_on) if cfg.focus_reviewed_on else None,
        window_days=cfg.window.total_seconds() / 86400,
        lines=list(session._header_lines), warnings_at_start=session._warnings_at_start,
    )
    sources = []
    for name, state in session.sources.items():
        status = "failed" if state.error is not None else (
            "ok" if state.counts else "not needed")
        sources.append(SourceSummary(
            name=name, description=state.source.describe(), counts=dict(state.counts),
            state=status, error=state.error.message if state.error is not None else None))
    return Report(
        now=iso(session.now) or "", focus=cfg.focus, results=list(session.results),
        duration=time.perf_counter() - session.start_time, exit_code=code,
        warnings=list(session.warnings), header=header, sources=sources,
        rules=[RuleSummary(id=r.nodeid, title=r.title, severity=r.severity, tags=r.tags,
                           file=r.file, line=r.line, builtin=r.builtin,
                           help=rule_help(session, r))
               for r in session.rules],
        collected=session.collected, deselected=session.deselected,
        stopped_early=session.stopped_early,
        waivers=[WaiverSummary(rule=w.rule, reason=w.reason, expires=str(w.expires),
                               subject=w.subject,
                               active=w.active(session.now, cfg.timezone))
                 for w in cfg.waivers],
        timings=dict(session.timings),
        history=history_points(session),
    )


def history_points(session: SessionView) -> dict[str, list[list[Any]]] | None:
    """Each rule's earlier values from the history store (``check --record``), oldest
    first and at most :data:`HISTORY_POINTS`, for charts over time; None when the
    project keeps no history (or its store cannot be read: ``history`` says why), and
    for ``check --example``: the demo's report is the same wherever it runs, whatever
    history a user backfilled into the example's folder (docs/history.md)."""
    if session.config.options.example:
        return None
    text = session.config.data.get("history_dir") or DEFAULT_HISTORY_DIR
    if not isinstance(text, str) or not (session.config.root / text).is_dir():
        return None  # most runs keep no history: no import, no read
    from guardrails import history as hist
    from guardrails.errors import GuardrailsError

    try:
        folder = hist.history_dir(session.config)
        if not folder.is_dir():
            return None
        entries = hist.load(folder, session.config.root).entries
    except (GuardrailsError, OSError):
        return None
    wanted = {r.id for r in session.results}
    out: dict[str, list[list[Any]]] = {}
    for entry in entries:
        if session.now is not None and entry.now >= session.now:
            continue
        for rule, result in entry.results.items():
            value = result.get("value")
            if rule in wanted and isinstance(value, int | float) \
                    and not isinstance(value, bool):
                out.setdefault(rule, []).append([iso(entry.now), value])
    return {k: v[-HISTORY_POINTS:] for k, v in sorted(out.items())} or None


def repository_root(session: SessionView) -> str:
    """The repository the config's root is in, found once per session (reporters
    make paths relative to it)."""
    if session._repo_root is None:
        from guardrails.paths import repository_root as find_root

        session._repo_root = str(find_root(session.config.root))
    return session._repo_root


def rule_help(session: SessionView, rule: Rule) -> RuleHelp:
    """What ``explain`` prints about the rule, kept once per rule for every report."""
    from guardrails import rulehelp

    got = session._help.get(rule.nodeid)
    if got is None:
        got = session._help[rule.nodeid] = rulehelp.build(
            rule, session.checks.get(rule.check), session.metrics, session.config.focus)
    return got
