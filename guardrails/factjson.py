"""Facts as JSON: for output, and for the JSON Schema conditions of rules.

A fact in the store holds ``datetime`` values and, once joined, other facts
(shared between facts, and cyclic: an incident's deployment lists that
incident). :func:`to_jsonable` gives a fact for output (``guardrails facts``),
joined facts named by their subjects; :func:`json_view` gives the copy a
rule's ``where``/``expect`` schema reads, joined facts included a few levels
deep. Both only read the store (:mod:`guardrails.facts`), which never needs
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from guardrails.facts import kinds_or_builtin, subject
from guardrails.kinds import KindRegistry
from guardrails.timeutil import iso


def to_jsonable(kind: str, fact: Mapping[str, Any],
                kinds: KindRegistry | None = None) -> dict[str, Any]:
    """A fact for output: timestamps as ISO text, joined facts as their subjects."""
    kinds = kinds_or_builtin(kinds)
    k = kinds.get(kind)
    joined = k.joined if k else {}
    out: dict[str, Any] = {}
    for key, value in fact.items():
        if key.startswith("_"):
            continue
        if key in joined and value is not None:
            target = joined[key]
            if isinstance(value, list):
                out[key] = [subject(target, v, kinds) if isinstance(v, Mapping) else v
                            for v in value]
            elif isinstance(value, Mapping):
                out[key] = subject(target, value, kinds)
            else:
                out[key] = value
        else:
            out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    return value


def json_view(kind: str, fact: Mapping[str, Any], depth: int = 1,
              memo: dict[tuple[int, int], dict[str, Any]] | None = None,
              kinds: KindRegistry | None = None) -> dict[str, Any]:
    """A JSON-shaped copy of a fact for JSON Schema conditions.

    Timestamps become ISO text; joined facts are included ``depth`` levels
    deep (so ``expect`` can look at ``incident.postmortem.status``) and named
    by their subject below that, which keeps the cyclic joins finite. ``memo``
    shares the views of joined facts between calls (a deployment joined by
    several incidents is converted once).
    """
    kinds = kinds_or_builtin(kinds)
    k = kinds.get(kind)
    joined = k.joined if k else {}
    out: dict[str, Any] = {}
    for key, value in fact.items():
        if key[:1] == "_":
            continue
        if key in joined and value is not None:
            target = joined[key]
            if isinstance(value, list):
                out[key] = [_joined(target, v, depth, memo, kinds) for v in value]
            else:
                out[key] = _joined(target, value, depth, memo, kinds)
        elif type(value) in _SCALARS:
            out[key] = value
        else:
            out[key] = _plain(value)
    return out


def _joined(kind: str, value: Any, depth: int,
            memo: dict[tuple[int, int], dict[str, Any]] | None, kinds: KindRegistry) -> Any:
    if not isinstance(value, Mapping):
        return value
    if depth <= 0:
        return subject(kind, value, kinds)
    if memo is None:
        return json_view(kind, value, depth - 1, kinds=kinds)
    key = (id(value), depth - 1)
    view = memo.get(key)
    if view is None:
        view = memo[key] = json_view(kind, value, depth - 1, memo, kinds)
    return view


_SCALARS = frozenset({str, int, float, bool, type(None)})
