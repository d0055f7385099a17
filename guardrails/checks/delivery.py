"""Delivery metrics: batch size, independent review and CI feedback time.

Named metrics for ``check: metric`` (pack ``delivery``):

- ``delivery.change_size_p90``: the 90th percentile of merged changes' size
  (additions + deletions) in lines.
- ``delivery.independent_review_rate``: the share of merged changes with an
  APPROVED review by someone other than the author.
- ``delivery.ci_feedback_time``: the median duration of CI runs, in seconds.

A change belongs to the window when it was merged in ``[now - W, now)``; a CI
run when it started there. Evidence carries the author's team (the run's
team index: a member of exactly one team), so waivers for ``team/<id>`` and
``--group-by team`` work on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from guardrails import fmt
from guardrails.evidencelater import guarded, words_later
from guardrails.facts import subject
from guardrails.model import Evidence, Rule
from guardrails.plugin import EvalContext, Metric, MetricValue, hookimpl
from guardrails.series import build_columns, median
from guardrails.timeutil import format_duration

#: evidence lists of "the largest" / "the slowest" stop here
EVIDENCE_LIMIT = 10

Fact = Mapping[str, Any]


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------


def percentile(values: Iterable[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, "linear").

    For the sorted values ``x`` of length ``n``: ``h = (n - 1) * p`` and the
    result is ``x[floor h] + (h - floor h) * (x[ceil h] - x[floor h])``.
    """
    xs = sorted(values)
    if not xs:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 1:
        raise ValueError(f"percentile rank {p} is not within 0..1")
    h = (len(xs) - 1) * p
    lo, hi = math.floor(h), math.ceil(h)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def _handle(handle: object) -> str:
    """Handles compare case-insensitively and without a leading ``@``.

    A few hundred people write and review ~25,000 changes a 90-day window at
    100k: each text is made once (a bounded table of the texts seen), not two
    to three times a change (strip, lstrip, lower and str each time).
    """
    if type(handle) is str:
        known = _HANDLES.get(handle)
        if known is None:
            if len(_HANDLES) >= 4096:
                _HANDLES.clear()
            known = _HANDLES[handle] = handle.strip().lstrip("@").lower()
        return known
    return str(handle).strip().lstrip("@").lower()


#: handle as written -> as compared (_handle)
_HANDLES: dict[str, str] = {}


def _merged(changes: Iterable[Fact], start: datetime, end: datetime) -> list[Fact]:
    """Changes merged in ``[start, end)``, each id once (two sources may yield it)."""
    seen: set[str] = set()
    out: list[Fact] = []
    add, append = seen.add, out.append
    for c in changes:
        key = str(c.get("id"))
        if key in seen or not ((t := c.get("merged_at")) is not None and start <= t < end):
            continue
        add(key)
        append(c)
    return out


def _merged_or_no_data(
    ctx: EvalContext, rule: Rule, start: datetime, end: datetime
) -> tuple[list[Fact], MetricValue | None]:
    changes = ctx.facts("changes")
    index = ctx.store.index
    # Made once a run for small-batches and independent-review (one window): both
    # read it, neither changes it (~0.9 s under the profiler at a million facts, each).
    merged = index.memo(
        ("delivery.merged", start.isoformat(), end.isoformat()),
        lambda: _merged(index.window("changes", "merged_at", start, end), start, end))
    if merged:
        return merged, None
    reason = "no changes data" if not changes else "no merged changes in window"
    return merged, MetricValue(None, 0, details=[ctx.window_text(rule)], no_data=reason)


def _team_of(ctx: EvalContext) -> Callable[[Fact, str], str | None]:
    """``(change, its subject) -> its team``: what the run's team index says of the
    subject, asked of the change itself when the subject can name no other fact.

    When every change has an id of its own, as text too (the store's list is
    ``unique()``'s and its subject table has a fact per id), a change's subject
    names that very change, and the team index would find it by its subject
    only to ask :meth:`~guardrails.teamindex.TeamIndex.of_fact` of it: asked
    directly, without the subject's parse and lookups (~15,000 evidence
    items of small-batches at 100k). A store showing a subset (``group_by``)
    asks by the subject, as always.
    """
    teams = ctx.team_index()
    store = ctx.store
    changes = store.by_kind.get("changes")
    # the subject table first: unique() then answers from it (FactStore.distinct_ids)
    if (changes is not None and store.id_table("changes")[1]
            and store.index.unique("changes") is changes):
        of_fact = teams.of_fact
        return lambda change, subj: of_fact(change)  # type: ignore[no-any-return]
    get = teams.get
    return lambda change, subj: get(subj)  # type: ignore[no-any-return]


def _by(change: Fact, teams: Callable[[Fact, str], str | None],
        subj: str) -> tuple[str, str | None]:
    """``by alice (web)`` and the author's team (``subj``: the change's subject), for
    evidence."""
    author = change.get("author")
    team = teams(change, subj)
    if author is None:
        return "by an unknown author", team
    return (f"by {author} ({team})" if team else f"by {author}"), team


# ---------------------------------------------------------------------------
# small batches
# ---------------------------------------------------------------------------


def change_size_p90(ctx: EvalContext, rule: Rule, start: datetime, end: datetime) -> MetricValue:
    """90th percentile of additions + deletions of the changes merged in the window."""
    merged, empty = _merged_or_no_data(ctx, rule, start, end)
    if empty is not None:
        return empty
    teams = _team_of(ctx)
    sized: list[tuple[int, Fact]] = []
    unsized = 0
    for c in merged:
        adds, dels = c.get("additions"), c.get("deletions")
        if isinstance(adds, int) and isinstance(dels, int):
            sized.append((adds + dels, c))
        else:
            unsized += 1
    details = [ctx.window_text(rule), f"{fmt.plural(len(merged), 'change')} merged in window"]
    details += fmt.excluded(unsized, "change", "without additions/deletions")
    if not sized:
        return MetricValue(None, 0, details=details,
                           no_data="no merged changes with additions and deletions in window")
    value = percentile((s for s, _ in sized), 0.9)

    def largest(items: list[tuple[int, Fact]]) -> list[tuple[int, Fact]]:
        # By (-size, id text): by id text, then by size (stable), each key a plain
        # str or int and no tuple a change (~15,000 over the limit at 100k).
        out = sorted(items, key=lambda t: str(t[1].get("id")))
        out.sort(key=lambda t: -t[0])
        return out

    limit = rule.params.get("max")
    if isinstance(limit, int | float) and not isinstance(limit, bool):
        # Every change over the limit is evidence, so a waiver for one team
        # waives the rule only when that team made all the oversized changes.
        # Only those are sorted (the order of a sorted whole's part).
        shown = (largest([t for t in sized if t[0] > limit])
                 or largest(sized)[:EVIDENCE_LIMIT])
    else:
        shown = largest(sized)[:EVIDENCE_LIMIT]
    evidence = []
    # The words and the author's team when first read (~15,000 items at 100k, of which
    # the terminal shows five): sizes and merge time are read above.
    words = guarded(partial(_size_detail, teams))
    for _, c in shown:
        ident = c.get("id")  # subject("changes", c), without a call per change
        subj = f"change/{ident}" if ident is not None else subject("changes", c)
        evidence.append(words_later(Evidence(subj, "", c.get("url")), words, c))
    series = build_columns("p90", start, end, [c["merged_at"] for _, c in sized],
                           [size for size, _ in sized])
    return MetricValue(float(value), len(sized), evidence=evidence, details=details,
                       series=series)


def _size_detail(teams: Callable[[Fact, str], str | None], c: Fact,
                 evidence: Evidence) -> tuple[str, str | None]:
    """Small-batches' evidence words and the author's team (the size as judged: both
    counts are ints, checked before the change was kept)."""
    size = c["additions"] + c["deletions"]
    by, team = _by(c, teams, evidence.subject)
    detail = (f"{size} lines (+{c['additions']} -{c['deletions']}) {by}, "
              f"merged {c['merged_at'].date()}")
    if c.get("title"):
        detail += f": {c['title']}"
    return detail, team


# ---------------------------------------------------------------------------
# independent review
# ---------------------------------------------------------------------------


def _review_gap(change: Fact) -> str | None:
    """Why a change lacks an independent approval, or None when it has one."""
    author = _handle(change["author"])
    # The usual change, approved by someone else: answered at that approval, without
    # the lists and sets of every review (~25,000 changes a 90-day window at 100k).
    approved = False
    for r in change.get("reviews") or ():
        if (type(r) is dict or isinstance(r, Mapping)) and r.get("state") == "APPROVED":
            if _handle(r.get("user")) != author:
                return None
            approved = True
    if approved:
        return "self-approved"
    reviews = [r for r in change.get("reviews") or () if isinstance(r, Mapping)]
    if not reviews:
        return "unreviewed"
    states: dict[str, int] = {}
    for r in reviews:
        state = str(r.get("state", "?")).lower().replace("_", " ")
        states[state] = states.get(state, 0) + 1
    seen = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    return f"no approval ({seen})"


def independent_review_rate(
    ctx: EvalContext, rule: Rule, start: datetime, end: datetime
) -> MetricValue:
    """Share of changes merged in the window approved by someone other than the author."""
    merged, empty = _merged_or_no_data(ctx, rule, start, end)
    if empty is not None:
        return empty
    teams = _team_of(ctx)
    authored = [c for c in merged if c.get("author") is not None]
    details = [ctx.window_text(rule), f"{fmt.plural(len(merged), 'change')} merged in window"]
    # Without an author nobody can tell whether a review was independent.
    details += fmt.excluded(len(merged) - len(authored), "change", "without author")
    if not authored:
        return MetricValue(None, 0, details=details,
                           no_data="no merged changes with an author in window")
    gaps = [(c, gap) for c in authored if (gap := _review_gap(c)) is not None]
    ok = len(authored) - len(gaps)
    details.append(f"{ok} of {len(authored)} approved by someone other than the author")
    evidence = []
    for c, gap in sorted(gaps, key=lambda t: (t[0]["merged_at"], str(t[0].get("id")))):
        subj = subject("changes", c)
        by, team = _by(c, teams, subj)
        detail = f"{gap}, {by}, merged {c['merged_at'].date()}"
        if c.get("title"):
            detail += f": {c['title']}"
        evidence.append(Evidence(subj, detail, url=c.get("url"), team=team))
    gapped = {id(c) for c, _ in gaps}
    series = build_columns("rate", start, end, [c["merged_at"] for c in authored],
                           [int(id(c) not in gapped) for c in authored])
    return MetricValue(ok / len(authored), len(authored), evidence=evidence, details=details,
                       series=series)


# ---------------------------------------------------------------------------
# CI feedback time
# ---------------------------------------------------------------------------


def ci_feedback_time(ctx: EvalContext, rule: Rule, start: datetime, end: datetime) -> MetricValue:
    """Median of finished_at - started_at over CI runs started in the window."""
    runs = ctx.facts("ci_runs")
    # in_window written out: one comparison chain a run, no call (100k runs)
    started = [r for r in runs
               if (t := r.get("started_at")) is not None and start <= t < end]
    details = [ctx.window_text(rule)]
    if not started:
        reason = "no ci_runs data" if not runs else "no CI runs started in window"
        return MetricValue(None, 0, details=details, no_data=reason)
    by_workflow: dict[str, list[tuple[float, Fact]]] = {}
    durations: list[float] = []
    times: list[datetime] = []  # the samples' start times, for the series
    dropped = running = 0
    for r in started:
        # As of now: a run finishing at or after now has not finished yet.
        if r.get("finished_at") is None or r["finished_at"] >= end:
            running += 1
            continue
        seconds = (r["finished_at"] - r["started_at"]).total_seconds()
        if seconds < 0:  # finished before it started: contradictory data, not a fast run
            dropped += 1
            continue
        durations.append(seconds)
        times.append(r["started_at"])
        by_workflow.setdefault(str(r.get("workflow") or "(no workflow)"), []).append((seconds, r))
    details.append(f"{fmt.plural(len(durations), 'CI run')} started in window")
    details += fmt.excluded(running, "run", "not finished as of now")
    details += fmt.excluded(dropped, "run", "finishing before it started", contradictory=True)
    if not durations:
        return MetricValue(None, 0, details=details,
                           no_data="no CI runs with a valid duration in window")
    medians = []
    for name, items in by_workflow.items():
        slowest = max(items, key=lambda t: t[0])
        med = median(s for s, _ in items)
        medians.append((med, name, len(items), slowest))
    medians.sort(key=lambda t: (-t[0], t[1]))
    if len(medians) > EVIDENCE_LIMIT:
        details.append(f"showing the {EVIDENCE_LIMIT} slowest of {len(medians)} workflows")
    evidence = [
        Evidence(
            f"workflow/{name}",
            f"median {format_duration(med)} over {fmt.plural(n, 'run')}; slowest "
            f"{format_duration(slow[0])} (run {slow[1].get('id')}, {slow[1]['started_at'].date()})",
            url=slow[1].get("url"),
        )
        for med, name, n, slow in medians[:EVIDENCE_LIMIT]
    ]
    return MetricValue(float(median(durations)), len(durations),
                       evidence=evidence, details=details,
                       series=build_columns("median", start, end, times, durations))


# ---------------------------------------------------------------------------
# plugin
# ---------------------------------------------------------------------------

CHANGE_SIZE_P90 = Metric(
    "delivery.change_size_p90", "lines", ("changes", "teams"), change_size_p90,
    "90th percentile (linear interpolation) of additions + deletions of the changes "
    "merged in the window; changes without sizes are excluded and counted.",
)
INDEPENDENT_REVIEW_RATE = Metric(
    "delivery.independent_review_rate", "ratio", ("changes", "teams"), independent_review_rate,
    "Share of the changes merged in the window with an APPROVED review by someone "
    "other than the author.",
)
CI_FEEDBACK_TIME = Metric(
    "delivery.ci_feedback_time", "seconds", ("ci_runs",), ci_feedback_time,
    "Median duration (finished_at - started_at) of the CI runs started in the window.",
)


@hookimpl
def guardrails_collect_metrics() -> list[Metric]:
    """Batch size, independent review and CI feedback time."""
    return [CHANGE_SIZE_P90, INDEPENDENT_REVIEW_RATE, CI_FEEDBACK_TIME]

