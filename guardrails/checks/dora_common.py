"""What the four DORA metrics share: the rule's environment, its production
deployments in a window, what was known by a window's end, and the slowest
samples shown as evidence.

The metrics themselves are :mod:`guardrails.checks.dora` (throughput:
deployment frequency and lead time, and the plugin) and
:mod:`guardrails.checks.dora_stability` (change failure rate and time to
restore). What the definitions share is written at the top of the former.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

from guardrails.datakinds import natural_key
from guardrails.errors import RuleFileError
from guardrails.model import Evidence, Rule
from guardrails.plugin import EvalContext

#: the median metrics show this many of their slowest samples as evidence
EVIDENCE_LIMIT = 10

Fact = Mapping[str, Any]


def environment(rule: Rule) -> str:
    env = rule.param("environment", "production")
    if not isinstance(env, str) or not env:
        raise RuleFileError(
            f"rule {rule.nodeid}: 'environment' must be an environment name, got {env!r}",
            file=rule.file or None,
            line=rule.line or None,
            fix="write e.g. 'environment: production'",
        )
    return env


def production(
    ctx: EvalContext, env: str, start: datetime, end: datetime
) -> list[Fact]:
    """Successful deployments to ``env`` finished in ``[start, end)``, each once.

    From the run's fact index: a window is two bisections of the production
    deployments sorted once, returned in data order.
    """
    return ctx.store.index.production_in(env, start, end)


def known_by(ts: datetime | None, end: datetime) -> bool:
    # A fact without the timestamp is in the data, so it is taken as known.
    return ts is None or ts < end


#: ``(seconds, subject, detail)``; the detail may be a callable making the text.
Sample: TypeAlias = tuple[float, str, str | Callable[[], str]]


def slowest(items: list[Sample], what: str) -> tuple[list[Evidence], list[str]]:
    """Evidence for the slowest ``(seconds, subject, detail)`` samples, worst first.

    ``detail`` may be a callable making the text, so 100k samples do not each
    format a string only the slowest few show.
    """
    # Only the slowest few are shown: select them without sorting everything.
    # Ties at the cut are kept so the natural-order tie-break stays exact.
    if len(items) > EVIDENCE_LIMIT:
        cut = heapq.nlargest(EVIDENCE_LIMIT, (t[0] for t in items))[-1]
        top = [t for t in items if t[0] >= cut]
    else:
        top = list(items)
    ordered = sorted(top, key=lambda t: (-t[0], natural_key(t[1])))
    evidence = [Evidence(subject=s, detail=d() if callable(d) else d)
                for _, s, d in ordered[:EVIDENCE_LIMIT]]
    note = []
    if len(items) > EVIDENCE_LIMIT:
        note.append(f"showing the {EVIDENCE_LIMIT} slowest of {len(items)} {what}")
    return evidence, note
