"""The named checks of pack ``teams``: size, slack in plans, bus factor, CODEOWNERS.

- ``teams.size``: every team has between ``min`` and ``max`` members.
- ``teams.slack_in_plans``: every team's latest iteration commits at most
  ``max`` of its capacity (slack over maximum utilisation).

These two read the org's own data (teams, iterations). The ownership checks,
``teams.bus_factor`` and ``teams.codeowners_coverage``, read the git source
and live in :mod:`guardrails.checks.ownership`; this module registers all four
(the builtin manifest names it) and re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guardrails import fmt
from guardrails.checks.generic import no_data
from guardrails.checks.ownership import (
    BusFactorCheck,
    CodeownersCoverageCheck,
    bus_factor,
)
from guardrails.model import CheckResult, Evidence, Measure, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl
from guardrails.timeutil import day_of, iso

Fact = Mapping[str, Any]

# The ownership checks are re-exported: they have always been importable from here.
__all__ = ["BusFactorCheck", "CodeownersCoverageCheck", "SlackInPlansCheck", "TeamSizeCheck",
           "bus_factor", "guardrails_collect_checks", "latest_iterations"]


# ---------------------------------------------------------------------------
# size
# ---------------------------------------------------------------------------

class TeamSizeCheck(Check):
    """Every team has between ``min`` and ``max`` members."""

    name = "teams.size"
    kinds = ("teams",)
    schema = {
        "properties": {
            "min": {"type": "integer", "minimum": 0},
            "max": {"type": "integer", "minimum": 1},
        },
    }
    doc = "Every team has between `min` and `max` members (members listed in teams data)."

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        teams = ctx.facts("teams")
        if not teams:
            return CheckResult.skipped("no teams data")
        lo, hi = rule.params.get("min"), rule.params.get("max")
        evidence = []
        measures = []
        for t in sorted(teams, key=lambda t: str(t["id"])):
            size = len(t.get("members") or [])
            measures.append(Measure(f"team/{t['id']}", size, team=t["id"]))
            if hi is not None and size > hi:
                evidence.append(Evidence(f"team/{t['id']}",
                                         f"{fmt.plural(size, 'member')} (max {hi})",
                                         team=t["id"]))
            elif lo is not None and size < lo:
                evidence.append(Evidence(f"team/{t['id']}",
                                         f"{fmt.plural(size, 'member')} (min {lo})",
                                         team=t["id"]))
        n = len(evidence)
        if lo is not None and hi is not None:
            bounds = f"{lo}..{hi} members"
        elif hi is not None:
            bounds = f"at most {hi} members"
        else:
            bounds = f"at least {lo} members"
        if n:
            names = ", ".join(f"{e.team} ({e.detail.split()[0]})" for e in evidence)
            msg = f"{fmt.plural(n, 'team')} outside {bounds}: {names}"
        else:
            msg = f"all {len(teams)} teams have {bounds}"
        # The value counts the teams outside the bounds; the bounds are per team.
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                           threshold={"max": 0}, samples=len(teams), evidence=evidence,
                           measures=measures)

# ---------------------------------------------------------------------------
# slack in plans
# ---------------------------------------------------------------------------

def latest_iterations(iterations: Sequence[Fact], now: Any) -> dict[str, Fact]:
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
        broken_note = fmt.excluded(broken, "iteration", "ending before it starts",
                                   contradictory=True)
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
                                         f"(committed {fmt.number(committed)})", team=team))
                continue
            ratio = committed / capacity
            ratios[team] = ratio
            if ratio > limit:
                evidence.append(Evidence(
                    f"team/{team}",
                    f"{_label(it, tz)}: committed {fmt.number(committed)} of "
                    f"{fmt.number(capacity)} "
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
    """The named checks of pack ``teams``."""
    return [TeamSizeCheck(), SlackInPlansCheck(), BusFactorCheck(), CodeownersCoverageCheck()]
