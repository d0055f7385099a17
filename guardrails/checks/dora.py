"""The four DORA keys as named metrics for ``check: metric``.

Definitions are those of METRICS.md. What they share:

- The window is half-open, ``[now - W, now)``: a deployment finished exactly
  at ``now - W`` counts, one finished exactly at ``now`` belongs to the next
  window. Two consecutive windows therefore never count a fact twice.
- A production deployment is a ``success`` deployment to the rule's
  ``environment`` (default ``production``) finished inside the window.
- Facts are evaluated as of ``now`` (``--now`` may lie in the past): an
  incident opened, a rollback finished or an incident resolved at or after
  ``now`` was not yet known then, so it does not count.
- No samples means no value (``None`` with a reason), never a best score of 0.

This module computes the throughput keys (deployment frequency, lead time)
and registers all four; the stability keys (change failure rate, time to
restore) are :mod:`guardrails.checks.dora_stability`, and the helpers they
share :mod:`guardrails.checks.dora_common`.
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import datetime

from guardrails.checks.dora_common import (
    Fact,
    Sample,
    environment,
    production,
    slowest,
)
from guardrails.checks.dora_stability import change_failure_rate, time_to_restore
from guardrails.checks.shipped import shipped_in
from guardrails.datakinds import natural_key
from guardrails.fmt import plural
from guardrails.model import Rule
from guardrails.plugin import EvalContext, Metric, MetricValue, hookimpl
from guardrails.series import build_columns, median
from guardrails.timeutil import format_duration

# ---------------------------------------------------------------------------
# deployment frequency
# ---------------------------------------------------------------------------


def deployment_frequency(
    ctx: EvalContext, rule: Rule, start: datetime, end: datetime
) -> MetricValue:
    """Production deployments in the window per week of window."""
    env = environment(rule)
    deployments = ctx.facts("deployments")
    prod = production(ctx, env, start, end)
    details = [ctx.window_text(rule), f"{plural(len(prod), env + ' deployment')} in window"]
    if not prod:
        # Zero deployments is reported as "no data" rather than 0 per week: an
        # export that stops before the window looks the same, and the rule's
        # on_no_data decides whether that fails.
        reason = "no deployments data" if not deployments else f"no {env} deployments in window"
        return MetricValue(None, 0, details=details, no_data=reason)
    weeks = (end - start).total_seconds() / 86400 / 7
    per_service = Counter(str(d.get("service", "?")) for d in prod)
    details.append("by service: " + ", ".join(
        f"{s} {n}" for s, n in sorted(per_service.items(), key=lambda t: (-t[1], natural_key(t[0])))
    ))
    series = build_columns("per_week", start, end, [d["finished_at"] for d in prod],
                           [1] * len(prod))
    return MetricValue(len(prod) / weeks, len(prod), details=details, series=series)


# ---------------------------------------------------------------------------
# lead time for changes
# ---------------------------------------------------------------------------


def _lead_detail(seconds: float, label: str, began: datetime, dep: Fact) -> str:
    return (f"lead time {format_duration(seconds)}: {label} {began.date()} -> "
            f"{dep.get('id')} {dep['finished_at'].date()}")


def lead_time_samples(ctx: EvalContext, rule: Rule, start: datetime, end: datetime
                      ) -> list[tuple[datetime, float]]:
    """``(deployment finished_at, seconds)`` of every positive lead-time sample whose
    deployment finished in ``[start, end)``: what :func:`lead_time` takes the median of.

    The history backfill reads these once over all its windows and slices them.
    """
    _, _, shipped, _ = shipped_in(ctx, environment(rule), start, end)
    return [(dep["finished_at"], s) for began, _, _, dep in shipped if began is not None
            and (s := (dep["finished_at"] - began).total_seconds()) > 0]


def lead_time(ctx: EvalContext, rule: Rule, start: datetime, end: datetime) -> MetricValue:
    """Median time from a change's start to its first production deployment."""
    env = environment(rule)
    deployments = ctx.facts("deployments")
    changes, commits, shipped, unknown = shipped_in(ctx, env, start, end)
    samples: list[Sample] = []
    times: list[datetime] = []  # the samples' series: deployment finished_at, seconds
    seconds_of: list[float] = []
    dropped = no_start = 0
    for began, label, subj, dep in shipped:
        if began is None:
            no_start += 1
            continue
        seconds = (dep["finished_at"] - began).total_seconds()
        # A change cannot ship before (or as) it starts: a non-positive lead
        # time means clock skew, rewritten commit dates or a change record
        # made after the fact. Keeping it would pull the median towards a
        # flattering zero, so it is dropped and counted instead.
        if seconds <= 0:
            dropped += 1
            continue
        samples.append((seconds, subj, functools.partial(
            _lead_detail, seconds, label, began, dep)))
        times.append(dep["finished_at"])
        seconds_of.append(seconds)

    details = [ctx.window_text(rule),
               f"{plural(len(samples), 'change')} shipped by {env} deployments in window"]
    if dropped:
        details.append(f"{plural(dropped, 'non-positive lead time')} dropped "
                       "(change timestamp at or after its deployment)")
    if no_start:
        details.append(f"{plural(no_start, 'change')} without first_commit_at, created_at "
                       "or commit time skipped")
    if unknown:
        details.append(f"{plural(unknown, 'shipped reference')} matching no change or commit")
    if not samples:
        if not deployments:
            reason = "no deployments data"
        elif not changes and not commits.by_sha:
            reason = "no changes data"
        elif not production(ctx, env, start, end):
            reason = f"no {env} deployments in window"
        elif dropped:
            reason = f"no positive lead times in window ({dropped} non-positive dropped)"
        else:
            reason = f"no changes shipped by {env} deployments in window"
        return MetricValue(None, 0, details=details, no_data=reason)
    evidence, note = slowest(samples, "changes")
    value = median(seconds_of)  # the samples' seconds, in the same order
    return MetricValue(float(value), len(samples), evidence=evidence, details=details + note,
                       series=build_columns("median", start, end, times, seconds_of))
# ---------------------------------------------------------------------------
# plugin
# ---------------------------------------------------------------------------

_ENVIRONMENT = {
    "environment": {
        "type": "string",
        "minLength": 1,
        "description": "Deployment environment that counts as production (default production).",
    }
}

DEPLOYMENT_FREQUENCY = Metric(
    "dora.deployment_frequency", "per_week", ("deployments",), deployment_frequency,
    "Successful production deployments finished in the window, per week.",
    params=_ENVIRONMENT,
)
LEAD_TIME = Metric(
    "dora.lead_time", "seconds", ("deployments", "changes", "commits"), lead_time,
    "Median time from a change's first commit (else creation, else authoring) "
    "to the first production deployment that shipped it, for changes shipped in the window.",
    params=_ENVIRONMENT,
)
CHANGE_FAILURE_RATE = Metric(
    "dora.change_failure_rate", "ratio", ("deployments", "incidents"), change_failure_rate,
    "Share of production deployments in the window that caused an incident or were "
    "rolled back or hotfixed by a later deployment.",
    params=_ENVIRONMENT,
)
TIME_TO_RESTORE = Metric(
    "dora.time_to_restore", "seconds", ("incidents",), time_to_restore,
    "Median time from opening to resolution of incidents opened in the window.",
)


@hookimpl
def guardrails_collect_metrics() -> list[Metric]:
    """The four DORA keys."""
    return [DEPLOYMENT_FREQUENCY, LEAD_TIME, CHANGE_FAILURE_RATE, TIME_TO_RESTORE]
