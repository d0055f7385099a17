"""The named checks of pack ``goals``: the execution focus, measurable goals.

- ``goals.focus_revisited``: the execution focus is declared and was reviewed
  within ``max_age``.
- ``goals.measurable``: every goal has a key result with metric, baseline,
  target and due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails import fmt
from guardrails.checks.generic import no_data
from guardrails.facts import subject
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl
from guardrails.timeutil import DURATION_PATTERN, format_duration, local_date, parse_duration

# ---------------------------------------------------------------------------
# focus revisited
# ---------------------------------------------------------------------------

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

# ---------------------------------------------------------------------------
# measurable goals
# ---------------------------------------------------------------------------

#: what makes a key result measurable, as DATA.md names the fields
KEY_RESULT_FIELDS = ("metric", "baseline", "target", "due")


def missing_fields(key_result: Any) -> list[str]:
    """The measurable-goal fields a key result lacks (blank text counts as missing)."""
    if not isinstance(key_result, Mapping):
        return list(KEY_RESULT_FIELDS)
    out = []
    for name in KEY_RESULT_FIELDS:
        value = key_result.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(name)
    return out


def why_not_measurable(goal: Mapping[str, Any]) -> str | None:
    """What keeps a goal from being measurable, or None when one key result is complete."""
    krs = goal.get("key_results") or []
    if not krs:
        return "no key results"
    gaps = [missing_fields(kr) for kr in krs]
    if any(not gap for gap in gaps):
        return None
    each = "; ".join(f"key result {i} lacks {', '.join(gap)}" for i, gap in enumerate(gaps, 1))
    return f"no key result has metric, baseline, target and due: {each}"


class MeasurableGoalsCheck(Check):
    """Every goal has a key result with metric, baseline, target and due date."""

    name = "goals.measurable"
    kinds = ("goals",)
    schema = {"properties": {}}
    doc = "Every goal has at least one key result with metric, baseline, target and due date."

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        goals = ctx.facts("goals")
        if not goals:
            return no_data(rule, "no goals data")
        evidence = []
        for goal in sorted(goals, key=lambda g: str(g.get("id"))):
            why = why_not_measurable(goal)
            if why is not None:
                team = goal.get("team")
                evidence.append(Evidence(subject("goals", goal), why, url=goal.get("url"),
                                         team=str(team) if team is not None else None))
        n = len(evidence)
        ids = fmt.ids([e.subject.split("/", 1)[1] for e in evidence])
        msg = (f"{n} of {fmt.plural(len(goals), 'goal')} not measurable: {ids}" if n
               else f"every goal has a measurable key result ({fmt.plural(len(goals), 'goal')})")
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                           threshold={"max": 0}, samples=len(goals), evidence=evidence)


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    """The named checks of pack ``goals``."""
    return [FocusRevisitedCheck(), MeasurableGoalsCheck()]
