"""GitHub API answers -> the facts of DATA.md (pure functions, no I/O).

The answers were checked against :mod:`guardrails.sources.http_shapes` before
they reach this module, so fields can be indexed without guards. The
:mod:`guardrails.sources.github` source asks the API and hands each answer
here: a pull request with its reviews and commits becomes a ``changes``
fact, a deployment with its statuses a ``deployments`` fact (``inactive``
after an earlier ``success`` is a success: GitHub deactivates superseded
deployments), a finished workflow run a ``ci_runs`` fact and a team with
its members a ``teams`` fact. Dates that contradict each other (merged before
created, finished before started) exclude the fact with a warning. Issues as
incidents are :mod:`guardrails.sources.github_incidents`'.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from guardrails.sources import http_shapes as shapes
from guardrails.timeutil import iso

Warn = Callable[[str], None]

#: GitHub deployment status state -> DATA.md deployment status
_DEPLOY_STATES = {
    "success": "success", "failure": "failure", "error": "error",
    "inactive": "inactive", "in_progress": "in_progress", "queued": "in_progress",
    "pending": "in_progress",
}
#: Actions conclusion -> DATA.md ci_run conclusion; others (skipped, neutral,
#: action_required, stale) gave no feedback and are left out
_CONCLUSIONS = {
    "success": "success", "failure": "failure", "timed_out": "failure",
    "startup_failure": "failure", "cancelled": "cancelled",
}
_REVIEW_STATES = {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"}


def change_fact(repo: str, pr: dict[str, Any], reviews: list[dict[str, Any]],
                commits: list[dict[str, Any]], warn: Warn, *, where: str = ""
                ) -> dict[str, Any] | None:
    """The ``changes`` fact of one pull request, or None (with a warning) when its
    own dates contradict each other."""
    number = int(pr["number"])
    created, merged = ts(pr.get("created_at")), ts(pr.get("merged_at"))
    if created is not None and merged is not None and merged < created:
        warn(f"github: pull request #{number} ({where or repo}) was merged "
             f"({iso(merged)}) before it was created ({iso(created)}); excluded")
        return None
    first_commit = min(
        (t for c in commits if (t := ts(shapes.dig(c, "commit", "author", "date")))),
        default=None,
    )
    fact: dict[str, Any] = {
        "id": str(number),
        "title": pr.get("title"),
        "author": shapes.dig(pr, "user", "login"),
        "created_at": created,
        "first_commit_at": first_commit,
        "merged_at": merged,
        "merge_sha": pr.get("merge_commit_sha"),
        "additions": pr.get("additions"),
        "deletions": pr.get("deletions"),
        "repo": repo,
        "url": pr.get("html_url"),
        "reviews": [
            {"user": shapes.dig(r, "user", "login") or "ghost", "state": r["state"],
             "submitted_at": ts(r.get("submitted_at"))}
            for r in reviews if r.get("state") in _REVIEW_STATES
        ],
    }
    return shapes.compact(fact)


def deployment_fact(d: dict[str, Any], statuses: list[dict[str, Any]], end: datetime, *,
                    service: str, environment: str, warn: Warn, where: str = ""
                    ) -> dict[str, Any] | None:
    """The ``deployments`` fact of one deployment and its statuses (None: excluded)."""
    timed = [(at, s) for s in statuses if (at := ts(s.get("created_at"))) is not None]
    timed.sort(key=lambda pair: pair[0])  # stable: equal times keep the API's order
    dated = [s for at, s in timed if at < end]
    created = ts(d.get("created_at"))
    if dated:
        newest = dated[-1]
        status = deployment_status([str(s.get("state", "")) for s in dated])
        finished = ts(newest["created_at"])
        url = newest.get("log_url") or newest.get("target_url") or newest.get(
            "environment_url")
    else:
        # no status yet: GitHub shows it as pending
        status, finished, url = "in_progress", created, None
    if finished is None:
        return None
    if created is not None and finished < created:
        warn(f"github: deployment {d['id']} ({where}) finished ({iso(finished)}) before it "
             f"started ({iso(created)}); excluded")
        return None
    return shapes.compact({
        "id": str(d["id"]),
        "service": service,
        "environment": d.get("environment", environment),
        "production_environment": bool(d.get("production_environment",
                                             environment == "production")),
        "sha": d.get("sha"),
        "ref": d.get("ref"),
        "started_at": created,
        "finished_at": finished,
        "status": status,
        "creator": shapes.dig(d, "creator", "login"),
        "url": url or None,
    })


def ci_run_fact(run: dict[str, Any], end: datetime, *, warn: Warn, where: str = ""
                ) -> dict[str, Any] | None:
    """The ``ci_runs`` fact of one workflow run (None: unfinished, no feedback, out of
    the window, or dates that contradict)."""
    conclusion = _CONCLUSIONS.get(run.get("conclusion") or "")
    if run.get("status") != "completed" or conclusion is None:
        return None
    started = ts(run.get("run_started_at") or run.get("created_at"))
    finished = ts(run.get("updated_at"))
    if started is None or finished is None or started >= end:
        return None
    if finished < started:
        warn(f"github: workflow run {run['id']} ({where}) finished ({iso(finished)}) "
             f"before it started ({iso(started)}); excluded")
        return None
    return shapes.compact({
        "id": str(run["id"]),
        "started_at": started,
        "finished_at": finished,
        "conclusion": conclusion,
        "workflow": run.get("name"),
        "branch": run.get("head_branch"),
        "sha": run.get("head_sha"),
        "event": run.get("event"),
        "url": run.get("html_url"),
    })


def team_fact(team: dict[str, Any], people: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``teams`` fact of one team and its members."""
    return shapes.compact({
        "id": team["slug"],
        "name": team.get("name"),
        "github": team["slug"],
        "mission": team.get("description") or None,
        "parent": shapes.dig(team, "parent", "slug"),
        "members": [{"handle": m["login"]} for m in people if m.get("login")],
        "url": team.get("html_url"),
    })


def deployment_status(states: list[str]) -> str:
    """DATA.md status from a deployment's status states, oldest first.

    The newest state decides; ``inactive`` counts as ``success`` when the
    state before the trailing inactive ones was ``success``.
    """
    if not states:
        return "in_progress"
    newest = states[-1]
    if newest == "inactive":
        earlier = [s for s in states if s != "inactive"]
        return "success" if earlier and earlier[-1] == "success" else "inactive"
    return _DEPLOY_STATES.get(newest, newest)


def ts(value: Any) -> datetime | None:
    """A timestamp of a checked GitHub answer as an aware UTC datetime (None when empty)."""
    return shapes.api_time("github", value)
