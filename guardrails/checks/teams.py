"""Checks over teams: size (two-pizza teams)."""

from __future__ import annotations

from guardrails import fmt
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl


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
        for t in sorted(teams, key=lambda t: str(t["id"])):
            size = len(t.get("members") or [])
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
                           threshold={"max": 0}, samples=len(teams), evidence=evidence)


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    return [TeamSizeCheck()]
