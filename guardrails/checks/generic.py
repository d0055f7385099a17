"""The generic checks: ``each``, ``count`` and ``metric``.

``each`` and ``count`` select facts with JSON Schema (``where``) and optional
time filters; ``each`` then validates every selected fact against ``expect``.
``metric`` compares a named metric with ``min``/``max``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from guardrails import fmt
from guardrails.facts import KINDS, json_view, subject
from guardrails.fastvalid import predicate
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import Check, EvalContext, Metric, hookimpl
from guardrails.timeutil import DURATION_PATTERN, parse_duration
from guardrails.validation import make_rule_validator

_KIND = {"type": "string", "pattern": "^[a-z][a-z_]*$",
         "description": "Fact kind, plural: incidents, deployments, teams, ..."}
_SCHEMA = {"type": "object", "description": "A JSON Schema applied to each fact."}
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


def no_data(rule: Rule, reason: str, unit: str = "count") -> CheckResult:
    """Skipped with ``reason``, or failed when the rule says ``on_no_data: fail``."""
    if rule.params.get("on_no_data") == "fail":
        return CheckResult(Outcome.FAILED, f"{reason} (on_no_data: fail)", unit=unit)
    return CheckResult.skipped(reason)


def _mentions_joins(kind: str, params: Mapping[str, Any]) -> bool:
    """Whether ``where``/``expect``/``evidence`` name one of the kind's joined fields."""
    k = KINDS.get(kind)
    if k is None or not k.joined:
        return False
    text = json.dumps([params.get("where"), params.get("expect"), params.get("evidence")],
                      default=str)
    return any(f'"{name}"' in text or "{" + name in text for name in k.joined)


def _accepts(schema: Mapping[str, Any]) -> Any:
    """A fast predicate for a condition: jsonschema-rs's when it takes it, else jsonschema's."""
    return predicate(schema, rule=True) or make_rule_validator(schema).is_valid


class RuleParamError(ValueError):
    """A rule parameter is wrong; ``key`` names it so the error points at its line.

    ``path`` (below ``key``) narrows the place further, ``fix`` is the hint.
    """

    def __init__(self, key: str, message: str, fix: str | None = None,
                 path: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.key = key
        self.fix = fix
        self.path = path


class RuleParamErrors(ValueError):
    """Several wrong parameters of one rule, all reported."""

    def __init__(self, errors: list[RuleParamError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _did_you_mean(name: str, known: Any) -> str | None:
    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


# --- fields of a fact kind -------------------------------------------------------

#: Fields the sources and the joins add beyond the data schemas (facts.join,
#: the files source, the HTTP sources).
_COMMON_FIELDS = frozenset({"url", "title"})
_EXTRA_FIELDS: dict[str, frozenset[str]] = {
    "teams": frozenset({"size", "services"}),
    "deployments": frozenset({"incidents", "remediated_by", "failed"}),
    "postmortems": frozenset({"id", "file", "sections", "section_lines",
                              "sections_normalized", "lines", "body_line"}),
}


def kind_fields(kind: str) -> frozenset[str] | None:
    """Field names a fact of ``kind`` may have; None when guardrails has no schema of it."""
    from guardrails.validation import SCHEMA_NAMES, load_schema

    if kind not in SCHEMA_NAMES or kind in ("config", "rules", "report"):
        return None
    props = set(load_schema(kind).get("properties", {}))
    k = KINDS.get(kind)
    joined = set(k.joined) if k else set()
    return frozenset(props | joined | _COMMON_FIELDS | _EXTRA_FIELDS.get(kind, frozenset()))


def _joined_kind(kind: str, name: str) -> str | None:
    k = KINDS.get(kind)
    return k.joined.get(name) if k else None


# --- embedded JSON Schemas (where, expect) ---------------------------------------

#: Draft 2020-12 keywords a rule's ``where``/``expect`` may use. Not here: ``$id``,
#: ``$anchor``, ``$dynamicRef``, ``$dynamicAnchor``, ``$vocabulary``: they move the
#: base URI or reach outside the schema, which a condition never needs.
ALLOWED_KEYWORDS = frozenset({
    "$schema", "$ref", "$defs", "$comment", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "format", "maxItems", "minItems",
    "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
    "dependentRequired",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "properties",
    "patternProperties", "additionalProperties", "propertyNames", "dependentSchemas",
    "items", "prefixItems", "contains", "unevaluatedItems", "unevaluatedProperties",
})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = ("not", "if", "then", "else", "items", "contains", "additionalProperties",
               "propertyNames", "unevaluatedItems", "unevaluatedProperties")
#: Same-instance applicators: their ``properties``/``required`` name fields of the fact.
_SAME_INSTANCE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
_MAX_SCHEMA_NODES = 5000
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


_checked: dict[str, list[RuleParamError]] = {}


def condition_problems(key: str, schema: Any, kind: str | None) -> list[RuleParamError]:
    """Everything wrong with a rule's ``where`` or ``expect`` JSON Schema (cached).

    The metaschema check costs milliseconds; packs repeat conditions, and each
    focus variant of a rule repeats its own, so results are kept by value.
    """
    memo = f"{key}\0{kind}\0{schema!r}"
    if memo not in _checked:
        if len(_checked) >= 2048:
            _checked.clear()
        _checked[memo] = _condition_problems(key, schema, kind)
    return list(_checked[memo])


def _condition_problems(key: str, schema: Any, kind: str | None) -> list[RuleParamError]:
    """Everything wrong with a rule's ``where`` or ``expect`` JSON Schema.

    Checked at load: the Draft 2020-12 metaschema, an allow-list of keywords
    (a misspelt keyword would otherwise be ignored and accept everything),
    ``$ref`` only inside the schema, regular expressions RE2 can run, and the
    field names the schema gives against the fact kind.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from guardrails.saferegex import compile_pattern

    out: list[RuleParamError] = []
    nodes = 0
    stack: list[tuple[tuple[Any, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        nodes += 1
        if nodes > _MAX_SCHEMA_NODES:
            out.append(RuleParamError(key, f"{key} has more than {_MAX_SCHEMA_NODES} "
                                      "subschemas", path=path))
            break
        if not isinstance(node, dict):
            continue
        for word, value in node.items():
            if word not in ALLOWED_KEYWORDS:
                hint = _did_you_mean(word, ALLOWED_KEYWORDS)
                out.append(RuleParamError(
                    key, f"{key}: unknown JSON Schema keyword {word!r}",
                    fix=hint or "see https://json-schema.org/draft/2020-12 for keywords",
                    path=(*path, word)))
                continue
            if word == "$ref" and (not isinstance(value, str) or not value.startswith("#")):
                out.append(RuleParamError(
                    key, f"{key}: $ref {str(value)[:80]!r} points outside the schema",
                    fix="a $ref may only point inside the rule's schema ('#/$defs/...'); "
                        "guardrails never fetches schemas", path=(*path, word)))
            elif word == "$schema" and value not in (_DRAFT, _DRAFT + "#"):
                out.append(RuleParamError(
                    key, f"{key}: $schema {str(value)[:80]!r} is not Draft 2020-12",
                    fix=f"remove $schema or write {_DRAFT!r}", path=(*path, word)))
            elif word == "pattern" and isinstance(value, str):
                try:
                    compile_pattern(value)
                except ValueError as exc:
                    out.append(RuleParamError(key, f"{key}: pattern {value[:80]!r}: {exc}",
                                              path=(*path, word)))
            elif word == "patternProperties" and isinstance(value, dict):
                for pat in value:
                    try:
                        compile_pattern(pat)
                    except ValueError as exc:
                        out.append(RuleParamError(
                            key, f"{key}: patternProperties {pat[:80]!r}: {exc}",
                            path=(*path, word, pat)))
            if word in _SCHEMA_MAPS and isinstance(value, dict):
                stack.extend(((*path, word, k), v) for k, v in value.items())
            elif word in _SCHEMA_LISTS and isinstance(value, list):
                stack.extend(((*path, word, i), v) for i, v in enumerate(value))
            elif word in _SCHEMA_ONE:
                stack.append(((*path, word), value))
    if not out:
        out.extend(_ref_problems(key, schema))
    if not out:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            where = tuple(exc.path)
            out.append(RuleParamError(key, f"{key} is not a valid JSON Schema: {exc.message}",
                                      path=where))
    if not out and kind is not None:
        out.extend(_field_problems(key, schema, kind, ()))
    return out


def _pointer(root: Any, ref: str) -> Any:
    """The subschema a local ``$ref`` names; LookupError when there is none."""
    from urllib.parse import unquote

    if ref in ("#", "#/"):
        return root
    if not ref.startswith("#/"):
        raise LookupError(ref)
    node = root
    for raw in ref[2:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise LookupError(ref)
    return node


#: Keywords whose subschemas apply to the same instance: a $ref cycle through
#: only these never reaches a smaller part of the fact, so it never ends.
_SAME_INSTANCE_REF = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else",
                      "dependentSchemas")


def _ref_problems(key: str, schema: Any) -> list[RuleParamError]:
    """Local ``$ref`` that point at nothing, or loop without consuming the fact."""
    out: list[RuleParamError] = []
    edges: dict[int, list[Any]] = {}
    nodes: dict[int, tuple[Any, tuple[Any, ...]]] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict) or id(node) in nodes:
            continue
        nodes[id(node)] = (node, path)
        same: list[Any] = []
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                same.append(_pointer(schema, ref))
            except LookupError:
                out.append(RuleParamError(key, f"{key}: $ref {ref[:80]!r} points to nothing in "
                                          "the schema", path=(*path, "$ref")))
        for word in _SAME_INSTANCE_REF:
            value = node.get(word)
            if isinstance(value, list):
                same.extend(value)
            elif isinstance(value, dict):
                same.extend(value.values() if word == "dependentSchemas" else [value])
        edges[id(node)] = same
        for word, value in node.items():
            if word in _SCHEMA_MAPS and isinstance(value, dict):
                stack.extend((v, (*path, word, k)) for k, v in value.items())
            elif word in _SCHEMA_LISTS and isinstance(value, list):
                stack.extend((v, (*path, word, i)) for i, v in enumerate(value))
            elif word in _SCHEMA_ONE:
                stack.append((value, (*path, word)))
    if out:
        return out
    # A cycle in the same-instance graph: iterative three-colour depth-first search.
    colour: dict[int, int] = {}
    for start in edges:
        if colour.get(start):
            continue
        todo: list[tuple[int, int]] = [(start, 0)]
        while todo:
            nid, i = todo.pop()
            colour[nid] = 1
            nexts = [n for n in edges.get(nid, []) if isinstance(n, dict)]
            if i < len(nexts):
                todo.append((nid, i + 1))
                child = id(nexts[i])
                if colour.get(child) == 1:
                    path = nodes.get(nid, (None, ()))[1]
                    return [RuleParamError(
                        key, f"{key}: $ref makes the schema refer to itself without end",
                        fix="a $ref cycle must pass through properties or items", path=path)]
                if not colour.get(child):
                    todo.append((child, 0))
            else:
                colour[nid] = 2
    return out


def _field_problems(key: str, schema: Any, kind: str, path: tuple[Any, ...],
                    depth: int = 0) -> list[RuleParamError]:
    """``properties``/``required`` names the fact kind does not have."""
    fields = kind_fields(kind)
    if fields is None or not isinstance(schema, dict) or depth > 50:
        return []
    out: list[RuleParamError] = []
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            if name not in fields:
                out.append(_unknown_field(key, kind, name, fields, (*path, "properties", name)))
                continue
            target = _joined_kind(kind, name)
            if target is not None and isinstance(sub, dict):
                out.extend(_field_problems(key, sub, target, (*path, "properties", name),
                                           depth + 1))
    required = schema.get("required")
    if isinstance(required, list):
        for i, name in enumerate(required):
            if isinstance(name, str) and name not in fields:
                out.append(_unknown_field(key, kind, name, fields, (*path, "required", i)))
    for word in _SAME_INSTANCE:
        value = schema.get(word)
        if isinstance(value, list):
            for i, sub in enumerate(value):
                out.extend(_field_problems(key, sub, kind, (*path, word, i), depth + 1))
        elif isinstance(value, dict):
            out.extend(_field_problems(key, value, kind, (*path, word), depth + 1))
    return out


def _unknown_field(key: str, kind: str, name: str, fields: frozenset[str],
                   path: tuple[Any, ...]) -> RuleParamError:
    return RuleParamError(
        key, f"{key}: {kind} have no field {name!r}",
        fix=_did_you_mean(name, fields) or f"{kind} fields: {', '.join(sorted(fields))}",
        path=path)


# --- evidence templates -------------------------------------------------------------

_MAX_TEMPLATE = 1000


def template_fields(template: str) -> list[str]:
    """The field paths of an evidence template: ``'{severity} {postmortem.status}'``.

    ValueError for what a template may not hold: positional fields, indexing,
    conversions other than !s/!r, format specs (a ``{title:>99999999}`` would
    build a huge string), or unbalanced braces.
    """
    import string

    if len(template) > _MAX_TEMPLATE:
        raise ValueError(f"template longer than {_MAX_TEMPLATE} characters")
    out = []
    for _text, name, spec, conv in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or name.isdigit():
            raise ValueError("a template field needs a name, e.g. '{title}'")
        if "[" in name or "]" in name:
            raise ValueError(f"'{{{name}}}': indexing is not supported; use a field name")
        if spec:
            raise ValueError(f"'{{{name}:{spec}}}': format specs are not supported")
        if conv not in (None, "s", "r"):
            raise ValueError(f"'{{{name}!{conv}}}': only !s and !r conversions are allowed")
        out.append(name)
    return out


def render_template(template: str, view: Mapping[str, Any]) -> str:
    """Fill an evidence template; dotted names walk joined facts; absent is '-'."""
    import string

    parts = []
    for text, name, _spec, conv in string.Formatter().parse(template):
        parts.append(text)
        if name is None:
            continue
        value: Any = view
        for step in name.split("."):
            value = value.get(step) if isinstance(value, Mapping) else None
            if value is None:
                break
        shown = "-" if value is None else (repr(value) if conv == "r" else str(value))
        parts.append(shown[:500])
    return "".join(parts)


def evidence_problems(template: Any, kind: str | None) -> list[RuleParamError]:
    if not isinstance(template, str):
        return []
    try:
        names = template_fields(template)
    except ValueError as exc:
        return [RuleParamError("evidence", f"evidence template: {exc}")]
    out = []
    for name in names:
        k: str | None = kind
        for step in name.split("."):
            if k is None:
                break
            fields = kind_fields(k)
            if fields is None:
                break
            if step not in fields:
                out.append(RuleParamError(
                    "evidence", f"evidence template: {k} have no field {step!r} ('{{{name}}}')",
                    fix=_did_you_mean(step, fields) or f"{k} fields: {', '.join(sorted(fields))}"))
                break
            k = _joined_kind(k, step)
    return out


def check_schemas(params: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    """Refuse invalid JSON Schemas in a rule at collection, not at evaluation."""
    errors = [e for key in keys if key in params
              for e in condition_problems(key, params[key], None)]
    if errors:
        raise RuleParamErrors(errors)


def _timestamp_fields(kind: str) -> frozenset[str] | None:
    k = KINDS.get(kind)
    if k is None:
        return None
    return frozenset((*k.timestamps, *k.dates))


class _Selecting(Check):
    """Shared selection of ``each`` and ``count``."""

    def validate_rule(self, params: Mapping[str, Any],
                      known_kinds: Any = None) -> None:
        """Load-time checks: the fact kind, its field names, schemas, templates, durations."""
        errors: list[RuleParamError] = []
        kind = params.get("facts")
        if known_kinds is not None and isinstance(kind, str) and kind not in known_kinds:
            errors.append(RuleParamError(
                "facts", f"unknown fact kind {kind!r}",
                fix=(_did_you_mean(kind, known_kinds) or "")
                + f" known kinds: {', '.join(sorted(known_kinds))}"))
            kind = None
        elif not isinstance(kind, str):
            kind = None
        for key in ("where", "expect"):
            if key in params:
                errors.extend(condition_problems(key, params[key], kind))
        errors.extend(evidence_problems(params.get("evidence"), kind))
        stamps = _timestamp_fields(kind) if kind else None
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
                    fix=_did_you_mean(str(fld), stamps)
                    or f"timestamps of {kind}: {', '.join(sorted(stamps)) or '(none)'}",
                    path=("field",)))
        win = params.get("in_window")
        if isinstance(win, str) and stamps is not None and win not in stamps:
            errors.append(RuleParamError(
                "in_window", f"in_window: {win!r} is not a timestamp of {kind}",
                fix=_did_you_mean(win, stamps)
                or f"timestamps of {kind}: {', '.join(sorted(stamps)) or '(none)'}"))
        if errors:
            raise RuleParamErrors(errors)

    def needs(self, rule: Rule, metrics: Mapping[str, Metric]) -> set[str]:
        return {rule.params["facts"]}

    def select(self, rule: Rule, ctx: EvalContext) -> tuple[list[Any], list[dict[str, Any]]]:
        kind = rule.params["facts"]
        facts = ctx.facts(kind)
        where = _accepts(rule.params["where"]) if "where" in rule.params else None
        older = rule.params.get("older_than")
        cutoff = ctx.now - parse_duration(older["age"]) if older else None
        win_field = rule.params.get("in_window")
        start, end = ctx.window_for(rule)
        # Joined facts are expanded only when a condition names them: views of
        # 100k facts with their joins nested are the cost of this check.
        depth = 1 if _mentions_joins(kind, rule.params) else 0
        raw, views = [], []
        memo: dict[tuple[int, int], dict[str, Any]] = {}
        for f in facts:
            if older:
                ts = f.get(older["field"])
                # A fact without the timestamp (an open incident) is not older.
                if not isinstance(ts, datetime) or not ts < cutoff:
                    continue
            if win_field:
                ts = f.get(win_field)
                if not isinstance(ts, datetime) or not start <= ts < end:
                    continue
            view = json_view(kind, f, depth, memo)
            if where is not None and not where(view):
                continue
            raw.append(f)
            views.append(view)
        return raw, views


class EachCheck(_Selecting):
    name = "each"
    schema = {
        "properties": {**_FILTERS, "expect": _SCHEMA, "on_no_data": {"enum": ["skip", "fail"]}},
        "required": ["facts", "expect"],
    }
    doc = "Every selected fact must validate against the rule's `expect` JSON Schema."

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        kind = rule.params["facts"]
        if not ctx.facts(kind):
            return no_data(rule, f"no {kind} data")
        raw, views = self.select(rule, ctx)
        if not raw:
            return no_data(rule, f"no {kind} match the rule's selection")
        expect = make_rule_validator(rule.params["expect"])
        fast = predicate(rule.params["expect"], rule=True)
        template = rule.params.get("evidence")
        evidence = []
        for fact, view in zip(raw, views, strict=True):
            if fast is not None and fast(view):
                continue  # jsonschema-rs: same verdict as jsonschema, much faster
            errors = list(expect.iter_errors(view))
            if not errors:
                continue
            from jsonschema.exceptions import best_match

            detail = (render_template(template, view) if template
                      else best_match(errors).message)
            evidence.append(Evidence(subject(kind, fact), detail, url=fact.get("url"),
                                     team=_team_of(fact)))
        evidence.sort(key=lambda e: e.subject)
        n = len(evidence)
        ids = ", ".join(e.subject.split("/", 1)[1] for e in evidence[:5])
        more = f" and {n - 5} more" if n > 5 else ""
        msg = (f"{n} of {len(raw)} {kind} fail: {ids}{more}" if n
               else f"all {len(raw)} {kind} pass")
        return CheckResult(
            Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
            threshold={"max": 0}, samples=len(raw), evidence=evidence,
        )


def _team_of(fact: Mapping[str, Any]) -> str | None:
    team = fact.get("team") or fact.get("owner")
    return team if isinstance(team, str) else None


class CountCheck(_Selecting):
    name = "count"
    schema = {
        "properties": {**_FILTERS, "min": {"type": "number"}, "max": {"type": "number"},
                       "on_no_data": {"enum": ["skip", "fail"]}},
        "required": ["facts"],
        "anyOf": [{"required": ["min"]}, {"required": ["max"]}],
    }
    doc = "The number of selected facts must lie within `min`/`max`."

    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        kind = rule.params["facts"]
        if not ctx.facts(kind):
            return no_data(rule, f"no {kind} data")
        raw, _ = self.select(rule, ctx)
        n = len(raw)
        lo, hi = rule.params.get("min"), rule.params.get("max")
        threshold = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
        ok = (lo is None or n >= lo) and (hi is None or n <= hi)
        shown = fmt.comparison(n, "count", threshold, ok)
        msg = f"{fmt.plural(n, kind.rstrip('s'))} selected: {shown}"
        evidence = [] if ok or lo is not None and n < lo else [
            Evidence(subject(kind, f), url=f.get("url"), team=_team_of(f)) for f in raw
        ]
        return CheckResult(Outcome.PASSED if ok else Outcome.FAILED, msg, value=n,
                           unit="count", threshold=threshold, samples=n, evidence=evidence)


def metric_label(name: str) -> str:
    return name.rsplit(".", 1)[-1].replace("_", " ")


class MetricCheck(Check):
    name = "metric"
    schema = {
        "properties": {
            "metric": {"type": "string", "description": "A named metric, e.g. dora.lead_time."},
            "min": _NUMBER_OR_DURATION,
            "max": _NUMBER_OR_DURATION,
        },
        "required": ["metric"],
    }
    doc = "A named metric compared with `min`/`max` over the rule's window."

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
    return [EachCheck(), CountCheck(), MetricCheck()]


_no_data = no_data  # older name, kept for plugins written against it
