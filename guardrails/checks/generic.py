"""The generic checks: ``each``, ``count`` and ``metric``.

``each`` and ``count`` select facts with ``where`` and optional time filters;
``each`` then checks every selected fact against ``expect``. A mapping
``where``/``expect`` is a JSON Schema, a string a CEL expression
(:mod:`guardrails.celrules`). ``count`` with ``group_by`` counts per group.
``metric`` compares a named metric with ``min``/``max``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from guardrails import fmt
from guardrails.celrules.celrun import CelRun
from guardrails.celrules.rules import (
    expression_problems,
    group_by_problems,
    reached_kinds,
    render_evidence,
)
from guardrails.celrules.runtime import Facts
from guardrails.checks import grouping
from guardrails.checks.common import (
    expect_or_value,
    metric_label,
    no_data,
    window_unread,
)
from guardrails.checks.conditions import (
    RuleParamError,
    RuleParamErrors,
    condition_problems,
    did_you_mean,
    evidence_problems,
    timestamp_fields,
)
from guardrails.datakinds import BUILTIN
from guardrails.facts import json_view, subject
from guardrails.fastvalid import predicate
from guardrails.kinds import KindRegistry
from guardrails.model import CheckResult, Evidence, Measure, Outcome, Rule
from guardrails.plugin import Check, EvalContext, Metric, hookimpl
from guardrails.timeutil import DURATION_PATTERN, parse_duration
from guardrails.validation import make_rule_validator

_KIND = {"type": "string", "pattern": "^[a-z][a-z_]*$",
         "description": "Fact kind, plural: incidents, deployments, teams, ..."}
_SCHEMA = {"type": ["object", "string"],
           "description": "A JSON Schema (a mapping) or a CEL expression (a string) over "
                          "`fact`, `now` and `window`, true for the facts it accepts."}
_DURATION = {"type": "string", "pattern": DURATION_PATTERN}
_NUMBER_OR_DURATION = {"anyOf": [{"type": "number"}, _DURATION]}

_FILTERS = {
    "facts": _KIND,
    "where": _SCHEMA,
    "older_than": {
        "type": "object", "additionalProperties": False, "required": ["field", "age"],
        "properties": {"field": {"type": "string"}, "age": _DURATION},
        "description": "Only facts whose timestamp field is older than age before now.",
    },
    "in_window": {"type": "string",
                  "description": "Only facts whose timestamp field is inside the rule's window."},
    "evidence": {"type": "string",
                 "description": "Evidence detail template, e.g. '{severity} {title}'."},
}





def _mentions_joins(kind: str, params: Mapping[str, Any], kinds: KindRegistry) -> bool:
    """Whether ``where``/``expect``/``evidence`` name one of the kind's joined fields."""
    k = kinds.get(kind)
    if k is None or not k.joined:
        return False
    text = json.dumps([params.get("where"), params.get("expect"), params.get("evidence")],
                      default=str)
    return any(f'"{name}"' in text or "{" + name in text for name in k.joined)


#: Keywords that apply a schema to properties they do not name: a ``where`` using
#: one may look at joined facts without naming them, so it sees the full view.
_UNNAMED = ("additionalProperties", "patternProperties", "unevaluatedProperties", "$ref",
            "$dynamicRef", "$recursiveRef")


def _where_depth(kind: str, where: Mapping[str, Any], depth: int, kinds: KindRegistry) -> int:
    """How deep the view ``where`` is tested on must be: 0 when it names no joined
    field of ``kind`` and applies no schema to unnamed properties, else ``depth``.

    Joined fields at depth 0 are their subjects' text; a ``where`` that never
    looks at them gives the same verdict on either view, and the full view
    (joined facts nested) is then built only for the facts it accepts.
    """
    if depth == 0 or _mentions_joins(kind, {"where": where}, kinds):
        return depth
    text = json.dumps(where, default=str)
    return depth if any(f'"{word}"' in text for word in _UNNAMED) else 0


def _accepts(schema: Mapping[str, Any]) -> Any:
    """A fast predicate for a condition: jsonschema-rs's when it takes it, else jsonschema's."""
    return predicate(schema, rule=True) or make_rule_validator(schema).is_valid





class _Selecting(Check):
    """Shared selection of ``each`` and ``count``."""

    def validate_rule(self, params: Mapping[str, Any], known_kinds: Any = None,
                      fact_kinds: KindRegistry | None = None) -> None:
        """Load-time checks: the fact kind, its field names, schemas, templates, durations.

        ``known_kinds`` names every kind a rule may read (sources and checks add
        kinds); ``fact_kinds`` are the registered kinds, whose fields are known.
        """
        kinds = BUILTIN if fact_kinds is None else fact_kinds
        errors: list[RuleParamError] = []
        kind = params.get("facts")
        if known_kinds is not None and isinstance(kind, str) and kind not in known_kinds:
            errors.append(RuleParamError(
                "facts", f"unknown fact kind {kind!r}",
                fix=(did_you_mean(kind, known_kinds) or "")
                + f" known kinds: {', '.join(sorted(known_kinds))}"))
            kind = None
        elif not isinstance(kind, str):
            kind = None
        if "value" in params and "min" not in params and "max" not in params:
            errors.append(RuleParamError("value", "value: needs min or max to compare with",
                                         fix="add max: 8 (or min:) to the rule"))
        errors += expect_or_value(self.name, params)
        for key in ("where", "expect", "value"):
            if isinstance(params.get(key), str):
                errors.extend(expression_problems(key, params[key], kind, kinds))
            elif key in params:
                errors.extend(condition_problems(key, params[key], kind, kinds))
        if "group_by" in params:
            errors.extend(group_by_problems(params["group_by"], kind, kinds))
        errors.extend(evidence_problems(params.get("evidence"), kind, kinds))
        stamps = timestamp_fields(kind, kinds) if kind else None
        older = params.get("older_than")
        if isinstance(older, Mapping):
            try:
                parse_duration(older.get("age", ""), positive=True)
            except ValueError as exc:
                errors.append(RuleParamError("older_than", f"older_than.age: {exc}",
                                             path=("age",)))
            fld = older.get("field")
            if stamps is not None and fld not in stamps:
                errors.append(RuleParamError(
                    "older_than", f"older_than.field: {fld!r} is not a timestamp of {kind}",
                    fix=did_you_mean(str(fld), stamps)
                    or f"timestamps of {kind}: {', '.join(sorted(stamps)) or '(none)'}",
                    path=("field",)))
        win = params.get("in_window")
        if isinstance(win, str) and stamps is not None and win not in stamps:
            errors.append(RuleParamError(
                "in_window", f"in_window: {win!r} is not a timestamp of {kind}",
                fix=did_you_mean(win, stamps)
                or f"timestamps of {kind}: {', '.join(sorted(stamps)) or '(none)'}"))
        errors.extend(window_unread(params, stamps))
        if kind is not None and fact_kinds is not None:
            reached_kinds(params, kind, fact_kinds)  # a plugin kind's links count in needs()
        if errors:
            raise RuleParamErrors(errors)

    def needs(self, rule: Rule, metrics: Mapping[str, Metric]) -> set[str]:
        return {rule.params["facts"], *reached_kinds(rule.params, rule.params["facts"])}

    def select(self, rule: Rule, ctx: EvalContext) -> tuple[list[Any], list[dict[str, Any]]]:
        """The selected facts and their JSON views."""
        raw, views, _ = self.select_run(rule, ctx)
        return raw, views

    def select_run(self, rule: Rule, ctx: EvalContext
                   ) -> tuple[list[Any], list[dict[str, Any]], CelRun | None]:
        """:meth:`select`, with the CEL evaluation (its errors) when a condition is CEL."""
        kind = rule.params["facts"]
        facts: Sequence[Mapping[str, Any]] = ctx.facts(kind)
        params = rule.params
        run = (CelRun(rule, ctx) if isinstance(params.get("where"), str)
               or isinstance(params.get("expect"), str) or "value" in params else None)
        where = _accepts(params["where"]) if isinstance(params.get("where"), dict) else None
        # JSON views only for JSON Schema conditions: a CEL rule reads facts directly.
        want_views = isinstance(params.get("where"), dict) or isinstance(params.get("expect"),
                                                                         dict)
        older = rule.params.get("older_than")
        cutoff = ctx.now - parse_duration(older["age"]) if older else None
        win_field = rule.params.get("in_window")
        start, end = ctx.window_for(rule)
        # Joined facts are expanded only when a condition names them: views of
        # 100k facts with their joins nested are the cost of this check.
        kinds = ctx.store.kinds
        depth = 1 if _mentions_joins(kind, rule.params, kinds) else 0
        # The where on a view without joined facts when it reads none: the joined
        # view is built for the facts it accepts only.
        shallow = (where is not None
                   and _where_depth(kind, params["where"], depth, kinds) < depth)
        raw, views = [], []
        memo: dict[tuple[int, int], dict[str, Any]] = {}
        # Only the window's (or the old enough) facts, found by bisection, in data order;
        # the tests below still run on them.
        if win_field:
            facts = ctx.store.index.window(kind, win_field, start, end)
        elif older and cutoff is not None:
            facts = ctx.store.index.window(kind, older["field"], None, cutoff)
        for f in facts:
            if older and cutoff is not None:  # the cutoff is set exactly when older_than is
                ts = f.get(older["field"])
                # A fact without the timestamp (an open incident) is not older.
                if not isinstance(ts, datetime) or not ts < cutoff:
                    continue
            if win_field:
                ts = f.get(win_field)
                if not isinstance(ts, datetime) or not start <= ts < end:
                    continue
            if run is not None and not run.accepts(f):
                continue
            if want_views:
                if shallow:
                    if not where(json_view(kind, f, 0, memo, kinds)):  # type: ignore[misc]
                        continue
                    view = json_view(kind, f, depth, memo, kinds)
                else:
                    view = json_view(kind, f, depth, memo, kinds)
                    if where is not None and not where(view):
                        continue
                views.append(view)
            raw.append(f)
        return raw, views, run


class EachCheck(_Selecting):
    name = "each"
    schema = {
        "properties": {
            **_FILTERS, "expect": _SCHEMA, "on_no_data": {"enum": ["skip", "fail"]},
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
            evidence = [Evidence(subject(kind, f, ctx.store.kinds),
                                 render_evidence(template, kind, f, run.facts)
                                 if template else run.detail(), url=f.get("url"),
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
                if template:  # failed, and the rule words its own evidence
                    evidence.append(Evidence(subject(kind, fact, ctx.store.kinds),
                                             render_evidence(template, kind, fact, conv),
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


class CountCheck(_Selecting):
    name = "count"
    schema = {
        "properties": {**_FILTERS, "min": {"type": "number"}, "max": {"type": "number"},
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
