"""Checks over goals and the execution focus."""

from __future__ import annotations

from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl
from guardrails.timeutil import DURATION_PATTERN, format_duration, local_date, parse_duration


class FocusRevisitedCheck(Check):
    """The execution focus is declared and was reviewed within ``max_age``."""

    name = "goals.focus_revisited"
    kinds = ()
    schema = {"properties": {"max_age": {"type": "string", "pattern": DURATION_PATTERN}}}
    doc = "The config declares focus.current and focus.reviewed_on within `max_age` of now."

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        cfg = ctx.config
        max_age = parse_duration(rule.params.get("max_age", "90d"))
        threshold = {"max": max_age.total_seconds()}
        focus = cfg.focus if cfg is not None else None
        where = cfg.display_path if cfg is not None else "guardrails.yaml"
        if not focus:
            return CheckResult(
                Outcome.FAILED, "no execution focus is declared (focus.current)",
                unit="seconds", threshold=threshold,
                evidence=[Evidence("config/focus", "add focus: {current: ..., reviewed_on: ...}",
                                   file=where)],
            )
        reviewed = cfg.focus_reviewed_on if cfg is not None else None
        if cfg is not None and cfg.focus_reviewed_on_placeholder:
            return CheckResult(
                Outcome.FAILED, "focus.reviewed_on is still the placeholder YYYY-MM-DD "
                "written by 'guardrails init'", unit="seconds", threshold=threshold,
                evidence=[Evidence(
                    "config/focus", "replace YYYY-MM-DD with the date your team last agreed "
                    "on the focus", file=where, line=cfg.line_of("focus", "reviewed_on"))])
        if reviewed is None:
            return CheckResult(
                Outcome.FAILED, f"focus {focus!r} has no reviewed_on date",
                unit="seconds", threshold=threshold,
                evidence=[Evidence("config/focus", "add focus.reviewed_on: YYYY-MM-DD",
                                   file=where, line=cfg.line_of("focus") if cfg else None)],
            )
        # reviewed_on names a whole day in the config's timezone: the age is
        # counted in calendar days from it to today there.
        tz = cfg.timezone if cfg is not None else None
        today = local_date(ctx.now, tz)
        age = (today - reviewed).days * 86400.0
        if age < 0:
            return CheckResult(
                Outcome.FAILED, f"focus reviewed_on {reviewed} is in the future (now "
                f"{today})", value=age, unit="seconds", threshold=threshold,
                samples=1, evidence=[Evidence(
                    "config/focus", "set reviewed_on to the date the review happened",
                    file=where, line=cfg.line_of("focus", "reviewed_on") if cfg else None)])
        ok = age <= max_age.total_seconds()
        msg = (f"focus {focus!r} last reviewed {reviewed} ({format_duration(age)} ago); "
               f"{'within' if ok else 'older than'} {format_duration(max_age.total_seconds())}")
        evidence = [] if ok else [Evidence(
            "config/focus", f"reviewed_on {reviewed}: revisit the focus with the team",
            file=where, line=cfg.line_of("focus", "reviewed_on") if cfg else None)]
        return CheckResult(Outcome.PASSED if ok else Outcome.FAILED, msg, value=age,
                           unit="seconds", threshold=threshold, samples=1, evidence=evidence)


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    return [FocusRevisitedCheck()]
