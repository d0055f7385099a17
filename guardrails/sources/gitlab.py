"""The ``gitlab`` source: changes, deployments, incidents and CI runs from GitLab.

Reads the GitLab REST API v4 of gitlab.com or a self-managed instance (``url``;
``api_url`` overrides the ``/api/v4`` base) for one project, several, or every
project of a group and its subgroups, and yields the facts of DATA.md:

- changes: merge requests merged in the window (``state=merged``, listed by
  ``updated_after`` the window's first day); approvals from ``/approvals`` as
  APPROVED reviews, the first commit time from ``/commits``, and, with
  ``sizes: true``, lines added and deleted counted in ``/diffs``.
- deployments of ``environment``: status and ``finished_at``; the merge
  requests each successful one shipped from ``/deployments/:id/merge_requests``
  as its ``changes``; a redeploy of a sha an earlier deployment shipped is a
  ``rollback`` remediating the deployment it replaced (gitlab_facts).
- incidents: issues of type ``incident``; severity from GitLab's own
  ``severity`` field, else a label (``severity_label_pattern``);
  ``closed_at`` resolves them; ``caused_by`` from a ``deployment::N`` label or
  a "Caused by: !123" / "Caused by: deployment 31" line in the description.
  A merge request reference links the incident to the first successful
  deployment that shipped that merge request.
- ci_runs: finished pipelines, their times and duration from the single
  pipeline endpoint.

Query parameters depending on the window are rounded to whole UTC days so
runs on the same day ask the same URLs and the cache can answer them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from guardrails.plugin import Source, hookimpl
from guardrails.saferegex import Pattern, compile_pattern
from guardrails.sources import gitlab_facts as gf
from guardrails.sources import gitlab_shapes as shapes
from guardrails.sources.http import (
    COMMON_PROPERTIES,
    CacheMiss,
    HttpClient,
    HttpSettings,
    config_error,
    gathering,
)
from guardrails.sources.http_settings import API_URL_PATTERN
from guardrails.textsafe import printable

#: auth option -> (header, value from the token)
AUTH = {
    "private-token": ("PRIVATE-TOKEN", "{}"),
    "bearer": ("Authorization", "Bearer {}"),
    "job-token": ("JOB-TOKEN", "{}"),
}
# Deployments and merge requests this long before the window are read too: a
# rollback in the window redeploys a sha an older deployment shipped, and a
# deployment in the window ships merge requests merged before it.
LOOKBACK = timedelta(days=30)
_PROJECT_PATH = r"^(?!.*\.\.)[A-Za-z0-9_.][A-Za-z0-9_./-]{0,254}(?![\s\S])"
_PROJECT_REF = {"anyOf": [{"type": "integer", "minimum": 1},
                          {"type": "string", "pattern": _PROJECT_PATH}]}


class GitLabSource(Source):
    """Facts from GitLab projects (one, a list, or a group with its subgroups)."""

    name: ClassVar[str] = "gitlab"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "pattern": API_URL_PATTERN,
                    "description": "The GitLab instance (default https://gitlab.com)."},
            "project": {**_PROJECT_REF, "description": "group/sub/project or numeric id."},
            "projects": {"type": "array", "minItems": 1, "items": _PROJECT_REF},
            "group": {**_PROJECT_REF,
                      "description": "Read every project of this group and its subgroups."},
            "include_subgroups": {"type": "boolean"},
            "auth": {"enum": sorted(AUTH),
                     "description": "How the token is sent (default private-token)."},
            "environment": {"type": "string", "minLength": 1,
                            "description": "Deployment environment to read (production)."},
            "service": {"type": "string",
                        "description": "Service id of every project (default: each "
                                       "project's name)."},
            "service_map": {"type": "object", "additionalProperties": {"type": "string"},
                            "description": "Project path -> service id."},
            "incident_id": {"type": "string", "pattern": r"^[^{}]*\{iid\}[^{}]*$|"
                            r"^[^{}]*\{path\}[^{}]*\{iid\}[^{}]*$",
                            "description": "Incident id template: {path} and {iid} "
                                           "(default {path}#{iid}; e.g. INC-{iid} when "
                                           "postmortems name incidents so)."},
            "severity_label_pattern": {"type": "string"},
            "caused_by_pattern": {"type": "string"},
            "sizes": {"type": "boolean",
                      "description": "Count lines added/deleted in each merge request's "
                                     "diffs (one more request per merge request)."},
            "deployment_changes": {"type": "boolean",
                                   "description": "Ask which merge requests each deployment "
                                                  "shipped (default true)."},
            "pipeline_details": {"type": "boolean",
                                 "description": "Read each pipeline for its start, finish "
                                                "and duration (default true)."},
            **COMMON_PROPERTIES,
        },
    }

    def __init__(self, options: Any, env: Any) -> None:
        super().__init__(options, env)
        o = self.options
        self.url = str(o.get("url", "https://gitlab.com")).rstrip("/")
        self.environment = str(o.get("environment", "production"))
        self.service_map = {str(k): str(v) for k, v in (o.get("service_map") or {}).items()}
        self.auth = str(o.get("auth", "private-token"))
        self.incident_id = str(o.get("incident_id", "{path}#{iid}"))
        self.settings = HttpSettings.from_options(
            o, api_url=self.url + "/api/v4", token_env="GITLAB_TOKEN")
        # RE2 (linear time), like a configured pattern: descriptions come from the
        # network, up to 100,000 characters each.
        self._severity_re: Pattern = compile_pattern(
            r"(?i)^(?:severity::\s*(?:s|sev)?|s|sev)\s*(\d)$")
        self._caused_by_re: Pattern = compile_pattern(
            r"(?i)caused[ -]by:?\s*((?:[A-Za-z0-9_./-]+\s+)?deployment\s*#?\d+"
            r"|[A-Za-z0-9_./-]*!\d+)")
        self.client: HttpClient | None = None  # the last run's client, for its stats
        self._deployments_memo: dict[str, list[dict[str, Any]]] = {}

    # -- config ----------------------------------------------------------------

    def _regex(self, key: str, default: Pattern) -> Pattern:
        # Configured patterns meet labels and descriptions from the network: RE2.
        if key not in self.options:
            return default
        text = str(self.options[key])
        try:
            pattern = compile_pattern("(?i)" + text)
        except ValueError as exc:
            raise config_error(self, key, f"{printable(text[:80])!r} is not a valid regular "
                               f"expression ({exc})", "write an RE2 regular expression with "
                               "one group") from None
        if pattern.groups < 1:
            raise config_error(self, key, f"{text!r} has no group",
                               "put the part to keep in parentheses, e.g. ^severity::(\\d)$")
        return pattern

    def validate(self) -> None:
        """Config checks a schema cannot make (raises ConfigError, a UsageError)."""
        given = [k for k in ("project", "projects", "group") if k in self.options]
        if len(given) != 1:
            raise config_error(
                self, given[1] if len(given) > 1 else "project",
                "name exactly one of project, projects or group"
                + (f" (found {', '.join(given)})" if given else ""),
                "write e.g. project: platform/api, or group: platform")
        self._severity_re = self._regex("severity_label_pattern", self._severity_re)
        self._caused_by_re = self._regex("caused_by_pattern", self._caused_by_re)

    def provides(self) -> set[str]:
        return {"changes", "deployments", "incidents", "ci_runs"}

    def describe(self) -> str:
        o = self.options
        if "group" in o:
            return f"gitlab group {o['group']}"
        if "projects" in o:
            return f"gitlab {len(o['projects'])} projects"
        return f"gitlab {o.get('project')}"

    def make_client(self) -> HttpClient:
        """The HTTP client of one run (also used by ``facts --compare gitlab-dora``)."""
        header, value = AUTH[self.auth]
        return HttpClient(self.name, "GitLab", self.settings, self.env,
                          headers={"Accept": "application/json"},
                          auth_scheme=value.format, auth_header=header)

    # -- gather ------------------------------------------------------------------

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        """Read the requested kinds; one SourceError names everything that failed."""
        self.validate()
        client = self.make_client()
        self.client = client
        self._deployments_memo = {}
        readers = {"changes": self._changes, "deployments": self._deployments,
                   "incidents": self._incidents, "ci_runs": self._ci_runs}
        out: dict[str, list[dict[str, Any]]] = {}
        with gathering(client, self.warnings) as misses:
            projects = self.projects(client)
            for kind in sorted(kinds & self.provides()):
                try:
                    out[kind] = [f for ref, path in projects
                                 for f in readers[kind](client, ref, path)]
                    if kind == "incidents":
                        self._link_causes(client, projects, out[kind])
                except CacheMiss as miss:
                    misses.append(miss)
        return out

    def projects(self, client: HttpClient) -> list[tuple[str, str]]:
        """(URL reference, path) of every project to read; a group is listed with keyset
        pagination (GitLab caps offset paging of projects), subgroups included."""
        o = self.options
        if "group" not in o:
            listed = o["projects"] if "projects" in o else [o["project"]]
            return [(quote(str(p), safe=""), str(p)) for p in listed]
        params = {"include_subgroups": str(o.get("include_subgroups", True)).lower(),
                  "archived": "false", "with_shared": "false", "pagination": "keyset",
                  "order_by": "id", "sort": "asc", "per_page": 100}
        out = []
        for page in client.pages(f"/groups/{quote(str(o['group']), safe='')}/projects",
                                 params, purpose="projects", shape=shapes.GL_PROJECT):
            out += [(str(p["id"]), p["path_with_namespace"]) for p in page
                    if not p.get("archived")]
        return out

    def service_of(self, path: str) -> str:
        """The service id of a project: service_map, else ``service``, else its name."""
        return self.service_map.get(path) or str(
            self.options.get("service") or path.rpartition("/")[2])

    # -- window ------------------------------------------------------------------

    def _since_day(self, extra: timedelta = timedelta(0)) -> str:
        start = self.env.now - self.env.window - extra
        return start.strftime("%Y-%m-%dT00:00:00Z")

    # -- changes -----------------------------------------------------------------

    def _changes(self, client: HttpClient, ref: str, path: str) -> list[dict[str, Any]]:
        end = self.env.now
        # merged up to LOOKBACK before the window: a deployment in the window may ship
        # them (lead time); rules on merged changes filter by merged_at themselves
        start = end - self.env.window - LOOKBACK
        base = f"/projects/{ref}/merge_requests"
        params = {"state": "merged", "updated_after": self._since_day(LOOKBACK),
                  "order_by": "updated_at", "sort": "desc", "per_page": 100}
        merged = [mr for page in client.pages(base, params, purpose="changes",
                                              shape=shapes.GL_MR)
                  for mr in page
                  if (t := gf.ts(mr.get("merged_at"))) is not None and start <= t < end]
        sizes = bool(self.options.get("sizes", False))

        def one(mr: dict[str, Any]) -> dict[str, Any] | None:
            mr_path = f"{base}/{mr['iid']}"
            approvals = client.get(f"{mr_path}/approvals", purpose="changes",
                                   shape=shapes.GL_APPROVALS).data
            commits = [c for page in client.pages(f"{mr_path}/commits", {"per_page": 100},
                                                  purpose="changes", shape=shapes.GL_MR_COMMIT)
                       for c in page]
            counted = None
            if sizes:
                counted = gf.diff_sizes(d for page in client.pages(
                    f"{mr_path}/diffs", {"per_page": 100}, purpose="changes",
                    shape=shapes.GL_DIFF) for d in page)
                if counted is None:
                    self.warnings.append(
                        f"gitlab: merge request {gf.mr_id(path, mr['iid'])} has a diff too "
                        "large for GitLab to show; its size is unknown")
            return gf.change_fact(path, mr, approvals, commits, counted, self.warnings.append,
                                  where=client.shown(mr_path))

        return [f for f in client.map(one, merged, label="merge requests") if f is not None]

    # -- deployments ---------------------------------------------------------------

    def _deployments(self, client: HttpClient, ref: str, path: str) -> list[dict[str, Any]]:
        if path in self._deployments_memo:
            return self._deployments_memo[path]
        end = self.env.now
        start = end - self.env.window
        base = f"/projects/{ref}/deployments"
        params = {"environment": self.environment,
                  "updated_after": self._since_day(LOOKBACK),
                  "order_by": "updated_at", "sort": "asc", "per_page": 100}
        listed = [d for page in client.pages(base, params, purpose="deployments",
                                             shape=shapes.GL_DEPLOYMENT) for d in page]
        shipped: dict[int, list[str]] = {}
        if self.options.get("deployment_changes", True):
            recent = [d for d in listed if d["status"] == "success"
                      and (t := gf.ts(d.get("finished_at") or d.get("updated_at")))
                      and start - timedelta(days=1) <= t < end]

            def mrs(d: dict[str, Any]) -> list[str]:
                return [gf.mr_id(path, m["iid"]) for page in client.pages(
                    f"{base}/{d['id']}/merge_requests", {"per_page": 100},
                    purpose="deployments", shape=shapes.GL_DEPLOYMENT_MR) for m in page]

            shipped = {d["id"]: ids for d, ids in zip(
                recent, client.map(mrs, recent, label="deployments"), strict=True)}
        facts = gf.deployment_facts(path, listed, shipped, end, service=self.service_of(path),
                                    environment=self.environment, warn=self.warnings.append,
                                    where=client.shown(base))
        self._deployments_memo[path] = facts
        return facts

    # -- incidents -----------------------------------------------------------------

    def _incidents(self, client: HttpClient, ref: str, path: str) -> list[dict[str, Any]]:
        end = self.env.now
        base = f"/projects/{ref}/issues"
        params = {"issue_type": "incident", "updated_after": self._since_day(),
                  "order_by": "created_at", "sort": "desc", "per_page": 100}
        out = []
        for page in client.pages(base, params, purpose="incidents", shape=shapes.GL_ISSUE):
            for issue in page:
                fact = gf.incident_fact(path, issue, end, severity_re=self._severity_re,
                                        caused_by_re=self._caused_by_re,
                                        service=self.service_of(path),
                                        warn=self.warnings.append, where=client.shown(base),
                                        id_format=self.incident_id)
                if fact is not None:
                    out.append(fact)
        return out

    def _link_causes(self, client: HttpClient, projects: list[tuple[str, str]],
                     incidents: list[dict[str, Any]]) -> None:
        """Turn each incident's parsed reference into ``caused_by`` (a deployment id).

        A merge request reference needs the deployments: those of every project
        read (an incident filed in one project may name another's change).
        """
        wanted = [i for i in incidents if (i.get("_caused_by") or ("",))[0] == "mr"]
        first: dict[str, dict[str, Any]] = {}
        if wanted:
            deployments = [d for ref, path in projects
                           for d in self._deployments(client, ref, path)]
            for d in deployments:
                if d["status"] != "success":
                    continue
                for change in d.get("changes") or ():
                    known = first.get(change)
                    if known is None or d["finished_at"] < known["finished_at"]:
                        first[change] = d
        for inc in incidents:
            found = inc.pop("_caused_by", None)
            if found is None:
                continue
            what, target = found
            if what == "deployment":
                inc["caused_by"] = target
            elif target in first:
                inc["caused_by"] = first[target]["id"]
            else:
                self.warnings.append(
                    f"gitlab: incident {inc['id']} names merge request {target} as its cause, "
                    f"but no successful {self.environment} deployment read shipped it; "
                    "not linked to a deployment")


    # -- CI runs -------------------------------------------------------------------

    def _ci_runs(self, client: HttpClient, ref: str, path: str) -> list[dict[str, Any]]:
        """Finished pipelines updated in the window, each read whole for its times."""
        end = self.env.now
        base = f"/projects/{ref}/pipelines"
        params = {"scope": "finished", "updated_after": self._since_day(),
                  "order_by": "updated_at", "sort": "desc", "per_page": 100}
        listed = [p for page in client.pages(base, params, purpose="ci_runs",
                                             shape=shapes.GL_PIPELINE_LISTED)
                  for p in page if p["status"] in gf.PIPELINE_CONCLUSIONS]
        if self.options.get("pipeline_details", True):
            listed = client.map(lambda p: client.get(f"{base}/{p['id']}", purpose="ci_runs",
                                                     shape=shapes.GL_PIPELINE).data,
                                listed, label="pipelines")
        out = []
        for p in listed:
            fact = gf.ci_run_fact(path, p, end, warn=self.warnings.append,
                                  where=client.shown(base))
            if fact is not None:
                out.append(fact)
        return out


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    """The gitlab source."""
    return [GitLabSource]
