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
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from guardrails.checks.shipped import shipped_in
from guardrails.datakinds import natural_key
from guardrails.errors import RuleFileError
from guardrails.facts import subject
from guardrails.model import Evidence, Rule
from guardrails.plugin import EvalContext, Metric, MetricValue, hookimpl
from guardrails.series import build, median
from guardrails.timeutil import format_duration

#: the median metrics show this many of their slowest samples as evidence
EVIDENCE_LIMIT = 10

Fact = Mapping[str, Any]


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------




def _environment(rule: Rule) -> str:
    env = rule.param("environment", "production")
    if not isinstance(env, str) or not env:
        raise RuleFileError(
            f"rule {rule.nodeid}: 'environment' must be an environment name, got {env!r}",
            file=rule.file or None,
            line=rule.line or None,
            fix="write e.g. 'environment: production'",
        )
    return env


def _production(
    ctx: EvalContext, env: str, start: datetime, end: datetime
) -> list[Fact]:
    """Successful deployments to ``env`` finished in ``[start, end)``, each once.

    From the run's fact index: a window is two bisections of the production
    deployments sorted once, returned in data order.
    """
    return ctx.store.index.production_in(env, start, end)


def _known_by(ts: datetime | None, end: datetime) -> bool:
    # A fact without the timestamp is in the data, so it is taken as known.
    return ts is None or ts < end


def _count(n: int, noun: str) -> str:
    """``1 open incident``, ``2 open incidents``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _severity_rank(incident: Fact) -> int:
    severity = incident.get("severity") or ""
    text = severity if type(severity) is str else str(severity)
    rank = _RANKS.get(text)
    if rank is None:
        m = _SEVERITY.fullmatch(text)
        rank = int(m.group(1)) if m else 99
        if len(_RANKS) < 256:  # a few severities name every incident
            _RANKS[text] = rank
    return rank


_SEVERITY = re.compile(r"\s*SEV\s*(\d+)\s*", re.I)
#: severity text -> rank, for the few texts data uses
_RANKS: dict[str, int] = {}


#: ``(seconds, subject, detail)``; the detail may be a callable making the text.
Sample: TypeAlias = tuple[float, str, str | Callable[[], str]]


def _slowest(items: list[Sample], what: str) -> tuple[list[Evidence], list[str]]:
    """Evidence for the slowest ``(seconds, subject, detail)`` samples, worst first.

    ``detail`` may be a callable making the text, so 100k samples do not each
    format a string only the slowest few show.
    """
    # Only the slowest few are shown: select them without sorting everything.
    # Ties at the cut are kept so the natural-order tie-break stays exact.
    if len(items) > EVIDENCE_LIMIT:
        cut = heapq.nlargest(EVIDENCE_LIMIT, (t[0] for t in items))[-1]
        top = [t for t in items if t[0] >= cut]
    else:
        top = list(items)
    ordered = sorted(top, key=lambda t: (-t[0], natural_key(t[1])))
    evidence = [Evidence(subject=s, detail=d() if callable(d) else d)
                for _, s, d in ordered[:EVIDENCE_LIMIT]]
    note = []
    if len(items) > EVIDENCE_LIMIT:
        note.append(f"showing the {EVIDENCE_LIMIT} slowest of {len(items)} {what}")
    return evidence, note


# ---------------------------------------------------------------------------
# deployment frequency
# ---------------------------------------------------------------------------


def deployment_frequency(
    ctx: EvalContext, rule: Rule, start: datetime, end: datetime
) -> MetricValue:
    """Production deployments in the window per week of window."""
    env = _environment(rule)
    deployments = ctx.facts("deployments")
    prod = _production(ctx, env, start, end)
    details = [ctx.window_text(rule), f"{_count(len(prod), env + ' deployment')} in window"]
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
    series = build("per_week", start, end, ((d["finished_at"], 1) for d in prod))
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
    _, _, shipped, _ = shipped_in(ctx, _environment(rule), start, end)
    return [(dep["finished_at"], s) for began, _, _, dep in shipped if began is not None
            and (s := (dep["finished_at"] - began).total_seconds()) > 0]


def lead_time(ctx: EvalContext, rule: Rule, start: datetime, end: datetime) -> MetricValue:
    """Median time from a change's start to its first production deployment."""
    env = _environment(rule)
    deployments = ctx.facts("deployments")
    changes, commits, shipped, unknown = shipped_in(ctx, env, start, end)
    samples: list[Sample] = []
    points: list[tuple[datetime, float]] = []
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
        points.append((dep["finished_at"], seconds))

    details = [ctx.window_text(rule),
               f"{_count(len(samples), 'change')} shipped by {env} deployments in window"]
    if dropped:
        details.append(f"{_count(dropped, 'non-positive lead time')} dropped "
                       "(change timestamp at or after its deployment)")
    if no_start:
        details.append(f"{_count(no_start, 'change')} without first_commit_at, created_at "
                       "or commit time skipped")
    if unknown:
        details.append(f"{_count(unknown, 'shipped reference')} matching no change or commit")
    if not samples:
        if not deployments:
            reason = "no deployments data"
        elif not changes and not commits.by_sha:
            reason = "no changes data"
        elif not _production(ctx, env, start, end):
            reason = f"no {env} deployments in window"
        elif dropped:
            reason = f"no positive lead times in window ({dropped} non-positive dropped)"
        else:
            reason = f"no changes shipped by {env} deployments in window"
        return MetricValue(None, 0, details=details, no_data=reason)
    evidence, note = _slowest(samples, "changes")
    value = median(s for s, _, _ in samples)
    return MetricValue(float(value), len(samples), evidence=evidence, details=details + note,
                       series=build("median", start, end, points))


# ---------------------------------------------------------------------------
# change failure rate
# ---------------------------------------------------------------------------

_REMEDY = {"rollback": "rolled back by", "hotfix": "hotfixed by"}


def _remediations(deployments: Sequence[Fact]) -> dict[Any, Fact]:
    """Id -> the first deployment with that id, for the ids in some ``remediated_by``."""
    wanted = {r for d in deployments for r in d.get("remediated_by") or ()}
    return {d["id"]: d for d in reversed(deployments) if "id" in d and d["id"] in wanted}


def change_failure_rate(
    ctx: EvalContext, rule: Rule, start: datetime, end: datetime
) -> MetricValue:
    """Failed production deployments / production deployments in the window."""
    env = _environment(rule)
    deployments = ctx.facts("deployments")
    # Read even though the join already attached them: when the incident
    # source failed this raises, so the rule errors instead of passing on an
    # empty numerator.
    ctx.facts("incidents")
    # id -> the first deployment with it (once a run: every window asks), for
    # the ids some deployment is remediated by only: a table of every
    # deployment was ~3.7 MiB at 100k, kept for the run, for the ~2% looked up.
    by_id = ctx.store.index.memo(("dora.remediations_by_id",), lambda: _remediations(deployments))
    prod = _production(ctx, env, start, end)

    # Rollbacks and hotfixes are deployments too (denominator), and can fail
    # themselves. The numerator is a subset of the denominator, each
    # deployment once however many reasons it failed for, so 0 <= rate <= 1.
    failed: list[tuple[Fact, list[Fact], list[Fact]]] = []
    for d in prod:
        if not d.get("incidents") and not d.get("remediated_by"):
            continue  # most deployments: nothing joined, so not failed
        # The join already kept only remediations finishing after their target.
        incidents = [i for i in d.get("incidents") or () if _known_by(i.get("created_at"), end)]
        fixes = [by_id[r] for r in d.get("remediated_by") or ()
                 if r in by_id and _known_by(by_id[r].get("finished_at"), end)]
        if incidents or fixes:
            failed.append((d, incidents, fixes))

    details = [ctx.window_text(rule), f"{len(failed)} of {len(prod)} {env} deployments failed"]
    if not prod:
        reason = "no deployments data" if not deployments else f"no {env} deployments in window"
        return MetricValue(None, 0, details=details, no_data=reason)
    if failed:
        caused = sum(1 for _, incs, _ in failed if incs)
        fixed = sum(1 for _, _, fx in failed if fx)
        details.append(f"{caused} caused {'an incident' if caused == 1 else 'incidents'}, "
                       f"{fixed} {'was' if fixed == 1 else 'were'} rolled back or hotfixed "
                       "(a deployment with both counts once)")

    def worst(item: tuple[Fact, list[Fact], list[Fact]]) -> tuple[Any, ...]:
        d, incs, _ = item
        return (min((_severity_rank(i) for i in incs), default=100), natural_key(d.get("id")))

    evidence = [
        Evidence(subject=subject("deployments", d), detail=_failure_detail(d, incs, fixes))
        for d, incs, fixes in sorted(failed, key=worst)
    ]
    failed_ids = {id(d) for d, _, _ in failed}
    series = build("rate", start, end,
                   ((d["finished_at"], int(id(d) in failed_ids)) for d in prod))
    return MetricValue(len(failed) / len(prod), len(prod), evidence=evidence, details=details,
                       series=series)


def _failure_detail(dep: Fact, incidents: list[Fact], fixes: list[Fact]) -> str:
    """``2026-09-03 billing-api caused INC-731 (SEV2), rolled back by dep-5514``."""
    actions = []
    if incidents:
        # One incident (the usual case) needs no sort key: a regex and a split each.
        ordered = incidents if len(incidents) == 1 else sorted(
            incidents, key=lambda i: (_severity_rank(i), natural_key(i.get("id"))))
        named = [f"{i.get('id')} ({i['severity']})" if i.get("severity") else str(i.get("id"))
                 for i in ordered]
        actions.append("caused " + ", ".join(named))
    for kind in ("rollback", "hotfix") if fixes else ():
        ids = [str(f.get("id")) for f in sorted(
            (f for f in fixes if f.get("kind") == kind),
            key=lambda f: (f.get("finished_at") is None, f.get("finished_at") or 0,
                           natural_key(f.get("id"))),
        )]
        if ids:
            actions.append(f"{_REMEDY[kind]} " + ", ".join(ids))
    return f"{dep['finished_at'].date()} {dep.get('service', '?')} " + ", ".join(actions)


# ---------------------------------------------------------------------------
# time to restore service
# ---------------------------------------------------------------------------


def time_to_restore(ctx: EvalContext, rule: Rule, start: datetime, end: datetime) -> MetricValue:
    """Median resolved_at - created_at of resolved incidents created in the window."""
    ctx.facts("incidents")  # raises when the incidents source failed
    incidents = ctx.store.index.unique("incidents")
    # Incidents count by when they were opened: one opened before the window
    # and resolved inside it belongs to the earlier window.
    created = [i for i in incidents
               if (t := i.get("created_at")) is not None and start <= t < end]
    samples: list[Sample] = []
    points: list[tuple[datetime, float]] = []
    still_open = dropped = 0
    for inc in created:
        resolved = inc.get("resolved_at")
        # Open incidents have no restore time yet; counting them as resolved
        # "now" would invent one. Resolved after now = still open as of now.
        if resolved is None or resolved >= end:
            still_open += 1
            continue
        seconds = (resolved - inc["created_at"]).total_seconds()
        # Resolved before it was opened: contradictory data (the files source
        # refuses it; an HTTP source may still deliver it). Excluded and
        # counted, never a negative duration. Resolved the moment it opened
        # is a real sample of 0 s (METRICS.md).
        if seconds < 0:
            dropped += 1
            continue
        about = ", ".join(str(x) for x in (
            inc.get("severity"), inc.get("service"), f"opened {inc['created_at'].date()}"
        ) if x)
        samples.append((seconds, subject("incidents", inc),
                        f"restored in {format_duration(seconds)} ({about})"))
        points.append((inc["created_at"], seconds))

    details = [ctx.window_text(rule),
               f"{_count(len(samples), 'resolved incident')} created in window"]
    if still_open:
        details.append(f"{_count(still_open, 'open incident')} excluded")
    if dropped:
        details.append(f"{_count(dropped, 'incident')} resolved before opened excluded "
                       "(contradictory data)")
    if not samples:
        if not incidents:
            reason = "no incidents data"
        elif not created:
            reason = "no incidents created in window"
        else:
            reason = "no resolved incidents created in window"
        return MetricValue(None, 0, details=details, no_data=reason)
    evidence, note = _slowest(samples, "incidents")
    value = median(s for s, _, _ in samples)
    return MetricValue(float(value), len(samples), evidence=evidence, details=details + note,
                       series=build("median", start, end, points))


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
