"""``check: expr``: one CEL expression over whole kinds of facts.

Where ``each`` judges facts one by one, an ``expr`` rule judges the org:
its expression sees the facts of every kind named in ``facts:`` as a list
named after the kind (``incidents``, ``deployments``), with ``now`` and
``window``. Either ``expect`` (true passes) or ``value`` (a number within
``min``/``max``, a metric written in CEL)::

    - id: sev1-per-deployments
      check: expr
      facts: [incidents, deployments]
      expect: >
        incidents.filter(i, has(i.severity) && i.severity == "SEV1").size() * 20
        <= deployments.size()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails import fmt
from guardrails.celrules.rules import ExpressionError, note_reaches, noted_reaches
from guardrails.celrules.runtime import (
    CelProblem,
    Compiled,
    EvalError,
    Facts,
    compile_expression,
    context,
    evaluate,
    measure,
)
from guardrails.checks.common import expect_or_value, no_data
from guardrails.checks.conditions import RuleParamError, RuleParamErrors, did_you_mean
from guardrails.datakinds import BUILTIN
from guardrails.kinds import KindRegistry
from guardrails.model import CheckResult, Outcome, Rule
from guardrails.plugin import Check, EvalContext, Metric
from guardrails.textsafe import excerpt

_KINDS = {"anyOf": [
    {"type": "string", "pattern": "^[a-z][a-z_]*$"},
    {"type": "array", "minItems": 1, "maxItems": 10, "uniqueItems": True,
     "items": {"type": "string", "pattern": "^[a-z][a-z_]*$"}}],
    "description": "The fact kinds the expression reads, each a list named after it."}


def _kinds(params: Mapping[str, Any]) -> tuple[str, ...]:
    facts = params.get("facts")
    return (facts,) if isinstance(facts, str) else tuple(facts or ())


def _reach_key(params: Mapping[str, Any]) -> tuple[Any, ...]:
    return ("expr", _kinds(params), params.get("expect"), params.get("value"))


class ExprCheck(Check):
    """One CEL expression over lists of facts: ``expect`` true, or ``value`` in bounds."""

    name = "expr"
    schema = {
        "properties": {
            "facts": _KINDS,
            "expect": {"type": "string", "description":
                       "A CEL expression over the kinds' lists, now and window; "
                       "the rule passes when it is true."},
            "value": {"type": "string", "description":
                      "A CEL expression giving a number, compared with min/max."},
            "min": {"type": "number"}, "max": {"type": "number"},
            "on_no_data": {"enum": ["skip", "fail"]},
        },
        "required": ["facts"],
    }
    doc = ("One CEL expression over every fact of the named kinds (lists named after "
           "them): `expect` must be true, or `value` within `min`/`max`.")

    def validate_rule(self, params: Mapping[str, Any], known_kinds: Any = None,
                      fact_kinds: KindRegistry | None = None) -> None:
        """Load-time checks: the kinds, the expression, bounds for ``value``."""
        kinds = BUILTIN if fact_kinds is None else fact_kinds
        errors: list[RuleParamError] = []
        names = _kinds(params)
        for name in names:
            if known_kinds is not None and name not in known_kinds:
                errors.append(RuleParamError(
                    "facts", f"unknown fact kind {name!r}",
                    fix=(did_you_mean(name, known_kinds) or "")
                    + f" known kinds: {', '.join(sorted(known_kinds))}"))
        if "value" in params and "min" not in params and "max" not in params:
            errors.append(RuleParamError("value", "value: needs min or max to compare with",
                                         fix="add max: (or min:) to the rule"))
        errors += expect_or_value(self.name, params)
        for key, want in (("expect", "bool"), ("value", "number")):
            if key not in params:
                continue
            if isinstance(params.get(key), str) and not errors:
                try:
                    compiled = compile_expression(params[key], None, kinds, lists=names,
                                                  want=want)
                except CelProblem as exc:
                    errors.append(ExpressionError(key, f"{key}: {exc}", exc.offset, exc.fix))
                else:
                    if fact_kinds is not None:  # a plugin kind's links count in needs()
                        note_reaches(_reach_key(params), compiled.reaches)
        if errors:
            raise RuleParamErrors(errors)

    def _compiled(self, rule: Rule, kinds: KindRegistry) -> tuple[str, Compiled]:
        key = "expect" if "expect" in rule.params else "value"
        want = "bool" if key == "expect" else "number"
        return key, compile_expression(rule.params[key], None, kinds,
                                       lists=_kinds(rule.params), want=want)

    def needs(self, rule: Rule, metrics: Mapping[str, Metric]) -> set[str]:
        """The named kinds and those the expression reaches through links."""
        try:
            reached = self._compiled(rule, BUILTIN)[1].reaches
        except CelProblem:
            reached = frozenset()  # a plugin's kind: validation noted what it reaches
        return {*_kinds(rule.params), *reached, *noted_reaches(_reach_key(rule.params))}

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        kinds = ctx.store.kinds
        names = _kinds(rule.params)
        for name in names:
            if not ctx.facts(name):
                return no_data(rule, f"no {name} data")
        key, compiled = self._compiled(rule, kinds)
        conv = Facts(ctx.store, kinds)
        start, end = ctx.window_for(rule)
        values: dict[str, Any] = {"now": ctx.now, "window": end - start}
        try:
            for name in names:
                uses = compiled.uses[name]
                values[name] = [conv.convert(name, f, uses) for f in ctx.facts(name)]
            cel = context(values)
            result: bool | int | float = (evaluate(compiled, cel) if key == "expect"
                                          else measure(compiled, cel))
        except EvalError as exc:
            return CheckResult(Outcome.ERROR, f"{key}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a value CEL cannot hold
            return CheckResult(Outcome.ERROR, f"{key}: {excerpt(str(exc), 200)}")
        samples = sum(len(values[n]) for n in names)
        shown = excerpt(" ".join(compiled.source.split()), 160)
        if key == "expect":
            return CheckResult(Outcome.PASSED if result else Outcome.FAILED,
                               f"{'true' if result else 'false'}: {shown}",
                               samples=samples)
        lo, hi = rule.params.get("min"), rule.params.get("max")
        threshold = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
        ok = (lo is None or result >= lo) and (hi is None or result <= hi)
        return CheckResult(Outcome.PASSED if ok else Outcome.FAILED,
                           f"{shown}: {fmt.comparison(result, None, threshold, ok)}",
                           value=result, threshold=threshold, samples=samples)
