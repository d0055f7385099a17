"""Fuzzing the code that turns GitHub, PagerDuty and Opsgenie answers into facts.

Each parser family takes an answer as the source does: checked against its
http_shapes schema, then turned into a fact. Whatever JSON arrives (random
values, or realistic records with a field replaced or removed), the outcome
is a fact, a record left out, or a SourceError; never another exception.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.errors import SourceError
from guardrails.plugin import SourceEnv
from guardrails.sources import http_shapes as shapes
from guardrails.sources.github import (
    change_fact,
    ci_run_fact,
    deployment_fact,
    incident_fact,
    team_fact,
)
from guardrails.sources.opsgenie import incident_fact as og_incident_fact
from guardrails.sources.pagerduty import PagerDutySource

END = datetime(2026, 11, 20, tzinfo=UTC)
PATH = "/repos/acme/api/x"

# JSON values, with the strings an API could send that matter here: timestamps
# in and out of range, shas, empty and odd text.
_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2026-11-19T10:00:00Z", "2026-11-19T10:00:00+05:00", "9999-12-31T23:59:59Z",
                     "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "1969-12-31T23:59:59Z",
                     "2026-11-19", "abcdef1", "success", "completed", "closed", "resolved",
                     "APPROVED", "../..", "sev1", ""]))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | _TEXT,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(_TEXT, kids, max_size=5),
    max_leaves=20)


def _error(text: str) -> SourceError:
    return SourceError("fuzz", text)


def _checked(shape: shapes.Shape, data: Any) -> bool:
    """True when ``data`` passes ``shape``; a failure must be a SourceError."""
    try:
        shape.check(data, PATH, "fuzz", _error)
    except SourceError as exc:
        assert PATH in str(exc)
        return False
    return True


def _checked_items(shape: shapes.Shape, items: Any) -> bool:
    if not isinstance(items, list):
        return False
    try:
        shape.check_items(items, PATH, "fuzz", _error)
    except SourceError:
        return False
    return True


def _mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with one field replaced by any JSON value, or removed."""
    keys = sorted(base)

    def apply(key: str, value: Any, drop: bool) -> dict[str, Any]:
        out = dict(base)
        if drop:
            out.pop(key, None)
        else:
            out[key] = value
        return out

    return st.builds(apply, st.sampled_from(keys), JSON, st.booleans())


PR = {"number": 7, "created_at": "2026-11-18T10:00:00Z", "merged_at": "2026-11-19T10:00:00Z",
      "updated_at": "2026-11-19T10:00:00Z", "title": "t", "user": {"login": "ann"},
      "merge_commit_sha": "abcdef1234", "additions": 3, "deletions": 1,
      "html_url": "https://x"}
REVIEW = {"state": "APPROVED", "user": {"login": "ben"}, "submitted_at": "2026-11-19T09:00:00Z"}
COMMIT = {"sha": "abcdef12", "commit": {"author": {"date": "2026-11-17T10:00:00Z"}}}
DEPLOYMENT = {"id": 3, "created_at": "2026-11-19T10:00:00Z", "sha": "abcdef1",
              "ref": "main", "environment": "production", "production_environment": True,
              "creator": {"login": "bot"}}
STATUS = {"state": "success", "created_at": "2026-11-19T10:05:00Z", "log_url": "https://l"}
ISSUE = {"number": 4, "created_at": "2026-11-10T10:00:00Z", "closed_at": "2026-11-11T10:00:00Z",
         "state": "closed", "labels": [{"name": "incident"}, "sev2"], "body": "caused-by: #7",
         "title": "down", "html_url": "https://i"}
RUN = {"id": 9, "status": "completed", "conclusion": "failure",
       "run_started_at": "2026-11-19T10:00:00Z", "updated_at": "2026-11-19T10:09:00Z",
       "name": "ci", "head_branch": "main", "head_sha": "abc", "event": "push"}
TEAM = {"slug": "web", "name": "Web", "description": "d", "parent": {"slug": "eng"}}
INCIDENT = {"id": "PABC", "incident_number": 12, "created_at": "2026-11-10T10:00:00Z",
            "resolved_at": "2026-11-10T12:00:00Z", "status": "resolved", "urgency": "high",
            "title": "t", "service": {"id": "PS1", "summary": "api"},
            "priority": {"summary": "P1"}, "html_url": "https://p"}
OG_INCIDENT = {"id": "8743a1b2-11da-480e-8493-744660987bef", "tinyId": "12",
               "createdAt": "2026-11-10T10:00:00Z", "updatedAt": "2026-11-10T12:00:00Z",
               "status": "resolved", "priority": "P1", "message": "m",
               "impactedServices": ["svc-1"], "impactEndDate": "2026-11-10T11:00:00Z",
               "responders": [{"type": "team", "id": "t1", "name": "Web"}],
               "extraProperties": {"postmortem": "https://wiki/pm"}, "links": {"web": "https://o"}}
OG_ENTRY = {"group": "incident", "type": "IncidentResolved", "eventTime": "2026-11-10T11:30:00Z"}


def _warnings() -> list[str]:
    return []


def _github_change(pr: Any, reviews: Any, commits: Any) -> None:
    if not (_checked(shapes.GH_PULL, pr) and _checked_items(shapes.GH_REVIEW, reviews)
            and _checked_items(shapes.GH_PR_COMMIT, commits)):
        return
    warnings = _warnings()
    fact = change_fact("acme/api", pr, reviews, commits, warnings.append, where=PATH)
    if fact is None:
        assert warnings and "excluded" in warnings[0]
    else:
        assert fact["id"] == str(pr["number"])


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(400), deadline=None)
@given(pr=st.one_of(JSON, _mutated(PR)),
       reviews=st.one_of(JSON, st.lists(st.one_of(JSON, _mutated(REVIEW)), max_size=3)),
       commits=st.one_of(JSON, st.lists(st.one_of(JSON, _mutated(COMMIT)), max_size=3)))
def test_pull_requests_become_changes_or_source_errors(pr: Any, reviews: Any,
                                                       commits: Any) -> None:
    _github_change(pr, reviews, commits)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(400), deadline=None)
@given(d=st.one_of(JSON, _mutated(DEPLOYMENT)),
       statuses=st.one_of(JSON, st.lists(st.one_of(JSON, _mutated(STATUS)), max_size=3)))
def test_deployments_become_facts_or_source_errors(d: Any, statuses: Any) -> None:
    if not (_checked(shapes.GH_DEPLOYMENT, d) and _checked_items(shapes.GH_DEPLOYMENT_STATUS,
                                                                 statuses)):
        return
    warnings = _warnings()
    fact = deployment_fact(d, statuses, END, service="api", environment="production",
                           warn=warnings.append, where=PATH)
    if fact is not None:
        assert fact["finished_at"] >= fact.get("started_at", fact["finished_at"])


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(400), deadline=None)
@given(issue=st.one_of(JSON, _mutated(ISSUE)), run=st.one_of(JSON, _mutated(RUN)),
       team=st.one_of(JSON, _mutated(TEAM)),
       members=st.one_of(JSON, st.lists(st.one_of(JSON, st.fixed_dictionaries(
           {"login": JSON})), max_size=3)))
def test_issues_runs_and_teams_become_facts_or_source_errors(
        issue: Any, run: Any, team: Any, members: Any) -> None:
    warnings = _warnings()
    if _checked(shapes.GH_ISSUE, issue):
        fact = incident_fact(issue, END, severity_re=re.compile(r"^sev(\d)$", re.I),
                             caused_by_re=re.compile(r"caused-by:\s*(\S+)", re.I),
                             service="api", warn=warnings.append, where=PATH)
        if fact is not None and "resolved_at" in fact:
            assert fact["resolved_at"] >= fact["created_at"]
    if _checked(shapes.GH_RUN, run):
        fact = ci_run_fact(run, END, warn=warnings.append, where=PATH)
        if fact is not None:
            assert fact["finished_at"] >= fact["started_at"]
    if _checked(shapes.GH_TEAM, team) and _checked_items(shapes.GH_MEMBER, members):
        fact = team_fact(team, members)
        assert "/" not in fact["id"]


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(400), deadline=None)
@given(page=st.one_of(JSON, st.fixed_dictionaries(
    {"incidents": st.lists(st.one_of(JSON, _mutated(INCIDENT)), max_size=4),
     "more": JSON})))
def test_pagerduty_incidents_become_facts_or_source_errors(page: Any) -> None:
    env = SourceEnv(root=Path("."), now=END,
                    window=END - datetime(2026, 8, 1, tzinfo=UTC))
    source = PagerDutySource({"service_ids": ["PS1"], "severity_map": {"P1": "SEV1"}}, env)
    if not _checked(shapes.PD_INCIDENTS, page):
        return
    items = page["incidents"]
    if not _checked_items(shapes.PD_INCIDENT, items):
        return
    unmapped: dict[str, str] = {}
    for inc in items:
        fact = source._fact(inc, END, unmapped)
        if fact is not None and "resolved_at" in fact:
            assert fact["resolved_at"] >= fact["created_at"]


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(200), deadline=None)
@given(page=st.one_of(JSON, st.fixed_dictionaries(
    {"data": st.lists(st.one_of(JSON, _mutated(OG_INCIDENT)), max_size=3), "paging": JSON})),
    timeline=st.one_of(JSON, st.fixed_dictionaries({"data": st.fixed_dictionaries(
        {"entries": st.lists(st.one_of(JSON, _mutated(OG_ENTRY)), max_size=3),
         "nextOffset": JSON})})))
def test_opsgenie_incidents_become_facts_or_source_errors(page: Any, timeline: Any) -> None:
    if not _checked(shapes.OG_INCIDENTS, page):
        return
    if not _checked_items(shapes.OG_INCIDENT, page["data"]):
        return
    entries = None
    if _checked(shapes.OG_TIMELINE, timeline) and _checked_items(
            shapes.OG_TIMELINE_ENTRY, timeline["data"]["entries"]):
        entries = timeline["data"]["entries"]
    for inc in page["data"]:
        fact = og_incident_fact(inc, entries, END, services={"svc-1": "api"}, teams={},
                                priority_map={"P1": "SEV1"}, postmortem_property="postmortem",
                                warn=_warnings().append, unmapped=set(), guessed=[])
        if fact is not None and "resolved_at" in fact:
            assert fact["created_at"] <= fact["resolved_at"] < END
        if fact is not None:
            assert fact["status"] in ("open", "resolved")


@pytest.mark.parametrize(("shape", "data", "words"), [
    (shapes.PD_INCIDENTS, [{"id": "P1"}], "incidents page"),
    (shapes.GH_PULL, {"title": "x", "created_at": "2026-11-01T00:00:00Z"},
     "'number' is a required property"),
    (shapes.GH_PULL, {"number": 1, "created_at": "2026-11-01T00:00:00Z", "additions": "10"},
     "field 'additions'"),
    (shapes.GH_DEPLOYMENT, {"id": 1, "created_at": "99999-01-01T00:00:00Z"},
     "field 'created_at'"),
    (shapes.GH_TEAM, {"slug": ".."}, "field 'slug'"),
    (shapes.GH_TEAM, {"slug": "a/b"}, "field 'slug'"),
])
def test_wrong_shapes_are_named(shape: shapes.Shape, data: Any, words: str) -> None:
    with pytest.raises(SourceError, match=re.escape(words)) as info:
        shape.check(data, PATH, "p", _error)
    assert f"GET {PATH} (p) answered JSON of an unexpected shape" in str(info.value)


def test_the_realistic_records_pass_their_shapes() -> None:
    # the fuzz tests above mutate these; they must start out valid
    for shape, data in [(shapes.GH_PULL, PR), (shapes.GH_PULL_LISTED, PR),
                        (shapes.GH_REVIEW, REVIEW), (shapes.GH_PR_COMMIT, COMMIT),
                        (shapes.GH_DEPLOYMENT, DEPLOYMENT),
                        (shapes.GH_DEPLOYMENT_STATUS, STATUS), (shapes.GH_ISSUE, ISSUE),
                        (shapes.GH_RUN, RUN), (shapes.GH_TEAM, TEAM),
                        (shapes.PD_INCIDENT, INCIDENT), (shapes.OG_INCIDENT, OG_INCIDENT),
                        (shapes.OG_TIMELINE_ENTRY, OG_ENTRY)]:
        shape.check(data, PATH, "p", _error)


def test_records_whose_dates_contradict_are_excluded_with_a_warning() -> None:
    warnings: list[str] = []
    late = {**PR, "created_at": "2026-11-19T11:00:00Z"}
    assert change_fact("acme/api", late, [], [], warnings.append, where=PATH) is None
    assert deployment_fact(DEPLOYMENT, [{**STATUS, "created_at": "2026-11-19T09:00:00Z"}],
                           END, service="api", environment="production",
                           warn=warnings.append, where=PATH) is None
    closed_early = {**ISSUE, "closed_at": "2026-11-01T00:00:00Z"}
    assert incident_fact(closed_early, END, severity_re=re.compile("(x)"),
                         caused_by_re=re.compile("(x)"), service="api",
                         warn=warnings.append, where=PATH) is None
    assert ci_run_fact({**RUN, "updated_at": "2026-11-19T09:00:00Z"}, END,
                       warn=warnings.append, where=PATH) is None
    assert [w.split(" (")[0] for w in warnings] == [
        "github: pull request #7", "github: deployment 3", "github: incident issue #4",
        "github: workflow run 9"]
    assert all("excluded" in w and PATH in w for w in warnings)
