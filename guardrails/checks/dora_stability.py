"""The DORA stability keys: change failure rate and time to restore service.

Definitions are those of METRICS.md; what the four keys share (the half-open
window, facts as known at ``now``, no samples no value) is written at the top
of :mod:`guardrails.checks.dora`, which registers these metrics with the
throughput keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from guardrails import fmt
from guardrails.checks.dora_common import (
    Fact,
    Sample,
    environment,
    known_by,
    production,
    slowest,
)
from guardrails.datakinds import natural_key
from guardrails.evidencelater import described_later
from guardrails.facts import subject
from guardrails.model import Rule
from guardrails.plugin import EvalContext, MetricValue
from guardrails.series import build_columns, median
from guardrails.timeutil import format_duration

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
    env = environment(rule)
    deployments = ctx.facts("deployments")
    # Read even though the join already attached them: when the incident
    # source failed this raises, so the rule errors instead of passing on an
    # empty numerator.
    ctx.facts("incidents")
    # id -> the first deployment with it (once a run: every window asks), for
    # the ids some deployment is remediated by only: a table of every
    # deployment was ~3.7 MiB at 100k, kept for the run, for the ~2% looked up.
    by_id = ctx.store.index.memo(("dora.remediations_by_id",), lambda: _remediations(deployments))
    prod = production(ctx, env, start, end)

    # Rollbacks and hotfixes are deployments too (denominator), and can fail
    # themselves. The numerator is a subset of the denominator, each
    # deployment once however many reasons it failed for, so 0 <= rate <= 1.
    failed: list[tuple[Fact, list[Fact], list[Fact]]] = []
    for d in prod:
        if not d.get("incidents") and not d.get("remediated_by"):
            continue  # most deployments: nothing joined, so not failed
        # The join already kept only remediations finishing after their target.
        incidents = [i for i in d.get("incidents") or () if known_by(i.get("created_at"), end)]
        fixes = [by_id[r] for r in d.get("remediated_by") or ()
                 if r in by_id and known_by(by_id[r].get("finished_at"), end)]
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

    # The words when first read (~4,500 items at 100k, of which the terminal shows five)
    evidence = [
        described_later(subject("deployments", d), partial(_failure_detail, d, incs, fixes))
        for d, incs, fixes in sorted(failed, key=worst)
    ]
    failed_ids = {id(d) for d, _, _ in failed}
    series = build_columns("rate", start, end, [d["finished_at"] for d in prod],
                           [int(id(d) in failed_ids) for d in prod])
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
    times: list[datetime] = []  # the samples' series: incident created_at, seconds
    seconds_of: list[float] = []
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
        # the words made for the slowest few only (dora_common.slowest)
        samples.append((seconds, subject("incidents", inc),
                        partial(_restore_detail, seconds, inc)))
        times.append(inc["created_at"])
        seconds_of.append(seconds)

    details = [ctx.window_text(rule),
               f"{fmt.plural(len(samples), 'resolved incident')} created in window"]
    details += fmt.excluded(still_open, "open incident")
    details += fmt.excluded(dropped, "incident", "resolved before opened", contradictory=True)
    if not samples:
        if not incidents:
            reason = "no incidents data"
        elif not created:
            reason = "no incidents created in window"
        else:
            reason = "no resolved incidents created in window"
        return MetricValue(None, 0, details=details, no_data=reason)
    evidence, note = slowest(samples, "incidents")
    value = median(s for s, _, _ in samples)
    return MetricValue(float(value), len(samples), evidence=evidence, details=details + note,
                       series=build_columns("median", start, end, times, seconds_of))


def _restore_detail(seconds: float, inc: Fact) -> str:
    """``restored in 2h (SEV2, billing-api, opened 2026-09-03)``."""
    about = ", ".join(str(x) for x in (
        inc.get("severity"), inc.get("service"), f"opened {inc['created_at'].date()}"
    ) if x)
    return f"restored in {format_duration(seconds)} ({about})"


def _severity_rank(incident: Fact) -> int:
    severity = incident.get("severity") or ""
    text = severity if type(severity) is str else str(severity)
    rank = _RANKS.get(text)
    if rank is None:
        rank = _severity_number(text)
        if len(_RANKS) < 256:  # a few severities name every incident
            _RANKS[text] = rank
    return rank


#: ASCII whitespace: ``\s`` under ``re.ASCII``
_BLANKS = " \t\n\r\f\v"


def _severity_number(text: str) -> int:
    r"""N of ``SEV N``, else 99: what ``\s*SEV\s*(\d{1,9})\s*`` (``re.I | re.A``) fully
    matched, by str methods (the regex cost ~0.5M instructions to compile every run).
    At most nine digits: int() of 5,000 digits raises."""
    head = text.lstrip(_BLANKS)
    digits = head[3:].strip(_BLANKS)
    if (head[:3].isascii() and head[:3].lower() == "sev" and 1 <= len(digits) <= 9
            and digits.isascii() and digits.isdigit()):
        return int(digits)
    return 99
#: severity text -> rank, for the few texts data uses
_RANKS: dict[str, int] = {}
