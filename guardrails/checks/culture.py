"""Checks over culture surveys: the Westrum organisational culture score.

The score is defined once here, and the rule's explain text says the same:

- a response's score is the mean of its answered items q1..q6 (1..7; a blank
  is "don't know" and left out); a response with no answered item has no
  score and is excluded;
- a team's score is the mean of its responses' scores;
- only responses dated inside the window ``[now - W, now)`` count, and only
  teams with at least ``min_responses`` scored responses are judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from guardrails import fmt
from guardrails.checks.generic import no_data
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, hookimpl
from guardrails.series import fmean
from guardrails.timeutil import in_window

#: the six Westrum items of the DORA survey, in column order
ITEMS = {
    "q1": "information is actively sought",
    "q2": "messengers are not punished",
    "q3": "responsibilities are shared",
    "q4": "cross-functional collaboration is encouraged",
    "q5": "failure causes enquiry",
    "q6": "new ideas are welcomed",
}


def _answers(response: Mapping[str, Any]) -> dict[str, float]:
    return {
        q: float(v) for q in ITEMS
        if isinstance(v := response.get(q), int | float) and not isinstance(v, bool)
    }


#: an exact rational number: (numerator, denominator > 0), in lowest terms
Ratio = tuple[int, int]


def _ratio(num: int, den: int) -> Ratio:
    g = math.gcd(num, den)
    return num // g, den // g


def _mean(values: Iterable[Ratio], n: int) -> Ratio:
    """The exact mean of ``n`` rationals (as ``sum(Fraction) / n``, without importing
    fractions, with decimal and numbers behind it: ~2.5 ms of start-up)."""
    num, den = 0, 1
    for a, b in values:
        num, den = _ratio(num * b + a * den, den * b)
    return _ratio(num, den * n)


def _decimal_ratio(text: str) -> Ratio:
    """The exact value of a float's ``str`` (``5.0``, ``4.75``, ``1e-05``), as
    ``Fraction(text)`` reads it."""
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    num, power = int(whole + fraction), int(exponent or 0) - len(fraction)
    return _ratio(num * 10 ** power, 1) if power >= 0 else _ratio(num, 10 ** -power)


def response_score(response: Mapping[str, Any]) -> Ratio | None:
    """Mean of the answered items, or None when none was answered.

    Exact (a ratio of integers): a team whose true mean is exactly the
    threshold (6, 5 1/3 and 3 2/3 average to 5) must not fail on float rounding.
    """
    answered = _answers(response)
    if not answered:
        return None
    return _mean((v.as_integer_ratio() for v in answered.values()), len(answered))


class WestrumScoreCheck(Check):
    """Every team with enough responses has a mean Westrum score of at least ``min``."""

    name = "culture.westrum_score"
    kinds = ("survey_answers",)
    schema = {"properties": {
        "min": {"type": "number", "minimum": 1, "maximum": 7,
                "description": "Lowest acceptable team score (1..7)."},
        "min_responses": {"type": "integer", "minimum": 1,
                          "description": "Teams with fewer scored responses are not judged."},
    }}
    doc = ("Every team with at least `min_responses` scored survey responses in the window "
           "has a mean Westrum score of at least `min`.")

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        answers = ctx.facts("survey_answers")
        if not answers:
            return no_data(rule, "no survey_answers data", "count")
        start, end = ctx.window_for(rule)
        in_win = [a for a in answers if in_window(a.get("date"), start, end)]
        if not in_win:
            return no_data(rule, "no survey answers in window", "count")
        lowest = float(rule.params.get("min", 5.0))
        needed = int(rule.params.get("min_responses", 3))

        by_team: dict[str, list[Mapping[str, Any]]] = {}
        unscored = 0
        for a in in_win:
            if response_score(a) is None:
                unscored += 1
            else:
                by_team.setdefault(str(a.get("team")), []).append(a)
        details = [ctx.window_text(rule)]
        if unscored:
            details.append(f"{fmt.plural(unscored, 'response')} without any answered "
                           "question excluded")
        judged = {t: rs for t, rs in by_team.items() if len(rs) >= needed}
        small = sorted((t, len(rs)) for t, rs in by_team.items() if len(rs) < needed)
        if small:
            details.append(f"fewer than {needed} responses, not judged: "
                           + ", ".join(f"{t} ({n})" for t, n in small))
        if not judged:
            res = no_data(rule, f"no team has {needed} or more scored survey responses "
                           "in window", "count")
            res.details = details
            return res

        exact = {t: _mean((response_score(r) or (0, 1) for r in rs), len(rs))
                 for t, rs in judged.items()}
        scores = {t: num / den for t, (num, den) in exact.items()}  # as float(Fraction)
        details.append("team scores: " + ", ".join(
            f"{t} {s:.2f} ({len(judged[t])})" for t, s in sorted(scores.items(),
                                                                key=lambda t: (t[1], t[0]))))
        evidence = []
        low_num, low_den = _decimal_ratio(str(lowest))
        for team, score in sorted(scores.items(), key=lambda t: (t[1], t[0])):
            num, den = exact[team]
            if num * low_den >= low_num * den:  # exact[team] >= lowest, exactly
                continue
            q, mean = self._weakest(judged[team])
            evidence.append(Evidence(
                f"team/{team}",
                f"score {score:.2f} < {lowest:.2f} from {fmt.plural(len(judged[team]), 'response')}"
                f"; weakest item {q} ({ITEMS[q]}) {mean:.2f}",
                team=team,
            ))
        worst = min(scores.values())
        n = len(evidence)
        # Every team is judged on its own: the value counts the teams below
        # the minimum; the lowest score is in the message.
        if n:
            msg = (f"{n} of {fmt.plural(len(scores), 'team')} below a Westrum score of "
                   f"{lowest:.2f} (lowest {worst:.2f}): "
                   + ", ".join(e.team or "" for e in evidence))
        else:
            msg = (f"{fmt.plural(len(scores), 'team')} judged, all at or above {lowest:.2f}; "
                   f"lowest {worst:.2f}")
        return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n,
                           unit="count", threshold={"max": 0}, samples=len(scores),
                           evidence=evidence, details=details)

    @staticmethod
    def _weakest(responses: list[Mapping[str, Any]]) -> tuple[str, float]:
        """The item with the lowest mean among the team's answers to it."""
        per_item: dict[str, list[float]] = {}
        for r in responses:
            for q, v in _answers(r).items():
                per_item.setdefault(q, []).append(v)
        means = {q: fmean(vs) for q, vs in per_item.items()}
        q = min(means, key=lambda k: (means[k], k))
        return q, means[q]


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    """The culture checks of pack ``culture``."""
    return [WestrumScoreCheck()]
