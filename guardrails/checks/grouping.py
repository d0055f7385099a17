"""``group_by``: ``count`` per group, and ``check: metric`` with one value per group.

``count`` groups its selected facts (:func:`grouped_count`, the grouping
itself in :func:`guardrails.celrules.rules.groups`). For a metric, the
metric is computed once per group on a view of the fact store that
holds only the group's facts, so every metric (DORA, delivery, a plugin's)
groups without knowing it. A fact belongs to group ``v`` when:

- ``group_by: team``: its team is ``v`` by the same attribution as
  ``--group-by team`` (its ``team``, its service's owner, or its author's
  only team: :class:`guardrails.teamindex.TeamIndex`);
- any other field: its field is ``v``, or, for a kind without that field,
  the fact it links to (``change.deployment``) has it.

A kind neither way reaches (teams, for a metric grouped by service) is kept
whole in every group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from guardrails import fmt
from guardrails.checks.common import metric_label, no_data
from guardrails.checks.conditions import RuleParamError, did_you_mean, kind_fields
from guardrails.facts import FactStore
from guardrails.kinds import KindRegistry
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.plugin import EvalContext, Metric

#: Most groups one rule evaluates (each computes the metric once).
MAX_GROUPS = 500

KeyFn = Callable[[Mapping[str, Any]], str | None]


def group_by_problems(path: Any, metric: Metric | None,
                      kinds: KindRegistry) -> list[RuleParamError]:
    """``group_by`` of a metric rule must be ``team`` or a field of one of its kinds."""
    if not isinstance(path, str):
        return []  # the schema says so
    if path == "team" or metric is None:
        return []
    known: set[str] = set()
    for kind in metric.kinds:
        fields = kind_fields(kind, kinds)
        if fields is None:
            return []  # a kind without a schema may have it
        known |= set(fields)
    if path in known:
        from guardrails.celrules.rules import list_group_problems

        return list_group_problems(path, metric.kinds, kinds, f"metric {metric.name}")
    return [RuleParamError("group_by", f"group_by: the facts of {metric.name} "
                           f"({', '.join(metric.kinds)}) have no field {path!r}",
                           fix=did_you_mean(path, known | {"team"})
                           or f"fields: team, {', '.join(sorted(known))}")]


class GroupStore(FactStore):
    """The run's fact store showing one group's facts through :meth:`get`.

    ``parts`` holds, for each grouped kind, its facts by group (in data
    order), made in one pass for all groups by :func:`grouped_metric`.
    """

    def __init__(self, store: FactStore, parts: Mapping[str, Mapping[str, list[dict[str, Any]]]],
                 value: str) -> None:
        super().__init__(store.kinds)
        self._store = store
        self._facts = store.by_kind
        self._subjects = store._subjects  # the same facts: the same subject tables
        self._plain_ids = store._plain_ids  # and what each table says of its ids
        self.provided_by = store.provided_by
        self.failed = store.failed
        self.warnings = store.warnings
        self.locators = store.locators
        self._parts = parts
        self._value = value

    def get(self, kind: str) -> list[dict[str, Any]]:
        """The group's facts of ``kind`` (all of them when the kind is not grouped)."""
        facts = self._store.get(kind)
        part = self._parts.get(kind)
        if part is None:
            return facts
        return part.get(self._value, [])


def _keys(ctx: EvalContext, metric: Metric, path: str) -> dict[str, KeyFn]:
    kinds = ctx.store.kinds
    out: dict[str, KeyFn] = {}
    if path == "team":
        index = ctx.team_index()
        for kind in metric.kinds:
            if kind != "teams":
                out[kind] = index.of_fact
        return out

    def direct(f: Mapping[str, Any]) -> str | None:
        v = f.get(path)
        return None if v is None or isinstance(v, Mapping | list) else str(v)

    for kind in metric.kinds:
        fields = kind_fields(kind, kinds)
        if fields is None or path in fields:
            out[kind] = direct
            continue
        k = kinds.get(kind)
        for name, link in (k.links.items() if k is not None else ()):
            target = kind_fields(link.kind, kinds)
            if link.via is None and not link.many and target is not None and path in target:
                def through(f: Mapping[str, Any], name: str = name) -> str | None:
                    linked = f.get(name)
                    return direct(linked) if isinstance(linked, Mapping) else None
                out[kind] = through
                break
    return out


def grouped_count(rule: Rule, ctx: EvalContext, raw: list[Any], lo: Any, hi: Any,
                   threshold: dict[str, Any]) -> CheckResult:
    """``count`` with ``group_by``: min/max per group, a failing group is evidence."""
    from guardrails.celrules.rules import groups
    kind = rule.params["facts"]
    noun, by_group = groups(kind, raw, rule.params["group_by"], ctx.store, ctx.store.kinds)
    if not by_group:
        return no_data(rule, f"no {kind} have a {rule.params['group_by']}")
    singular = kind.rstrip("s")
    bad = []
    for key in sorted(by_group):
        n = len(by_group[key])
        if (lo is None or n >= lo) and (hi is None or n <= hi):
            continue
        bound = f"max {hi:g}" if hi is not None and n > hi else f"min {lo:g}"
        bad.append(Evidence(key, f"{fmt.plural(n, singular)} ({bound})",
                            team=key.split("/", 1)[1] if key.startswith("team/") else None))
    bounds = (f"outside {lo:g}..{hi:g}" if lo is not None and hi is not None
              else f"above {hi:g}" if hi is not None else f"below {lo:g}")
    detail = fmt.ids([f"{e.subject.split('/', 1)[1]} ({e.detail.split(' ', 1)[0]})"
                      for e in bad])
    msg = (f"{len(bad)} of {fmt.plural(len(by_group), noun)} {bounds} {kind}: {detail}"
           if bad else f"no {noun} of {len(by_group)} {bounds} {kind}")
    return CheckResult(Outcome.FAILED if bad else Outcome.PASSED, msg, value=len(bad),
                       unit="count", threshold=threshold, samples=len(raw), evidence=bad)


def grouped_metric(rule: Rule, ctx: EvalContext, metric: Metric,
                   bound: Callable[[Any, str], float | None]) -> CheckResult:
    """Evaluate a metric rule per group: each group outside min/max is evidence."""
    path = rule.params["group_by"]
    keys = _keys(ctx, metric, path)
    # Each grouped kind's facts split by group in one pass, not one pass a group.
    parts: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for kind, key in keys.items():
        part = parts[kind] = {}
        for f in ctx.facts(kind):
            v = key(f)
            if v is not None:
                got = part.get(v)
                if got is None:
                    part[v] = [f]
                else:
                    got.append(f)
    values = {v for part in parts.values() for v in part}
    label = metric_label(metric.name)
    if not values:
        return no_data(rule, f"no {' or '.join(keys) or 'facts'} with a {path}", metric.unit)
    lo = bound(rule.params.get("min"), metric.unit)
    hi = bound(rule.params.get("max"), metric.unit)
    threshold = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
    start, end = ctx.window_for(rule)
    noun = "team" if path == "team" else path
    evidence: list[Evidence] = []
    details: list[str] = []
    measured = 0
    for value in sorted(values)[:MAX_GROUPS]:
        # The team index reads every fact (not the group's): the run's one serves.
        sub = replace(ctx, store=GroupStore(ctx.store, parts, value), _teams=ctx.team_index())
        mv = metric.compute(sub, rule, start, end)
        subject = f"{noun}/{value}"
        if mv.value is None:
            details.append(f"{subject}: no data")
            continue
        measured += 1
        ok = (lo is None or mv.value >= lo) and (hi is None or mv.value <= hi)
        shown = fmt.comparison(mv.value, metric.unit, threshold, ok)
        if ok:  # a failing group is evidence; the others are shown as details
            details.append(f"{subject}: {label} {shown}")
        else:
            evidence.append(Evidence(subject, f"{label} {shown}",
                                     team=value if path == "team" else None))
    if len(values) > MAX_GROUPS:
        details.append(f"only the first {MAX_GROUPS} of {len(values)} groups were evaluated")
    if not measured:
        return no_data(rule, f"no data for {label} in any {noun}", metric.unit)
    n = len(evidence)
    names = fmt.ids([e.subject.split("/", 1)[1] for e in evidence])
    msg = (f"{label} outside its bounds in {n} of {fmt.plural(measured, noun)}: {names}"
           if n else f"{label} within its bounds in all {fmt.plural(measured, noun)}")
    return CheckResult(Outcome.FAILED if n else Outcome.PASSED, msg, value=n, unit="count",
                       threshold={"max": 0}, samples=measured, evidence=evidence,
                       details=details[:50])
