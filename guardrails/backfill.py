"""History from the data: every time-windowed rule at weekly points, in one pass.

``guardrails history --backfill 26w`` gathers the facts once (as of the
last point, reaching back far enough for the first point's window) and then
evaluates every time-windowed rule at each point through the real checks,
with ``now`` set to the point, so a backfilled value is what ``guardrails
check --now <point>`` computes (tests/integration/test_history.py holds the
two against each other on the example org).

What makes it fast is what the checks are given, not a second
implementation of them: the facts a metric reads by window (deployments by
``finished_at``, incidents by ``created_at``, changes by ``merged_at``, CI
runs by ``started_at``) are sorted once, and at each point the metric reads
only the slice of its window, found by bisection, in the facts' original
order. Change failure rate and lead time need facts outside the window (the
rollback that fails a deployment, the commit a change began with): their
per-deployment answers (when a deployment became failed, each shipped
change's lead time) are computed once and sliced the same way. Rules that
read no windowed metric (bus factor, Westrum score, ``in_window``
selections, plugins' metrics) are evaluated in full at each point: correct,
only slower.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import statistics
from bisect import bisect_left
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from guardrails.datakinds import is_production_success
from guardrails.factindex import unique
from guardrails.history import Entry, summarize
from guardrails.model import Rule
from guardrails.plugin import EvalContext, Metric, MetricValue
from guardrails.timeutil import parse_duration

#: the most points one backfill evaluates (ten years of weeks): bounds the loop
MAX_POINTS = 520
STEP = timedelta(days=7)
#: checks that read a window of their own besides ``check: metric``
WINDOWED_CHECKS = frozenset({"metric", "teams.bus_factor", "culture.westrum_score"})
def points(end: datetime, span: str) -> list[datetime]:
    """Weekly points ending at ``end``, oldest first: ``26w`` gives 26 of them.

    Raises ``ValueError`` for a span that is not a duration of at least a week
    or more than :data:`MAX_POINTS` weeks.
    """
    length = parse_duration(span, positive=True)
    n = math.floor(length / STEP)
    if n < 1:
        raise ValueError(f"{span!r} is shorter than one week: no weekly point fits")
    if n > MAX_POINTS:
        raise ValueError(f"{span!r} is {n} weeks; at most {MAX_POINTS} weekly points")
    return [end - STEP * k for k in range(n - 1, -1, -1)]


def is_windowed(rule: Rule) -> bool:
    """Whether a rule judges a time window (what a backfill evaluates)."""
    return rule.check in WINDOWED_CHECKS or "in_window" in rule.params


class _Table:
    """Rows sorted by a timestamp (then by their fact's place in the data), sliced by
    bisection; ``dups`` says whether two rows share a dedupe key (then a window keeps
    the first in data order, as the metric does)."""

    def __init__(self, rows: list[tuple[datetime, int, Any]], keys: list[Any] | None = None
                 ) -> None:
        rows.sort(key=lambda r: (r[0], r[1]))
        self.times = [r[0] for r in rows]
        self.order = [r[1] for r in rows]
        self.rows = [r[2] for r in rows]
        self.dups = keys is not None and len(set(keys)) < len(keys)

    def span(self, start: datetime, end: datetime) -> tuple[int, int]:
        return bisect_left(self.times, start), bisect_left(self.times, end)

    def window(self, start: datetime, end: datetime, key: Callable[[Any], Any] | None = None
               ) -> list[Any]:
        lo, hi = self.span(start, end)
        if key is None or not self.dups:
            return self.rows[lo:hi]
        seen: set[Any] = set()
        out = []
        for _, row in sorted(zip(self.order[lo:hi], self.rows[lo:hi], strict=True),
                             key=lambda t: t[0]):
            if key(row) not in seen:
                seen.add(key(row))
                out.append(row)
        return out


def _stamp(fact: Mapping[str, Any], name: str) -> datetime | None:
    ts = fact.get(name)
    return ts if isinstance(ts, datetime) else None


class Evaluator:
    """Evaluates rules at many points over one gathered store.

    The named metrics below are replaced by versions that read per-window
    answers from tables built once (values and sample counts only: a history
    keeps no evidence); every other metric and check runs as it is.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.store = session.store
        self.tables: dict[tuple[str, str], _Table] = {}
        self.metrics = self._fast_metrics(session.metrics)
        self._teams: Any = None

    def _fast_metrics(self, metrics: Mapping[str, Metric]) -> dict[str, Metric]:
        fast: dict[str, Callable[..., MetricValue]] = {
            "dora.deployment_frequency": self._deployment_frequency,
            "dora.change_failure_rate": self._change_failure_rate,
            "dora.lead_time": self._lead_time,
            "dora.time_to_restore": self._time_to_restore,
            "delivery.change_size_p90": self._change_size_p90,
            "delivery.independent_review_rate": self._independent_review_rate,
            "delivery.ci_feedback_time": self._ci_feedback_time,
        }
        return {name: dataclasses.replace(m, compute=self._either(fast[name], m.compute))
                if name in fast else m for name, m in metrics.items()}

    def _either(self, fast: Callable[..., MetricValue], real: Callable[..., MetricValue]
                ) -> Callable[..., MetricValue]:
        """The fast metric, or the real one where its evidence decides the outcome: a
        waiver for some subjects of the rule, active at the point, waives the rule only
        when it covers all the evidence, so there the evidence is made."""
        config = self.session.config

        def compute(ctx: EvalContext, rule: Rule, start: datetime, end: datetime
                    ) -> MetricValue:
            if any(w.rule == rule.nodeid and w.subject and w.active(ctx.now, config.timezone)
                   for w in config.waivers):
                return real(ctx, rule, start, end)
            return fast(ctx, rule, start, end)
        return compute

    def _table(self, key: tuple[str, str], build: Callable[[], _Table]) -> _Table:
        if key not in self.tables:
            self.tables[key] = build()
        return self.tables[key]

    # -- DORA -------------------------------------------------------------------
    def _production(self, ctx: EvalContext, env: str) -> _Table:
        """Each production deployment once (the first of an id), by finished_at."""

        deployments = ctx.facts("deployments")

        def build() -> _Table:
            by_id = {d["id"]: d for d in reversed(deployments) if "id" in d}
            rows = []
            for i, d in enumerate(unique(deployments)):
                t = _stamp(d, "finished_at")
                if t is None or not is_production_success(d, env):
                    continue
                # When it became failed: its first incident or remediation (no stamp: always).
                stamps = [inc.get("created_at") for inc in d.get("incidents") or ()]
                stamps += [by_id[r].get("finished_at") for r in d.get("remediated_by") or ()
                           if r in by_id]
                known = [datetime.min.replace(tzinfo=t.tzinfo) if s is None else s
                         for s in stamps]
                rows.append((t, i, min(known) if known else None))
            return _Table(rows)
        return self._table(("production", env), build)

    def _deployment_frequency(self, ctx: EvalContext, rule: Rule, start: datetime,
                              end: datetime) -> MetricValue:
        from guardrails.checks import dora_common

        env = dora_common.environment(rule)
        lo, hi = self._production(ctx, env).span(start, end)
        if lo == hi:
            return MetricValue(None, 0, no_data=f"no {env} deployments in window")
        weeks = (end - start).total_seconds() / 86400 / 7
        return MetricValue((hi - lo) / weeks, hi - lo)

    def _change_failure_rate(self, ctx: EvalContext, rule: Rule, start: datetime,
                             end: datetime) -> MetricValue:
        from guardrails.checks import dora_common

        env = dora_common.environment(rule)
        ctx.facts("incidents")  # a failed incident source makes the rule an error
        failed_at = self._production(ctx, env).window(start, end)
        if not failed_at:
            return MetricValue(None, 0, no_data=f"no {env} deployments in window")
        failed = sum(1 for s in failed_at if s is not None and s < end)
        return MetricValue(failed / len(failed_at), len(failed_at))

    def _lead_time(self, ctx: EvalContext, rule: Rule, start: datetime,
                   end: datetime) -> MetricValue:
        from guardrails.checks import dora, dora_common

        env = dora_common.environment(rule)

        def build() -> _Table:
            tz = end.tzinfo
            pairs = dora.lead_time_samples(ctx, rule, datetime.min.replace(tzinfo=tz),
                                           datetime.max.replace(tzinfo=tz))
            return _Table([(t, i, s) for i, (t, s) in enumerate(pairs)])
        window = self._table(("lead", env), build).window(start, end)
        if not window:
            return MetricValue(None, 0, no_data=f"no changes shipped by {env} deployments "
                               "in window")
        return MetricValue(float(statistics.median(window)), len(window))

    def _time_to_restore(self, ctx: EvalContext, rule: Rule, start: datetime,
                         end: datetime) -> MetricValue:

        incidents = ctx.facts("incidents")

        def build() -> _Table:
            rows = []
            for i, inc in enumerate(unique(incidents)):
                t = _stamp(inc, "created_at")
                if t is not None:
                    res = inc.get("resolved_at")
                    rows.append((t, i, (res, None if res is None else (res - t).total_seconds())))
            return _Table(rows)
        window = self._table(("incidents", "created_at"), build).window(start, end)
        samples = [s for res, s in window if res is not None and res < end and s >= 0]
        if not samples:
            return MetricValue(None, 0, no_data="no resolved incidents created in window")
        return MetricValue(float(statistics.median(samples)), len(samples))

    # -- delivery -----------------------------------------------------------------
    def _merged(self, ctx: EvalContext) -> _Table:
        """Changes by merged_at: (id key, size or None, has author, independently approved)."""
        from guardrails.checks import delivery

        changes = ctx.facts("changes")

        def build() -> _Table:
            rows, keys = [], []
            for i, c in enumerate(changes):
                t = _stamp(c, "merged_at")
                if t is None:
                    continue
                adds, dels = c.get("additions"), c.get("deletions")
                size = adds + dels if isinstance(adds, int) and isinstance(dels, int) else None
                authored = c.get("author") is not None
                approved = authored and delivery._review_gap(c) is None
                keys.append(str(c.get("id")))
                rows.append((t, i, (keys[-1], size, authored, approved)))
            return _Table(rows, keys)
        return self._table(("changes", "merged_at"), build)

    def _change_size_p90(self, ctx: EvalContext, rule: Rule, start: datetime,
                         end: datetime) -> MetricValue:
        from guardrails.checks import delivery

        window = self._merged(ctx).window(start, end, key=lambda r: r[0])
        sizes = [r[1] for r in window if r[1] is not None]
        if not sizes:
            return MetricValue(None, 0, no_data="no merged changes with additions and "
                               "deletions in window")
        return MetricValue(float(delivery.percentile(sizes, 0.9)), len(sizes))

    def _independent_review_rate(self, ctx: EvalContext, rule: Rule, start: datetime,
                                 end: datetime) -> MetricValue:
        window = self._merged(ctx).window(start, end, key=lambda r: r[0])
        authored = [r for r in window if r[2]]
        if not authored:
            return MetricValue(None, 0, no_data="no merged changes with an author in window")
        return MetricValue(sum(1 for r in authored if r[3]) / len(authored), len(authored))

    def _ci_feedback_time(self, ctx: EvalContext, rule: Rule, start: datetime,
                          end: datetime) -> MetricValue:
        runs = ctx.facts("ci_runs")

        def build() -> _Table:
            rows = []
            for i, r in enumerate(runs):
                t = _stamp(r, "started_at")
                if t is not None:
                    fin = r.get("finished_at")
                    rows.append((t, i, (fin, None if fin is None else (fin - t).total_seconds())))
            return _Table(rows)
        window = self._table(("ci_runs", "started_at"), build).window(start, end)
        durations = [s for fin, s in window if fin is not None and fin < end and s >= 0]
        if not durations:
            return MetricValue(None, 0, no_data="no CI runs with a valid duration in window")
        return MetricValue(float(statistics.median(durations)), len(durations))

    # -- evaluation -------------------------------------------------------------
    def context(self, now: datetime) -> EvalContext:
        """The context of a run as of ``now`` over the gathered store."""
        s = self.session
        ctx = EvalContext(now=now, window=s.config.window, focus=s.config.focus,
                          store=self.store, metrics=self.metrics, config=s.config,
                          checks=s.checks)
        if self._teams is None:
            self._teams = ctx.team_index()
        ctx._teams = self._teams
        return ctx

    def entries(self, at: list[datetime], rules: list[Rule]) -> list[Entry]:
        """One backfill entry per point, each with every rule's result at that point."""
        hook = self.session.pm.hook
        out = []
        gc_was_enabled = gc.isenabled()
        gc.disable()  # as in a run: facts are long-lived, the collector finds nothing
        try:
            for now in at:
                ctx = self.context(now)
                results = {}
                for rule in rules:
                    result = hook.guardrails_evaluate_rule(rule=rule, context=ctx)
                    results[result.id] = summarize(result.to_json())
                out.append(Entry(now=now, results=results, origin="backfill",
                                 focus=self.session.config.focus))
        finally:
            if gc_was_enabled:
                gc.enable()
        return out


def backfill(session: Any, at: list[datetime]) -> tuple[list[Entry], list[Rule]]:
    """Entries for ``at`` from a session configured, collected and gathered as of
    ``at[-1]`` (with ``lookback`` reaching back to ``at[0]``'s window)."""
    rules = [r for r in session.rules if is_windowed(r)]
    return Evaluator(session).entries(at, rules), rules


__all__ = ["MAX_POINTS", "WINDOWED_CHECKS", "Evaluator", "backfill", "is_windowed",
           "points"]
