"""Which facts ``each`` and ``count`` select: the filter keys, their load-time checks
and the selection itself.

``where`` (a JSON Schema or a CEL expression), ``older_than`` and ``in_window``
pick the facts a rule looks at; :class:`Selecting` checks them when the rule is
loaded and applies them when it is evaluated. What the checks then conclude from
the selected facts is :mod:`guardrails.checks.generic`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from guardrails.celrules.celrun import CelRun
from guardrails.celrules.rules import expression_problems, group_by_problems, reached_kinds
from guardrails.checks.common import expect_or_value, window_unread
from guardrails.checks.conditions import (
    RuleParamError,
    RuleParamErrors,
    condition_problems,
    did_you_mean,
    timestamp_fields,
)
from guardrails.checks.templates import evidence_problems
from guardrails.datakinds import BUILTIN
from guardrails.fastvalid import predicate
from guardrails.kinds import KindRegistry
from guardrails.model import Rule
from guardrails.plugin import Check, EvalContext, Metric
from guardrails.timeutil import DURATION_PATTERN, parse_duration
from guardrails.validation import make_rule_validator

KIND = {"type": "string", "pattern": "^[a-z][a-z_]*$",
        "description": "Fact kind, plural: incidents, deployments, teams, ..."}
CONDITION = {"type": ["object", "string"],
             "description": "A JSON Schema (a mapping) or a CEL expression (a string) over "
                            "`fact`, `now` and `window`, true for the facts it accepts."}
DURATION = {"type": "string", "pattern": DURATION_PATTERN}

#: The keys that select facts, shared by the ``each`` and ``count`` schemas.
FILTERS = {
    "facts": KIND,
    "where": CONDITION,
    "older_than": {
        "type": "object", "additionalProperties": False, "required": ["field", "age"],
        "properties": {"field": {"type": "string"}, "age": DURATION},
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


class Selecting(Check):
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
        if want_views:  # imported here: a run with only CEL conditions never loads it
            from guardrails.factjson import json_view
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
