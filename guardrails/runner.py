"""Evaluating one rule: run its check, contain crashes, apply waivers.

An essential plugin: implements ``guardrails_evaluate_rule``. Like pytest's
``CallInfo.from_call``, whatever a check raises becomes an ``error`` outcome
of that rule; the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

from guardrails.errors import SourceError, UsageError
from guardrails.evidencelater import teams_later
from guardrails.facts import FactStore
from guardrails.model import CheckResult, Evidence, Outcome, Result, Rule
from guardrails.plugin import EvalContext, hookimpl
from guardrails.results import Place, place_later
from guardrails.waivers import Waiver


def result_from(rule: Rule, cr: CheckResult) -> Result:
    return Result(
        id=rule.nodeid, pack=rule.pack, title=rule.title, outcome=cr.outcome,
        severity=rule.severity, file=rule.file, line=rule.line, tags=rule.tags,
        message=cr.message, value=cr.value, unit=cr.unit, threshold=cr.threshold,
        samples=cr.samples, evidence=list(cr.evidence), details=list(cr.details),
        measures=list(cr.measures),
        series=cr.series,
        no_data=cr.outcome is Outcome.SKIPPED and cr.no_data is not False,
    )


def fail_without_data(result: Result) -> None:
    """``--strict`` / ``strict: true``: a rule skipped for lack of data fails."""
    if result.outcome is Outcome.SKIPPED and result.no_data:
        result.outcome = Outcome.FAILED
        result.details.insert(0, "strict: a rule without data fails (configure the source "
                                 "that provides it, or run without --strict)")
        result.message = f"no data: {result.message}"


def error_result(rule: Rule, message: str, longrepr: str = "") -> Result:
    r = result_from(rule, CheckResult(Outcome.ERROR, message))
    r.longrepr = longrepr
    return r


def run_check(rule: Rule, ctx: EvalContext) -> Result:
    check = ctx.checks.get(rule.check)
    if check is None:
        return error_result(rule, f"check {rule.check!r} is not available (plugin disabled?)")
    try:
        cr = check.evaluate(rule, ctx)
    except SourceError as exc:
        return error_result(rule, str(exc))
    except UsageError as exc:
        return error_result(rule, str(exc))
    except Exception as exc:  # a bug in a check: contained, shown, the run goes on
        # Imported here: logging and traceback cost a start-up ~5 ms, for crashes only.
        import logging
        import traceback

        logging.getLogger(__name__).debug("check %s crashed", rule.check, exc_info=True)
        return error_result(rule, f"check {rule.check} crashed: {type(exc).__name__}: {exc}",
                            traceback.format_exc())
    if not isinstance(cr, CheckResult):
        return error_result(rule, f"check {rule.check} returned {type(cr).__name__}, "
                            "not a CheckResult")
    if cr.outcome is Outcome.ERROR and cr.evidence:
        # A check that could not evaluate some facts names them (a CEL expression
        # failing on one fact): the evidence is kept.
        return result_from(rule, cr)
    if cr.outcome not in (Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED):
        return error_result(rule, cr.message or f"check {rule.check} reported {cr.outcome}")
    return result_from(rule, cr)


def apply_waivers(result: Result, waivers: Iterable[Waiver], now: datetime,
                  tz: tzinfo | None = None,
                  met: set[tuple[str, str | None]] | None = None) -> None:
    """A failed rule covered by an active waiver becomes ``waived``.

    A waiver with a ``subject`` covers the evidence naming that subject (or
    carrying that team). When it covers all evidence the rule is waived;
    otherwise the covered evidence is dropped and the rule still fails.
    ``met`` gets the (rule, subject) of each active waiver that meets the
    failure (a subject waiver: evidence it covers), also one a waiver of the
    whole rule made moot: the rest waived nothing (:mod:`guardrails.waivers`).
    """
    if result.outcome is not Outcome.FAILED:
        return
    active = [w for w in waivers if w.rule == result.id and w.active(now, tz)]
    if not active:
        return
    by_subject = {w.subject: w for w in active if w.subject}
    if met is not None:
        met.update((result.id, w.subject) for w in active if not w.subject)
        for ev in result.evidence:
            for subj in (ev.subject, f"team/{ev.team}" if ev.team else None):
                if subj in by_subject:
                    met.add((result.id, subj))
    whole = next((w for w in active if not w.subject), None)
    if whole is not None:
        result.outcome = Outcome.WAIVED
        result.waiver = whole.to_json()
        return

    def cover(ev) -> Waiver | None:  # type: ignore[no-untyped-def]
        return by_subject.get(ev.subject) or (
            by_subject.get(f"team/{ev.team}") if ev.team else None
        )

    covered = [(ev, cover(ev)) for ev in result.evidence]
    used = [w for _, w in covered if w is not None]
    if not used:
        return
    if all(w is not None for _, w in covered):
        result.outcome = Outcome.WAIVED
        result.waiver = used[0].to_json()
        return
    kept = [ev for ev, w in covered if w is None]
    waived = len(result.evidence) - len(kept)
    result.evidence = kept
    result.details.append(
        f"{waived} subject(s) waived ({', '.join(sorted({w.subject or '' for w in used}))})"
    )


def attribute_teams(result: Result, ctx: EvalContext) -> None:
    """Fill in the owning team of evidence and measures the check did not attribute.

    An evidence item's team is found when first read
    (:func:`guardrails.evidencelater.teams_later`): the first question builds a
    table of its kind's ids, and a report that shows no team (the terminal
    without ``--group-by team``) reads few or none of ~10,000 items.
    """
    measures = result.measures
    if measures and not all(m.team for m in measures):
        index = ctx.team_index()
        for m in measures:
            if not m.team:
                m.team = index.get(m.subject)
    if not result.evidence:
        return
    teams_later(result.evidence, partial(_team_of, ctx))


def _team_of(ctx: EvalContext, evidence: Evidence) -> str | None:
    """The team the run's team index gives ``evidence``'s subject."""
    return ctx.team_index().get(evidence.subject)  # type: ignore[no-any-return]


def locate_evidence(result: Result, store: FactStore) -> None:
    """Fill in where evidence about a data record came from, as the source knows it.

    Evidence the check already located (a postmortem paragraph, a CODEOWNERS
    line) keeps its place; evidence naming a fact a source can locate (the
    files source knows the file and row of every record it loaded) gets that
    file and line, marked ``record``. A fact with a web ``url`` (an issue,
    an incident page from an HTTP source) lends it to evidence that has none.
    Evidence with no place yet gets both when first read
    (:func:`guardrails.results.place_later`).
    """
    find = partial(_place, store)
    for e in result.evidence:
        if e.file is not None and e.url is not None:
            continue
        if e.file is None and e.line is None and not e.record and type(e.subject) is str:
            place_later(e, find)
            continue
        file, line, record, url = _place(store, e)  # now: part of its place is the check's
        if e.file is None and record:
            e.file, e.line, e.record = file, line, True
        if e.url is None:
            e.url = url


def _place(store: FactStore, evidence: Evidence) -> Place:
    """(file, line, record, url) of evidence without a place, as its subject's record
    gives them."""
    found = store.record(evidence.subject)
    if found is None:
        return None, None, False, None
    kind, fact = found
    loc = store.locate(kind, fact)
    file, line, record = (loc[0], loc[1], True) if loc is not None else (None, None, False)
    return file, line, record, _url(fact)


def _url(fact: Mapping[str, Any]) -> str | None:
    """The fact's web page, lent to evidence without one."""
    url = fact.get("url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


@hookimpl(trylast=True)
def guardrails_evaluate_rule(rule: Rule, context: EvalContext) -> Result:
    start = time.perf_counter()
    result = run_check(rule, context)
    if context.config is not None and context.config.strict:
        fail_without_data(result)
    attribute_teams(result, context)
    locate_evidence(result, context.store)
    if context.config is not None:
        apply_waivers(result, context.config.waivers, context.now, context.config.timezone,
                      context.config.waivers_met)
    result.duration = time.perf_counter() - start
    return result
