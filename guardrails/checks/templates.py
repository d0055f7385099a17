"""Evidence templates: ``evidence: '{severity} {title}'`` in an ``each`` or ``count`` rule.

A template names fields of the selected facts, dotted through joined and
linked facts (``{postmortem.status}``, ``{team.name}``). Its fields are checked
against the fact kind when the rule file loads (:func:`evidence_problems`, with
the same wording as :mod:`guardrails.checks.conditions`), and it is filled for
each piece of evidence at evaluation (:func:`render_template`). A template
holds only names: no format specs, indexing or positional fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from guardrails.checks.conditions import RuleParamError, did_you_mean, joined_kind, kind_fields
from guardrails.datakinds import BUILTIN
from guardrails.fmt import field_text
from guardrails.kinds import KindRegistry

_MAX_TEMPLATE = 1000


def template_parts(template: str) -> Iterable[tuple[str, str | None, str | None, str | None]]:
    """``string.Formatter().parse(template)``: (text, field, spec, conversion) tuples.

    Read by the C parser that ``Formatter.parse`` itself calls: importing
    ``string`` builds ``string.Template`` and compiles its regex (~0.5 ms of a
    start-up, benchmarks/RESULTS.md, "start-up, boot4"). Same ValueError for
    unbalanced braces.
    """
    try:
        from _string import formatter_parser  # type: ignore[import-not-found]
    except ImportError:  # an interpreter without it: the public class
        import string

        return string.Formatter().parse(template)
    return formatter_parser(template)  # type: ignore[no-any-return]


def template_fields(template: str) -> list[str]:
    """The field paths of an evidence template: ``'{severity} {postmortem.status}'``.

    ValueError for what a template may not hold: positional fields, indexing,
    conversions other than !s/!r, format specs (a ``{title:>99999999}`` would
    build a huge string), or unbalanced braces.
    """
    if len(template) > _MAX_TEMPLATE:
        raise ValueError(f"template longer than {_MAX_TEMPLATE} characters")
    out = []
    for _text, name, spec, conv in template_parts(template):
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
    """Fill an evidence template; dotted names walk joined facts; absent is '-'.

    Values are written for people (:func:`guardrails.fmt.field_text`: a list is
    ``a, b``, not ``['a', 'b']``); ``!r`` asks for the Python form on purpose.
    """
    parts = []
    for text, name, _spec, conv in template_parts(template):
        parts.append(text)
        if name is None:
            continue
        value: Any = view
        for step in name.split("."):
            value = value.get(step) if isinstance(value, Mapping) else None
            if value is None:
                break
        shown = "-" if value is None else (repr(value) if conv == "r" else field_text(value))
        parts.append(shown[:500])
    return "".join(parts)


def evidence_problems(template: Any, kind: str | None,
                      kinds: KindRegistry | None = None) -> list[RuleParamError]:
    if not isinstance(template, str):
        return []
    try:
        names = template_fields(template)
    except ValueError as exc:
        return [RuleParamError("evidence", f"evidence template: {exc}")]
    kinds = BUILTIN if kinds is None else kinds
    out = []
    for name in names:
        k: str | None = kind
        steps = name.split(".")
        for i, step in enumerate(steps):
            reg = kinds.get(k) if k is not None else None
            link = reg.links.get(step) if reg is not None else None
            if link is not None:  # a linked fact, as in an expression (service.team)
                if link.many and i < len(steps) - 1:
                    out.append(RuleParamError(
                        "evidence", f"evidence template: '{{{name}}}': {step} of {k} is a "
                        f"list of {link.kind}; a template names it whole",
                        fix=f"write '{{{'.'.join(steps[:i + 1])}}}' (their ids)"))
                    break
                k = link.kind
                continue
            fields = kind_fields(k, kinds) if k is not None else None
            if fields is None:
                break
            if step not in fields:
                known = fields | set(reg.links if reg is not None else ())
                out.append(RuleParamError(
                    "evidence", f"evidence template: {k} have no field {step!r} ('{{{name}}}')",
                    fix=did_you_mean(step, known) or f"{k} fields: {', '.join(sorted(known))}"))
                break
            k = joined_kind(k, step, kinds) if k is not None else None
    return out
