"""A fake GitLab REST API v4 for pytest-httpserver (see httpfakes.FakeAPI).

It serves the endpoints the gitlab source reads, for any number of projects
and groups: filters (``state``, ``updated_after``, ``environment``,
``issue_type``, ``scope``), sorting, offset pagination with GitLab's headers
(``Link`` with absolute URLs, ``X-Page``, ``X-Next-Page``, ``X-Total``...),
keyset pagination of group projects (``pagination=keyset&order_by=id``,
``id_after`` in the next link), ``RateLimit-*`` headers, ETags, and the three
ways to send a token (``PRIVATE-TOKEN``, ``Authorization: Bearer``,
``JOB-TOKEN``, the last one only on the endpoints a CI job token may read).

Every object is built from the hand-recorded answers in tests/data/gitlab/
(shaped after GitLab's API documentation), with the fields a test sets
replaced, so the fake answers what GitLab answers, neighbours included.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from httpfakes import FakeAPI, Hit, json_response
from werkzeug.wrappers import Request, Response

FIXTURES = Path(__file__).parent / "data" / "gitlab"
PREFIX = "/api/v4"


def fixture(name: str) -> dict[str, Any]:
    """A recorded answer from tests/data/gitlab/NAME.json."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


_TEMPLATES = {name: fixture(name) for name in (
    "merge_request", "approvals", "mr_commit", "diff", "deployment", "incident", "pipeline",
    "project")}


def _new(template: str, **fields: Any) -> dict[str, Any]:
    obj = copy.deepcopy(_TEMPLATES[template])
    obj.update(fields)
    return obj


def _user(username: str) -> dict[str, Any]:
    return {"id": sum(map(ord, username)), "username": username, "name": username.title(),
            "state": "active", "locked": False, "avatar_url": None,
            "web_url": f"https://gitlab.example.com/{username}"}


@dataclass
class Project:
    """One project's data."""

    id: int
    path: str
    mrs: list[dict[str, Any]] = field(default_factory=list)
    approvals: dict[int, list[str]] = field(default_factory=dict)
    commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    diffs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    shipped: dict[int, list[int]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    archived: bool = False


class FakeGitLab(FakeAPI):
    """GitLab REST v4 under /api/v4 for the projects added with :meth:`project`."""

    def __init__(self, token: str | None = None, *, auth: str = "private-token",
                 link_header: bool = True) -> None:
        super().__init__(token)
        self.auth = auth
        self.link_header = link_header  # False: only X-Next-Page (a proxy dropped Link)
        self.projects: dict[str, Project] = {}
        self.groups: set[str] = set()
        self.dora: dict[str, float | None] | None = None  # None: not Ultimate (403)
        self.dora_queries: list[dict[str, Any]] = []
        self.rate_remaining = 1999
        self.page_cap = 100  # GitLab's largest per_page; tests lower it to page sooner
        self._ids = 100
        self._streams: dict[str, Callable[[Request], Response]] = {}

    def stream_forever(self, path: str, handler: Callable[[Request], Response]) -> None:
        """Answer ``path`` with a streamed response (not read whole to log its size)."""
        self._streams[path] = handler

    def handle(self, request: Request) -> Response:
        stream = self._streams.get(request.path)
        if stream is not None:
            self.hits.append(Hit(request.path, request.query_string.decode(),
                                 dict(request.headers), 200, -1))
            return stream(request)
        return super().handle(request)

    # -- builders ----------------------------------------------------------------

    def project(self, path: str, *, archived: bool = False) -> Project:
        """A project (its group and parents become groups)."""
        if path not in self.projects:
            self._ids += 1
            self.projects[path] = Project(self._ids, path, archived=archived)
            parts = path.split("/")
            self.groups |= {"/".join(parts[:i]) for i in range(1, len(parts))}
        return self.projects[path]

    def add_mr(self, path: str, iid: int, *, author: str, created_at: str, merged_at: str | None,
               updated_at: str | None = None, approvers: list[str] = (),
               commit_dates: list[str] = (), merge_sha: str | None = None,
               lines: tuple[int, int] = (3, 1), too_large: bool = False) -> dict[str, Any]:
        """A merge request (merged when ``merged_at`` is set)."""
        p = self.project(path)
        sha = merge_sha or f"{p.id:08x}{iid:032x}"
        mr = _new("merge_request", id=p.id * 100_000 + iid, iid=iid, project_id=p.id,
                  title=f"Change {iid}", created_at=created_at,
                  updated_at=updated_at or merged_at or created_at, merged_at=merged_at,
                  state="merged" if merged_at else "closed", author=_user(author),
                  merge_commit_sha=sha if merged_at else None, source_project_id=p.id,
                  target_project_id=p.id, reference=f"!{iid}",
                  references={"short": f"!{iid}", "relative": f"!{iid}",
                              "full": f"{path}!{iid}"},
                  web_url=f"https://gitlab.example.com/{path}/-/merge_requests/{iid}")
        p.mrs.append(mr)
        p.approvals[iid] = list(approvers)
        p.commits[iid] = [_new("mr_commit", id=f"{iid:08x}{i:032x}", short_id=f"{iid:08x}",
                               authored_date=d, created_at=d, committed_date=d)
                          for i, d in enumerate(commit_dates)]
        adds, dels = lines
        body = "@@ -1,1 +1,1 @@\n" + "+x\n" * adds + "-y\n" * dels
        p.diffs[iid] = [_new("diff", diff="" if too_large else body, too_large=too_large,
                             collapsed=too_large)]
        return mr

    def add_deployment(self, path: str, iid: int, *, sha: str, created_at: str,
                       finished_at: str | None, status: str = "success",
                       environment: str = "production", shipped: list[int] = (),
                       tier: str = "production") -> dict[str, Any]:
        """A deployment of ``path``; ``shipped`` are the iids of the MRs it deployed."""
        p = self.project(path)
        dep_id = p.id * 10_000 + iid
        dep = _new("deployment", id=dep_id, iid=iid, sha=sha, created_at=created_at,
                   updated_at=finished_at or created_at, finished_at=finished_at,
                   status=status)
        dep["environment"] = {**dep["environment"], "name": environment, "slug": environment,
                              "tier": tier}
        dep["deployable"] = {**dep["deployable"], "id": dep_id, "status": status,
                             "web_url": f"https://gitlab.example.com/{path}/-/jobs/{dep_id}"}
        p.deployments.append(dep)
        p.shipped[dep_id] = list(shipped)
        return dep

    def add_incident(self, path: str, iid: int, *, created_at: str, closed_at: str | None = None,
                     labels: list[str] = (), severity: str = "UNKNOWN", description: str = "",
                     issue_type: str = "incident") -> dict[str, Any]:
        p = self.project(path)
        issue = _new("incident", id=p.id * 100_000 + iid, iid=iid, project_id=p.id,
                     title=f"Incident {iid}", description=description,
                     state="closed" if closed_at else "opened", created_at=created_at,
                     updated_at=closed_at or created_at, closed_at=closed_at,
                     labels=list(labels), severity=severity, issue_type=issue_type,
                     type=issue_type.upper(),
                     web_url=f"https://gitlab.example.com/{path}/-/issues/{iid}",
                     references={"short": f"#{iid}", "relative": f"#{iid}",
                                 "full": f"{path}#{iid}"})
        p.issues.append(issue)
        return issue

    def add_pipeline(self, path: str, pid: int, *, started_at: str, finished_at: str | None,
                     status: str = "success", ref: str = "main", name: str | None = "ci",
                     source: str = "push") -> dict[str, Any]:
        p = self.project(path)
        duration = None
        if finished_at:
            duration = int(_epoch(finished_at) - _epoch(started_at))
        pipe = _new("pipeline", id=pid, iid=pid % 10_000, project_id=p.id, name=name,
                    sha=f"{pid:040x}", ref=ref, status=status, source=source,
                    created_at=started_at, updated_at=finished_at or started_at,
                    started_at=started_at, finished_at=finished_at, duration=duration,
                    web_url=f"https://gitlab.example.com/{path}/-/pipelines/{pid}")
        p.pipelines.append(pipe)
        return pipe

    # -- serving -----------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        reset = int(time.time()) + 60
        return {
            "RateLimit-Limit": "2000", "RateLimit-Observed": str(2000 - self.rate_remaining),
            "RateLimit-Remaining": str(self.rate_remaining), "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                 time.gmtime(reset)),
            "Cache-Control": "max-age=0, private, must-revalidate",
            "Vary": "Origin, Accept-Encoding", "X-Content-Type-Options": "nosniff",
        }

    def authorize(self, request: Request) -> Response | None:
        if self.token is None:
            return None
        h = request.headers
        sent = {"private-token": h.get("PRIVATE-TOKEN"),
                "bearer": (h.get("Authorization") or "").removeprefix("Bearer "),
                "job-token": h.get("JOB-TOKEN")}[self.auth]
        if sent != self.token:
            return json_response({"message": "401 Unauthorized"}, 401)
        if self.auth == "job-token" and not _job_token_allowed(self._raw_path(request)):
            # GitLab does not take a job token on these endpoints: as if none was sent
            return json_response({"message": "401 Unauthorized"}, 401)
        return None

    @staticmethod
    def _raw_path(request: Request) -> str:
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
        return raw.split("?", 1)[0] or quote(request.path)

    def _find(self, ref: str) -> Project | None:
        ref = unquote(ref)
        if ref.isdigit():
            return next((p for p in self.projects.values() if p.id == int(ref)), None)
        return self.projects.get(ref)

    def not_found(self, what: str = "404 Project Not Found") -> Response:
        return json_response({"message": what}, 404)

    def paged(self, request: Request, items: list[Any]) -> Response:
        a = request.args
        page = max(1, int(a.get("page", 1)))
        per_page = min(self.page_cap, max(1, int(a.get("per_page", 20))))
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        resp = json_response(chunk, headers=self.headers())
        base = request.host_url.rstrip("/") + self._raw_path(request)
        args = [(k, v) for k, v in a.items(multi=True) if k != "page"]

        def url(n: int) -> str:
            return f"{base}?" + urlencode([*args, ("page", n)])

        nxt = page + 1 if page < total_pages else None
        resp.headers.update({
            "X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
            "X-Total-Pages": str(total_pages), "X-Next-Page": str(nxt or ""),
            "X-Prev-Page": str(page - 1 if page > 1 else ""),
        })
        links = []
        if nxt:
            links.append(f'<{url(nxt)}>; rel="next"')
        if page > 1:
            links.append(f'<{url(page - 1)}>; rel="prev"')
        links += [f'<{url(1)}>; rel="first"', f'<{url(total_pages)}>; rel="last"']
        if self.link_header:
            resp.headers["Link"] = ", ".join(links)
        return resp

    def keyset(self, request: Request, items: list[dict[str, Any]]) -> Response:
        a = request.args
        if a.get("order_by") != "id":
            return json_response(
                {"error": "Keyset pagination is not yet available for this type of request"},
                405)
        per_page = min(self.page_cap, max(1, int(a.get("per_page", 20))))
        after = int(a.get("id_after", 0))
        rows = sorted((i for i in items if i["id"] > after), key=lambda i: i["id"])
        chunk = rows[:per_page]
        resp = json_response(chunk, headers=self.headers())
        if len(rows) > per_page:
            args = [(k, v) for k, v in a.items(multi=True) if k != "id_after"]
            nxt = (request.host_url.rstrip("/") + self._raw_path(request) + "?"
                   + urlencode([*args, ("id_after", chunk[-1]["id"])]))
            resp.headers["Link"] = f'<{nxt}>; rel="next"'
        return resp

    def route(self, request: Request) -> Response:
        raw = self._raw_path(request)
        if not raw.startswith(PREFIX + "/"):
            return self.not_found("404 Not Found")
        raw = raw[len(PREFIX):]
        a = request.args
        m = re.fullmatch(r"/groups/([^/]+)/(projects|dora/metrics)", raw)
        if m:
            group = unquote(m.group(1))
            if group not in self.groups:
                return self.not_found("404 Group Not Found")
            if m.group(2) == "dora/metrics":
                return self._dora(request)
            subgroups = a.get("include_subgroups") == "true"
            found = [_new("project", id=p.id, path=p.path.rpartition("/")[2],
                          name=p.path.rpartition("/")[2], path_with_namespace=p.path,
                          name_with_namespace=p.path.replace("/", " / "),
                          archived=p.archived,
                          web_url=f"https://gitlab.example.com/{p.path}")
                     for p in self.projects.values()
                     if p.path.rpartition("/")[0] == group
                     or (subgroups and p.path.startswith(group + "/"))]
            if a.get("archived") == "false":
                found = [f for f in found if not f["archived"]]
            if a.get("pagination") == "keyset":
                return self.keyset(request, found)
            return self.paged(request, sorted(found, key=lambda f: f["id"]))
        m = re.fullmatch(r"/projects/([^/]+)/(.+)", raw)
        if not m:
            return self.not_found("404 Not Found")
        p = self._find(m.group(1))
        if p is None:
            return self.not_found()
        rest = m.group(2)
        after = a.get("updated_after", "")
        if rest == "merge_requests":
            mrs = [x for x in p.mrs if a.get("state") in (None, "all", x["state"])
                   and _epoch(x["updated_at"]) >= _epoch_or_zero(after)]
            mrs.sort(key=lambda x: x["updated_at"], reverse=a.get("sort", "desc") == "desc")
            return self.paged(request, mrs)
        m = re.fullmatch(r"merge_requests/(\d+)/(approvals|commits|diffs)", rest)
        if m:
            iid = int(m.group(1))
            mr = next((x for x in p.mrs if x["iid"] == iid), None)
            if mr is None:
                return self.not_found("404 Merge Request Not Found")
            if m.group(2) == "approvals":
                body = _new("approvals", id=mr["id"], iid=iid, project_id=p.id,
                            approved=bool(p.approvals[iid]),
                            approved_by=[{"user": _user(u)} for u in p.approvals[iid]])
                return json_response(body, headers=self.headers())
            return self.paged(request, p.commits[iid] if m.group(2) == "commits"
                              else p.diffs[iid])
        if rest == "deployments":
            deps = [d for d in p.deployments
                    if a.get("environment") in (None, d["environment"]["name"])
                    and _epoch(d["updated_at"]) >= _epoch_or_zero(after)]
            if after and a.get("order_by") != "updated_at":
                return json_response({"message": "400 Bad request - updated_after requires "
                                      "order_by=updated_at"}, 400)
            deps.sort(key=lambda d: (d["updated_at"], d["id"]),
                      reverse=a.get("sort", "asc") == "desc")
            return self.paged(request, deps)
        m = re.fullmatch(r"deployments/(\d+)/merge_requests", rest)
        if m:
            dep_id = int(m.group(1))
            if dep_id not in p.shipped:
                return self.not_found("404 Deployment Not Found")
            return self.paged(request, [x for x in p.mrs if x["iid"] in p.shipped[dep_id]])
        if rest == "issues":
            issues = [i for i in p.issues
                      if a.get("issue_type") in (None, i["issue_type"])
                      and _epoch(i["updated_at"]) >= _epoch_or_zero(after)]
            issues.sort(key=lambda i: i["created_at"], reverse=True)
            return self.paged(request, issues)
        if rest == "pipelines":
            finished = {"success", "failed", "canceled", "skipped"}
            pipes = [x for x in p.pipelines
                     if (a.get("scope") != "finished" or x["status"] in finished)
                     and _epoch(x["updated_at"]) >= _epoch_or_zero(after)]
            pipes.sort(key=lambda x: x["updated_at"], reverse=True)
            listed = [{k: x[k] for k in ("id", "iid", "project_id", "sha", "ref", "status",
                                         "source", "created_at", "updated_at", "web_url",
                                         "name")} for x in pipes]
            return self.paged(request, listed)
        m = re.fullmatch(r"pipelines/(\d+)", rest)
        if m:
            pipe = next((x for x in p.pipelines if x["id"] == int(m.group(1))), None)
            if pipe is None:
                return self.not_found("404 Not found")
            return json_response(pipe, headers=self.headers())
        if rest == "dora/metrics":
            return self._dora(request)
        return self.not_found("404 Not Found")

    def _dora(self, request: Request) -> Response:
        if self.dora is None:
            return json_response({"message": "403 Forbidden - You do not have permission to "
                                  "access dora metrics."}, 403)
        a = request.args
        self.dora_queries.append(dict(a.items()))
        metric = a.get("metric", "")
        if metric not in self.dora:
            return json_response({"message": "400 Bad request - metric does not have a valid "
                                  "value"}, 400)
        return json_response([{"date": None, "value": self.dora[metric]}],
                             headers=self.headers())


def _job_token_allowed(raw_path: str) -> bool:
    """The endpoints the source reads that GitLab lets a CI job token read."""
    path = raw_path[len(PREFIX):]
    return bool(re.fullmatch(r"/projects/[^/]+/(deployments(/\d+(/merge_requests)?)?"
                             r"|merge_requests(/\d+)?)", path))


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _epoch_or_zero(text: str) -> float:
    return _epoch(text) if text else 0.0
