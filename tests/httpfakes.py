"""Fake GitHub, PagerDuty and Opsgenie APIs for pytest-httpserver (and the HTTP benchmark).

Each fake is a small WSGI-style app over werkzeug requests: it filters,
sorts and pages like the real API (GitHub: ``page``/``per_page`` with a
``Link`` header of absolute URLs; PagerDuty: ``offset``/``limit`` with
``more``), answers ``If-None-Match`` with 304, checks the Authorization
header, and can serve queued faults before the real answer. Response bodies
follow the shapes of GitHub REST ``2022-11-28`` and PagerDuty REST v2 (the
fields the sources read plus the usual neighbours).
"""

from __future__ import annotations

import abc
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

Fault = Response | Callable[[Request], Response]


@dataclass
class Hit:
    path: str
    query: str
    headers: dict[str, str]
    status: int
    body_bytes: int


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    body = json.dumps(data, separators=(",", ":"))
    return Response(body, status=status, headers=headers or {},
                    content_type="application/json; charset=utf-8")


class FakeAPI(abc.ABC):
    """Shared plumbing: request log, fault queues, ETags, auth check."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.hits: list[Hit] = []
        self._faults: dict[str, list[Fault]] = {}
        self._forever: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def install(self, httpserver: Any) -> None:
        """Answer every request to the pytest-httpserver with this app."""
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    def fault(self, path: str, *responses: Fault) -> None:
        """Serve these responses, in order, before the real answer for ``path``."""
        self._faults.setdefault(path, []).extend(responses)

    def fault_forever(self, path: str, response: Fault) -> None:
        self._forever[path] = response

    def handle(self, request: Request) -> Response:
        with self._lock:
            queued = self._faults.get(request.path)
            fault = queued.pop(0) if queued else self._forever.get(request.path)
        if fault is not None:
            resp = fault(request) if callable(fault) and not isinstance(fault, Response) \
                else fault
        else:
            resp = self.authorize(request) or self.route(request)
            resp = self.conditional(request, resp)
        # a streamed (dripping) answer is not read here: that would drain it
        size = -1 if resp.is_streamed else len(resp.get_data())
        with self._lock:
            self.hits.append(Hit(request.path, request.query_string.decode(),
                                 dict(request.headers), resp.status_code, size))
        return resp

    def conditional(self, request: Request, resp: Response) -> Response:
        if resp.status_code != 200:
            return resp
        etag = 'W/"' + hashlib.sha1(resp.get_data()).hexdigest() + '"'
        resp.headers["ETag"] = etag
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return resp

    def bodies(self) -> int:
        """Answers that carried a body (status 200)."""
        return sum(1 for h in self.hits if h.status == 200)

    @abc.abstractmethod
    def authorize(self, request: Request) -> Response | None:
        """None when the request may go on; else the 401/403 answer."""

    @abc.abstractmethod
    def route(self, request: Request) -> Response:
        """The API's answer for an authorized request."""


# ---------------------------------------------------------------------------
# GitHub
# ---------------------------------------------------------------------------


class FakeGitHub(FakeAPI):
    """The endpoints the github source reads, for one repository and one org."""

    def __init__(self, repo: str = "acme/api", org: str = "acme", token: str | None = None,
                 prefix: str = "") -> None:
        super().__init__(token)
        self.repo = repo
        self.org = org
        self.prefix = prefix  # "/api/v3" for GitHub Enterprise Server
        self.pulls: list[dict[str, Any]] = []
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.commits: dict[int, list[dict[str, Any]]] = {}
        self.deployments: list[dict[str, Any]] = []
        self.statuses: dict[int, list[dict[str, Any]]] = {}
        self.issues: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self.teams: list[dict[str, Any]] = []
        self.members: dict[str, list[str]] = {}
        self.compares: dict[str, list[str]] = {}
        self.rate_remaining = 4999

    # -- builders (realistic objects) ------------------------------------------

    def add_pr(self, number: int, *, user: str, created_at: str, updated_at: str,
               merged_at: str | None, additions: int = 10, deletions: int = 2,
               reviews: list[tuple[str, str, str | None]] = (),
               commit_dates: list[str] = ()) -> dict[str, Any]:
        """A closed pull request; ``reviews`` are (login, state, submitted_at)."""
        html = f"https://github.com/{self.repo}/pull/{number}"
        pr = {
            "url": f"https://api.github.com/repos/{self.repo}/pulls/{number}",
            "id": 1000000 + number, "node_id": f"PR_kwDO{number}", "html_url": html,
            "number": number, "state": "closed", "locked": False, "title": f"Change {number}",
            "user": {"login": user, "id": sum(map(ord, user)), "type": "User"},
            "body": "", "created_at": created_at, "updated_at": updated_at,
            "closed_at": merged_at or updated_at, "merged_at": merged_at,
            "merge_commit_sha": f"{number:040x}" if merged_at else None,
            "draft": False, "head": {"ref": f"feature-{number}", "sha": f"{number + 1:040x}"},
            "base": {"ref": "main", "sha": "0" * 40}, "author_association": "MEMBER",
            # single-PR endpoint only:
            "merged": merged_at is not None, "comments": 0, "review_comments": 0,
            "commits": len(commit_dates), "additions": additions, "deletions": deletions,
            "changed_files": 3,
        }
        self.pulls.append(pr)
        self.reviews[number] = [
            {"id": number * 100 + i, "node_id": f"PRR_{number}_{i}",
             "user": {"login": login, "type": "User"}, "body": "", "state": state,
             "html_url": f"{html}#pullrequestreview-{number * 100 + i}",
             "pull_request_url": pr["url"], "author_association": "MEMBER",
             **({"submitted_at": at} if at else {}), "commit_id": pr["head"]["sha"]}
            for i, (login, state, at) in enumerate(reviews)
        ]
        self.commits[number] = [
            {"sha": f"{number:020x}{i:020x}", "node_id": f"C_{number}_{i}",
             "commit": {"author": {"name": user, "email": f"{user}@example.com", "date": d},
                        "committer": {"name": user, "email": f"{user}@example.com",
                                      "date": d},
                        "message": f"commit {i}"},
             "author": {"login": user}, "committer": {"login": user}, "parents": []}
            for i, d in enumerate(commit_dates)
        ]
        return pr

    def add_deployment(self, dep_id: int, *, sha: str, created_at: str,
                       statuses: list[tuple[str, str]], environment: str = "production"
                       ) -> None:
        """A deployment; ``statuses`` are (state, created_at), oldest first."""
        self.deployments.append({
            "url": f"https://api.github.com/repos/{self.repo}/deployments/{dep_id}",
            "id": dep_id, "node_id": f"DE_{dep_id}", "sha": sha, "ref": "main",
            "task": "deploy", "payload": {}, "original_environment": environment,
            "environment": environment, "description": None,
            "creator": {"login": "deploy-bot", "type": "Bot"},
            "created_at": created_at, "updated_at": created_at,
            "transient_environment": False,
            "production_environment": environment == "production",
        })
        self.statuses[dep_id] = [
            {"id": dep_id * 10 + i, "state": state, "creator": {"login": "deploy-bot"},
             "description": "", "environment": environment,
             "target_url": "", "log_url": f"https://ci.example/deploy/{dep_id}/{i}",
             "environment_url": "", "created_at": at, "updated_at": at}
            for i, (state, at) in enumerate(statuses)
        ]

    def add_issue(self, number: int, *, created_at: str, labels: list[str],
                  closed_at: str | None = None, body: str = "", pull_request: bool = False
                  ) -> None:
        issue = {
            "id": 2000000 + number, "number": number, "title": f"Issue {number}",
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "user": {"login": "oncall"}, "state": "closed" if closed_at else "open",
            "state_reason": "completed" if closed_at else None,
            "labels": [{"id": i, "name": n, "color": "d73a4a", "default": False,
                        "description": ""} for i, n in enumerate(labels)],
            "comments": 1, "created_at": created_at,
            "updated_at": closed_at or created_at, "closed_at": closed_at, "body": body,
        }
        if pull_request:
            issue["pull_request"] = {"url": "x", "html_url": "x", "merged_at": None}
        self.issues.append(issue)

    def add_run(self, run_id: int, *, name: str, started: str, updated: str,
                status: str = "completed", conclusion: str | None = "success",
                branch: str = "main") -> None:
        self.runs.append({
            "id": run_id, "name": name, "node_id": f"WFR_{run_id}", "head_branch": branch,
            "head_sha": f"{run_id:040x}", "path": ".github/workflows/ci.yml",
            "display_title": "CI", "run_number": run_id % 1000, "event": "push",
            "status": status, "conclusion": conclusion, "workflow_id": 42,
            "html_url": f"https://github.com/{self.repo}/actions/runs/{run_id}",
            "created_at": started, "updated_at": updated, "run_attempt": 1,
            "run_started_at": started,
        })

    def add_compare(self, base: str, head: str, shas: list[str]) -> None:
        """Commits reachable from ``head`` and not from ``base``, oldest first."""
        self.compares[f"{base}...{head}"] = shas

    def add_team(self, slug: str, members: list[str], parent: str | None = None) -> None:
        self.teams.append({
            "id": len(self.teams) + 1, "node_id": f"T_{slug}", "name": slug.title(),
            "slug": slug, "description": f"The {slug} team", "privacy": "closed",
            "permission": "pull",
            "html_url": f"https://github.com/orgs/{self.org}/teams/{slug}",
            "parent": {"slug": parent, "name": parent} if parent else None,
        })
        self.members[slug] = members

    # -- serving -----------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        return {
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": str(int(time.time()) + 3600), "X-RateLimit-Resource": "core",
            "Cache-Control": "private, max-age=60, s-maxage=60",
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
        }

    def authorize(self, request: Request) -> Response | None:
        if self.token is None:
            return None
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return json_response({"message": "Bad credentials",
                                  "documentation_url": "https://docs.github.com/rest",
                                  "status": "401"}, 401)
        return None

    def paged(self, request: Request, items: list[Any], wrap: str | None = None) -> Response:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(100, max(1, int(request.args.get("per_page", 30))))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        data: Any = {"total_count": len(items), wrap: chunk} if wrap else chunk
        resp = json_response(data, headers=self.headers())
        links = []
        args = {k: v for k, v in request.args.items(multi=True) if k != "page"}

        def url(n: int) -> str:
            return f"{request.host_url.rstrip('/')}{request.path}?" + urlencode(
                [*args.items(), ("page", n)])

        if page < last:
            links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
        if links:
            resp.headers["Link"] = ", ".join(links)
        return resp

    def not_found(self) -> Response:
        return json_response({"message": "Not Found",
                              "documentation_url": "https://docs.github.com/rest",
                              "status": "404"}, 404)

    def route(self, request: Request) -> Response:
        path = request.path
        if self.prefix:
            if not path.startswith(self.prefix):
                return self.not_found()
            path = path[len(self.prefix):]
        repo = f"/repos/{self.repo}"
        a = request.args
        if path == f"{repo}/pulls":
            prs = [p for p in self.pulls if a.get("state", "open") in (p["state"], "all")]
            prs.sort(key=lambda p: p["updated_at"], reverse=a.get("direction") == "desc")
            simple = [{k: v for k, v in p.items() if k not in (
                "merged", "comments", "review_comments", "commits", "additions",
                "deletions", "changed_files")} for p in prs]
            return self.paged(request, simple)
        m = re.fullmatch(rf"{repo}/pulls/(\d+)(/reviews|/commits)?", path)
        if m:
            number = int(m.group(1))
            pr = next((p for p in self.pulls if p["number"] == number), None)
            if pr is None:
                return self.not_found()
            if m.group(2) == "/reviews":
                return self.paged(request, self.reviews.get(number, []))
            if m.group(2) == "/commits":
                return self.paged(request, self.commits.get(number, []))
            resp = json_response(pr, headers=self.headers())
            resp.headers["Last-Modified"] = "Mon, 02 Nov 2026 10:00:00 GMT"
            return resp
        if path == f"{repo}/deployments":
            deps = [d for d in self.deployments
                    if a.get("environment") in (None, d["environment"])]
            deps.sort(key=lambda d: d["created_at"], reverse=True)
            return self.paged(request, deps)
        m = re.fullmatch(rf"{repo}/deployments/(\d+)/statuses", path)
        if m:
            sts = self.statuses.get(int(m.group(1)))
            if sts is None:
                return self.not_found()
            return self.paged(request, sorted(sts, key=lambda s: s["created_at"],
                                              reverse=True))
        if path == f"{repo}/issues":
            want = [x for x in a.get("labels", "").split(",") if x]
            state = a.get("state", "open")
            found = [i for i in self.issues
                     if all(w in [lb["name"] for lb in i["labels"]] for w in want)
                     and state in (i["state"], "all")
                     and i["updated_at"] >= a.get("since", "")]
            found.sort(key=lambda i: i["created_at"], reverse=True)
            return self.paged(request, found)
        if path == f"{repo}/actions/runs":
            created = a.get("created", "")
            floor = created[2:] if created.startswith(">=") else ""
            runs = sorted((r for r in self.runs if r["created_at"][:10] >= floor),
                          key=lambda r: r["created_at"], reverse=True)
            return self.paged(request, runs, wrap="workflow_runs")
        m = re.fullmatch(rf"{repo}/compare/([0-9a-f]+\.\.\.[0-9a-f]+)", path)
        if m:
            shas = self.compares.get(m.group(1))
            if shas is None:
                return self.not_found()
            resp = self.paged(request, [
                {"sha": sha, "node_id": f"C_{sha[:8]}", "parents": [],
                 "commit": {"message": "merge", "author": {"date": "2026-11-01T00:00:00Z"}}}
                for sha in shas], wrap="commits")
            data = json.loads(resp.get_data())
            base, head = m.group(1).split("...")
            data = {"url": request.url, "html_url": f"https://github.com/{self.repo}/compare/"
                    f"{m.group(1)}", "status": "ahead", "ahead_by": len(shas), "behind_by": 0,
                    "total_commits": len(shas), "base_commit": {"sha": base},
                    "merge_base_commit": {"sha": base}, "commits": data["commits"],
                    "files": []}
            resp.set_data(json.dumps(data))
            return resp
        if path == f"/orgs/{self.org}/teams":
            return self.paged(request, self.teams)
        m = re.fullmatch(rf"/orgs/{self.org}/teams/([^/]+)/members", path)
        if m and m.group(1) in self.members:
            return self.paged(request, [{"login": u, "id": i, "type": "User",
                                         "site_admin": False}
                                        for i, u in enumerate(self.members[m.group(1)])])
        return self.not_found()


# ---------------------------------------------------------------------------
# PagerDuty
# ---------------------------------------------------------------------------


class FakePagerDuty(FakeAPI):
    """``GET /incidents`` of PagerDuty REST v2 with since/until, service_ids[] and paging."""

    #: PagerDuty refuses since/until ranges over six months
    max_range_days = 183

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.incidents: list[dict[str, Any]] = []

    def add_incident(self, number: int, *, service: str, created_at: str, status: str,
                     urgency: str = "high", priority: str | None = None,
                     resolved_at: str | None = None, last_change: str | None = None,
                     service_name: str = "Billing API") -> None:
        inc_id = f"Q{number:06d}XYZ"
        self.incidents.append({
            "id": inc_id, "type": "incident", "summary": f"[#{number}] Outage {number}",
            "self": f"https://api.pagerduty.com/incidents/{inc_id}",
            "html_url": f"https://acme.pagerduty.com/incidents/{inc_id}",
            "incident_number": number, "title": f"Outage {number}",
            "description": f"Outage {number}", "created_at": created_at,
            "updated_at": last_change or created_at, "status": status,
            "incident_key": f"key-{number}", "urgency": urgency,
            "service": {"id": service, "type": "service_reference", "summary": service_name,
                        "self": f"https://api.pagerduty.com/services/{service}",
                        "html_url": f"https://acme.pagerduty.com/service-directory/{service}"},
            "priority": ({"id": f"PR{priority}", "type": "priority", "summary": priority,
                          "name": priority} if priority else None),
            "assignments": [], "acknowledgements": [],
            "last_status_change_at": last_change or created_at,
            "resolved_at": resolved_at,
            "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference"},
            "teams": [], "alert_counts": {"all": 1, "triggered": 0, "resolved": 1},
        })

    def authorize(self, request: Request) -> Response | None:
        if self.token is None:
            return None
        if request.headers.get("Authorization") != f"Token token={self.token}":
            return json_response({"error": {"message": "Authentication required",
                                            "code": 2006}}, 401)
        return None

    def route(self, request: Request) -> Response:
        if request.path != "/incidents":
            return json_response({"error": {"message": "Not Found", "code": 2100}}, 404)
        a = request.args
        since, until = a.get("since"), a.get("until")
        if since and until:
            days = (_iso(until) - _iso(since)) / 86400
            if days > self.max_range_days:
                return json_response({"error": {
                    "message": "Invalid Input Provided", "code": 2001,
                    "errors": ["Date Range must be less than 6 months."]}}, 400)
        services = a.getlist("service_ids[]")
        statuses = a.getlist("statuses[]")
        limit = min(100, int(a.get("limit", 25)))
        offset = int(a.get("offset", 0))
        found = [i for i in self.incidents
                 if (not services or i["service"]["id"] in services)
                 and (not statuses or i["status"] in statuses)
                 and (not since or _iso(i["created_at"]) >= _iso(since))
                 and (not until or _iso(i["created_at"]) < _iso(until))]
        found.sort(key=lambda i: i["created_at"])
        chunk = found[offset: offset + limit]
        return json_response({"incidents": chunk, "limit": limit, "offset": offset,
                              "total": None, "more": offset + len(chunk) < len(found)})


# ---------------------------------------------------------------------------
# Opsgenie
# ---------------------------------------------------------------------------


class FakeOpsgenie(FakeAPI):
    """Opsgenie's ``GET /v1/incidents`` (query on createdAt, sort, offset/limit with
    ``paging.next``, the 20,000-result cap) and ``GET /v2/incident-timelines/<id>/entries``
    (paged by ``nextOffset``), answering as the Incident API v1 / Timeline API v2 do."""

    max_results = 20_000

    def __init__(self, token: str | None = None, timeline_page: int = 100) -> None:
        super().__init__(token)
        self.incidents: list[dict[str, Any]] = []
        self.timelines: dict[str, list[dict[str, Any]]] = {}
        self.timeline_page = timeline_page

    def add_incident(self, tiny: int, *, created_at: str, status: str = "open",
                     priority: str = "P3", services: list[str] = (),
                     teams: list[tuple[str, str]] = (), timeline: list[tuple[str, str]] = (),
                     updated_at: str | None = None, impact_end: str | None = None,
                     postmortem: str | None = None) -> dict[str, Any]:
        """An incident; ``teams`` are (id, name) responders, ``timeline`` (type, eventTime)."""
        inc_id = f"{tiny:08x}-38d6-4c85-92b8-5ebc900d42e2"
        extra = {"region": "eu-west-1"}
        if postmortem:
            extra["postmortem"] = postmortem
        inc = {
            "id": inc_id, "tinyId": str(tiny), "message": f"Checkout errors {tiny}",
            "status": status, "tags": ["checkout"], "createdAt": created_at,
            "updatedAt": updated_at or created_at, "priority": priority,
            "ownerTeam": teams[0][0] if teams else "",
            "responders": [{"type": "team", "id": tid, "name": name} for tid, name in teams]
            + [{"type": "user", "id": "u-1", "name": "oncall@acme.example"}],
            "extraProperties": extra,
            "links": {"web": f"https://acme.app.opsgenie.com/incident/detail/{inc_id}/details",
                      "api": f"https://api.opsgenie.com/v1/incidents/{inc_id}"},
            "impactStartDate": created_at, "actions": [],
            "impactedServices": list(services),
        }
        if impact_end:
            inc["impactEndDate"] = impact_end
        self.incidents.append(inc)
        entries = [("IncidentCreated", created_at)] + list(timeline)
        self.timelines[inc_id] = [
            {"id": f"{inc_id}-{i}", "group": "incident", "type": kind, "eventTime": at,
             "hidden": False, "actor": {"name": "oncall@acme.example", "type": "user"},
             "description": {"name": kind, "type": "plain_text", "content": kind}}
            for i, (kind, at) in enumerate(entries)]
        self.timelines[inc_id].append(
            {"id": f"{inc_id}-note", "group": "custom", "type": "CustomUserEntry",
             "eventTime": created_at, "hidden": False,
             "actor": {"name": "oncall@acme.example", "type": "user"},
             "description": {"name": "note", "type": "plain_text",
                             "content": "IncidentResolved? not yet"}})
        return inc

    def envelope(self, data: Any, **extra: Any) -> Response:
        return json_response({"data": data, **extra, "took": 0.012,
                              "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"})

    def authorize(self, request: Request) -> Response | None:
        if self.token is None:
            return None
        if request.headers.get("Authorization") != f"GenieKey {self.token}":
            return json_response({"message": "Could not authenticate", "took": 0.0,
                                  "requestId": "r-401"}, 401)
        return None

    def route(self, request: Request) -> Response:
        a = request.args
        if request.path == "/v1/incidents":
            query = a.get("query", "")
            low = re.search(r"createdAt>=(\d+)", query)
            high = re.search(r"createdAt<(\d+)", query)
            limit = min(100, int(a.get("limit", 20)))
            offset = int(a.get("offset", 0))
            if offset + limit > self.max_results:
                return json_response({"message": "Offset + limit must be at most 20000",
                                      "took": 0.0, "requestId": "r-422"}, 422)
            found = [i for i in self.incidents
                     if (not low or _iso(i["createdAt"]) * 1000 >= int(low.group(1)))
                     and (not high or _iso(i["createdAt"]) * 1000 < int(high.group(1)))]
            found.sort(key=lambda i: i["createdAt"], reverse=a.get("order") == "desc")
            chunk = found[offset: offset + limit]
            base = f"{request.host_url.rstrip('/')}/v1/incidents?"
            paging = {"first": base + urlencode({"query": query, "offset": 0, "limit": limit})}
            if offset + limit < len(found):
                paging["next"] = base + urlencode(
                    {"query": query, "offset": offset + limit, "limit": limit})
            return self.envelope(chunk, paging=paging)
        m = re.fullmatch(r"/v2/incident-timelines/([^/]+)/entries", request.path)
        if m and m.group(1) in self.timelines:
            entries = sorted(self.timelines[m.group(1)], key=lambda e: e["eventTime"],
                             reverse=a.get("order") == "desc")
            start = int(a.get("offset") or 0)
            chunk = entries[start: start + self.timeline_page]
            nxt = str(start + len(chunk)) if start + len(chunk) < len(entries) else None
            return self.envelope({"entries": chunk, **({"nextOffset": nxt} if nxt else {})})
        return json_response({"message": "Incident with id [x] does not exist", "took": 0.0,
                              "requestId": "r-404"}, 404)


def _iso(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@contextmanager
def threaded_httpserver() -> Iterator[Any]:
    """A pytest-httpserver on 127.0.0.1 that answers each request on its own thread.

    Threads keep a slow answer from one test out of the next test's requests,
    and let the sources' worker threads really run concurrently.
    """
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()
