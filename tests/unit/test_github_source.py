"""The github source against a fake GitHub API on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from httpfakes import FakeGitHub, json_response
from werkzeug.wrappers import Response

from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import SourceError, UsageError
from guardrails.facts import FactStore, join
from guardrails.plugin import SourceEnv
from guardrails.sources.github import GitHubSource, deployment_status, guardrails_gather_sources
from guardrails.sources.github_incidents import parse_reference

TOKEN = "ghp_TESTsecretTOKEN0123456789abcdef"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # window: 2026-10-31T12:00Z .. NOW
ALL = {"changes", "deployments", "incidents", "ci_runs", "teams"}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def populate(fake: FakeGitHub) -> None:
    fake.add_pr(101, user="alice", created_at="2026-11-18T09:00:00Z",
                updated_at="2026-11-20T10:05:00Z", merged_at="2026-11-20T10:00:00Z",
                additions=120, deletions=30,
                reviews=[("bob", "APPROVED", "2026-11-19T15:00:00Z"),
                         ("carol", "COMMENTED", "2026-11-19T12:00:00Z"),
                         ("dave", "PENDING", None)],
                commit_dates=["2026-11-18T08:00:00Z", "2026-11-17T16:30:00+02:00",
                              "2026-11-18T09:30:00Z"])
    # closed without merge: not a change
    fake.add_pr(102, user="bob", created_at="2026-11-19T09:00:00Z",
                updated_at="2026-11-21T10:00:00Z", merged_at=None)
    # updated inside the window but merged before it
    fake.add_pr(103, user="carol", created_at="2026-10-28T09:00:00Z",
                updated_at="2026-11-02T10:00:00Z", merged_at="2026-10-30T10:00:00Z")
    fake.add_pr(104, user="dave", created_at="2026-11-25T07:00:00Z",
                updated_at="2026-11-25T08:01:00Z", merged_at="2026-11-25T08:00:00Z",
                additions=5, deletions=0, commit_dates=["2026-11-25T06:00:00Z"])
    # 150 old pull requests: the listing must stop in the first page
    for n in range(1001, 1151):
        fake.add_pr(n, user="old", created_at="2026-09-01T00:00:00Z",
                    updated_at=f"2026-09-{(n % 28) + 1:02d}T00:00:00Z",
                    merged_at=f"2026-09-{(n % 28) + 1:02d}T00:00:00Z")

    fake.add_deployment(501, sha="a" * 40, created_at="2026-11-10T10:00:00Z", statuses=[
        ("in_progress", "2026-11-10T10:01:00Z"), ("success", "2026-11-10T10:05:00Z"),
        ("inactive", "2026-11-12T09:00:00Z")])
    fake.add_deployment(502, sha="b" * 40, created_at="2026-11-12T08:55:00Z", statuses=[
        ("queued", "2026-11-12T08:56:00Z"), ("failure", "2026-11-12T09:10:00Z")])
    fake.add_deployment(503, sha="c" * 40, created_at="2026-11-15T10:00:00Z", statuses=[
        ("pending", "2026-11-15T10:00:30Z"), ("inactive", "2026-11-15T11:00:00Z")])
    fake.add_deployment(504, sha="d" * 40, created_at="2026-11-20T10:00:00Z", statuses=[])
    fake.add_deployment(505, sha="e" * 40, created_at="2026-11-21T10:00:00Z",
                        statuses=[("success", "2026-11-21T10:03:00Z")], environment="staging")
    fake.add_deployment(506, sha="9" * 40, created_at="2026-11-26T10:00:00Z", statuses=[
        ("success", "2026-11-26T10:04:00Z")])
    fake.add_compare("a" * 40, "9" * 40, [f"{101:040x}", "7" * 40])
    fake.add_deployment(400, sha="f" * 40, created_at="2026-10-01T10:00:00Z",
                        statuses=[("success", "2026-10-01T10:03:00Z")])

    fake.add_issue(7, created_at="2026-11-05T03:00:00Z", labels=["incident", "sev1"],
                   closed_at="2026-11-05T07:30:00Z", body="Checkout down.\ncaused-by: 502\n")
    fake.add_issue(8, created_at="2026-11-22T00:00:00Z", labels=["SEV2", "incident"])
    fake.add_issue(9, created_at="2026-11-23T00:00:00Z", labels=["incident"],
                   pull_request=True)
    fake.add_issue(10, created_at="2026-11-23T00:00:00Z", labels=["bug"])
    fake.add_issue(6, created_at="2026-10-01T00:00:00Z", labels=["incident"],
                   closed_at="2026-10-02T00:00:00Z")

    # 230 runs over three pages; every 10th one fails; then the ones left out
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(230):
        start = base + timedelta(hours=i)
        fake.add_run(10_000 + i, name="CI", started=start.isoformat().replace("+00:00", "Z"),
                     updated=(start + timedelta(minutes=4 + i % 5)).isoformat()
                     .replace("+00:00", "Z"),
                     conclusion="failure" if i % 10 == 0 else "success")
    fake.add_run(20_001, name="CI", started="2026-11-29T10:00:00Z",
                 updated="2026-11-29T10:01:00Z", status="in_progress", conclusion=None)
    fake.add_run(20_002, name="Docs", started="2026-11-29T11:00:00Z",
                 updated="2026-11-29T11:00:05Z", conclusion="skipped")
    fake.add_run(20_003, name="Nightly", started="2026-11-29T01:00:00Z",
                 updated="2026-11-29T03:00:00Z", conclusion="timed_out", branch="release")

    fake.add_team("platform", ["alice", "bob", "carol"])
    fake.add_team("payments", ["dave"], parent="platform")


@pytest.fixture
def fake(httpserver: Any) -> FakeGitHub:
    app = FakeGitHub(token=TOKEN)
    populate(app)
    app.install(httpserver)
    return app


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


def make(httpserver: Any, tmp_path: Path, *, cache: bool = True, offline: bool = False,
         **options: Any) -> GitHubSource:
    opts = {"repo": "acme/api", "api_url": httpserver.url_for("").rstrip("/"),
            "teams_org": "acme", "timeout": 5, "retries": 2, "backoff_factor": 0.01,
            "rate_limit_max_wait": 3, "workers": 4, **options}
    env = SourceEnv(root=tmp_path, now=NOW, window=timedelta(days=30), offline=offline,
                    cache_dir=tmp_path / "cache" if cache else None)
    return GitHubSource(opts, env)


def test_hook_returns_the_source() -> None:
    assert guardrails_gather_sources() == [GitHubSource]
    assert GitHubSource.name == "github"


def test_every_kind_is_mapped(fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    src = make(httpserver, tmp_path)
    facts = src.gather(ALL)

    changes = {c["id"]: c for c in facts["changes"]}
    assert sorted(changes) == ["101", "104"]
    c = changes["101"]
    assert c["author"] == "alice"
    assert c["created_at"] == datetime(2026, 11, 18, 9, tzinfo=UTC)
    # earliest commit: 16:30 at +02:00 is 14:30 UTC on the 17th
    assert c["first_commit_at"] == datetime(2026, 11, 17, 14, 30, tzinfo=UTC)
    assert c["merged_at"] == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert (c["additions"], c["deletions"]) == (120, 30)
    assert c["merge_sha"] == f"{101:040x}"
    assert c["repo"] == "acme/api"
    assert c["url"] == "https://github.com/acme/api/pull/101"
    assert c["reviews"] == [
        {"user": "bob", "state": "APPROVED", "submitted_at": ts("2026-11-19T15:00:00Z")},
        {"user": "carol", "state": "COMMENTED", "submitted_at": ts("2026-11-19T12:00:00Z")},
    ]
    assert changes["104"]["reviews"] == []
    assert changes["104"]["first_commit_at"] == ts("2026-11-25T06:00:00Z")
    # the listing stopped in page 1: 150 old pull requests were never paged through
    pulls = [h for h in fake.hits if h.path == "/repos/acme/api/pulls"]
    assert len(pulls) == 1 and "&page=" not in pulls[0].query

    deps = {d["id"]: d for d in facts["deployments"]}
    assert sorted(deps) == ["501", "502", "503", "504", "506"]
    # 501 is the earliest success read: what it shipped is unknown
    assert "changes" not in deps["501"]
    assert deps["506"]["changes"] == [f"{101:040x}", "7" * 40]
    assert deps["501"]["status"] == "success"
    assert deps["501"]["finished_at"] == ts("2026-11-12T09:00:00Z")
    assert deps["501"]["started_at"] == ts("2026-11-10T10:00:00Z")
    assert deps["501"]["sha"] == "a" * 40
    assert deps["501"]["service"] == "api"
    assert deps["501"]["environment"] == "production"
    assert deps["501"]["production_environment"] is True
    assert deps["502"]["status"] == "failure"
    assert deps["502"]["finished_at"] == ts("2026-11-12T09:10:00Z")
    assert deps["503"]["status"] == "inactive"
    assert deps["504"]["status"] == "in_progress"
    assert deps["504"]["finished_at"] == ts("2026-11-20T10:00:00Z")

    incidents = {i["id"]: i for i in facts["incidents"]}
    assert sorted(incidents) == ["7", "8"]
    assert incidents["7"] == {
        "id": "7", "title": "Issue 7", "created_at": ts("2026-11-05T03:00:00Z"),
        "resolved_at": ts("2026-11-05T07:30:00Z"), "status": "resolved",
        "severity": "SEV1", "caused_by": "502", "service": "api",
        "url": "https://github.com/acme/api/issues/7",
    }
    assert incidents["8"]["severity"] == "SEV2"
    assert "resolved_at" not in incidents["8"] and "caused_by" not in incidents["8"]
    issues_q = next(h.query for h in fake.hits if h.path == "/repos/acme/api/issues")
    assert "since=2026-10-31T00%3A00%3A00Z" in issues_q and "labels=incident" in issues_q

    runs = {r["id"]: r for r in facts["ci_runs"]}
    assert len(runs) == 231  # 230 + the timed-out one; in_progress and skipped left out
    assert runs["10000"]["conclusion"] == "failure"
    assert runs["10001"] == {
        "id": "10001", "started_at": ts("2026-11-01T01:00:00Z"),
        "finished_at": ts("2026-11-01T01:05:00Z"), "conclusion": "success",
        "workflow": "CI", "branch": "main", "sha": f"{10001:040x}", "event": "push",
        "url": "https://github.com/acme/api/actions/runs/10001",
    }
    assert runs["20003"]["conclusion"] == "failure" and runs["20003"]["branch"] == "release"
    run_pages = [h for h in fake.hits if h.path == "/repos/acme/api/actions/runs"]
    assert len(run_pages) == 3  # 232 runs at 100 a page, followed through Link

    teams = {t["id"]: t for t in facts["teams"]}
    assert teams["platform"]["members"] == [{"handle": "alice"}, {"handle": "bob"},
                                            {"handle": "carol"}]
    assert teams["payments"]["parent"] == "platform"
    assert teams["payments"]["github"] == "payments"

    first = fake.hits[0].headers
    assert first["Accept"] == "application/vnd.github+json"
    assert first["X-Github-Api-Version"] == "2022-11-28"
    assert first["Authorization"] == f"Bearer {TOKEN}"
    assert src.warnings == []


def test_facts_join_and_carry_utc_timestamps(fake: FakeGitHub, httpserver: Any,
                                             tmp_path: Path) -> None:
    facts = make(httpserver, tmp_path).gather(ALL)
    for kind, items in facts.items():
        for fact in items:
            for key in KINDS[kind].timestamps:
                if key in fact:
                    assert fact[key].tzinfo is UTC, (kind, key)
    store = FactStore()
    for kind, items in facts.items():
        store.add(kind, items, "github")
    join(store)
    changes = {c["id"]: c for c in store.get("changes")}
    assert changes["101"]["deployment"]["id"] == "506"  # its merge commit shipped in 506
    assert "deployment" not in changes["104"]
    deps = {d["id"]: d for d in store.get("deployments")}
    assert deps["502"]["failed"] is True  # incident 7 says caused-by: 502
    assert deps["501"]["failed"] is False
    assert store.warnings == []


def test_deployment_status_rules() -> None:
    assert deployment_status(["in_progress", "success", "inactive"]) == "success"
    assert deployment_status(["success", "inactive", "inactive"]) == "success"
    assert deployment_status(["failure", "inactive"]) == "inactive"
    assert deployment_status(["success", "failure"]) == "failure"
    assert deployment_status(["queued"]) == "in_progress"


def test_enterprise_server_api_url(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitHub(token=TOKEN, prefix="/api/v3")
    populate(app)
    app.install(httpserver)
    src = make(httpserver, tmp_path, api_url=httpserver.url_for("/api/v3"))
    facts = src.gather({"changes"})
    assert sorted(c["id"] for c in facts["changes"]) == ["101", "104"]
    assert all(h.path.startswith("/api/v3/") for h in app.hits)


def test_provides_teams_only_with_org(httpserver: Any, tmp_path: Path) -> None:
    assert make(httpserver, tmp_path).provides() == ALL
    assert "teams" not in make(httpserver, tmp_path, teams_org=None).provides()


def test_missing_token_runs_unauthenticated_with_warning(
    httpserver: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    app = FakeGitHub()
    populate(app)
    app.install(httpserver)
    src = make(httpserver, tmp_path)
    facts = src.gather({"incidents"})
    assert len(facts["incidents"]) == 2
    assert "Authorization" not in app.hits[0].headers
    assert any("GITHUB_TOKEN is not set" in w for w in src.warnings)


def test_config_mistakes_are_usage_errors(httpserver: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="severity_label_pattern"):
        make(httpserver, tmp_path, severity_label_pattern="sev(").validate()
    with pytest.raises(UsageError, match="no group"):
        make(httpserver, tmp_path, caused_by_pattern="caused-by").validate()
    # patterns meet issue bodies from the network: RE2, no backreferences
    with pytest.raises(UsageError, match="RE2"):
        make(httpserver, tmp_path, caused_by_pattern=r"(a)\1").validate()
    with pytest.raises(UsageError, match="owner/name"):
        make(httpserver, tmp_path, repo="acme").validate()


def test_custom_patterns(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitHub(token=TOKEN)
    app.add_issue(3, created_at="2026-11-20T00:00:00Z", labels=["outage", "priority/p2"],
                  body="Root: deploy 77\nCaused by deployment #dep-77.")
    app.install(httpserver)
    src = make(httpserver, tmp_path, incident_label="outage",
               severity_label_pattern=r"^priority/p(\d)$",
               caused_by_pattern=r"caused by deployment #(\S+?)\.")
    (incident,) = src.gather({"incidents"})["incidents"]
    assert (incident["severity"], incident["caused_by"]) == ("SEV2", "dep-77")


# ---------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------


def test_500_then_success_is_retried(fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    path = "/repos/acme/api/issues"
    fake.fault(path, json_response({"message": "Server Error"}, 500))
    facts = make(httpserver, tmp_path).gather({"incidents"})
    assert len(facts["incidents"]) == 2
    assert [h.status for h in fake.hits if h.path == path] == [500, 200]


def test_502_forever_fails_after_retries(fake: FakeGitHub, httpserver: Any,
                                         tmp_path: Path) -> None:
    path = "/repos/acme/api/issues"
    fake.fault_forever(path, Response("<html><h1>502 Bad Gateway</h1></html>", status=502,
                                      content_type="text/html"))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "502" in text and "after 2 retries" in text and path in text
    assert len([h for h in fake.hits if h.path == path]) == 3


def test_slow_page_times_out(fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    def slow(request: Any) -> Response:
        time.sleep(0.6)
        return json_response([])

    fake.fault_forever("/repos/acme/api/issues", slow)
    # only the timeout says this: the page itself would come, after 0.6 s
    with pytest.raises(SourceError, match=r"no answer within timeout=0.2s \(2 attempts\)"):
        make(httpserver, tmp_path, timeout=0.2, retries=1).gather({"incidents"})


def test_429_with_retry_after_waits_then_succeeds(fake: FakeGitHub, httpserver: Any,
                                                  tmp_path: Path,
                                                  rate_limit_waits: list[float]) -> None:
    path = "/repos/acme/api/issues"
    fake.fault(path, json_response({"message": "You have exceeded a secondary rate limit."},
                                   429, {"Retry-After": "1"}))
    facts = make(httpserver, tmp_path).gather({"incidents"})
    assert rate_limit_waits == [1.0]
    assert len(facts["incidents"]) == 2
    assert [h.status for h in fake.hits if h.path == path] == [429, 200]


def _rate_limited(reset_in: int) -> Response:
    return json_response(
        {"message": "API rate limit exceeded for user ID 1.",
         "documentation_url": "https://docs.github.com/rest/overview/rate-limits"}, 403,
        {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
         "X-RateLimit-Reset": str(int(time.time()) + reset_in)})


def test_primary_rate_limit_near_reset_waits(fake: FakeGitHub, httpserver: Any,
                                             tmp_path: Path,
                                             rate_limit_waits: list[float]) -> None:
    path = "/repos/acme/api/issues"
    fake.fault(path, _rate_limited(1))
    facts = make(httpserver, tmp_path).gather({"incidents"})
    # the retry waited for the reset (at most a second away) and a quarter second more
    assert len(rate_limit_waits) == 1 and 0.25 <= rate_limit_waits[0] <= 1.25
    assert len(facts["incidents"]) == 2
    assert [h.status for h in fake.hits if h.path == path] == [403, 200]


def test_primary_rate_limit_far_reset_fails_with_reset_time(
    fake: FakeGitHub, httpserver: Any, tmp_path: Path
) -> None:
    fake.fault("/repos/acme/api/issues", _rate_limited(3600))
    reset = datetime.now(UTC) + timedelta(seconds=3600)
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "rate limit for $GITHUB_TOKEN is exhausted" in text
    assert f"resets at {reset:%Y-%m-%dT%H:}" in text
    assert "rate_limit_max_wait=3s" in text


def test_401_names_the_token_variable(fake: FakeGitHub, httpserver: Any, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_expired_token_value_0000")
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "401" in text and "Bad credentials" in text and "$GITHUB_TOKEN" in text
    assert "ghp_expired_token_value_0000" not in text


def test_403_missing_permission_names_it(fake: FakeGitHub, httpserver: Any,
                                         tmp_path: Path) -> None:
    fake.fault_forever("/orgs/acme/teams", json_response(
        {"message": "Resource not accessible by personal access token",
         "documentation_url": "https://docs.github.com/rest/teams/teams#list-teams",
         "status": "403"}, 403,
        {"X-Accepted-GitHub-Permissions": "members=read",
         "X-Accepted-OAuth-Scopes": "read:org", "X-OAuth-Scopes": "repo"}))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"teams"})
    text = str(err.value)
    assert "/orgs/acme/teams" in text and "$GITHUB_TOKEN" in text
    assert "permission members=read" in text and "scope read:org" in text
    assert "it has: repo" in text


def test_truncated_json_names_the_path(fake: FakeGitHub, httpserver: Any,
                                       tmp_path: Path) -> None:
    fake.fault("/repos/acme/api/deployments",
               Response('[{"id": 501, "sha": "aaa', content_type="application/json"))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"deployments"})
    text = str(err.value)
    assert "/repos/acme/api/deployments?environment=production" in text
    assert "invalid or truncated JSON" in text


def test_html_page_instead_of_json(fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    fake.fault("/repos/acme/api/actions/runs", Response(
        "<!DOCTYPE html><html><body>Sign in to your proxy</body></html>",
        content_type="text/html; charset=utf-8"))
    with pytest.raises(SourceError, match=r"actions/runs.*an HTML page instead of JSON"):
        make(httpserver, tmp_path).gather({"ci_runs"})


def test_wrong_content_type(fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    fake.fault("/repos/acme/api/issues", Response("[]", content_type="text/plain"))
    with pytest.raises(SourceError, match="content type text/plain"):
        make(httpserver, tmp_path).gather({"incidents"})


def test_empty_repository_yields_empty_lists(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitHub(token=TOKEN)
    app.add_team("solo", [])
    app.install(httpserver)
    facts = make(httpserver, tmp_path).gather(ALL)
    assert facts == {"changes": [], "deployments": [], "incidents": [], "ci_runs": [],
                     "teams": [{"id": "solo", "name": "Solo", "github": "solo",
                                "mission": "The solo team", "members": [],
                                "url": "https://github.com/orgs/acme/teams/solo"}]}


def test_page_cap_fails_with_clear_message(fake: FakeGitHub, httpserver: Any,
                                           tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path, max_pages=2).gather({"ci_runs"})
    text = str(err.value)
    assert "more than max_pages=2 pages" in text and "/actions/runs" in text
    assert len([h for h in fake.hits if h.path == "/repos/acme/api/actions/runs"]) == 2


# ---------------------------------------------------------------------------
# cache, offline, secrets
# ---------------------------------------------------------------------------


def test_rerun_is_answered_by_304s(fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    first = make(httpserver, tmp_path).gather(ALL)
    sent_first = len(fake.hits)
    fake.hits.clear()
    second_src = make(httpserver, tmp_path)
    second = second_src.gather(ALL)
    assert second == first
    assert len(fake.hits) == sent_first
    assert fake.bodies() == 0
    assert {h.status for h in fake.hits} == {304}
    assert all("If-None-Match" in h.headers for h in fake.hits)
    single = next(h for h in fake.hits if h.path == "/repos/acme/api/pulls/101")
    assert single.headers["If-Modified-Since"] == "Mon, 02 Nov 2026 10:00:00 GMT"
    assert second_src.client is not None and second_src.client.stats.body_bytes == 0


def test_offline_answers_from_cache(fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    online = make(httpserver, tmp_path).gather(ALL)
    fake.hits.clear()
    offline = make(httpserver, tmp_path, offline=True).gather(ALL)
    assert offline == online
    assert fake.hits == []


def test_offline_without_cache_names_missing_facts(fake: FakeGitHub, httpserver: Any,
                                                   tmp_path: Path) -> None:
    make(httpserver, tmp_path).gather({"incidents"})
    fake.hits.clear()
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path, offline=True).gather({"incidents", "ci_runs", "changes"})
    text = str(err.value)
    assert "ci_runs (GET /repos/acme/api/actions/runs?created=%3E%3D2026-10-31" in text
    assert "changes (GET /repos/acme/api/pulls?state=closed" in text
    assert "incidents" not in text
    assert fake.hits == []
    with pytest.raises(SourceError, match="offline, and no HTTP cache directory"):
        make(httpserver, tmp_path, offline=True, cache=False).gather({"incidents"})


def test_corrupt_cache_entry_is_discarded(fake: FakeGitHub, httpserver: Any,
                                          tmp_path: Path) -> None:
    make(httpserver, tmp_path).gather({"incidents"})
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 1
    entries[0].write_text('{"url": "http://x", "bo', "utf-8")
    fake.hits.clear()
    src = make(httpserver, tmp_path)
    facts = src.gather({"incidents"})
    assert len(facts["incidents"]) == 2
    assert [h.status for h in fake.hits] == [200]
    assert "If-None-Match" not in fake.hits[0].headers
    assert any("discarded 1 unreadable cache entry" in w for w in src.warnings)


def test_token_never_leaks(fake: FakeGitHub, httpserver: Any, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str],
                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    src = make(httpserver, tmp_path)
    facts = src.gather(ALL)
    texts += [repr(facts), *src.warnings]
    faults = [
        ("/repos/acme/api/issues", _rate_limited(3600)),
        ("/repos/acme/api/issues", json_response({"message": "Bad credentials"}, 401)),
        ("/orgs/acme/teams", json_response({"message": "no"}, 403,
                                           {"X-Accepted-OAuth-Scopes": "read:org"})),
        ("/repos/acme/api/issues", Response("{", content_type="application/json")),
        ("/repos/acme/api/issues", Response("<html/>", content_type="text/html")),
    ]
    for path, response in faults:
        fake.fault(path, response)
        kind = "teams" if "teams" in path else "incidents"
        with pytest.raises(SourceError) as err:
            make(httpserver, tmp_path, cache=False).gather({kind})
        texts.append(str(err.value))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path / "empty", offline=True).gather(ALL)
    texts.append(str(err.value))
    out = capsys.readouterr()
    assert out.err == ""  # no progress line: stderr is not a terminal
    texts += [out.out, out.err, caplog.text]
    texts += [p.read_text("utf-8") for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    texts += [str(p) for p in (tmp_path / "cache").rglob("*")]
    assert len(texts) > 10
    assert all(TOKEN not in t for t in texts)
    assert all(h.headers.get("Authorization") == f"Bearer {TOKEN}" for h in fake.hits)


# ---------------------------------------------------------------------------
# incident signals: the incidents option
# ---------------------------------------------------------------------------


def test_incidents_option_reads_each_label_and_merges(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitHub(token=TOKEN)
    app.add_issue(1, created_at="2026-11-02T00:00:00Z", labels=["incident", "sev2"])
    app.add_issue(2, created_at="2026-11-03T00:00:00Z", labels=["sev1"],
                  closed_at="2026-11-03T01:00:00Z")
    app.add_issue(3, created_at="2026-11-04T00:00:00Z", labels=["bug"])
    app.install(httpserver)
    src = make(httpserver, tmp_path, incidents={"labels": ["incident", "sev1", "sev2"]})
    got = src.gather({"incidents"})["incidents"]
    assert [(i["id"], i.get("severity"), i["status"]) for i in got] == [
        ("1", "SEV2", "open"), ("2", "SEV1", "resolved")]
    # GitHub's labels filter means "all of these": one listing a label
    assert sorted(parse_qs(h.query)["labels"][0] for h in app.hits) == [
        "incident", "sev1", "sev2"]


def test_incidents_false_turns_them_off(httpserver: Any, tmp_path: Path) -> None:
    src = make(httpserver, tmp_path, incidents=False)
    assert src.provides() == ALL - {"incidents"}
    src.validate()


def test_incidents_option_mistakes_are_usage_errors(httpserver: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="incident_label and incidents are both set"):
        make(httpserver, tmp_path, incident_label="x", incidents={"labels": ["y"]}).validate()
    with pytest.raises(UsageError, match="severity_label_pattern .* has no group"):
        make(httpserver, tmp_path,
             incidents={"severity_label_pattern": "sev"}).validate()
    with pytest.raises(UsageError, match="holds a comma"):
        make(httpserver, tmp_path, incidents={"labels": ["a,b"]}).validate()


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("502", "deployment", "502"),
    ("deployment 77", "deployment", "77"),
    ("deploy #dep-9", "deployment", "dep-9"),
    ("#123", "change", "123"),
    ("PR 123", "change", "123"),
    ("pull request #45.", "change", "45"),
    ("https://github.com/acme/api/pull/101/files", "change", "101"),
    ("3F9C2E1", "commit", "3f9c2e1"),
    ("a" * 40, "commit", "a" * 40),
    ("B" * 64, "commit", "b" * 64),  # a SHA-256 repository's commit
    ("1" * 64, "commit", "1" * 64),
    ("1" * 50, "deployment", "1" * 50),
])
def test_cause_references(text: str, kind: str, value: str) -> None:
    ref = parse_reference(text, "acme/api")
    assert ref is not None and (ref.kind, ref.value) == (kind, value)


@pytest.mark.parametrize("text", ["PR #\u0661\u0662", "#\u0661\u0662",
                                  "https://github.com/acme/api/pull/\u0661\u0662"])
def test_only_ascii_digits_name_a_pull_request(text: str) -> None:
    # int("١٢") == 12: Arabic-Indic digits must not link pull request 12
    ref = parse_reference(text, "acme/api")
    assert ref is None or ref.kind != "change"


def test_a_pull_request_of_another_repository_is_no_cause() -> None:
    assert parse_reference("https://github.com/other/repo/pull/5", "acme/api") is None


def test_a_pull_request_cause_joins_the_deployment_that_shipped_it(
        fake: FakeGitHub, httpserver: Any, tmp_path: Path) -> None:
    # 506 shipped PR 101's merge commit (compare 501...506), finished 2026-11-26T10:04Z
    fake.add_issue(21, created_at="2026-11-26T12:00:00Z", labels=["incident", "sev2"],
                   closed_at="2026-11-26T14:00:00Z", body="Checkout 500s.\ncaused-by: #101\n")
    fake.add_issue(22, created_at="2026-11-26T12:30:00Z", labels=["incident"],
                   body="caused by: PR 104")  # merged, never deployed
    fake.add_issue(23, created_at="2026-11-27T00:00:00Z", labels=["incident"],
                   body="Caused-by: #555")  # no such pull request
    src = make(httpserver, tmp_path)
    facts = src.gather({"incidents", "deployments"})
    incidents = {i["id"]: i for i in facts["incidents"]}
    assert incidents["21"]["caused_by_change"] == "101"
    assert incidents["21"]["caused_by_commit"] == f"{101:040x}"
    assert "caused_by" not in incidents["21"]
    assert any("#23 names pull request #555" in w for w in src.warnings)

    store = FactStore()
    for kind, items in facts.items():
        store.add(kind, items, "github")
    join(store)
    joined = {i["id"]: i for i in store.get("incidents")}
    assert joined["21"]["caused_by"] == "506"
    assert {d["id"]: d["failed"] for d in store.get("deployments")}["506"] is True
    assert "caused_by" not in joined["22"]
    assert any("incident 22 names pull request 104" in w for w in store.warnings)


def test_an_unknown_pull_request_is_remembered_offline(fake: FakeGitHub, httpserver: Any,
                                                       tmp_path: Path) -> None:
    fake.add_issue(23, created_at="2026-11-27T00:00:00Z", labels=["incident"],
                   body="caused-by: #555")
    online = make(httpserver, tmp_path).gather({"incidents"})
    fake.hits.clear()
    src = make(httpserver, tmp_path, offline=True)
    assert src.gather({"incidents"}) == online
    assert fake.hits == []
    assert any("#555" in w for w in src.warnings)


def test_a_failing_pull_request_read_fails_the_source(fake: FakeGitHub, httpserver: Any,
                                                      tmp_path: Path) -> None:
    # only a 404 means "no such pull request"; a broken server is not a missing cause
    fake.add_issue(21, created_at="2026-11-26T12:00:00Z", labels=["incident"],
                   body="caused-by: #101")
    fake.fault_forever("/repos/acme/api/pulls/101", json_response({"message": "boom"}, 502))
    with pytest.raises(SourceError, match=r"/pulls/101 \(incidents\) answered 502"):
        make(httpserver, tmp_path).gather({"incidents"})
