"""``guardrails history`` and ``guardrails trend``: metrics over time, regressions.

Both read the history store (docs/history.md); ``history --backfill SPAN``
first fills it from the data when it is empty.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from guardrails.cli.options import config_option, parse_now_option, plugin_option, split_plugins
from guardrails.configmodel import RunOptions
from guardrails.errors import UsageError
from guardrails.exits import wrap_session
from guardrails.model import ExitCode
from guardrails.textsafe import inert_json, inert_line, printable

NO_HISTORY = ("no history yet: record runs with 'guardrails check --record', or derive "
              "weeks of it from the data with 'guardrails history --backfill 26w'")


def _utf8() -> bool:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return enc in ("utf8", "utf8sig")


def _store(config_file: str | None, options: RunOptions) -> tuple[Any, Any]:
    from guardrails import history
    from guardrails.session import build_config

    config = build_config(config_file, options)
    return config, history.history_dir(config)


def _load(config: Any, folder: Any) -> Any:
    from guardrails import history

    loaded = history.load(folder, config.root)
    for w in loaded.warnings:
        click.echo(printable(f"warning: {w}"), err=True)
    return loaded


def _backfill(config: Any, folder: Any, span: str, existing: list[Any]) -> int:
    """Fill the store from the data; returns how many points were written."""
    import gc

    from guardrails import backfill, history
    from guardrails.session import Session

    session = Session(config)
    try:
        at = backfill.points(session.now, span)
    except ValueError as exc:
        raise UsageError(f"invalid --backfill {span!r}: {exc}",
                         fix="give a span of whole weeks, e.g. --backfill 26w") from None
    if existing:
        # The store already has history: only the weeks before its first entry are added,
        # so a recorded run is never shadowed by a derived one.
        oldest = existing[0].now
        at = [p for p in at if p < oldest]
        if not at:
            click.echo(f"history already starts at {oldest.date()}: nothing to backfill",
                       err=True)
            return 0
    session.lookback = at[-1] - at[0]
    try:
        session.configure()
        session.collect()
        was = gc.isenabled()
        gc.disable()
        try:
            session.gather()
        finally:
            if was:
                gc.enable()
        for w in session.warnings:
            click.echo(printable(f"warning: {w}"), err=True)
        entries, rules = backfill.backfill(session, at)
    finally:
        session.unconfigure()
    if not rules:
        raise UsageError("no time-windowed rule is collected: nothing to backfill",
                         fix="a backfill evaluates 'check: metric' rules and rules with a "
                         "window (bus factor, Westrum score, in_window selections)")
    history.append(folder, entries)
    shown = os.path.relpath(folder) if folder.is_relative_to(Path.cwd()) else str(folder)
    click.echo(f"backfilled {len(entries)} weekly points ({at[0].date()} .. {at[-1].date()}) "
               f"of {len(rules)} time-windowed rules into {shown}", err=True)
    return len(entries)


@click.command("history")
@click.argument("rules", nargs=-1)
@config_option
@click.option("--backfill", "span", metavar="SPAN",
              help="With no history yet, derive weekly points over SPAN (e.g. 26w) "
              "from the data first.")
@click.option("--now", "now", metavar="DATE", help="The last backfilled point (default: now).")
@click.option("--focus", help="Backfill under this execution focus.")
@click.option("--last", "last", type=click.IntRange(min=1, max=10000), default=26,
              show_default=True, help="Show the last N points of each rule.")
@click.option("-v", "--verbose", count=True, help="Every point of every rule shown.")
@click.option("-f", "--format", "fmt", type=click.Choice(["terminal", "json"]),
              default="terminal", show_default=True,
              help="terminal: a row a rule with its sparkline; json: every point.")
@click.option("--ascii", "ascii_only", is_flag=True,
              help="Plain ASCII sparklines (the default when stdout is not UTF-8).")
@plugin_option
def history_command(rules: tuple[str, ...], config_file: str | None, span: str | None,
                    now: str | None, focus: str | None, last: int, verbose: int, fmt: str,
                    ascii_only: bool, plugins: tuple[str, ...]) -> int:
    """Metrics over time: a row per rule with a sparkline of its last points.

    RULE narrows to rule ids (or parts of them). Exit codes: 0 shown, 4 usage
    error, 5 no history (yet).

    \b
    Examples:
      guardrails history --backfill 26w    derive half a year of weekly points
      guardrails history stability         the DORA rules over time
      guardrails history lead-time -v      every point of one rule
    """
    def body() -> int:
        from guardrails import trend

        disabled, extra = split_plugins(plugins)
        options = RunOptions(now=parse_now_option(now), focus=focus,
                             disabled_plugins=disabled, plugins=extra)
        config, folder = _store(config_file, options)
        loaded = _load(config, folder)
        if span and _backfill(config, folder, span, loaded.entries):
            loaded = _load(config, folder)
        all_series = trend.series(loaded.entries, rules)
        if fmt == "json":
            click.echo(inert_json(json.dumps({"series": [
                {"id": s.id, "title": s.title, "unit": s.unit, "threshold": s.threshold,
                 "points": [{"now": p.now.isoformat().replace("+00:00", "Z"), "value": p.value,
                             "outcome": p.outcome} for p in s.points[-last:]]}
                for s in all_series]}, indent=2)))
            return ExitCode.OK if all_series else ExitCode.NO_RULES_COLLECTED
        if not all_series:
            click.echo(NO_HISTORY if not loaded.entries
                       else f"no recorded rule matches {' '.join(rules)}")
            return ExitCode.NO_RULES_COLLECTED
        plain = ascii_only or not _utf8()
        # Rule ids and titles come from the history files (input like any other):
        # shown, never obeyed by the terminal, one line each, no CI '::' command.
        for line in trend.table(all_series, last, plain):
            click.echo(inert_line(printable(line)))
        if verbose or len(all_series) == 1:
            for s in all_series:
                click.echo("")
                for line in trend.points_table(s, last):
                    click.echo(inert_line(printable(line)))
        return ExitCode.OK

    return wrap_session(body)


class _Fraction(click.FloatRange):
    """A share in (0, 1]; ``nan`` fails every comparison, so a plain FloatRange lets
    it through, and then no rule ever warns: refused like any value out of range."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        rv = super().convert(value, param, ctx)
        if rv != rv:
            self.fail(f"{value!r} is not a number in the range 0<x<=1.", param, ctx)
        return rv


@click.command("trend")
@click.argument("rules", nargs=-1)
@config_option
@click.option("--points", type=click.IntRange(min=3, max=1000), default=8, show_default=True,
              help="Judge the last N points of each rule.")
@click.option("--fraction", type=_Fraction(min=0, max=1, min_open=True), default=0.25,
              show_default=True, help="Warn when more than this share of the headroom to the "
              "threshold was lost over those points.")
@click.option("--horizon", metavar="DURATION",
              help="Warn when the current slope reaches the threshold within this time "
              "(default: as long as the points span).")
@click.option("--strict", is_flag=True, help="Exit 1 when any rule warns or already fails.")
@click.option("-f", "--format", "fmt", type=click.Choice(["terminal", "json"]),
              default="terminal", show_default=True,
              help="terminal: a line a rule; json: each rule's verdict and first and last values.")
@plugin_option
def trend_command(rules: tuple[str, ...], config_file: str | None, points: int,
                  fraction: float, horizon: str | None, strict: bool, fmt: str,
                  plugins: tuple[str, ...]) -> int:
    """Regressions before they fail: rules drifting toward their threshold.

    A rule warns when its headroom to the threshold shrank by more than
    --fraction over the last --points points, or when the slope through them
    reaches the threshold within --horizon.

    \b
    Exit codes: 0 judged (warnings do not fail, as warning-severity rules),
    1 with --strict when a rule warns or already fails, 4 usage error,
    5 no history to judge.
    \b
    Examples:
      guardrails trend
      guardrails trend --strict --points 12 --fraction 0.2 stability
    """
    def body() -> int:
        from guardrails import trend
        from guardrails.timeutil import parse_duration

        ahead = None
        if horizon is not None:
            try:
                ahead = parse_duration(horizon, positive=True)
            except ValueError as exc:
                raise UsageError(f"invalid --horizon {horizon!r}: {exc}",
                                 fix="write a duration such as 8w or 60d") from None
        disabled, extra = split_plugins(plugins)
        config, folder = _store(config_file, RunOptions(disabled_plugins=disabled,
                                                        plugins=extra))
        loaded = _load(config, folder)
        verdicts = [trend.judge(s, points, fraction, ahead)
                    for s in trend.series(loaded.entries, rules)]
        counts = {k: sum(v.outcome == k for v in verdicts)
                  for k in ("warning", "failed", "passed", "skipped")}
        if fmt == "json":
            click.echo(inert_json(json.dumps({"summary": counts,
                                   "results": [v.to_json() for v in verdicts]}, indent=2)))
        elif not verdicts:
            click.echo(NO_HISTORY if not loaded.entries
                       else f"no recorded rule matches {' '.join(rules)}")
        else:
            order = {"warning": 0, "failed": 1, "passed": 2, "skipped": 3}
            for v in sorted(verdicts, key=lambda v: (order[v.outcome], v.id)):
                click.echo(inert_line(printable(f"{v.outcome.upper():8} {v.id}: {v.message}")))
            summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
            click.echo(f"== {summary} ==")
        if not verdicts:
            return ExitCode.NO_RULES_COLLECTED
        if strict and (counts["warning"] or counts["failed"]):
            return ExitCode.RULES_FAILED
        return ExitCode.OK

    return wrap_session(body)


commands = [history_command, trend_command]
