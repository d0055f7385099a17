"""The gitlab source against a fake GitLab REST API v4 on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitlabfake import FakeGitLab, fixture
from httpfakes import json_response
from werkzeug.wrappers import Response

from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import SourceError, UsageError
from guardrails.facts import FactStore, join
from guardrails.plugin import SourceEnv
from guardrails.sources import gitlab_shapes as shapes
from guardrails.sources.gitlab import GitLabSource, guardrails_gather_sources
from guardrails.sources.gitlab_facts import diff_sizes, parse_ref

TOKEN = "glpat-TESTsecretTOKEN0123456789"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # window: 2026-10-31T12:00Z .. NOW
ALL = {"changes", "deployments", "incidents", "ci_runs"}
API = "acme/payments/billing-api"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def populate(fake: FakeGitLab) -> None:
    fake.add_mr(API, 12, author="mei", created_at="2026-11-02T09:14:03.912Z",
                merged_at="2026-11-04T10:22:45.004Z", approvers=["aisha", "rohan"],
                commit_dates=["2026-11-02T08:01:54.000+01:00", "2026-11-02T10:00:00Z"],
                lines=(40, 12))
    fake.add_mr(API, 13, author="rohan", created_at="2026-11-10T09:00:00Z",
                merged_at="2026-11-12T09:00:00Z", commit_dates=["2026-11-09T17:00:00Z"])
    fake.add_mr(API, 14, author="ann", created_at="2026-11-11T09:00:00Z", merged_at=None,
                updated_at="2026-11-13T09:00:00Z")  # closed, not merged
    fake.add_mr(API, 9, author="old", created_at="2026-10-01T09:00:00Z",
                merged_at="2026-10-20T09:00:00Z")  # before the window, inside the lookback
    fake.add_mr(API, 8, author="old", created_at="2026-09-01T09:00:00Z",
                merged_at="2026-09-02T09:00:00Z")  # before the lookback
    # 15 merged MRs of last week: with 10 a page (fake.page_cap), two pages
    for i in range(15):
        at = (datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=i)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        fake.add_mr(API, 100 + i, author="bot", created_at="2026-11-19T00:00:00Z",
                    merged_at=at)

    a, b, c = "a" * 40, "b" * 40, "c" * 40
    fake.add_deployment(API, 30, sha="f" * 40, created_at="2026-10-05T10:00:00Z",
                        finished_at="2026-10-05T10:10:00Z")  # lookback: before the window
    fake.add_deployment(API, 31, sha=a, created_at="2026-11-04T10:31:02Z",
                        finished_at="2026-11-04T10:43:19Z", shipped=[12])
    fake.add_deployment(API, 32, sha=b, created_at="2026-11-12T10:00:00Z",
                        finished_at="2026-11-12T10:12:00Z", shipped=[13])
    fake.add_deployment(API, 33, sha=a, created_at="2026-11-12T11:00:00Z",
                        finished_at="2026-11-12T11:05:00Z", shipped=[])  # rollback to a
    fake.add_deployment(API, 34, sha=c, created_at="2026-11-20T10:00:00Z",
                        finished_at="2026-11-20T10:20:00Z", status="failed")
    fake.add_deployment(API, 35, sha=c, created_at="2026-11-29T10:00:00Z", finished_at=None,
                        status="running")
    fake.add_deployment(API, 36, sha=c, created_at="2026-11-21T10:00:00Z",
                        finished_at="2026-11-21T10:01:00Z", environment="staging",
                        tier="staging")
    fake.add_deployment(API, 37, sha=c, created_at="2026-11-22T10:00:00Z", finished_at=None,
                        status="skipped")

    fake.add_incident(API, 40, created_at="2026-11-12T10:30:00Z",
                      closed_at="2026-11-12T11:10:00Z", severity="HIGH",
                      labels=["incident"], description="Duplicate invoices.\nCaused by: !13\n")
    fake.add_incident(API, 41, created_at="2026-11-21T00:00:00Z", labels=["severity::3"],
                      description="Checkout slow")
    fake.add_incident(API, 42, created_at="2026-11-22T00:00:00Z",
                      closed_at="2026-11-22T02:00:00Z", labels=["deployment::34", "sev1"])
    fake.add_incident(API, 43, created_at="2026-11-23T00:00:00Z",
                      description="caused by deployment #31")
    fake.add_incident(API, 44, created_at="2026-11-23T00:00:00Z", issue_type="issue")

    base = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(30):
        start = base + timedelta(hours=i)
        fake.add_pipeline(API, 90_000 + i, started_at=_iso(start),
                          finished_at=_iso(start + timedelta(minutes=5 + i % 4)),
                          status="failed" if i % 10 == 0 else "success")
    fake.add_pipeline(API, 91_001, started_at="2026-11-29T10:00:00Z", finished_at=None,
                      status="running")
    fake.add_pipeline(API, 91_002, started_at="2026-11-29T11:00:00Z",
                      finished_at="2026-11-29T11:00:01Z", status="skipped")
    fake.add_pipeline(API, 91_003, started_at="2026-11-29T01:00:00Z",
                      finished_at="2026-11-29T01:30:00Z", status="canceled", name=None,
                      ref="release")


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def fake(httpserver: Any) -> FakeGitLab:
    app = FakeGitLab(token=TOKEN)
    app.page_cap = 10
    populate(app)
    app.install(httpserver)
    return app


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)


def make(httpserver: Any, tmp_path: Path, *, cache: bool = True, offline: bool = False,
         **options: Any) -> GitLabSource:
    opts = {"url": httpserver.url_for("").rstrip("/"), "timeout": 5, "retries": 2,
            "backoff_factor": 0.01, "rate_limit_max_wait": 3, "workers": 8, **options}
    if not {"project", "projects", "group"} & set(options):
        opts["project"] = API
    env = SourceEnv(root=tmp_path, now=NOW, window=timedelta(days=30), offline=offline,
                    cache_dir=tmp_path / "cache" if cache else None)
    return GitLabSource(opts, env)


def test_hook_returns_the_source() -> None:
    assert guardrails_gather_sources() == [GitLabSource]


def test_recorded_answers_fit_the_shapes() -> None:
    def fail(text: str) -> SourceError:
        raise AssertionError(text)

    for shape, name in [(shapes.GL_MR, "merge_request"), (shapes.GL_APPROVALS, "approvals"),
                        (shapes.GL_MR_COMMIT, "mr_commit"), (shapes.GL_DIFF, "diff"),
                        (shapes.GL_DEPLOYMENT, "deployment"), (shapes.GL_ISSUE, "incident"),
                        (shapes.GL_PIPELINE, "pipeline"), (shapes.GL_PROJECT, "project")]:
        shape.check(fixture(name), "/x", "test", fail)


def test_every_kind_is_mapped(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    src = make(httpserver, tmp_path, sizes=True)
    facts = src.gather(ALL)

    changes = {c["id"]: c for c in facts["changes"]}
    # 12, 13, the 15 and 9 (merged 11 days before the window: a deployment in it may
    # ship it); not the closed one, nor 8 (before the 30-day lookback)
    assert len(changes) == 18 and f"{API}!9" in changes
    c = changes[f"{API}!12"]
    assert c["author"] == "mei" and c["repo"] == API
    assert c["merged_at"] == ts("2026-11-04T10:22:45.004Z")
    assert c["first_commit_at"] == ts("2026-11-02T07:01:54Z")  # +01:00 -> UTC
    assert (c["additions"], c["deletions"]) == (40, 12)
    assert c["reviews"] == [{"user": "aisha", "state": "APPROVED"},
                            {"user": "rohan", "state": "APPROVED"}]
    assert c["url"].endswith("/acme/payments/billing-api/-/merge_requests/12")
    assert changes[f"{API}!13"]["reviews"] == []
    mr_pages = [h for h in fake.hits if h.path == f"/api/v4/projects/{API}/merge_requests"]
    assert len(mr_pages) == 2  # followed the Link header
    assert len([h for h in fake.hits if h.path == f"/api/v4/projects/{API}/pipelines"]) == 4

    deps = {d["id"].rpartition("/")[2]: d for d in facts["deployments"]}
    assert sorted(deps) == ["30", "31", "32", "33", "34", "35"]  # not staging, not skipped
    assert deps["31"]["changes"] == [f"{API}!12"]
    assert deps["31"]["finished_at"] == ts("2026-11-04T10:43:19Z")
    assert deps["31"]["service"] == "billing-api" and deps["31"]["creator"] == "rohan-iyer"
    assert deps["31"]["production_environment"] is True
    assert deps["33"]["kind"] == "rollback" and deps["33"]["remediates"] == f"{API}/deployments/32"
    assert "kind" not in deps["32"] and "changes" not in deps["30"]  # 30: before the window
    assert deps["34"]["status"] == "failure"
    assert deps["35"]["status"] == "in_progress"

    incidents = {i["id"]: i for i in facts["incidents"]}
    assert sorted(incidents) == [f"{API}#40", f"{API}#41", f"{API}#42", f"{API}#43"]
    i40 = incidents[f"{API}#40"]
    assert i40["severity"] == "SEV2" and i40["status"] == "resolved"
    assert i40["resolved_at"] == ts("2026-11-12T11:10:00Z")
    assert i40["caused_by"] == f"{API}/deployments/32"  # the deployment that shipped !13
    assert incidents[f"{API}#41"]["severity"] == "SEV3"
    assert "caused_by" not in incidents[f"{API}#41"]
    assert incidents[f"{API}#42"]["caused_by"] == f"{API}/deployments/34"
    assert incidents[f"{API}#42"]["severity"] == "SEV1"
    assert incidents[f"{API}#43"]["caused_by"] == f"{API}/deployments/31"

    runs = {r["id"]: r for r in facts["ci_runs"]}
    assert len(runs) == 31  # 30 + the canceled one; running and skipped left out
    assert runs["90000"]["conclusion"] == "failure"
    assert runs["90001"]["finished_at"] - runs["90001"]["started_at"] == timedelta(minutes=6)
    assert runs["90001"]["workflow"] == "ci" and runs["90001"]["duration_s"] == 360
    assert runs["91003"]["conclusion"] == "cancelled" and runs["91003"]["workflow"] == API

    first = fake.hits[0].headers
    assert first["Private-Token"] == TOKEN and "Authorization" not in first
    assert src.warnings == []


def test_facts_join(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    facts = make(httpserver, tmp_path).gather(ALL)
    for kind, items in facts.items():
        for fact in items:
            for key in KINDS[kind].timestamps:
                if key in fact:
                    assert fact[key].tzinfo is UTC, (kind, key)
    store = FactStore()
    for kind, items in facts.items():
        store.add(kind, items, "gitlab")
    join(store, NOW)
    changes = {c["id"]: c for c in store.get("changes")}
    assert changes[f"{API}!12"]["deployment"]["id"] == f"{API}/deployments/31"
    deps = {d["id"]: d for d in store.get("deployments")}
    assert deps[f"{API}/deployments/32"]["failed"] is True  # incident 40 and rollback 33
    assert deps[f"{API}/deployments/32"]["remediated_by"] == [f"{API}/deployments/33"]
    assert deps[f"{API}/deployments/31"]["failed"] is True  # incident 43
    assert store.warnings == []


def test_sizes_only_when_asked(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    facts = make(httpserver, tmp_path).gather({"changes"})
    assert all("additions" not in c for c in facts["changes"])
    assert not any(h.path.endswith("/diffs") for h in fake.hits)


def test_too_large_diff_leaves_size_unknown(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitLab(token=TOKEN)
    app.add_mr(API, 5, author="x", created_at="2026-11-10T00:00:00Z",
               merged_at="2026-11-11T00:00:00Z", too_large=True)
    app.install(httpserver)
    src = make(httpserver, tmp_path, sizes=True)
    (change,) = src.gather({"changes"})["changes"]
    assert "additions" not in change
    assert any("too large" in w and f"{API}!5" in w for w in src.warnings)


def test_group_with_subgroups_uses_keyset_pages(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitLab(token=TOKEN)
    app.page_cap = 10
    for n in range(25):
        app.project(f"platform/sub{n % 3}/svc{n}")
    app.project("platform/old", archived=True)
    app.project("other/x")
    app.add_mr("platform/sub1/svc4", 1, author="a", created_at="2026-11-10T00:00:00Z",
               merged_at="2026-11-11T00:00:00Z")
    app.install(httpserver)
    src = make(httpserver, tmp_path, group="platform", workers=8)
    facts = src.gather({"changes"})
    assert [c["id"] for c in facts["changes"]] == ["platform/sub1/svc4!1"]
    listing = [h for h in app.hits if h.path == "/api/v4/groups/platform/projects"]
    assert len(listing) == 3 and all("id_after=" in h.query for h in listing[1:])
    assert "pagination=keyset" in listing[0].query
    mr_calls = {h.path for h in app.hits if h.path.endswith("/merge_requests")}
    assert len(mr_calls) == 25  # every project once, the archived one and other/ not


def test_several_projects_and_service_map(fake: FakeGitLab, httpserver: Any,
                                          tmp_path: Path) -> None:
    fake.add_deployment("acme/web", 1, sha="d" * 40, created_at="2026-11-15T00:00:00Z",
                        finished_at="2026-11-15T00:05:00Z")
    src = make(httpserver, tmp_path, projects=[API, "acme/web"],
               service_map={"acme/web": "storefront"})
    deps = src.gather({"deployments"})["deployments"]
    assert {d["service"] for d in deps} == {"billing-api", "storefront"}


def test_numeric_project_id(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    pid = fake.projects[API].id
    facts = make(httpserver, tmp_path, project=pid).gather({"incidents"})
    assert sorted(i["id"] for i in facts["incidents"])[0] == f"{pid}#40"


def test_bearer_and_job_token(httpserver: Any, tmp_path: Path) -> None:
    for auth, header in (("bearer", "Authorization"), ("job-token", "Job-Token")):
        app = FakeGitLab(token=TOKEN, auth=auth)
        populate(app)
        httpserver.clear()
        app.install(httpserver)
        src = make(httpserver, tmp_path / auth, auth=auth)
        deps = src.gather({"deployments"})["deployments"]
        assert len(deps) == 6
        sent = app.hits[0].headers[header]
        assert sent == (f"Bearer {TOKEN}" if auth == "bearer" else TOKEN)
    # a CI job token cannot read incident issues: the error says what to do
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path / "job", auth="job-token").gather({"incidents"})
    assert "401" in str(err.value) and "$GITLAB_TOKEN" in str(err.value)


def test_x_next_page_without_link(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitLab(token=TOKEN, link_header=False)
    app.page_cap = 10
    populate(app)
    app.install(httpserver)
    facts = make(httpserver, tmp_path).gather({"changes"})
    assert len(facts["changes"]) == 18
    # and --offline pages on from the cache the same way
    offline = make(httpserver, tmp_path, offline=True).gather({"changes"})
    assert offline == facts


def test_config_mistakes_are_usage_errors(httpserver: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="exactly one of project, projects or group"):
        make(httpserver, tmp_path, project="a/b", group="a").validate()
    with pytest.raises(UsageError, match="exactly one"):
        GitLabSource({"url": "https://g.example"},
                     SourceEnv(root=tmp_path, now=NOW, window=timedelta(days=1))).validate()
    with pytest.raises(UsageError, match="RE2"):
        make(httpserver, tmp_path, caused_by_pattern=r"(a)\1").validate()
    with pytest.raises(UsageError, match="no group"):
        make(httpserver, tmp_path, severity_label_pattern="sev").validate()


def test_reference_parsing() -> None:
    assert parse_ref("!12", "a/b") == ("mr", "a/b!12")
    assert parse_ref("x/y!7.", "a/b") == ("mr", "x/y!7")
    assert parse_ref("deployment #31", "a/b") == ("deployment", "a/b/deployments/31")
    assert parse_ref("#31", "a/b") is None
    # int("١٢") == 12: Arabic-Indic digits must not link merge request 12
    assert parse_ref("!\u0661\u0662", "a/b") is None
    assert parse_ref("deployment #\u0663\u0661", "a/b") is None
    assert diff_sizes([{"diff": "@@ -1 +1 @@\n+a\n-b\n c\n+++d\n"}]) == (2, 1)


def test_deployment_label_is_ascii_digits_only(httpserver: Any, tmp_path: Path) -> None:
    # int("\u0663\u0664") == 34: an Arabic-Indic label linked deployment 34; "²" passes
    # isdigit() and int() refuses it (the source crashed); 13 digits were cut to 12
    # (deployment::1000000000034 linked deployment 100000000003).
    app = FakeGitLab(token=TOKEN)
    for iid, label in ((1, "deployment::\u0663\u0664"), (2, "deployment::\u00b2"),
                       (3, "deployment::1000000000034"), (4, "deployment:: 34")):
        app.add_incident(API, iid, created_at="2026-11-20T00:00:00Z", labels=[label])
    app.install(httpserver)
    incidents = {i["id"]: i for i in make(httpserver, tmp_path).gather({"incidents"})["incidents"]}
    assert sorted(incidents) == [f"{API}#{n}" for n in (1, 2, 3, 4)]
    assert [incidents[f"{API}#{n}"].get("caused_by") for n in (1, 2, 3)] == [None] * 3
    assert incidents[f"{API}#4"]["caused_by"] == f"{API}/deployments/34"


def test_unresolvable_cause_warns(httpserver: Any, tmp_path: Path) -> None:
    app = FakeGitLab(token=TOKEN)
    app.add_incident(API, 1, created_at="2026-11-20T00:00:00Z",
                     description="Caused by: !999")
    app.add_incident(API, 2, created_at="2026-11-20T00:00:00Z",
                     description="Caused by: the cache")
    app.install(httpserver)
    src = make(httpserver, tmp_path, caused_by_pattern=r"caused by:\s*(\S+)")
    incidents = src.gather({"incidents"})["incidents"]
    assert all("caused_by" not in i for i in incidents)
    assert any("!999" in w and "not linked" in w for w in src.warnings)
    assert any("'the'" in w for w in src.warnings)


# ---------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------

ISSUES = "/projects/acme%2Fpayments%2Fbilling-api/issues"  # as messages show it


def _issues_path(fake: FakeGitLab) -> str:
    return "/api/v4/projects/" + API + "/issues"  # werkzeug's request.path is decoded


def test_500_then_success_is_retried(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    path = _issues_path(fake)
    fake.fault(path, json_response({"message": "500 Internal Server Error"}, 500))
    facts = make(httpserver, tmp_path).gather({"incidents"})
    assert len(facts["incidents"]) == 4
    assert [h.status for h in fake.hits if h.path == path] == [500, 200]


def test_502_forever_fails_after_retries(fake: FakeGitLab, httpserver: Any,
                                         tmp_path: Path) -> None:
    path = _issues_path(fake)
    fake.fault_forever(path, Response("<html>502 Bad Gateway</html>", status=502,
                                      content_type="text/html"))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "502" in text and "after 2 retries" in text and ISSUES in text
    assert "GitLab API is failing" in text


def test_429_with_retry_after_waits(fake: FakeGitLab, httpserver: Any, tmp_path: Path,
                                    rate_limit_waits: list[float]) -> None:
    path = _issues_path(fake)
    fake.fault(path, json_response({"message": "Retry later"}, 429, {
        "Retry-After": "1", "RateLimit-Limit": "2000", "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(int(time.time()) + 1)}))
    facts = make(httpserver, tmp_path).gather({"incidents"})
    assert rate_limit_waits == [1.0]  # Retry-After wins over RateLimit-Reset
    assert len(facts["incidents"]) == 4


def test_rate_limit_far_reset_fails_with_reset_time(fake: FakeGitLab, httpserver: Any,
                                                    tmp_path: Path) -> None:
    # no Retry-After: GitLab's RateLimit-Reset is epoch seconds
    fake.fault(_issues_path(fake), json_response({"message": "Retry later"}, 429, {
        "RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()) + 3600)}))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "rate limit for $GITLAB_TOKEN is exhausted" in text
    assert "in 3600s" in text or "in 3599s" in text


def test_401_names_the_variable_never_the_token(fake: FakeGitLab, httpserver: Any,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-expired-0000000000")
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "401" in text and "$GITLAB_TOKEN" in text and "glpat-expired" not in text


def test_403_insufficient_scope_names_it(fake: FakeGitLab, httpserver: Any,
                                         tmp_path: Path) -> None:
    fake.fault_forever(_issues_path(fake), json_response(
        {"error": "insufficient_scope",
         "error_description": "The request requires higher privileges than provided by the "
                              "access token.", "scope": "api read_api"}, 403,
        {"WWW-Authenticate": 'Bearer realm="", error="insufficient_scope", '
                             'error_description="...", scope="api read_api"'}))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "insufficient_scope" in text and "scope api read_api" in text


def test_truncated_json(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    fake.fault(f"/api/v4/projects/{API}/deployments",
               Response('[{"id": 1, "iid": 1, "sha": "aa', content_type="application/json"))
    with pytest.raises(SourceError, match=r"deployments\?environment=production.*invalid "
                                          "or truncated JSON"):
        make(httpserver, tmp_path).gather({"deployments"})


def test_html_instead_of_json(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    fake.fault(f"/api/v4/projects/{API}/pipelines", Response(
        "<!DOCTYPE html><html><body>Sign in · GitLab</body></html>",
        content_type="text/html; charset=utf-8"))
    with pytest.raises(SourceError, match=r"pipelines.*an HTML page instead of JSON"):
        make(httpserver, tmp_path).gather({"ci_runs"})


def test_pagination_loop_is_stopped(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    def loop(request: Any) -> Response:
        resp = json_response([])
        resp.headers["X-Next-Page"] = "1"  # page 1 names itself as next, forever
        return resp

    fake.fault_forever(_issues_path(fake), loop)
    with pytest.raises(SourceError, match="pagination loop"):
        make(httpserver, tmp_path).gather({"incidents"})


def test_slow_drip_is_cut_at_the_deadline(fake: FakeGitLab, httpserver: Any,
                                          tmp_path: Path) -> None:
    def drip(request: Any) -> Response:
        def body() -> Iterator[bytes]:
            yield b"["
            for _ in range(40):
                time.sleep(0.1)
                yield b" "
            yield b"]"

        return Response(body(), content_type="application/json", direct_passthrough=True)

    fake.stream_forever(_issues_path(fake), drip)
    # only the deadline says this: the whole answer would come, after 4 s
    with pytest.raises(SourceError, match="no complete answer within"):
        make(httpserver, tmp_path, timeout=0.3, retries=0).gather({"incidents"})


@pytest.mark.parametrize("bad, field", [
    ([{"iid": "12", "created_at": "2026-11-01T00:00:00Z"}], "iid"),
    ([{"iid": 12, "created_at": "yesterday"}], "created_at"),
    ({"iid": 12}, None),
])
def test_wrong_shapes_are_refused(fake: FakeGitLab, httpserver: Any, tmp_path: Path,
                                  bad: Any, field: str | None) -> None:
    fake.fault(_issues_path(fake), json_response(bad))
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path).gather({"incidents"})
    text = str(err.value)
    assert "unexpected shape" in text or "is not a list" in text
    if field:
        assert f"field '{field}'" in text


def test_next_link_to_another_host_is_refused(fake: FakeGitLab, httpserver: Any,
                                              tmp_path: Path) -> None:
    fake.fault(_issues_path(fake), json_response([], headers={
        "Link": '<https://evil.example/api/v4/projects/1/issues?page=2>; rel="next"'}))
    with pytest.raises(SourceError, match="another host"):
        make(httpserver, tmp_path).gather({"incidents"})


# ---------------------------------------------------------------------------
# cache, offline, secrets
# ---------------------------------------------------------------------------


def test_rerun_is_answered_by_304s(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    first = make(httpserver, tmp_path, sizes=True).gather(ALL)
    fake.hits.clear()
    second = make(httpserver, tmp_path, sizes=True).gather(ALL)
    assert second == first
    assert fake.bodies() == 0 and {h.status for h in fake.hits} == {304}


def test_offline(fake: FakeGitLab, httpserver: Any, tmp_path: Path) -> None:
    online = make(httpserver, tmp_path).gather(ALL)
    fake.hits.clear()
    assert make(httpserver, tmp_path, offline=True).gather(ALL) == online
    assert fake.hits == []
    with pytest.raises(SourceError) as err:
        make(httpserver, tmp_path / "empty", offline=True).gather({"ci_runs"})
    assert "ci_runs (GET /projects/acme%2Fpayments%2Fbilling-api/pipelines" in str(err.value)


def test_token_never_leaks(fake: FakeGitLab, httpserver: Any, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str],
                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    src = make(httpserver, tmp_path)
    texts = [repr(src.gather(ALL)), *src.warnings]
    for response in (json_response({"message": "401 Unauthorized"}, 401),
                     json_response({"message": f"bad token {TOKEN}"}, 403),
                     Response("{", content_type="application/json"),
                     json_response({}, 429, {"Retry-After": "99999"})):
        fake.fault(_issues_path(fake), response)
        with pytest.raises(SourceError) as err:
            make(httpserver, tmp_path, cache=False).gather({"incidents"})
        texts.append(str(err.value))
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text]
    texts += [p.read_text("utf-8") for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert all(TOKEN not in t for t in texts)
    assert any("***" in t for t in texts)  # the echoed token was scrubbed


def test_gitlab_paging_and_rate_limit_headers_are_read_strictly() -> None:
    from guardrails.sources.http import Answer, next_page_url
    from guardrails.sources.http_errors import rate_limit_wait

    url = "http://h/api/v4/projects/1/issues?page=1&per_page=100"
    assert next_page_url(url, "2") == "http://h/api/v4/projects/1/issues?per_page=100&page=2"
    for hostile in ("", " ", "0", "-1", "2.5", "x", "99999999", "２"):
        assert next_page_url(url, hostile) is None, hostile
    epoch = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()) + 30)}
    assert 28 < (rate_limit_wait(Answer(429, "", epoch, b"")) or 0) <= 31
    delta = {"RateLimit-Remaining": "0", "RateLimit-Reset": "5"}  # IETF draft: seconds
    assert rate_limit_wait(Answer(429, "", delta, b"")) == 5
    assert rate_limit_wait(Answer(200, "", epoch, b"")) is None
