"""The ``github`` source: changes, deployments, incidents, CI runs and teams.

Reads the GitHub REST API (version ``2022-11-28``; GitHub Enterprise Server
through ``api_url``) and yields the facts of DATA.md:

- changes: pull requests merged in the window. The listing is read newest
  update first and stops once ``updated_at`` leaves the window; sizes come
  from the single-PR endpoint, reviews and the first commit time from its
  ``/reviews`` and ``/commits`` listings (fetched on ``workers`` threads).
- deployments of the configured environment, their outcome from the newest
  status (``inactive`` after an earlier ``success`` is a success: GitHub
  deactivates superseded deployments), and the commits each successful one
  shipped (compare API between consecutive ones) as ``changes``.
- incidents (the ``incidents`` option, on unless false): issues carrying
  one of its labels; see :mod:`guardrails.sources.github_incidents`.
- ci_runs: completed GitHub Actions workflow runs.
- teams (with ``teams_org``): the org's teams and their members.

This module asks (which listings, how far back, what to fetch per item);
turning each checked answer into a fact is :mod:`guardrails.sources.github_facts`.

Query parameters depending on the window are rounded to whole UTC days so
runs on the same day ask the same URLs and the cache can answer them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from guardrails.plugin import Source, hookimpl
from guardrails.sources import http_shapes as shapes
from guardrails.sources.github_facts import (
    change_fact,
    ci_run_fact,
    deployment_fact,
    deployment_status,
    team_fact,
)
from guardrails.sources.github_facts import ts as _ts
from guardrails.sources.github_incidents import SCHEMA as incidents_schema
from guardrails.sources.github_incidents import (
    IncidentOptions,
    incident_fact,
    incident_options,
)
from guardrails.sources.http import (
    COMMON_PROPERTIES,
    CacheMiss,
    HttpClient,
    HttpSettings,
    config_error,
    gathering,
)

API_VERSION = "2022-11-28"

# The answers' conversions (github_facts) and incidents (github_incidents) are
# re-exported: they have always been importable from here.
__all__ = ["API_VERSION", "GitHubSource", "change_fact", "ci_run_fact", "deployment_fact",
           "deployment_status", "guardrails_gather_sources", "incident_fact", "team_fact"]

# deployments created this long before the window may still finish inside it
_DEPLOY_SLACK = timedelta(days=1)


class GitHubSource(Source):
    """Facts from one GitHub repository (and optionally its org's teams)."""

    name: ClassVar[str] = "github"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["repo"],
        "properties": {
            "repo": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?![\s\S])",
                     "description": "owner/name of the repository."},
            "environment": {"type": "string",
                            "description": "Deployment environment to read (production)."},
            "service": {"type": "string",
                        "description": "Service id for deployments and incidents "
                                       "(default: the repository name)."},
            "incidents": incidents_schema,
            # the flat form of earlier versions (see github_incidents.incident_options)
            "incident_label": {"type": "string"},
            "severity_label_pattern": {"type": "string"},
            "caused_by_pattern": {"type": "string"},
            "teams_org": {"type": "string"},
            "deployment_changes": {"type": "boolean",
                                   "description": "Ask the compare API which commits each "
                                                  "deployment shipped (default true)."},
            **COMMON_PROPERTIES,
        },
    }

    def __init__(self, options: Any, env: Any) -> None:
        super().__init__(options, env)
        o = self.options
        self.repo = str(o.get("repo", ""))
        self.environment = str(o.get("environment", "production"))
        self.service = str(o.get("service") or self.repo.rpartition("/")[2])
        self.teams_org = o.get("teams_org")
        self.settings = HttpSettings.from_options(
            o, api_url="https://api.github.com", token_env="GITHUB_TOKEN")
        self.incidents: IncidentOptions | None = None  # read by validate()
        self.client: HttpClient | None = None  # the last run's client, for its stats

    def validate(self) -> None:
        """Config checks a schema cannot make (raises ConfigError, a UsageError)."""
        parts = self.repo.split("/")
        if len(parts) != 2 or not all(parts):
            raise config_error(self, "repo", f"{self.repo!r} is not owner/name",
                               "write e.g. repo: acme/api")
        self.incidents = incident_options(
            self.options, lambda key, message, fix: config_error(self, key, message, fix))

    def provides(self) -> set[str]:
        kinds = {"changes", "deployments", "ci_runs"}
        if self.options.get("incidents", True) is not False:
            kinds.add("incidents")
        if self.teams_org:
            kinds.add("teams")
        return kinds

    def describe(self) -> str:
        return f"github {self.repo}"

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        """Read the requested kinds; one SourceError names everything that failed."""
        self.validate()
        client = HttpClient(
            self.name, "GitHub", self.settings, self.env,
            headers={"Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": API_VERSION},
            auth_scheme=lambda token: f"Bearer {token}",
        )
        self.client = client
        readers = {"changes": self._changes, "deployments": self._deployments,
                   "incidents": self._incidents, "ci_runs": self._ci_runs,
                   "teams": self._teams}
        out: dict[str, list[dict[str, Any]]] = {}
        with gathering(client, self.warnings) as misses:
            for kind in sorted(kinds & self.provides()):
                try:
                    out[kind] = readers[kind](client)
                except CacheMiss as miss:
                    misses.append(miss)
        return out

    # -- window ----------------------------------------------------------------

    def _window(self) -> tuple[datetime, datetime]:
        end = self.env.now
        return end - self.env.window, end

    def _since_day(self) -> datetime:
        start, _ = self._window()
        return start.replace(hour=0, minute=0, second=0, microsecond=0)

    # -- changes ---------------------------------------------------------------

    def _changes(self, client: HttpClient) -> list[dict[str, Any]]:
        start, end = self._window()
        merged: list[dict[str, Any]] = []
        params = {"state": "closed", "sort": "updated", "direction": "desc", "per_page": 100}
        for items in client.pages(f"/repos/{self.repo}/pulls", params, purpose="changes",
                                  shape=shapes.GH_PULL_LISTED):
            left_window = False
            for pr in items:
                updated = _ts(pr.get("updated_at"))
                if updated is not None and updated < start:
                    left_window = True
                    break
                merged_at = _ts(pr.get("merged_at"))
                if merged_at is not None and start <= merged_at < end:
                    merged.append(pr)
            if left_window:
                break
        facts = client.map(lambda pr: self._change(client, pr), merged, label="pull requests")
        return [f for f in facts if f is not None]

    def _change(self, client: HttpClient, listed: dict[str, Any]) -> dict[str, Any] | None:
        number = int(listed["number"])
        base = f"/repos/{self.repo}/pulls/{number}"
        pr = client.get(base, purpose="changes", shape=shapes.GH_PULL).data
        reviews = [r for page in client.pages(f"{base}/reviews", {"per_page": 100},
                                              purpose="changes", shape=shapes.GH_REVIEW)
                   for r in page]
        commits = [c for page in client.pages(f"{base}/commits", {"per_page": 100},
                                              purpose="changes", shape=shapes.GH_PR_COMMIT)
                   for c in page]
        return change_fact(self.repo, pr, reviews, commits, self.warnings.append,
                           where=client.shown(base))

    # -- deployments -----------------------------------------------------------

    def _deployments(self, client: HttpClient) -> list[dict[str, Any]]:
        start, end = self._window()
        chosen: list[dict[str, Any]] = []
        params = {"environment": self.environment, "per_page": 100}
        # GitHub lists deployments newest first.
        for items in client.pages(f"/repos/{self.repo}/deployments", params,
                                  purpose="deployments", shape=shapes.GH_DEPLOYMENT):
            older = False
            for d in items:
                created = _ts(d.get("created_at"))
                if created is not None and created < start - _DEPLOY_SLACK:
                    older = True
                    break
                if created is None or created < end:
                    chosen.append(d)
            if older:
                break
        facts = client.map(lambda d: self._deployment(client, d), chosen, label="deployments")
        out = [f for f in facts if f is not None]
        if self.options.get("deployment_changes", True):
            self._shipped_commits(client, out)
        return out

    def _shipped_commits(self, client: HttpClient, deployments: list[dict[str, Any]]) -> None:
        """Set ``changes`` of each successful deployment to the commits it shipped.

        The compare API between consecutive successful deployments lists the
        commits in between; a change joins its deployment through its
        ``merge_sha`` (DATA.md). The earliest deployment read has no
        predecessor, so its ``changes`` stay unknown.
        """
        shipped = sorted((d for d in deployments if d["status"] == "success" and d.get("sha")),
                         key=lambda d: d["finished_at"])
        pairs = [(a, b) for a, b in zip(shipped, shipped[1:], strict=False)
                 if a["sha"] != b["sha"]]

        def compare(pair: tuple[dict[str, Any], dict[str, Any]]) -> list[str]:
            base, head = pair
            return [c["sha"] for page in client.pages(
                f"/repos/{self.repo}/compare/{base['sha']}...{head['sha']}",
                {"per_page": 100}, purpose="deployments", items_key="commits",
                shape=shapes.GH_COMPARE_COMMIT)
                for c in page]

        for (_, head), shas in zip(pairs, client.map(compare, pairs, label="compares"),
                                   strict=True):
            head["changes"] = shas

    def _deployment(self, client: HttpClient, d: dict[str, Any]) -> dict[str, Any] | None:
        path = f"/repos/{self.repo}/deployments/{int(d['id'])}/statuses"
        statuses = [s for page in client.pages(path, {"per_page": 100},
                                               purpose="deployments",
                                               shape=shapes.GH_DEPLOYMENT_STATUS)
                    for s in page]
        _, end = self._window()
        return deployment_fact(d, statuses, end, service=self.service,
                               environment=self.environment, warn=self.warnings.append,
                               where=client.shown(path))

    # -- incidents -------------------------------------------------------------

    def _incidents(self, client: HttpClient) -> list[dict[str, Any]]:
        _, end = self._window()
        since = self._since_day().strftime("%Y-%m-%dT%H:%M:%SZ")
        path = f"/repos/{self.repo}/issues"
        opts = self.incidents
        assert opts is not None  # gather() ran validate()
        out: dict[str, dict[str, Any]] = {}
        # GitHub's labels filter wants all the labels it names: list each on its own
        for label in opts.labels:
            params = {"labels": label, "state": "all", "since": since, "per_page": 100}
            for items in client.pages(path, params, purpose="incidents",
                                      shape=shapes.GH_ISSUE):
                for issue in items:
                    if str(issue["number"]) in out:
                        continue
                    fact = incident_fact(issue, end, severity_re=opts.severity_re,
                                         caused_by_re=opts.caused_by_re, service=self.service,
                                         warn=self.warnings.append, where=client.shown(path),
                                         repo=self.repo)
                    if fact is not None:
                        out[fact["id"]] = fact
        facts = sorted(out.values(), key=lambda f: (f["created_at"], int(f["id"])))
        self._merge_commits(client, [f for f in facts if "caused_by_change" in f])
        return facts

    def _merge_commits(self, client: HttpClient, facts: list[dict[str, Any]]) -> None:
        """Set ``caused_by_commit`` of incidents naming a pull request to its merge commit."""
        numbers = sorted({int(f["caused_by_change"]) for f in facts})

        def merge_sha(number: int) -> str | None:
            page = client.get_if_found(f"/repos/{self.repo}/pulls/{number}",
                                       purpose="incidents", shape=shapes.GH_PULL)
            if page is None or not page.data.get("merged_at"):
                return None
            return page.data.get("merge_commit_sha")

        shas = dict(zip(numbers, client.map(merge_sha, numbers, label="pull requests"),
                        strict=True))
        for f in facts:
            sha = shas[int(f["caused_by_change"])]
            if sha:
                f["caused_by_commit"] = sha
            else:
                self.warnings.append(
                    f"github: incident issue #{f['id']} names pull request "
                    f"#{f['caused_by_change']} as its cause, which is not a merged pull "
                    f"request of {self.repo}; its cause is unknown")

    # -- CI runs ---------------------------------------------------------------

    def _ci_runs(self, client: HttpClient) -> list[dict[str, Any]]:
        _, end = self._window()
        params = {"created": f">={self._since_day().date().isoformat()}", "per_page": 100}
        path = f"/repos/{self.repo}/actions/runs"
        out = []
        for items in client.pages(path, params, purpose="ci_runs", items_key="workflow_runs",
                                  shape=shapes.GH_RUN):
            for run in items:
                fact = ci_run_fact(run, end, warn=self.warnings.append,
                                   where=client.shown(path))
                if fact is not None:
                    out.append(fact)
        return out

    # -- teams -----------------------------------------------------------------

    def _teams(self, client: HttpClient) -> list[dict[str, Any]]:
        org = self.teams_org
        teams = [t for page in client.pages(f"/orgs/{org}/teams", {"per_page": 100},
                                            purpose="teams", shape=shapes.GH_TEAM)
                 for t in page]

        def members(team: dict[str, Any]) -> dict[str, Any]:
            people = [m for page in client.pages(
                f"/orgs/{org}/teams/{team['slug']}/members", {"per_page": 100},
                purpose="teams", shape=shapes.GH_MEMBER) for m in page]
            return team_fact(team, people)

        return client.map(members, teams, label="teams")


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    """The github source."""
    return [GitHubSource]
