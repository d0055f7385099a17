"""One evaluation of a rule's CEL ``where``/``expect``/``value`` over its facts.

:class:`CelRun` converts each fact to CEL values once, and ``where`` first:
on only what ``where`` reads, the rest for the facts it accepts (see
docs/rules.md, "CEL expressions").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from guardrails.celrules.evalerrors import hints
from guardrails.celrules.runtime import (
    Compiled,
    EvalError,
    Facts,
    compile_expression,
    context,
    evaluate,
    measure,
)
from guardrails.celrules.uses import Uses
from guardrails.model import CheckResult, Evidence, Outcome, Rule
from guardrails.textsafe import excerpt


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
    #: False converts every fact ``where`` accepts for ``expect``, however few its
    #: distinct values (:attr:`rule_fields`); the tests compare both.
    by_values: bool = True

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
        # Likewise a whole verdict (the full conversion, then expect) when, with no
        # ``value``, the rule reads plain fields of the fact (a joined field keys it
        # only while absent or a plain scalar) and facts a join put in a field
        # without reading into them (``has(fact.postmortem)``: such a fact converts
        # to an empty map, so only whether it is there counts): most facts then
        # need no CEL context of their own (~9,000 SEV1/SEV2 incidents a
        # postmortem-exists run at 100,000 facts).
        self.rule_fields: tuple[str, ...] | None = None
        self.rule_links: frozenset[str] = frozenset()
        u = self.uses
        if (self.by_values and self.where_fields is not None and self.expect is not None
                and self.value is None and k is not None and not u.whole and all(
                    not sub and (name not in k.links or (
                        k.links[name].via is None and not k.links[name].many
                        and not sub.whole))
                    for name, sub in u.items())):
            self.rule_fields = tuple(sorted(u))
            self.rule_links = frozenset(name for name in u if name in k.links)
        self._outcomes: dict[tuple[Any, ...], bool | tuple[str, str]] = {}
        self._decided: dict[int, bool | tuple[str, str]] = {}
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
        if key is not None and self.rule_fields is not None:  # accepted above
            outcome = self._outcome(fact, self.rule_fields)
            if outcome is not None:
                if type(outcome) is tuple and outcome[0] == "where":
                    self.errors.append((fact, "where", outcome[1]))
                    return False
                self._decided[id(fact)] = outcome
                return True
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

    def _outcome(self, fact: Mapping[str, Any],
                 fields: tuple[str, ...]) -> bool | tuple[str, str] | None:
        """What the full conversion and ``expect`` make of a fact ``where`` accepted,
        decided once per distinct values of ``fields`` (everything the rule reads):
        ``expect``'s verdict, ``("expect", why)`` when it fails on them, ``("where",
        why)`` when the conversion does (the one-step path's words); None when a value
        is not a plain scalar (the fact is converted as before)."""
        key = self._where_key(fact, fields, self.rule_links)
        if key is None:
            return None
        got = self._outcomes.get(key)
        if got is None:
            assert self.expect is not None
            try:
                ctx = self._context(fact, self.uses)
            except EvalError as exc:
                got = ("where", str(exc))
            else:
                try:
                    got = evaluate(self.expect, ctx)
                except EvalError as exc:
                    got = ("expect", str(exc))
            if len(self._outcomes) < 4096:
                self._outcomes[key] = got
        return got

    def _where_key(self, fact: Mapping[str, Any], fields: tuple[str, ...] | None = None,
                   links: frozenset[str] = frozenset()) -> tuple[Any, ...] | None:
        """The values ``where`` (or ``fields``) reads, as a key; None when one is not
        a plain scalar. A field of ``links`` (a joined fact read as a whole of
        nothing) is keyed by whether it holds a mapping (``Facts._link``'s test).

        Each value is keyed with its type and, for floats and timestamps, its
        text: ``1``, ``1.0`` and ``True`` are equal in Python but not in CEL,
        nor are ``-0.0`` and ``0.0`` or one instant at two UTC offsets.
        """
        if fields is None:
            assert self.where_fields is not None
            fields = self.where_fields
        out: list[Any] = []
        for name in fields:
            value = fact.get(name)
            if name in links:
                out.append(isinstance(value, Mapping))
                continue
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
        decided = self._decided
        for fact in facts:
            outcome = decided.pop(id(fact), None) if decided else None
            if outcome is not None:  # decided by its values (accepts)
                if type(outcome) is tuple:
                    self.errors.append((fact, "expect", outcome[1]))
                elif not outcome:
                    out.append(fact)
                continue
            try:
                if not evaluate(self.expect, self._context(fact)):
                    out.append(fact)
            except EvalError as exc:
                self.errors.append((fact, "expect", str(exc)))
        self._contexts.clear()
        decided.clear()
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
            details=hints([why for _, _, why in self.errors]))
