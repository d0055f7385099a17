"""Checks over iteration plans: slack over maximum utilisation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails import fmt
from guardrails.checks.generic import no_data
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl
from guardrails.timeutil import day_of, iso

Fact = Mapping[str, Any]


def latest_iterations(iterations: list[Fact], now: Any) -> dict[str, Fact]:
    """Team id -> its iteration with the latest end among those started before ``now``.

    Equal ends: the later start wins, so the answer never depends on file order.

    An iteration ending before it starts is contradictory data: it is left
    out here and counted by :func:`contradictory`.
    """
    latest: dict[str, Fact] = {}
    for it in iterations:
        start, end = it.get("start"), it.get("end")
        if start is None or end is None or not start < now or end < start:
            continue  # a planned future iteration says nothing about today's load
        team = str(it.get("team"))
        # the latest end; equal ends: the later start (the shorter, newer plan)
        if team not in latest or (end, start) > (latest[team]["end"], latest[team]["start"]):
            latest[team] = it
    return latest


def _day(value: Any, tz: Any) -> str:
    """A date field as the day it names (dates are kept as their first instant in ``tz``)."""
    day = day_of(value, tz)
    return day.isoformat() if day is not None else iso(value) or "?"


def _label(it: Fact, tz: Any = None) -> str:
    dates = f"{_day(it['start'], tz)}..{_day(it['end'], tz)}"
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
            return no_data(rule, "no iterations data", "count")
        latest = latest_iterations(iterations, ctx.now)
        tz = ctx.config.timezone if ctx.config is not None else None
        broken = sum(1 for it in iterations
                     if it.get("start") is not None and it.get("end") is not None
                     and it["end"] < it["start"])
        broken_note = ([f"{fmt.plural(broken, 'iteration')} ending before it starts excluded "
                        "(contradictory data)"] if broken else [])
        if not latest:
            res = no_data(rule, f"no iterations started before {ctx.now.date()}", "count")
            res.details = broken_note
            return res
        limit = float(rule.params.get("max", 0.8))
        ratios: dict[str, float] = {}
        evidence = []
        for team in sorted(latest):
            it = latest[team]
            capacity, committed = float(it["capacity"]), float(it["committed"])
            if capacity <= 0:
                evidence.append(Evidence(f"team/{team}", f"{_label(it, tz)}: no capacity planned "
                                         f"(committed {committed:g})", team=team))
                continue
            ratio = committed / capacity
            ratios[team] = ratio
            if ratio > limit:
                evidence.append(Evidence(
                    f"team/{team}",
                    f"{_label(it, tz)}: committed {committed:g} of {capacity:g} "
                    f"({fmt.value(ratio, 'ratio')} > {fmt.value(limit, 'ratio')})",
                    team=team,
                ))
        # Every team is judged on its own: the value counts the teams whose
        # latest plan leaves no slack; the fullest plan is in the message.
        worst = max(ratios.values()) if ratios else None
        fullest = sorted(ratios.items(), key=lambda t: (-t[1], t[0]))
        shown = ", ".join(f"{t} {fmt.value(r, 'ratio')}" for t, r in fullest)
        details = [f"latest iteration per team: {shown}"] if ratios else []
        details += broken_note
        n = len(evidence)
        if n:
            names = ", ".join(e.team or "" for e in evidence)
            msg = (f"{n} of {fmt.plural(len(latest), 'team')} planned their latest iteration "
                   f"above {fmt.value(limit, 'ratio')} of capacity: {names}")
        else:
            msg = (f"every team's latest iteration leaves slack: fullest "
                   f"{fmt.comparison(worst, 'ratio', {'max': limit}, True)}")
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n,
                           unit="count", threshold={"max": 0}, samples=len(latest),
                           evidence=evidence, details=details)


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    """The iteration-plan checks of pack ``teams``."""
    return [SlackInPlansCheck()]
