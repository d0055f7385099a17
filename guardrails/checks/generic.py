"""The generic checks: ``each``, ``count`` and ``metric``.

``each`` and ``count`` select facts with ``where`` and optional time filters;
``each`` then checks every selected fact against ``expect``. A mapping
``where``/``expect`` is a JSON Schema, a string a CEL expression
(:mod:`guardrails.celrules`). ``count`` with ``group_by`` counts per group.
``metric`` compares a named metric with ``min``/``max``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from guardrails import fmt
from guardrails.celrules.rules import render_evidence
from guardrails.celrules.runtime import Facts
from guardrails.checks import grouping
from guardrails.checks.common import metric_label, no_data
from guardrails.checks.conditions import RuleParamErrors
from guardrails.checks.selection import CONDITION, DURATION, FILTERS, Selecting
from guardrails.datakinds import BUILTIN
from guardrails.evidencelater import described_later
from guardrails.facts import subject
from guardrails.fastvalid import predicate
from guardrails.kinds import KindRegistry
from guardrails.model import CheckResult, Evidence, Measure, Outcome, Rule
from guardrails.plugin import Check, EvalContext, Metric, hookimpl
from guardrails.timeutil import parse_duration
from guardrails.validation import make_rule_validator

_NUMBER_OR_DURATION = {"anyOf": [{"type": "number"}, DURATION]}


class EachCheck(Selecting):
    name = "each"
    schema = {
        "properties": {
            **FILTERS, "expect": CONDITION, "on_no_data": {"enum": ["skip", "fail"]},
            "value": {"type": "string", "description":
                      "A CEL expression giving a number for each fact (in place of "
                      "`expect`): every selected fact's value lies within min/max."},
            "unit": {"type": "string", "pattern": "^[a-z][a-z _-]{0,30}$", "description":
                     "What `value` counts, singular (member): shown in messages."},
            "min": {"type": "number"}, "max": {"type": "number"},
        },
        "required": ["facts"],
    }
    doc = ("Every selected fact satisfies `expect` (a JSON Schema or a CEL expression), "
           "or its CEL `value` lies within `min`/`max`.")

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        kind = rule.params["facts"]
        if not ctx.facts(kind):
            return no_data(rule, f"no {kind} data")
        raw, views, run = self.select_run(rule, ctx)
        if run is not None and run.errors and not raw:
            return run.error_result(len(raw))
        if not raw:
            return no_data(rule, f"no {kind} match the rule's selection")
        template = rule.params.get("evidence")
        if run is not None and run.value is not None:
            measured = run.measured(raw)
            if run.errors:
                return run.error_result(len(raw))
            return _within(rule, kind, measured, ctx)
        if run is not None and isinstance(rule.params["expect"], str):
            failing = run.failing(raw)
            if run.errors:
                return run.error_result(len(raw))
            kinds = ctx.store.kinds
            if template:  # rendered when first read (~5,000 items at 100k, five shown)
                evidence = [described_later(subject(kind, f, kinds),
                                            partial(render_evidence, template, kind, f,
                                                    run.facts),
                                            url=f.get("url"), team=_team_of(f))
                            for f in failing]
            else:
                detail = run.detail()  # the same words for every fact
                evidence = [Evidence(subject(kind, f, kinds), detail, url=f.get("url"),
                                     team=_team_of(f)) for f in failing]
            return _each_result(kind, evidence, len(raw))
        if run is not None and run.errors:
            return run.error_result(len(raw))
        fast = predicate(rule.params["expect"], rule=True)
        expect = None  # jsonschema: built only to decide what jsonschema-rs cannot, or to word
        evidence = []
        conv = Facts(ctx.store, ctx.store.kinds)  # resolves linked fields of the template
        for fact, view in zip(raw, views, strict=True):
            if fast is not None:
                if fast(view):
                    continue  # jsonschema-rs: same verdict as jsonschema, much faster
                if template:  # failed, and the rule words its own evidence (when read)
                    evidence.append(described_later(
                        subject(kind, fact, ctx.store.kinds),
                        partial(render_evidence, template, kind, fact, conv),
                        url=fact.get("url"), team=_team_of(fact)))
                    continue
            if expect is None:
                expect = make_rule_validator(rule.params["expect"])
            errors = list(expect.iter_errors(view))
            if not errors:
                continue
            from jsonschema.exceptions import best_match

            detail = (render_evidence(template, kind, fact, conv)
                      if template else best_match(errors).message)
            evidence.append(Evidence(subject(kind, fact, ctx.store.kinds), detail,
                                     url=fact.get("url"), team=_team_of(fact)))
        return _each_result(kind, evidence, len(raw))


def _number(v: float | int) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"


def _within(rule: Rule, kind: str, measured: list[tuple[Any, float | int]],
            ctx: EvalContext) -> CheckResult:
    """``each`` with ``value``: the facts whose value lies outside ``min``/``max``."""
    lo, hi = rule.params.get("min"), rule.params.get("max")
    unit = rule.params.get("unit", "")
    kinds = ctx.store.kinds

    def amount(v: float | int) -> str:
        return (f"{_number(v)} {unit if v == 1 else unit + 's'}" if unit else _number(v))

    evidence = []
    measures = []
    for fact, v in sorted(measured, key=lambda fv: subject(kind, fv[0], kinds)):
        # Every fact's own value, within bounds or not: the HTML report charts them.
        measures.append(Measure(subject(kind, fact, kinds), v, team=_team_of(fact)))
        bound = (f"max {_number(hi)}" if hi is not None and v > hi
                 else f"min {_number(lo)}" if lo is not None and v < lo else None)
        if bound is not None:
            evidence.append((Evidence(subject(kind, fact, kinds), f"{amount(v)} ({bound})",
                                      url=fact.get("url"), team=_team_of(fact)), v))
    units = f" {unit}s" if unit else ""
    bounds = (f"{_number(lo)}..{_number(hi)}{units}" if lo is not None and hi is not None
              else f"at most {_number(hi)}{units}" if hi is not None
              else f"at least {_number(lo or 0)}{units}")
    n = len(evidence)
    names = fmt.ids([f"{e.subject.split('/', 1)[1]} ({_number(v)})" for e, v in evidence])
    msg = (f"{fmt.plural(n, kinds.singular(kind))} outside {bounds}: {names}" if n
           else f"all {len(measured)} {kind} have {bounds}")
    return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                       threshold={"max": 0}, samples=len(measured),
                       evidence=[e for e, _ in evidence], measures=measures)


def _each_result(kind: str, evidence: list[Evidence], selected: int) -> CheckResult:
    evidence.sort(key=lambda e: e.subject)
    n = len(evidence)
    ids = fmt.ids([e.subject.split("/", 1)[1] for e in evidence])
    msg = (f"{n} of {selected} {kind} fail: {ids}" if n
           else f"all {selected} {kind} pass")
    return CheckResult(
        Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
        threshold={"max": 0}, samples=selected, evidence=evidence,
    )


def _team_of(fact: Mapping[str, Any]) -> str | None:
    team = fact.get("team") or fact.get("owner")
    return team if isinstance(team, str) else None


class CountCheck(Selecting):
    name = "count"
    schema = {
        "properties": {**FILTERS, "min": {"type": "number"}, "max": {"type": "number"},
                       "on_no_data": {"enum": ["skip", "fail"]},
                       "group_by": {"type": "string", "description":
                                    "Count per group: a field (or a path through joined "
                                    "facts) of the facts, e.g. team; min/max apply to "
                                    "every group."}},
        "required": ["facts"],
        "anyOf": [{"required": ["min"]}, {"required": ["max"]}],
    }
    doc = "The number of selected facts must lie within `min`/`max`."

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        kind = rule.params["facts"]
        if not ctx.facts(kind):
            return no_data(rule, f"no {kind} data")
        raw, _, run = self.select_run(rule, ctx)
        if run is not None and run.errors:
            return run.error_result(len(raw))
        lo, hi = rule.params.get("min"), rule.params.get("max")
        threshold = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
        if "group_by" in rule.params:
            return grouping.grouped_count(rule, ctx, raw, lo, hi, threshold)
        n = len(raw)
        ok = (lo is None or n >= lo) and (hi is None or n <= hi)
        shown = fmt.comparison(n, "count", threshold, ok)
        msg = f"{fmt.plural(n, kind.rstrip('s'))} selected: {shown}"
        evidence = [] if ok or lo is not None and n < lo else [
            Evidence(subject(kind, f, ctx.store.kinds), url=f.get("url"), team=_team_of(f))
            for f in raw
        ]
        return CheckResult(Outcome.PASSED if ok else Outcome.FAILED, msg, value=n,
                           unit="count", threshold=threshold, samples=n, evidence=evidence)


class MetricCheck(Check):
    name = "metric"
    schema = {
        "properties": {
            "metric": {"type": "string", "description": "A named metric, e.g. dora.lead_time."},
            "min": _NUMBER_OR_DURATION,
            "max": _NUMBER_OR_DURATION,
            "group_by": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
                         "description": "One value per group: team, or a field of the "
                                        "metric's facts (service); min/max hold for "
                                        "every group."},
        },
        "required": ["metric"],
    }
    doc = "A named metric compared with `min`/`max` over the rule's window."

    def validate_rule(self, params: Mapping[str, Any], metrics: Any = None,
                      fact_kinds: KindRegistry | None = None) -> None:
        """Load-time check: ``group_by`` names ``team`` or a field of the metric's facts."""
        if "group_by" not in params or metrics is None:
            return
        errors = grouping.group_by_problems(params["group_by"],
                                            metrics.get(params.get("metric")),
                                            BUILTIN if fact_kinds is None else fact_kinds)
        if errors:
            raise RuleParamErrors(errors)

    def needs(self, rule: Rule, metrics: Mapping[str, Metric]) -> set[str]:
        m = metrics.get(rule.params["metric"])
        return set(m.kinds) if m else set()

    @staticmethod
    def bound(v: Any, unit: str) -> float | None:
        if v is None:
            return None
        if isinstance(v, str):
            return parse_duration(v).total_seconds()
        return float(v) if unit != "count" else v

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        metric = ctx.metrics.get(rule.params["metric"])
        if metric is None:
            raise LookupError(f"metric {rule.params['metric']!r} is not available")
        if "group_by" in rule.params:
            return grouping.grouped_metric(rule, ctx, metric, self.bound)
        start, end = ctx.window_for(rule)
        mv = metric.compute(ctx, rule, start, end)
        label = metric_label(metric.name)
        if mv.value is None:
            res = no_data(rule, mv.no_data or f"no data for {label}", metric.unit)
            res.details = list(mv.details)
            return res
        lo = self.bound(rule.params.get("min"), metric.unit)
        hi = self.bound(rule.params.get("max"), metric.unit)
        threshold = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
        ok = (lo is None or mv.value >= lo) and (hi is None or mv.value <= hi)
        msg = f"{label} {fmt.comparison(mv.value, metric.unit, threshold, ok)}"
        note = focus_note(rule, metric.unit, self.bound)
        if note:
            msg += f" ({note})"
        return CheckResult(
            Outcome.PASSED if ok else Outcome.FAILED, msg, value=mv.value, unit=metric.unit,
            threshold=threshold, samples=mv.samples,
            evidence=[] if ok else list(mv.evidence), details=list(mv.details),
            series=mv.series,
        )


def focus_note(rule: Rule, unit: str, bound: Any = None) -> str:
    """``focus stability; default 15.0%`` when the focus changed a threshold."""
    if not rule.focus_applied:
        return ""
    changed = []
    for key in ("min", "max"):
        if key in rule.defaults and rule.defaults.get(key) != rule.params.get(key):
            d = rule.defaults[key]
            d = bound(d, unit) if bound else d
            changed.append(f"default {fmt.value(d, unit)}")
    if not changed:
        return ""
    return f"focus {rule.focus_applied}; {', '.join(changed)}"


@hookimpl
def guardrails_collect_checks() -> list[Check]:
    from guardrails.celrules.exprcheck import ExprCheck

    return [EachCheck(), CountCheck(), MetricCheck(), ExprCheck()]


_no_data = no_data  # older name, kept for plugins written against it
