"""Checks over iteration plans: slack over maximum utilisation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails import fmt
from guardrails.checks.generic import no_data
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl

Fact = Mapping[str, Any]


def latest_iterations(iterations: list[Fact], now: Any) -> dict[str, Fact]:
    """Team id -> its iteration with the latest end among those started before ``now``."""
    latest: dict[str, Fact] = {}
    for it in iterations:
        start, end = it.get("start"), it.get("end")
        if start is None or end is None or not start < now:
            continue  # a planned future iteration says nothing about today's load
        team = str(it.get("team"))
        if team not in latest or end > latest[team]["end"]:
            latest[team] = it
    return latest


def _label(it: Fact) -> str:
    dates = f"{it['start'].date()}..{it['end'].date()}"
    return f"{it['name']} ({dates})" if it.get("name") else dates


class SlackInPlansCheck(Check):
    """Every team's latest iteration commits at most ``max`` of its capacity."""

    name = "teams.slack_in_plans"
    kinds = ("iterations",)
    schema = {"properties": {"max": {
        "type": "number", "exclusiveMinimum": 0,
        "description": "Highest committed / capacity ratio of a team's latest iteration.",
    }}}
    doc = ("Every team's latest iteration that started before now has committed / capacity "
           "of at most `max`.")

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        iterations = ctx.facts("iterations")
        if not iterations:
            return no_data(rule, "no iterations data", "ratio")
        latest = latest_iterations(iterations, ctx.now)
        if not latest:
            return no_data(rule, f"no iterations started before {ctx.now.date()}", "ratio")
        limit = float(rule.params.get("max", 0.8))
        threshold = {"max": limit}
        ratios: dict[str, float] = {}
        evidence = []
        for team in sorted(latest):
            it = latest[team]
            capacity, committed = float(it["capacity"]), float(it["committed"])
            if capacity <= 0:
                evidence.append(Evidence(f"team/{team}", f"{_label(it)}: no capacity planned "
                                         f"(committed {committed:g})", team=team))
                continue
            ratio = committed / capacity
            ratios[team] = ratio
            if ratio > limit:
                evidence.append(Evidence(
                    f"team/{team}",
                    f"{_label(it)}: committed {committed:g} of {capacity:g} "
                    f"({fmt.value(ratio, 'ratio')} > {fmt.value(limit, 'ratio')})",
                    team=team,
                ))
        # The value is the fullest plan, so value and threshold compare directly.
        worst = max(ratios.values()) if ratios else None
        fullest = sorted(ratios.items(), key=lambda t: (-t[1], t[0]))
        shown = ", ".join(f"{t} {fmt.value(r, 'ratio')}" for t, r in fullest)
        details = [f"latest iteration per team: {shown}"] if ratios else []
        n = len(evidence)
        if n:
            names = ", ".join(e.team or "" for e in evidence)
            msg = (f"{n} of {fmt.plural(len(latest), 'team')} planned their latest iteration "
                   f"above {fmt.value(limit, 'ratio')} of capacity: {names}")
        else:
            msg = (f"every team's latest iteration leaves slack: fullest "
                   f"{fmt.comparison(worst, 'ratio', threshold, True)}")
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=worst,
                           unit="ratio", threshold=threshold, samples=len(latest),
                           evidence=evidence, details=details)


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    """The iteration-plan checks of pack ``teams``."""
    return [SlackInPlansCheck()]
