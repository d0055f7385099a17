"""The backfill's per-window tables against the real metrics, on awkward facts.

Hand-made facts the example org does not have: two facts of one id at
different times (two sources), facts without timestamps, open incidents,
runs finishing after the window, remediations. At every window the fast
metric must give the real metric's value and sample count.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import fact_context

from guardrails.backfill import Evaluator
from guardrails.collect import registered_checks, registered_metrics
from guardrails.manager import create_manager
from guardrails.model import Rule

_pm = create_manager()
CHECKS = registered_checks(_pm)
METRICS = registered_metrics(_pm)
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _t(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _facts() -> dict[str, list[dict[str, Any]]]:
    deployments = []
    for i in range(40):
        deployments.append({"id": f"d{i}", "service": "api", "finished_at": _t(i * 3),
                            "status": "success" if i % 7 else "failure",
                            "environment": "production", "changes": [f"c{i}"],
                            "kind": "normal"})
    deployments.append({"id": "d5", "service": "api", "finished_at": _t(100),
                        "status": "success", "environment": "production", "kind": "normal"})
    deployments.append({"id": "r1", "service": "api", "finished_at": _t(31), "status": "success",
                        "environment": "production", "kind": "rollback", "remediates": "d10"})
    changes = [{"id": f"c{i}", "author": "ann" if i % 2 else "bob",
                "created_at": _t(i * 3 - 2 - i % 5), "merged_at": _t(i * 3 - 1),
                "additions": i * 10, "deletions": i,
                "reviews": [{"user": "cat", "state": "APPROVED"}] if i % 3 else []}
               for i in range(40)]
    changes.append(dict(changes[4], merged_at=_t(90), additions=999))  # same id, later
    changes.append({"id": "c-nosize", "author": None, "merged_at": _t(50)})
    incidents = [{"id": f"i{i}", "severity": "SEV2", "created_at": _t(i * 5),
                  "resolved_at": _t(i * 5 + (0.3 * (i % 5) if i % 4 else 40)) if i % 6 else None,
                  **({"caused_by": f"d{i * 2}"} if i % 2 else {})} for i in range(20)]
    ci_runs = [{"id": f"r{i}", "workflow": "ci", "started_at": _t(i * 2),
                "finished_at": _t(i * 2 + (0.01 * i if i % 5 else 30))} for i in range(50)]
    return {"deployments": deployments, "changes": changes, "incidents": incidents,
            "ci_runs": ci_runs, "commits": []}


@pytest.mark.parametrize("metric", [
    "dora.deployment_frequency", "dora.change_failure_rate", "dora.lead_time",
    "dora.time_to_restore", "delivery.change_size_p90", "delivery.independent_review_rate",
    "delivery.ci_feedback_time"])
def test_fast_metric_equals_real_at_every_window(metric: str) -> None:
    rule = Rule(pack="p", id="r", title="", check="metric", params={"metric": metric})
    base = fact_context(T0, CHECKS, METRICS, **_facts())
    session = SimpleNamespace(store=base.store, metrics=METRICS, checks=CHECKS,
                              config=SimpleNamespace(waivers=[], timezone=None,
                                                     window=timedelta(days=30), focus=None))
    fast = Evaluator(session).metrics[metric]  # one evaluator: its tables serve every window
    seen = set()
    for end_day in range(0, 140, 4):
        now = _t(end_day)
        ctx = replace(base, now=now)
        for days in (7, 30, 90):
            start = now - timedelta(days=days)
            want = METRICS[metric].compute(ctx, rule, start, now)
            got = fast.compute(ctx, rule, start, now)
            assert (got.value, got.samples) == (want.value, want.samples), (end_day, days)
            assert (got.value is None) == bool(want.no_data)
            seen.add(want.value)
    assert len(seen) > 5  # the windows differ: the comparison is not of empty answers
