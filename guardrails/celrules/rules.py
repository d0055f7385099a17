"""CEL in the generic checks: load-time problems, selection, ``expect``, ``group_by``.

A string ``where``/``expect`` of an ``each`` or ``count`` rule is a CEL
expression over ``fact`` (one fact of the rule's kind), ``now`` and
``window``. Problems are found at load (:func:`expression_problems`, with
the character offset the rule loader turns into a file line and column);
an expression that fails on one fact at evaluation puts that fact in the
evidence of an ``error`` outcome (:class:`CelRun`), the run goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from guardrails.celrules.check import Uses
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
from guardrails.checks.conditions import RuleParamError
from guardrails.kinds import KindRegistry
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.textsafe import excerpt

#: ``group_by`` names a field, or a path through links: ``team``, ``deployment.service``.
GROUP_BY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,5}")


class ExpressionError(RuleParamError):
    """A problem inside an expression; ``offset`` is its character in the expression."""

    def __init__(self, key: str, message: str, offset: int, fix: str | None = None) -> None:
        super().__init__(key, message, fix)
        self.offset = offset


def _error(key: str, exc: CelProblem) -> ExpressionError:
    return ExpressionError(key, f"{key}: {exc}", exc.offset, exc.fix)


def expression_problems(key: str, src: str, kind: str | None,
                        kinds: KindRegistry) -> list[RuleParamError]:
    """What stops ``src`` (a rule's ``where``, ``expect`` or ``value``) from running, at load."""
    try:
        compile_expression(src, kind if kind in kinds else None, kinds,
                           want="number" if key == "value" else "bool")
    except CelProblem as exc:
        return [_error(key, exc)]
    return []


def group_by_problems(path: Any, kind: str | None, kinds: KindRegistry) -> list[RuleParamError]:
    """``group_by`` must name a field (or a path through links) of the rule's kind."""
    if not isinstance(path, str) or not GROUP_BY.fullmatch(path):
        return [RuleParamError("group_by", f"group_by: {str(path)[:80]!r} is not a field name",
                               fix="name a field of the facts, e.g. group_by: team")]
    try:
        compile_expression(f"fact.{path}", kind if kind in kinds else None, kinds, want=None)
    except CelProblem as exc:
        return [ExpressionError("group_by", f"group_by: {exc}", max(exc.offset - 5, 0),
                                exc.fix)]
    return []


def reached_kinds(params: Mapping[str, Any], kind: str,
                  kinds: KindRegistry | None = None) -> set[str]:
    """Kinds a rule's expressions read through links, to be gathered with its own.

    With ``kinds`` (the run's registry, as a rule's validation has it) the
    links of every registered kind count, a plugin's included, and the answer
    is noted for the rule (:func:`noted_reaches`); without, the builtin links
    and what validation noted.
    """
    from guardrails.datakinds import BUILTIN

    key = ("each", kind, *(params.get(k) if isinstance(params.get(k), str) else None
                           for k in ("where", "expect", "value", "group_by", "evidence")))
    registry = BUILTIN if kinds is None else kinds
    out: set[str] = set()
    if kind in registry:
        sources: list[tuple[Any, str | None]] = [(params.get(k), "bool")
                                                 for k in ("where", "expect")]
        sources.append((params.get("value"), "number"))
        if isinstance(params.get("group_by"), str):
            sources.append((f"fact.{params['group_by']}", None))
        for src, want in sources:
            if isinstance(src, str):
                try:
                    out |= compile_expression(src, kind, registry, want=want).reaches
                except CelProblem:
                    continue  # reported at load
        out |= _template_reaches(params.get("evidence"), kind, registry)
    if kinds is not None:
        note_reaches(key, out)
    return out | noted_reaches(key)


def _template_reaches(template: Any, kind: str, kinds: KindRegistry) -> set[str]:
    """Kinds an evidence template's fields reach through links (``{team.name}``)."""
    from guardrails.checks.conditions import template_fields

    if not isinstance(template, str):
        return set()
    try:
        names = template_fields(template)
    except ValueError:
        return set()  # reported at load
    out: set[str] = set()
    for name in names:
        current: str | None = kind
        for step in name.split("."):
            k = kinds.get(current) if current is not None else None
            link = k.links.get(step) if k is not None else None
            if link is None:
                current = k.joined.get(step) if k is not None else None
                continue
            out.add(link.kind)
            current = link.kind
    return out


#: Kinds each rule's expressions reach, noted when rules are validated against
#: the run's registry: ``Check.needs`` is not given the registry, and a plugin
#: kind's links are only in it. Keyed by the rule's expressions; a union over
#: registries (gathering one kind too many is only slower), bounded.
_noted: dict[tuple[Any, ...], frozenset[str]] = {}


def note_reaches(key: tuple[Any, ...], reached: Iterable[str]) -> None:
    """Remember the kinds a rule (``key``: its expressions) reaches through links."""
    if len(_noted) >= 8192:
        _noted.clear()
    _noted[key] = _noted.get(key, frozenset()) | frozenset(reached)


def noted_reaches(key: tuple[Any, ...]) -> frozenset[str]:
    """The kinds noted for ``key`` by :func:`note_reaches` (none when never noted)."""
    return _noted.get(key, frozenset())


def merge(trees: Iterable[Uses]) -> Uses:
    """One tree reading what every tree of ``trees`` reads."""
    out = Uses()
    for tree in trees:
        out.whole = out.whole or tree.whole
        for name, sub in tree.items():
            out[name] = merge([out[name], sub]) if name in out else merge([sub])
    return out


def covers(big: Uses, small: Uses, depth: int = 0) -> bool:
    """Whether converting what ``big`` reads also converts all ``small`` reads.

    Conservative: every field ``small`` names must be named in ``big``
    (a ``whole`` read converts plain fields, not linked facts, so it is not
    taken to cover a named field), and a ``whole`` read needs a ``whole``.
    """
    if depth > 20:
        return False
    if small.whole and not big.whole:
        return False
    for name, sub in small.items():
        got = big.get(name)
        if got is None or not covers(got, sub, depth + 1):
            return False
    return True


def _team_of(fact: Mapping[str, Any]) -> str | None:
    team = fact.get("team") or fact.get("owner")
    return team if isinstance(team, str) else None


class CelRun:
    """One evaluation of a rule's CEL ``where``/``expect`` over its facts.

    A fact is converted once for both expressions, except when ``where``
    reads less than ``expect`` or ``value``: ``where`` then runs on a
    conversion of only what it reads (its own fields, a joined or linked
    fact only when it names it; everything when it uses the fact as a
    whole), and the full conversion is made for the facts it accepts
    only. A fact ``where`` rejects is not judged, so what only ``expect``
    reads of it is never converted, nor an error when CEL cannot hold it.
    Facts an expression fails on are kept in :attr:`errors` as (fact, key,
    reason).
    """

    #: False converts everything a rule reads before ``where`` (the one-step
    #: path); the tests compare both paths' outcomes.
    lazy_where: bool = True

    def __init__(self, rule: Rule, ctx: Any) -> None:
        kinds = ctx.store.kinds
        self.kind: str = rule.params["facts"]
        self.kinds = kinds
        known = self.kind if self.kind in kinds else None
        self.where: Compiled | None = None
        self.expect: Compiled | None = None
        if isinstance(rule.params.get("where"), str):
            self.where = compile_expression(rule.params["where"], known, kinds)
        if isinstance(rule.params.get("expect"), str):
            self.expect = compile_expression(rule.params["expect"], known, kinds)
        self.value: Compiled | None = None
        if isinstance(rule.params.get("value"), str):
            self.value = compile_expression(rule.params["value"], known, kinds, want="number")
        self.uses = merge(c.uses["fact"] for c in (self.where, self.expect, self.value)
                          if c is not None)
        # What where alone reads, when that is less than the rule reads.
        self.where_uses: Uses | None = None
        if (self.lazy_where and self.where is not None
                and not covers(self.where.uses["fact"], self.uses)):
            self.where_uses = self.where.uses["fact"]
        # A where reading only plain fields of the fact itself gives the same
        # answer for the same values: decided once per distinct values.
        self.where_fields: tuple[str, ...] | None = None
        k = kinds.get(self.kind) if known else None
        wu = self.where_uses
        if wu is not None and k is not None and not wu.whole and all(
                not sub and name not in k.links and name not in k.joined
                for name, sub in wu.items()):
            self.where_fields = tuple(sorted(wu))
        self._verdicts: dict[tuple[Any, ...], bool | str] = {}
        self.facts = Facts(ctx.store, kinds)
        start, end = ctx.window_for(rule)
        self.base = {"now": ctx.now, "window": end - start}
        self.errors: list[tuple[Mapping[str, Any], str, str]] = []
        self._contexts: dict[int, Any] = {}

    def _context(self, fact: Mapping[str, Any], uses: Uses | None = None) -> Any:
        if uses is None:
            got = self._contexts.pop(id(fact), None)
            if got is not None:
                return got
            uses = self.uses
        try:
            return context({**self.base, "fact": self.facts.convert(self.kind, fact, uses)})
        except Exception as exc:  # noqa: BLE001 - a value CEL cannot hold (a huge integer)
            raise EvalError(f"a field CEL cannot read: {excerpt(str(exc), 200)}") from None

    def accepts(self, fact: Mapping[str, Any]) -> bool:
        """Whether ``where`` accepts the fact (always, without a CEL ``where``)."""
        if self.where is None:
            return True
        key = self._where_key(fact) if self.where_fields is not None else None
        if key is not None:
            verdict = self._verdicts.get(key)
            if verdict is None:
                try:
                    verdict = evaluate(self.where, self._context(fact, self.where_uses))
                except EvalError as exc:
                    verdict = str(exc)
                if len(self._verdicts) < 4096:
                    self._verdicts[key] = verdict
            if isinstance(verdict, str):
                self.errors.append((fact, "where", verdict))
                return False
            if not verdict:
                return False
        try:
            if key is not None:  # accepted above
                ctx, ok = self._context(fact, self.uses), True
            else:
                ctx = self._context(fact, self.where_uses)
                ok = evaluate(self.where, ctx)
            if ok and self.where_uses is not None and key is None:
                # The full conversion for an accepted fact; a field of it CEL cannot
                # hold is the where's error, as on the one-step path.
                ctx = self._context(fact, self.uses)
        except EvalError as exc:
            self.errors.append((fact, "where", str(exc)))
            return False
        if ok and (self.expect is not None or self.value is not None):
            self._contexts[id(fact)] = ctx  # expect reads the same conversion
        return ok

    def _where_key(self, fact: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The values ``where`` reads, as a key; None when one is not a plain scalar.

        Each value is keyed with its type and, for floats and timestamps, its
        text: ``1``, ``1.0`` and ``True`` are equal in Python but not in CEL,
        nor are ``-0.0`` and ``0.0`` or one instant at two UTC offsets.
        """
        assert self.where_fields is not None
        out: list[Any] = []
        for name in self.where_fields:
            value = fact.get(name)
            t = type(value)
            if value is None or t is str or t is int or t is bool:
                out.append((t, value))
            elif t is float or isinstance(value, datetime):
                out.append((t, repr(value)))
            else:
                return None
        return tuple(out)

    def failing(self, facts: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The facts ``expect`` is false for (errors go to :attr:`errors`)."""
        assert self.expect is not None
        out = []
        for fact in facts:
            try:
                if not evaluate(self.expect, self._context(fact)):
                    out.append(fact)
            except EvalError as exc:
                self.errors.append((fact, "expect", str(exc)))
        self._contexts.clear()
        return out

    def measured(self, facts: Iterable[Mapping[str, Any]]
                 ) -> list[tuple[Mapping[str, Any], int | float]]:
        """(fact, value) of the ``value`` expression (errors go to :attr:`errors`)."""
        assert self.value is not None
        out = []
        for fact in facts:
            try:
                out.append((fact, measure(self.value, self._context(fact))))
            except EvalError as exc:
                self.errors.append((fact, "value", str(exc)))
        self._contexts.clear()
        return out

    def detail(self) -> str:
        """Evidence detail of a fact ``expect`` is false for, without a template."""
        assert self.expect is not None
        return f"not {excerpt(self.expect.source, 160)}"

    def error_result(self, selected: int) -> CheckResult:
        """The ``error`` outcome: every fact an expression failed on, with why."""
        from guardrails import fmt

        evidence = sorted(
            (Evidence(self.kinds.subject(self.kind, f), f"{key}: {why}", url=f.get("url"),
                      team=_team_of(f)) for f, key, why in self.errors),
            key=lambda e: e.subject)
        n = len(evidence)
        ids = fmt.ids([e.subject.split("/", 1)[1] for e in evidence])
        return CheckResult(
            Outcome.ERROR, f"the expression failed on {n} {self.kind}: {ids}",
            samples=selected, evidence=evidence,
            details=["an optional field needs a guard: has(fact.postmortem) && "
                     "fact.postmortem.status == ..."])


def groups(kind: str, facts: Iterable[Mapping[str, Any]], path: str, store: Any,
           kinds: KindRegistry) -> tuple[str, dict[str, list[Mapping[str, Any]]]]:
    """Facts by the subject of their ``group_by`` value: (group noun, subject -> facts).

    A path ending in a linked fact (``team`` of a service) groups by that
    fact, and every fact of its kind is a group, also with no facts (so
    ``min`` sees a team without services). Otherwise a value ``v`` of a
    field that names another kind (``service``) is ``service/v``, any other
    ``<field>/v``. Facts without a value are in no group.
    """
    conv = Facts(store, kinds)
    steps = path.split(".")
    out: dict[str, list[Mapping[str, Any]]] = {}
    current: str | None = kind
    target: str | None = None
    for i, step in enumerate(steps):
        k = kinds.get(current) if current is not None else None
        link = k.links.get(step) if k is not None else None
        last = i == len(steps) - 1
        if link is not None and not link.many:
            current = link.kind
            if last:
                target = link.kind
        else:
            if last and k is not None:
                target = k.references.get(step)
            current = None
    noun = kinds.singular(target) if target else steps[-1]
    if target is not None and target in kinds and current == target:
        try:
            for f in store.get(target):
                out.setdefault(kinds.subject(target, f), [])
        except Exception:  # noqa: BLE001 - a failed source: groups come from the facts
            pass
    for fact in facts:
        value: Any = fact
        k_name: str | None = kind
        for step in steps:
            k = kinds.get(k_name) if k_name is not None else None
            link = k.links.get(step) if k is not None else None
            if link is not None and isinstance(value, Mapping):
                value = conv._link(value, step, link.via, link.kind, link.many)
                k_name = link.kind
            else:
                value = value.get(step) if isinstance(value, Mapping) else None
                k_name = None
            if value is None:
                break
        if value is None or isinstance(value, list):
            continue
        if isinstance(value, Mapping) and current is not None:
            key = kinds.subject(current, value)
        else:
            key = f"{noun}/{excerpt(str(value), 100)}"
        out.setdefault(key, []).append(fact)
    return noun, out


def render_evidence(template: str, kind: str, fact: Mapping[str, Any], facts: Facts) -> str:
    """Fill an evidence template from a fact: dotted names follow joins and links.

    ``{team.name}`` of a service reads its linked team (through ``owner``) as
    an expression would; what a template may name is checked at load
    (:func:`guardrails.checks.conditions.evidence_problems`). Timestamps are
    ISO text, a fact shows its id, a list ``a, b``, an absent field ``-``.
    """
    import string

    from guardrails.fmt import field_text
    from guardrails.timeutil import iso

    parts = []
    for text, name, _spec, conv in string.Formatter().parse(template):
        parts.append(text)
        if name is None:
            continue
        value = _json(_walk(kind, fact, name, facts), iso)
        shown = "-" if value is None else (repr(value) if conv == "r" else field_text(value))
        parts.append(shown[:500])
    return "".join(parts)


def _json(value: Any, iso: Any, depth: int = 0) -> Any:
    """``value`` as a condition's JSON view has it: ISO timestamps, no private keys."""
    if isinstance(value, date):
        return iso(value)
    if depth > 3:
        return value
    if isinstance(value, Mapping):
        return {k: _json(v, iso, depth + 1) for k, v in value.items() if str(k)[:1] != "_"}
    if isinstance(value, list | tuple):
        return [_json(v, iso, depth + 1) for v in value]
    return value


def _walk(kind: str | None, fact: Mapping[str, Any], name: str, facts: Facts) -> Any:
    value: Any = fact
    steps = name.split(".")
    for i, step in enumerate(steps):
        if not isinstance(value, Mapping):
            return None
        k = facts.kinds.get(kind) if kind is not None else None
        link = k.links.get(step) if k is not None else None
        if link is not None and not (link.via == step and i == len(steps) - 1):
            # (a field holding its links' ids, named last, shows them as written:
            # a deployment's changes include commits no change record names)
            value = facts._link(value, step, link.via, link.kind, link.many)
            kind = link.kind
        else:
            value = value.get(step)
            kind = k.joined.get(step) if k is not None else None
        if value is None:
            return None
    return value
