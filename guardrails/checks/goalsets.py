"""Checks over goals: measurable success criteria."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails import fmt
from guardrails.checks.generic import no_data
from guardrails.facts import subject
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl

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
        ids = ", ".join(e.subject.split("/", 1)[1] for e in evidence[:5])
        more = f" and {n - 5} more" if n > 5 else ""
        msg = (f"{n} of {fmt.plural(len(goals), 'goal')} not measurable: {ids}{more}" if n
               else f"every goal has a measurable key result ({fmt.plural(len(goals), 'goal')})")
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                           threshold={"max": 0}, samples=len(goals), evidence=evidence)


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    """The goal checks of pack ``goals``."""
    return [MeasurableGoalsCheck()]
