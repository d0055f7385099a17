"""CEL in the generic checks: load-time problems, selection, ``expect``, ``group_by``.

A string ``where``/``expect`` of an ``each`` or ``count`` rule is a CEL
expression over ``fact`` (one fact of the rule's kind), ``now`` and
``window``. Problems are found at load (:func:`expression_problems`, with
the character offset the rule loader turns into a file line and column);
an expression that fails on one fact at evaluation puts that fact in the
evidence of an ``error`` outcome (:class:`~guardrails.celrules.celrun.CelRun`),
the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from guardrails.celrules.runtime import (
    CelProblem,
    Facts,
    check_expression,
    compile_expression,
)
from guardrails.checks.conditions import RuleParamError
from guardrails.checks.templates import template_parts
from guardrails.kinds import KindRegistry
from guardrails.textsafe import excerpt


def is_group_path(path: str) -> bool:
    """Whether ``group_by`` names a field, or a path through links (``team``,
    ``deployment.service``): one to six ASCII names (``[A-Za-z_][A-Za-z0-9_]*``,
    what ``isidentifier`` accepts of ASCII text) joined by dots. String methods,
    not a regex: its compile cost every run ~0.7M instructions
    (benchmarks/RESULTS.md, "s26-startup")."""
    if not path.isascii():
        return False
    parts = path.split(".", 6)
    return len(parts) <= 6 and all(part.isidentifier() for part in parts)



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
    if not isinstance(path, str) or not is_group_path(path):
        return [RuleParamError("group_by", f"group_by: {str(path)[:80]!r} is not a field name",
                               fix="name a field of the facts, e.g. group_by: team")]
    try:
        compile_expression(f"fact.{path}", kind if kind in kinds else None, kinds, want=None)
    except CelProblem as exc:
        return [ExpressionError("group_by", f"group_by: {exc}", max(exc.offset - 5, 0),
                                exc.fix)]
    return list_group_problems(path, [kind] if kind else [], kinds, "count")


def list_group_problems(path: str, kinds_of: Iterable[str], kinds: KindRegistry,
                        check: str) -> list[RuleParamError]:
    """``group_by`` naming a list (``members``, ``changes``): a fact is grouped by its one
    value, so with a list no fact is in a group and the rule would skip on every run,
    a mistake in the rule that must stop the gate at load instead."""
    lists = []
    for kind in kinds_of:
        if kind not in kinds:
            return []  # a plugin's kind without a schema may hold anything
        try:  # for count, the check group_by_problems just made (or the type cache's)
            checked = check_expression(f"fact.{path}", kind, kinds, want=None)
        except CelProblem:
            continue  # not a field of this kind
        if checked.type_name != "list":
            return []  # some kind's facts have one value: those are grouped
        lists.append(f"{path} of {kind} is a list ({checked.type_text})")
    if not lists:
        return []
    return [RuleParamError(
        "group_by", f"group_by: {'; '.join(lists)}; {check} puts a fact in the group of "
        "its one value, so no fact would be in a group and the rule would always skip",
        fix="group by a field with one value per fact, e.g. group_by: team")]


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
    from guardrails.checks.templates import template_fields

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
            text = str(value)
            key = f"{noun}/{excerpt(text, 100)}"
            if len(text) > 100:
                # Cut, two values alike in their first 100 characters were one group
                # (two titles counted 2 against max 1); a digest of the whole keeps them two.
                import hashlib

                digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
                key += f" [{digest[:8]}]"
        out.setdefault(key, []).append(fact)
    return noun, out


def render_evidence(template: str, kind: str, fact: Mapping[str, Any], facts: Facts) -> str:
    """Fill an evidence template from a fact: dotted names follow joins and links.

    ``{team.name}`` of a service reads its linked team (through ``owner``) as
    an expression would; what a template may name is checked at load
    (:func:`guardrails.checks.templates.evidence_problems`). Timestamps are
    ISO text, a fact shows its id, a list ``a, b``, an absent field ``-``.
    """
    from guardrails.fmt import field_text
    from guardrails.timeutil import iso

    parts = []
    for text, name, _spec, conv in template_parts(template):
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
