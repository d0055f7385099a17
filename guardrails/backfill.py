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

from guardrails.history import Entry, summarize
from guardrails.model import Rule
from guardrails.plugin import EvalContext, Metric, MetricValue
from guardrails.timeutil import parse_duration

#: the most points one backfill evaluates (ten years of weeks): bounds the loop
MAX_POINTS = 520
STEP = timedelta(days=7)
#: checks that read a window of their own besides ``check: metric``
WINDOWED_CHECKS = frozenset({"metric", "teams.bus_factor", "culture.westrum_score"})
#: metric -> (fact kind, timestamp that puts a fact in the window, dedupe by id first)
SLICED: dict[str, tuple[str, str, bool]] = {
    "dora.deployment_frequency": ("deployments", "finished_at", True),
    "dora.time_to_restore": ("incidents", "created_at", True),
    "delivery.change_size_p90": ("changes", "merged_at", False),
    "delivery.independent_review_rate": ("changes", "merged_at", False),
    "delivery.ci_feedback_time": ("ci_runs", "started_at", False),
}


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


class _SliceStore:
    """A fact store that answers one kind with a slice; everything else as the store."""

    def __init__(self, store: Any, kind: str, facts: list[dict[str, Any]]) -> None:
        self._store, self._kind, self._facts = store, kind, facts

    def get(self, kind: str) -> list[dict[str, Any]]:
        got = self._store.get(kind)  # raises when the kind's source failed
        return self._facts if kind == self._kind else got

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _Index:
    """One kind's facts sorted by a timestamp, for window slices in original order."""

    def __init__(self, facts: list[dict[str, Any]], field: str, dedupe: bool) -> None:
        if dedupe:  # as the metric's _unique: the first fact of an id wins, wherever it lies
            seen: set[Any] = set()
            kept = []
            for f in facts:
                ident = f.get("id")
                marker = ("id", ident) if ident is not None else ("obj", id(f))
                if marker not in seen:
                    seen.add(marker)
                    kept.append(f)
            facts = kept
        keyed = sorted((f[field], i) for i, f in enumerate(facts)
                       if isinstance(f.get(field), datetime))
        self.facts = facts
        self.times = [t for t, _ in keyed]
        self.order = [i for _, i in keyed]

    def window(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        lo, hi = bisect_left(self.times, start), bisect_left(self.times, end)
        return [self.facts[i] for i in sorted(self.order[lo:hi])]


class Evaluator:
    """Evaluates rules at many points over one gathered store."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.store = session.store
        self.indexes: dict[tuple[str, str, bool], _Index] = {}
        self.failures: dict[str, tuple[list[datetime], list[datetime | None]]] = {}
        self.leads: dict[str, tuple[list[datetime], list[float]]] = {}
        self.metrics = self._fast_metrics(session.metrics)
        self._teams: Any = None

    # -- the fast metrics -----------------------------------------------------
    def _fast_metrics(self, metrics: Mapping[str, Metric]) -> dict[str, Metric]:
        out = dict(metrics)
        for name, metric in metrics.items():
            compute: Callable[..., MetricValue] | None = None
            if name in SLICED:
                compute = self._sliced(metric, *SLICED[name])
            elif name == "dora.change_failure_rate":
                compute = self._change_failure_rate
            elif name == "dora.lead_time":
                compute = self._lead_time
            if compute is not None:
                out[name] = dataclasses.replace(metric, compute=compute)
        return out

    def _sliced(self, metric: Metric, kind: str, field: str, dedupe: bool
                ) -> Callable[..., MetricValue]:
        def compute(ctx: EvalContext, rule: Rule, start: datetime, end: datetime
                    ) -> MetricValue:
            facts = ctx.facts(kind)  # a failed source raises here, as in the metric
            key = (kind, field, dedupe)
            if key not in self.indexes:
                self.indexes[key] = _Index(facts, field, dedupe)
            view = _SliceStore(ctx.store, kind, self.indexes[key].window(start, end))
            return metric.compute(dataclasses.replace(ctx, store=view),  # type: ignore[arg-type]
                                  rule, start, end)
        return compute

    def _change_failure_rate(self, ctx: EvalContext, rule: Rule, start: datetime,
                             end: datetime) -> MetricValue:
        from guardrails.checks import dora

        env = dora._environment(rule)
        deployments = ctx.facts("deployments")
        ctx.facts("incidents")  # a failed incident source makes the rule an error
        if env not in self.failures:
            by_id = {d["id"]: d for d in reversed(deployments) if "id" in d}
            far_past = datetime.min.replace(tzinfo=end.tzinfo)
            prod = sorted(
                ((d["finished_at"], i, d) for i, d in enumerate(dora._unique(deployments))
                 if dora.is_production_success(d, env)
                 and isinstance(d.get("finished_at"), datetime)), key=lambda t: t[:2])
            finished: list[datetime] = []
            failed_at: list[datetime | None] = []
            for t, _, d in prod:
                # When it became failed: its first known incident or remediation.
                stamps = [i.get("created_at") for i in d.get("incidents") or ()]
                stamps += [by_id[r].get("finished_at") for r in d.get("remediated_by") or ()
                           if r in by_id]
                known = [far_past if s is None else s for s in stamps]
                finished.append(t)
                failed_at.append(min(known) if known else None)
            self.failures[env] = (finished, failed_at)
        finished, failed_at = self.failures[env]
        lo, hi = bisect_left(finished, start), bisect_left(finished, end)
        n = hi - lo
        details = [ctx.window_text(rule)]
        if not n:
            reason = "no deployments data" if not deployments else f"no {env} deployments in window"
            return MetricValue(None, 0, details=details, no_data=reason)
        failed = sum(1 for s in failed_at[lo:hi] if s is not None and s < end)
        details.append(f"{failed} of {n} {env} deployments failed")
        return MetricValue(failed / n, n, details=details)

    def _lead_time(self, ctx: EvalContext, rule: Rule, start: datetime,
                   end: datetime) -> MetricValue:
        from guardrails.checks import dora

        env = dora._environment(rule)
        deployments = ctx.facts("deployments")
        if env not in self.leads:
            far = datetime.min.replace(tzinfo=end.tzinfo), datetime.max.replace(tzinfo=end.tzinfo)
            pairs = sorted(dora.lead_time_samples(ctx, rule, *far), key=lambda t: t[0])
            self.leads[env] = ([t for t, _ in pairs], [s for _, s in pairs])
        times, seconds = self.leads[env]
        lo, hi = bisect_left(times, start), bisect_left(times, end)
        details = [ctx.window_text(rule)]
        if lo == hi:
            reason = ("no deployments data" if not deployments
                      else f"no changes shipped by {env} deployments in window")
            return MetricValue(None, 0, details=details, no_data=reason)
        window = seconds[lo:hi]
        return MetricValue(float(statistics.median(window)), len(window), details=details)

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


__all__ = ["MAX_POINTS", "SLICED", "WINDOWED_CHECKS", "Evaluator", "backfill", "is_windowed",
           "points"]
