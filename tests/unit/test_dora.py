"""The four DORA metrics, computed on hand-built facts.

Every expectation is worked out by hand next to the assertion. NOW is
2026-10-01 00:00 UTC and rules use a 30-day window, so the window is
[2026-09-01 00:00, 2026-10-01 00:00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.checks import dora
from guardrails.errors import RuleFileError, SourceError
from guardrails.facts import FactStore, join
from guardrails.model import Rule
from guardrails.plugin import EvalContext, Metric, MetricValue

NOW = datetime(2026, 10, 1, tzinfo=UTC)
START = NOW - timedelta(days=30)  # 2026-09-01 00:00 UTC
WINDOW_LINE = "window 2026-09-01 .. 2026-10-01 (30 days)"
DAY = 86400
HOUR = 3600


def ago(days: float = 0, hours: float = 0, seconds: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours, seconds=seconds)


def dep(ident: str, finished_at: datetime, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "service": "api", "status": "success", "finished_at": finished_at,
            **extra}


def inc(ident: str, created_at: datetime, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "created_at": created_at, **extra}


def context(**kinds: list[dict[str, Any]]) -> EvalContext:
    store = FactStore()
    for kind, facts in kinds.items():
        store.add(kind, facts, "test")
    join(store)
    return EvalContext(now=NOW, window=timedelta(days=90), focus=None, store=store)


def make_rule(metric: Metric, **params: Any) -> Rule:
    return Rule(pack="stability", id="x", title="x", check="metric",
                params={"metric": metric.name, "window": "30d", **params})


def compute(metric: Metric, ctx: EvalContext, **params: Any) -> MetricValue:
    rule = make_rule(metric, **params)
    return metric.compute(ctx, rule, *ctx.window_for(rule))


# ---------------------------------------------------------------------------
# plugin
# ---------------------------------------------------------------------------


def test_hook_returns_the_four_keys_with_units() -> None:
    metrics = {m.name: m for m in dora.guardrails_collect_metrics()}
    assert {name: m.unit for name, m in metrics.items()} == {
        "dora.deployment_frequency": "per_week",
        "dora.lead_time": "seconds",
        "dora.change_failure_rate": "ratio",
        "dora.time_to_restore": "seconds",
    }
    assert "deployments" in metrics["dora.lead_time"].kinds
    assert "incidents" in metrics["dora.change_failure_rate"].kinds
    # deployment-based metrics accept `environment`; time to restore reads no deployments
    assert {n for n, m in metrics.items() if "environment" in m.params} == {
        "dora.deployment_frequency", "dora.lead_time", "dora.change_failure_rate",
    }


# ---------------------------------------------------------------------------
# deployment frequency
# ---------------------------------------------------------------------------

DF = dora.DEPLOYMENT_FREQUENCY


def test_deployment_frequency_counts_production_successes_per_week() -> None:
    ctx = context(deployments=[
        dep("dep-1", ago(2), service="web"),
        dep("dep-2", ago(5)),
        dep("dep-3", ago(9), service="web"),
        dep("dep-4", ago(20), kind="rollback", remediates="dep-3"),  # rollbacks count
        dep("dep-5", ago(25), kind="hotfix"),
        dep("dep-6", ago(3), status="failure"),  # not a success
        dep("dep-7", ago(4), environment="staging"),  # not production
        dep("dep-8", ago(40)),  # before the window
        dep("dep-9", ago(1), status="in_progress"),
    ])
    mv = compute(DF, ctx)
    # dep-1..dep-5: 5 deployments in 30 days = 5 / (30 / 7) per week
    assert mv.value == pytest.approx(5 / (30 / 7))
    assert mv.samples == 5
    assert mv.details == [WINDOW_LINE, "5 production deployments in window",
                          "by service: api 3, web 2"]


def test_deployment_frequency_window_is_half_open() -> None:
    ctx = context(deployments=[
        dep("at-start", START),  # counts: the window includes its start
        dep("before-start", START - timedelta(microseconds=1)),
        dep("at-now", NOW),  # belongs to the next window
        dep("just-before-now", NOW - timedelta(microseconds=1)),
    ])
    mv = compute(DF, ctx)
    assert mv.samples == 2  # at-start, just-before-now
    assert mv.value == pytest.approx(2 * 7 / 30)


def test_deployment_frequency_uses_the_context_window_without_rule_window() -> None:
    ctx = context(deployments=[dep("dep-1", ago(60)), dep("dep-2", ago(89))])
    rule = Rule(pack="stability", id="x", title="x", check="metric",
                params={"metric": DF.name})
    mv = DF.compute(ctx, rule, *ctx.window_for(rule))
    # 2 deployments in the context's 90 days
    assert mv.value == pytest.approx(2 / (90 / 7))
    assert mv.details[0] == "window 2026-07-03 .. 2026-10-01 (90 days)"


def test_deployment_frequency_counts_a_duplicated_deployment_once() -> None:
    ctx = context(deployments=[dep("dep-1", ago(2)), dep("dep-1", ago(2)), dep("dep-2", ago(3))])
    assert compute(DF, ctx).samples == 2


def test_deployment_frequency_empty_window_has_no_value() -> None:
    ctx = context(deployments=[dep("dep-1", ago(31)), dep("dep-2", ago(1), status="failure")])
    mv = compute(DF, ctx)
    assert mv.value is None
    assert mv.samples == 0
    assert mv.no_data == "no production deployments in window"
    assert mv.details == [WINDOW_LINE, "0 production deployments in window"]


def test_deployment_frequency_without_deployment_data() -> None:
    mv = compute(DF, context())
    assert (mv.value, mv.samples, mv.no_data) == (None, 0, "no deployments data")


def test_deployment_frequency_environment_parameter() -> None:
    ctx = context(deployments=[
        dep("dep-1", ago(1), environment="staging"),
        dep("dep-2", ago(2), environment="staging"),
        dep("dep-3", ago(3)),  # production: not the environment asked for
    ])
    mv = compute(DF, ctx, environment="staging")
    assert mv.samples == 2
    assert mv.value == pytest.approx(2 * 7 / 30)
    assert mv.details[1] == "2 staging deployments in window"
    assert compute(DF, ctx).samples == 1


def test_environment_must_be_a_name() -> None:
    ctx = context(deployments=[dep("dep-1", ago(1))])
    rule = Rule(pack="stability", id="df", title="x", check="metric",
                params={"metric": DF.name, "environment": ["a"]}, file="rules/s.yaml", line=7)
    with pytest.raises(RuleFileError) as err:
        DF.compute(ctx, rule, *ctx.window_for(rule))
    assert str(err.value).startswith("rules/s.yaml:7: rule stability::df: 'environment'")


# ---------------------------------------------------------------------------
# lead time
# ---------------------------------------------------------------------------

LT = dora.LEAD_TIME
SHA_A = "a" * 40
SHA_B = "b1" + "0" * 38


def test_lead_time_median_with_start_fallbacks() -> None:
    ctx = context(
        deployments=[dep("dep-1", ago(10), changes=["1", "2", "3"])],
        changes=[
            # first_commit_at wins over created_at: 12d - 10d = 2d
            {"id": 1, "first_commit_at": ago(12), "created_at": ago(11)},
            # no first commit: created_at, 13d - 10d = 3d
            {"id": 2, "created_at": ago(13)},
            # neither: the merge commit's authored_at, 15d - 10d = 5d
            {"id": 3, "merge_sha": SHA_A},
        ],
        commits=[{"sha": SHA_A, "authored_at": ago(15)}],
    )
    mv = compute(LT, ctx)
    assert mv.samples == 3
    assert mv.value == 3 * DAY  # median of 2d, 3d, 5d
    # slowest first; NOW - 10d = 2026-09-21, NOW - 15d = 2026-09-16
    assert [(e.subject, e.detail) for e in mv.evidence] == [
        ("change/3", "lead time 5d: authored 2026-09-16 -> dep-1 2026-09-21"),
        ("change/2", "lead time 3d: created 2026-09-18 -> dep-1 2026-09-21"),
        ("change/1", "lead time 2d: first commit 2026-09-19 -> dep-1 2026-09-21"),
    ]
    assert mv.details == [WINDOW_LINE, "3 changes shipped by production deployments in window"]


def test_lead_time_uses_the_first_successful_production_deployment() -> None:
    ctx = context(
        deployments=[
            dep("dep-old", ago(40), changes=["10"]),  # 10 first shipped before the window
            dep("dep-new", ago(5), changes=["10", "11", "12"]),
            dep("dep-bad", ago(8), status="failure", changes=["11"]),  # not a success
            dep("dep-stg", ago(9), environment="staging", changes=["12"]),
        ],
        changes=[
            {"id": 10, "first_commit_at": ago(41)},
            {"id": 11, "first_commit_at": ago(6)},  # 6d - 5d = 1d, via dep-new
            {"id": 12, "first_commit_at": ago(9, hours=12)},  # 9.5d - 5d = 4.5d, via dep-new
        ],
    )
    mv = compute(LT, ctx)
    assert mv.samples == 2
    assert mv.value == (1 * DAY + 4.5 * DAY) / 2  # median of two = their mean
    assert [e.subject for e in mv.evidence] == ["change/12", "change/11"]


def test_lead_time_commits_named_by_deployments() -> None:
    ctx = context(
        deployments=[
            dep("dep-1", ago(20), changes=[SHA_B[:8]]),  # a short sha finds its commit
            dep("dep-2", ago(10), changes=[SHA_A, SHA_B, "deadbeef99"]),
        ],
        commits=[
            {"sha": SHA_A, "authored_at": ago(10, hours=6)},  # 6h via dep-2
            {"sha": SHA_B, "authored_at": ago(21)},  # first shipped by dep-1: 1d
        ],
    )
    mv = compute(LT, ctx)
    assert mv.samples == 2
    assert mv.value == (6 * HOUR + 1 * DAY) / 2
    assert [(e.subject, e.detail) for e in mv.evidence] == [
        (f"commit/{SHA_B}", "lead time 24h: authored 2026-09-10 -> dep-1 2026-09-11"),
        (f"commit/{SHA_A}", "lead time 6h: authored 2026-09-20 -> dep-2 2026-09-21"),
    ]
    assert "1 shipped reference matching no change or commit" in mv.details


def test_lead_time_drops_non_positive_samples_and_says_so() -> None:
    ctx = context(
        deployments=[dep("dep-1", ago(10), changes=["1", "2", "3", "4", "5"])],
        changes=[
            {"id": 1, "first_commit_at": ago(11)},  # 1d
            {"id": 2, "first_commit_at": ago(14)},  # 4d
            {"id": 3, "first_commit_at": ago(10)},  # exactly at the deployment: 0, dropped
            {"id": 4, "created_at": ago(9)},  # after the deployment: -1d, dropped
            {"id": 5},  # no start time at all
        ],
    )
    mv = compute(LT, ctx)
    assert mv.samples == 2
    assert mv.value == (1 * DAY + 4 * DAY) / 2
    assert mv.details == [
        WINDOW_LINE,
        "2 changes shipped by production deployments in window",
        "2 non-positive lead times dropped (change timestamp at or after its deployment)",
        "1 change without first_commit_at, created_at or commit time skipped",
    ]


def test_lead_time_only_non_positive_samples_has_no_value() -> None:
    ctx = context(deployments=[dep("dep-1", ago(10), changes=["1"])],
                  changes=[{"id": 1, "first_commit_at": ago(9)}])
    mv = compute(LT, ctx)
    assert (mv.value, mv.samples) == (None, 0)
    assert mv.no_data == "no positive lead times in window (1 non-positive dropped)"


def test_lead_time_window_boundaries() -> None:
    ctx = context(
        deployments=[
            dep("dep-start", START, changes=["1"]),
            dep("dep-now", NOW, changes=["2"]),
        ],
        changes=[{"id": 1, "first_commit_at": START - timedelta(hours=2)},
                 {"id": 2, "first_commit_at": NOW - timedelta(hours=1)}],
    )
    mv = compute(LT, ctx)
    assert (mv.value, mv.samples) == (2 * HOUR, 1)


def test_lead_time_no_data_reasons() -> None:
    assert compute(LT, context()).no_data == "no deployments data"
    only_deps = context(deployments=[dep("dep-1", ago(1), changes=["1"])])
    assert compute(LT, only_deps).no_data == "no changes data"
    old = context(deployments=[dep("dep-1", ago(50), changes=["1"])],
                  changes=[{"id": 1, "first_commit_at": ago(51)}])
    mv = compute(LT, old)
    assert (mv.value, mv.samples, mv.no_data) == (None, 0, "no production deployments in window")
    unshipped = context(deployments=[dep("dep-1", ago(1))],
                        changes=[{"id": 1, "first_commit_at": ago(3)}])
    assert compute(LT, unshipped).no_data == (
        "no changes shipped by production deployments in window"
    )


def test_lead_time_environment_parameter() -> None:
    ctx = context(
        deployments=[
            dep("stg-1", ago(10), environment="staging", changes=["1"]),
            dep("prod-1", ago(5), changes=["1"]),
        ],
        changes=[{"id": 1, "merge_sha": SHA_A, "first_commit_at": ago(12)}],
    )
    assert compute(LT, ctx).value == 7 * DAY  # 12d - 5d through prod-1
    mv = compute(LT, ctx, environment="staging")
    assert mv.value == 2 * DAY  # 12d - 10d through stg-1
    assert mv.evidence[0].detail.endswith("-> stg-1 2026-09-21")
    assert mv.details[1] == "1 change shipped by staging deployments in window"


def test_lead_time_evidence_is_capped_and_ordered() -> None:
    # changes 1..12 with lead times 1h..12h; 7 and 8 tie with change 70 at 7h
    changes = [{"id": n, "first_commit_at": ago(10, hours=n)} for n in range(1, 13)]
    changes.append({"id": 70, "first_commit_at": ago(10, hours=7)})
    refs = [str(c["id"]) for c in changes]
    ctx = context(deployments=[dep("dep-1", ago(10), changes=refs)], changes=changes)
    mv = compute(LT, ctx)
    assert mv.samples == 13
    # sorted: 1,2,3,4,5,6,7,7,8,...,12 hours; the 7th of 13 is 7h
    assert mv.value == 7 * HOUR
    assert [e.subject for e in mv.evidence] == [
        "change/12", "change/11", "change/10", "change/9", "change/8",
        "change/7", "change/70", "change/6", "change/5", "change/4",
    ]
    assert mv.details[-1] == "showing the 10 slowest of 13 changes"


# ---------------------------------------------------------------------------
# change failure rate
# ---------------------------------------------------------------------------

CFR = dora.CHANGE_FAILURE_RATE


def test_change_failure_rate_counts_each_failed_deployment_once() -> None:
    ctx = context(
        deployments=[
            dep("dep-1", ago(20), service="billing-api"),
            dep("dep-2", ago(19), kind="rollback", remediates="dep-1"),
            dep("dep-3", ago(10)),
            dep("dep-4", ago(9), kind="hotfix", remediates="dep-3"),
            dep("dep-5", ago(5)),
            dep("dep-6", ago(4), status="failure"),  # not a deployment that shipped
            dep("dep-7", ago(3), environment="staging"),  # not production
        ],
        incidents=[
            # dep-1 both caused an incident and was rolled back: failed once
            inc("INC-731", ago(19, hours=12), severity="SEV2", caused_by="dep-1"),
            inc("INC-732", ago(2), severity="SEV1", caused_by="dep-7"),  # staging
            inc("INC-733", ago(2), severity="SEV1", caused_by="dep-6"),  # not a success
        ],
    )
    mv = compute(CFR, ctx)
    # production successes: dep-1..dep-5 (rollback and hotfix included) = 5
    # failed: dep-1 (incident + rollback), dep-3 (hotfix) = 2
    assert mv.value == 2 / 5
    assert mv.samples == 5
    assert mv.details == [
        WINDOW_LINE,
        "2 of 5 production deployments failed",
        "1 caused an incident, 2 were rolled back or hotfixed (a deployment with both counts once)",
    ]
    # NOW - 20d = 2026-09-11, NOW - 10d = 2026-09-21
    assert [(e.subject, e.detail) for e in mv.evidence] == [
        ("deployment/dep-1", "2026-09-11 billing-api caused INC-731 (SEV2), rolled back by dep-2"),
        ("deployment/dep-3", "2026-09-21 api hotfixed by dep-4"),
    ]


def test_change_failure_rate_failed_rollbacks_count_and_rate_stays_at_most_one() -> None:
    ctx = context(
        deployments=[
            dep("dep-1", ago(10)),
            dep("dep-2", ago(9), kind="rollback", remediates="dep-1"),
            dep("dep-3", ago(8), kind="rollback", remediates="dep-2"),  # the rollback failed
        ],
        incidents=[
            inc("INC-1", ago(9, hours=12), caused_by="dep-1"),
            inc("INC-2", ago(9, hours=11), caused_by="dep-1"),
            inc("INC-3", ago(8, hours=12), caused_by="dep-3"),
        ],
    )
    mv = compute(CFR, ctx)
    # all three failed (dep-1 twice over, dep-2 rolled back, dep-3 caused INC-3): 3 / 3
    assert mv.value == 1.0
    assert mv.samples == 3
    assert [e.detail for e in mv.evidence] == [
        "2026-09-21 api caused INC-1, INC-2, rolled back by dep-2",  # NOW - 10d
        "2026-09-23 api caused INC-3",  # NOW - 8d
        "2026-09-22 api rolled back by dep-3",  # NOW - 9d
    ]


def test_change_failure_rate_ignores_remediation_finished_before_target() -> None:
    ctx = context(deployments=[
        dep("dep-1", ago(10)),
        dep("dep-0", ago(11), kind="rollback", remediates="dep-1"),  # earlier: cannot fix it
        dep("dep-2", ago(5), remediates="dep-1"),  # a normal deployment does not remediate
    ])
    mv = compute(CFR, ctx)
    assert (mv.value, mv.samples, mv.evidence) == (0.0, 3, [])
    assert mv.details[1] == "0 of 3 production deployments failed"


def test_change_failure_rate_is_as_of_now() -> None:
    ctx = context(deployments=[
        dep("dep-1", ago(3)),
        dep("dep-2", ago(2)),
        dep("dep-9", NOW + timedelta(hours=1), kind="rollback", remediates="dep-2"),
    ], incidents=[inc("INC-1", NOW, caused_by="dep-1")])
    mv = compute(CFR, ctx)
    # the incident opened at now and the rollback after now were not known yet
    assert (mv.value, mv.samples) == (0.0, 2)


def test_change_failure_rate_window_and_environment() -> None:
    ctx = context(
        deployments=[
            dep("dep-1", START),  # in: the window includes its start
            dep("dep-2", NOW),  # out: the window excludes now
            dep("stg-1", ago(4), environment="staging"),
            dep("stg-2", ago(3), environment="staging"),
        ],
        incidents=[inc("INC-1", ago(29), caused_by="dep-1"),
                   inc("INC-2", ago(2), caused_by="stg-2")],
    )
    assert (compute(CFR, ctx).value, compute(CFR, ctx).samples) == (1.0, 1)
    mv = compute(CFR, ctx, environment="staging")
    assert (mv.value, mv.samples) == (1 / 2, 2)
    assert mv.details[1] == "1 of 2 staging deployments failed"


def test_change_failure_rate_evidence_worst_first() -> None:
    ctx = context(
        deployments=[dep(f"dep-{n}", ago(20 - n)) for n in (1, 2, 3, 10, 11)]
        + [dep("rb-1", ago(1), kind="rollback", remediates="dep-3")],
        incidents=[
            inc("INC-1", ago(18), severity="SEV3", caused_by="dep-1"),
            inc("INC-2", ago(17), severity="SEV1", caused_by="dep-2"),
            inc("INC-3", ago(9), severity="SEV1", caused_by="dep-10"),
            inc("INC-4", ago(9), caused_by="dep-10"),  # no severity: named without one
        ],
    )
    mv = compute(CFR, ctx)
    # SEV1 (dep-2, dep-10 by natural id), then SEV3 (dep-1), then only rolled back (dep-3)
    assert [e.subject for e in mv.evidence] == [
        "deployment/dep-2", "deployment/dep-10", "deployment/dep-1", "deployment/dep-3",
    ]
    assert mv.evidence[1].detail == "2026-09-21 api caused INC-3 (SEV1), INC-4"
    assert mv.value == 4 / 6


def test_change_failure_rate_evidence_orders_odd_severities_without_a_crash() -> None:
    # int() refuses 5,000 digits (Python's digit limit) and reads Arabic-Indic
    # ones: neither is a SEV rank, both sort after every ranked severity
    ctx = context(
        deployments=[dep(f"dep-{n}", ago(20 - n)) for n in (1, 2, 3)],
        incidents=[
            inc("INC-1", ago(18), severity="SEV" + "9" * 5000, caused_by="dep-1"),
            inc("INC-2", ago(17), severity="SEV\u0661", caused_by="dep-2"),
            inc("INC-3", ago(16), severity="SEV4", caused_by="dep-3"),
        ],
    )
    mv = compute(CFR, ctx)
    assert [e.subject for e in mv.evidence] == [
        "deployment/dep-3", "deployment/dep-1", "deployment/dep-2",
    ]


def test_change_failure_rate_no_data() -> None:
    mv = compute(CFR, context(deployments=[dep("dep-1", ago(40))]))
    assert (mv.value, mv.samples, mv.no_data) == (None, 0, "no production deployments in window")
    assert mv.details == [WINDOW_LINE, "0 of 0 production deployments failed"]
    assert compute(CFR, context()).no_data == "no deployments data"


def test_change_failure_rate_errors_when_incidents_could_not_be_read() -> None:
    store = FactStore()
    store.add("deployments", [dep("dep-1", ago(1))], "test")
    store.fail("incidents", SourceError("pagerduty", "HTTP 503"))
    join(store)
    ctx = EvalContext(now=NOW, window=timedelta(days=90), focus=None, store=store)
    with pytest.raises(SourceError, match="HTTP 503"):
        compute(CFR, ctx)


_DEPLOYMENTS = st.lists(
    st.fixed_dictionaries({
        "offset_h": st.integers(-24 * 40, 24 * 5),
        "status": st.sampled_from(["success", "success", "failure", "canceled"]),
        "environment": st.sampled_from(["production", "production", "staging"]),
        "kind": st.sampled_from(["normal", "rollback", "hotfix"]),
        "remediates": st.integers(0, 15),
    }),
    max_size=15,
)
_INCIDENTS = st.lists(st.tuples(st.integers(0, 15), st.integers(-24 * 40, 24 * 5)), max_size=15)


@settings(max_examples=200, deadline=None)
@given(_DEPLOYMENTS, _INCIDENTS)
def test_change_failure_rate_is_a_ratio_of_each_deployment_once(
    specs: list[dict[str, Any]], incidents: list[tuple[int, int]]
) -> None:
    deployments = [
        dep(f"d-{i}", ago(hours=-s["offset_h"]), status=s["status"],
            environment=s["environment"], kind=s["kind"], remediates=f"d-{s['remediates']}")
        for i, s in enumerate(specs)
    ]
    incs = [inc(f"I-{n}", ago(hours=-h), caused_by=f"d-{t}") for n, (t, h) in enumerate(incidents)]
    ctx = context(deployments=deployments, incidents=incs)
    mv = compute(CFR, ctx)
    in_window = [d for d in deployments if d["status"] == "success"
                 and d["environment"] == "production" and START <= d["finished_at"] < NOW]
    assert mv.samples == len(in_window)
    if not in_window:
        assert mv.value is None
        return
    assert mv.value is not None and 0 <= mv.value <= 1
    subjects = [e.subject for e in mv.evidence]
    assert len(subjects) == len(set(subjects))
    assert set(subjects) <= {f"deployment/{d['id']}" for d in in_window}
    assert mv.value == len(subjects) / len(in_window)


# ---------------------------------------------------------------------------
# time to restore
# ---------------------------------------------------------------------------

TTR = dora.TIME_TO_RESTORE


def test_time_to_restore_median_of_resolved_incidents() -> None:
    ctx = context(incidents=[
        inc("INC-1", ago(20), resolved_at=ago(20) + timedelta(hours=2), severity="SEV2",
            service="api"),
        inc("INC-2", ago(15), resolved_at=ago(15) + timedelta(hours=6)),
        inc("INC-3", ago(10), resolved_at=ago(10) + timedelta(minutes=30)),
        inc("INC-4", ago(5), resolved_at=ago(4), severity="SEV1"),
        inc("INC-5", ago(3), severity="SEV1"),  # open
        inc("INC-6", ago(2)),  # open
        inc("INC-7", ago(40), resolved_at=ago(25)),  # opened before the window
    ])
    mv = compute(TTR, ctx)
    # 30m, 2h, 6h, 24h: median = (2h + 6h) / 2 = 4h
    assert mv.value == 4 * HOUR
    assert mv.samples == 4
    assert mv.details == [WINDOW_LINE, "4 resolved incidents created in window",
                          "2 open incidents excluded"]
    # NOW - 5d = 2026-09-26, NOW - 20d = 2026-09-11
    assert [(e.subject, e.detail) for e in mv.evidence] == [
        ("incident/INC-4", "restored in 24h (SEV1, opened 2026-09-26)"),
        ("incident/INC-2", "restored in 6h (opened 2026-09-16)"),
        ("incident/INC-1", "restored in 2h (SEV2, api, opened 2026-09-11)"),
        ("incident/INC-3", "restored in 30m (opened 2026-09-21)"),
    ]


def test_time_to_restore_window_boundaries_and_as_of_now() -> None:
    ctx = context(incidents=[
        inc("INC-1", START, resolved_at=START + timedelta(hours=1)),  # in
        inc("INC-2", START - timedelta(seconds=1), resolved_at=ago(20)),  # before the window
        inc("INC-3", NOW, resolved_at=NOW + timedelta(hours=1)),  # next window
        inc("INC-4", ago(1), resolved_at=NOW),  # resolved at now: still open as of now
        inc("INC-5", ago(2), resolved_at=ago(2) + timedelta(hours=3)),  # in
    ])
    mv = compute(TTR, ctx)
    assert mv.samples == 2
    assert mv.value == (1 * HOUR + 3 * HOUR) / 2
    assert "1 open incident excluded" in mv.details


def test_time_to_restore_keeps_zero_and_excludes_negative_durations() -> None:
    # METRICS.md: resolved the moment it opened is a 0 s sample; resolved
    # before opened (only an HTTP source can deliver it) is excluded and counted.
    ctx = context(incidents=[
        inc("INC-1", ago(5), resolved_at=ago(5)),  # zero
        inc("INC-2", ago(5), resolved_at=ago(6)),  # negative
        inc("INC-3", ago(5), resolved_at=ago(4)),  # 1d
    ])
    mv = compute(TTR, ctx)
    assert (mv.value, mv.samples) == (0.5 * DAY, 2)
    assert mv.details[-1] == "1 incident resolved before opened excluded (contradictory data)"


def test_time_to_restore_no_data() -> None:
    open_only = compute(TTR, context(incidents=[inc("INC-1", ago(3)), inc("INC-2", ago(4))]))
    assert (open_only.value, open_only.samples) == (None, 0)
    assert open_only.no_data == "no resolved incidents created in window"
    assert open_only.details == [WINDOW_LINE, "0 resolved incidents created in window",
                                 "2 open incidents excluded"]
    old = compute(TTR, context(incidents=[inc("INC-1", ago(31), resolved_at=ago(30))]))
    assert (old.value, old.no_data) == (None, "no incidents created in window")
    assert compute(TTR, context()).no_data == "no incidents data"


def test_time_to_restore_ignores_the_environment_parameter() -> None:
    ctx = context(incidents=[inc("INC-1", ago(3), resolved_at=ago(3) + timedelta(hours=5))])
    assert compute(TTR, ctx, environment="staging").value == 5 * HOUR


# ---------------------------------------------------------------------------
# which deployment ships a change
# ---------------------------------------------------------------------------


def test_a_change_ships_with_the_earliest_deployment_naming_it_by_id_or_sha() -> None:
    # dep-2 names the change by id, dep-1 (earlier) by its merge sha: dep-1 ships it
    change = {"id": "7", "merge_sha": "ab" * 20, "first_commit_at": ago(10)}
    ctx = context(
        deployments=[dep("dep-2", ago(2), changes=["7"]),
                     dep("dep-1", ago(4), changes=["ab" * 20])],
        changes=[change])
    assert change["deployment"]["id"] == "dep-1"
    mv = compute(LT, ctx)
    assert (mv.value, mv.samples) == (6 * DAY, 1)


def test_a_change_first_shipped_before_the_window_is_not_in_it() -> None:
    # shipped by sha 40 days ago (before the 30-day window), named again by id today
    change = {"id": "7", "merge_sha": "cd" * 20, "first_commit_at": ago(45)}
    ctx = context(
        deployments=[dep("dep-1", ago(40), changes=["cd" * 20]),
                     dep("dep-2", ago(1), changes=["7"])],
        changes=[change])
    mv = compute(LT, ctx)
    assert mv.value is None
    assert mv.no_data == "no changes shipped by production deployments in window"


def test_lead_time_for_another_environment_also_takes_the_earliest() -> None:
    change = {"id": "7", "merge_sha": "ef" * 20, "first_commit_at": ago(10)}
    ctx = context(
        deployments=[dep("s-2", ago(2), environment="staging", changes=["7"]),
                     dep("s-1", ago(5), environment="staging", changes=["ef" * 20])],
        changes=[change])
    mv = compute(LT, ctx, environment="staging")
    assert (mv.value, mv.samples) == (5 * DAY, 1)


def test_the_failure_joins_are_made_as_of_now() -> None:
    # what a declarative rule sees in deployment.failed follows METRICS.md's
    # "as of now": an incident opened, or a rollback finishing, at or after now
    # has not happened yet
    store = FactStore()
    store.add("deployments", [
        dep("dep-1", ago(3)), dep("dep-2", ago(2)),
        dep("rb-1", NOW, kind="rollback", remediates="dep-2"),
        dep("rb-0", ago(1), kind="rollback", remediates="dep-3"), dep("dep-3", ago(2))],
        "test")
    store.add("incidents", [inc("INC-1", NOW, caused_by="dep-1")], "test")
    join(store, NOW)
    failed = {d["id"]: d["failed"] for d in store.get("deployments")}
    assert failed == {"dep-1": False, "dep-2": False, "rb-1": False, "rb-0": False,
                      "dep-3": True}
    join(store)  # without now (a library caller): every fact in the data counts
    assert {d["id"] for d in store.get("deployments") if d["failed"]} == {
        "dep-1", "dep-2", "dep-3"}
