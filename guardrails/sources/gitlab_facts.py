"""GitLab API answers -> the facts of DATA.md (pure functions, no I/O).

The answers were checked against :mod:`guardrails.sources.gitlab_shapes`
before they reach this module, so fields can be indexed without guards.

Identifiers are GitLab's own references, unique across projects:
``group/project!12`` (merge request 12), ``group/project#7`` (issue 7) and
``group/project/deployments/31`` (deployment 31 by its per-project ``iid``,
the number GitLab's environment page shows). Pipelines keep their global id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from guardrails.saferegex import Pattern
from guardrails.sources import http_shapes as shapes
from guardrails.sources.http_shapes import compact, dig
from guardrails.timeutil import iso

Warn = Callable[[str], None]

#: GitLab deployment status -> DATA.md status; ``skipped`` never ran and is left out
DEPLOY_STATES = {
    "success": "success", "failed": "failure", "canceled": "canceled",
    "running": "in_progress", "created": "in_progress", "blocked": "in_progress",
}
#: GitLab pipeline status -> ci_run conclusion; others (running, manual, skipped,
#: scheduled, ...) gave no feedback yet and are left out
PIPELINE_CONCLUSIONS = {"success": "success", "failed": "failure", "canceled": "cancelled"}
#: GitLab incident severity (the issue's ``severity`` field) -> SEV level
SEVERITIES = {"CRITICAL": "SEV1", "HIGH": "SEV2", "MEDIUM": "SEV3", "LOW": "SEV4"}

#: ``!12``, ``group/project!12``, ``deployment 31``, ``group/project deployment #31``
_REF = re.compile(r"^(?:(?P<path>[A-Za-z0-9_./-]{1,255})?!(?P<mr>\d{1,12})"
                  r"|(?:(?P<dpath>[A-Za-z0-9_./-]{1,255})\s+)?deployment\s*#?(?P<dep>\d{1,12}))\Z",
                  re.IGNORECASE | re.ASCII)  # "!١٢" is no reference to merge request 12


def mr_id(path: str, iid: int) -> str:
    """The change id of merge request ``iid`` of project ``path``."""
    return f"{path}!{iid}"


def deployment_id(path: str, iid: int) -> str:
    """The deployment id of deployment ``iid`` of project ``path``."""
    return f"{path}/deployments/{iid}"


def change_fact(path: str, mr: dict[str, Any], approvals: dict[str, Any] | None,
                commits: list[dict[str, Any]], sizes: tuple[int, int] | None, warn: Warn,
                *, where: str = "") -> dict[str, Any] | None:
    """The ``changes`` fact of one merged merge request (None: dates that contradict)."""
    created, merged = ts(mr.get("created_at")), ts(mr.get("merged_at"))
    if created is not None and merged is not None and merged < created:
        warn(f"gitlab: merge request {mr_id(path, mr['iid'])} ({where}) was merged "
             f"({iso(merged)}) before it was created ({iso(created)}); excluded")
        return None
    first_commit = min(
        (t for c in commits if (t := ts(c.get("authored_date") or c.get("created_at")))),
        default=None)
    reviews = [{"user": a["user"]["username"], "state": "APPROVED"}
               for a in (approvals or {}).get("approved_by", [])]
    return compact({
        "id": mr_id(path, mr["iid"]),
        "title": mr.get("title"),
        "author": dig(mr, "author", "username"),
        "created_at": created,
        "first_commit_at": first_commit,
        "merged_at": merged,
        # the commit that lands on the target branch: the merge commit, else the
        # squash commit, else (fast-forward merges) the MR's head
        "merge_sha": mr.get("merge_commit_sha") or mr.get("squash_commit_sha") or mr.get("sha"),
        "additions": sizes[0] if sizes else None,
        "deletions": sizes[1] if sizes else None,
        "repo": path,
        "url": mr.get("web_url"),
        "reviews": reviews,
    })


def diff_sizes(diffs: Iterable[dict[str, Any]]) -> tuple[int, int] | None:
    """Lines added and deleted in a merge request's diffs (None: a diff GitLab left out).

    GitLab's diff texts start at the first ``@@`` hunk, without ``---``/``+++``
    file headers, so every line opening with ``+`` or ``-`` is a changed line.
    A diff marked ``too_large`` (or collapsed and empty) has no text to count.
    """
    adds = dels = 0
    for d in diffs:
        text = d["diff"]
        if d.get("too_large") or (d.get("collapsed") and not text):
            return None
        for line in text.splitlines():
            if line.startswith("+"):
                adds += 1
            elif line.startswith("-"):
                dels += 1
    return adds, dels


def deployment_facts(path: str, deployments: list[dict[str, Any]],
                     shipped: dict[int, list[str]], end: datetime, *, service: str,
                     environment: str, warn: Warn, where: str = "") -> list[dict[str, Any]]:
    """The ``deployments`` facts of one project's deployments to ``environment``.

    ``shipped`` maps a deployment's global id to the change ids GitLab says it
    deployed. A successful deployment of a sha that an earlier successful
    deployment (not the one just before it) already shipped is a redeploy of
    older code: ``kind: rollback`` remediating the deployment it replaced.
    """
    out: list[dict[str, Any]] = []
    for d in deployments:
        status = DEPLOY_STATES.get(d["status"])
        if status is None:
            continue
        created = ts(d["created_at"])
        finished = ts(d.get("finished_at")) if status != "in_progress" else None
        if finished is None:
            finished = ts(d.get("updated_at")) or created
        if finished is None or created is None or created >= end:
            continue
        if finished < created:
            warn(f"gitlab: deployment {deployment_id(path, d['iid'])} ({where}) finished "
                 f"({iso(finished)}) before it started ({iso(created)}); excluded")
            continue
        if finished >= end:  # still running as of --now
            status, finished = "in_progress", created
        env = d.get("environment") or {}
        fact = compact({
            "id": deployment_id(path, d["iid"]),
            "service": service,
            "environment": env.get("name") or environment,
            "production_environment": (env.get("tier") == "production"
                                       if env.get("tier") else None),
            "sha": d.get("sha"),
            "ref": d.get("ref"),
            "started_at": created,
            "finished_at": finished,
            "status": status,
            "creator": dig(d, "user", "username"),
            "url": dig(d, "deployable", "web_url"),
            "gitlab_id": d["id"],
        })
        if d["id"] in shipped:
            fact["changes"] = shipped[d["id"]]
        out.append(fact)
    mark_rollbacks(out)
    for fact in out:
        fact.pop("gitlab_id", None)
    return out


def mark_rollbacks(deployments: list[dict[str, Any]]) -> None:
    """Set ``kind: rollback`` and ``remediates`` on redeploys of an earlier sha (in place)."""
    ok = sorted((d for d in deployments if d["status"] == "success" and d.get("sha")),
                key=lambda d: (d["finished_at"], d.get("gitlab_id", 0)))
    seen: set[str] = set()
    for before, d in zip([None, *ok], ok, strict=False):
        if before is not None and d["sha"] in seen and d["sha"] != before["sha"]:
            d["kind"] = "rollback"
            d["remediates"] = before["id"]
        seen.add(d["sha"])


def parse_ref(text: str, path: str) -> tuple[str, str] | None:
    """A caused-by reference as ("mr", change id) or ("deployment", deployment id)."""
    m = _REF.match(text.strip().rstrip(".,;)"))
    if m is None:
        return None
    if m.group("dep"):
        return "deployment", deployment_id(m.group("dpath") or path, int(m.group("dep")))
    return "mr", mr_id(m.group("path") or path, int(m.group("mr")))


def incident_fact(path: str, issue: dict[str, Any], end: datetime, *, severity_re: Pattern,
                  caused_by_re: Pattern, service: str, warn: Warn, where: str = "",
                  id_format: str = "{path}#{iid}") -> dict[str, Any] | None:
    """The ``incidents`` fact of one incident issue (None: not an incident, created after
    the window, or dates that contradict). ``caused_by`` is left as a parsed reference
    (``_caused_by``) for the source to resolve against the deployments it read."""
    if issue.get("issue_type") not in (None, "incident"):
        return None
    created = ts(issue["created_at"])
    if created is None or created >= end:
        return None
    labels = shapes.label_names(issue.get("labels"))
    severity = (SEVERITIES.get(str(issue.get("severity") or "").upper())
                or shapes.severity_from_labels(labels, severity_re))
    ref = None
    for label in labels:  # a scoped label deployment::31 names the deployment
        # ASCII digits, whole: isdigit() takes "²" (which int() refuses: the source
        # crashed) and Arabic-Indic digits (int("٣٤") == 34 linked deployment 34).
        number = label[12:].strip(" ")
        if (label.lower().startswith("deployment::") and number.isascii()
                and number.isdigit() and len(number) <= 12):
            ref = ("deployment", deployment_id(path, int(number)))
            break
    if ref is None:
        m = caused_by_re.search((issue.get("description") or "")[:100_000])
        if m and m.group(1):
            ref = parse_ref(m.group(1)[:300], path)
            if ref is None:
                warn(f"gitlab: incident {path}#{issue['iid']} ({where}) says it was caused by "
                     f"{m.group(1)[:60]!r}, which is neither !<merge request> nor "
                     "deployment <number>; not linked")
    closed = ts(issue.get("closed_at")) if issue.get("state") == "closed" else None
    if closed is not None and closed < created:
        warn(f"gitlab: incident {path}#{issue['iid']} ({where}) was closed ({iso(closed)}) "
             f"before it was created ({iso(created)}); excluded")
        return None
    if closed is not None and closed >= end:
        closed = None  # resolved after --now: open as of then
    return compact({
        "id": id_format.format(path=path, iid=issue["iid"]),
        "title": issue.get("title"),
        "created_at": created,
        "resolved_at": closed,
        "status": "resolved" if closed else "open",
        "severity": severity,
        "service": service,
        "url": issue.get("web_url"),
        "_caused_by": ref,
    })


def ci_run_fact(path: str, p: dict[str, Any], end: datetime, *, warn: Warn, where: str = ""
                ) -> dict[str, Any] | None:
    """The ``ci_runs`` fact of one pipeline (None: unfinished, no feedback, after the
    window, or dates that contradict)."""
    conclusion = PIPELINE_CONCLUSIONS.get(p["status"])
    if conclusion is None:
        return None
    started = ts(p.get("started_at") or p.get("created_at"))
    finished = ts(p.get("finished_at") or p.get("updated_at"))
    if started is None or finished is None or started >= end or finished >= end:
        return None
    if finished < started:
        warn(f"gitlab: pipeline {p['id']} of {path} ({where}) finished ({iso(finished)}) "
             f"before it started ({iso(started)}); excluded")
        return None
    return compact({
        "id": str(p["id"]),
        "repo": path,
        "started_at": started,
        "finished_at": finished,
        "duration_s": p.get("duration"),
        "conclusion": conclusion,
        "workflow": p.get("name") or path,
        "branch": p.get("ref"),
        "sha": p.get("sha"),
        "event": p.get("source"),
        "url": p.get("web_url"),
    })


def ts(value: Any) -> datetime | None:
    """An answer's timestamp (checked by the shapes) as an aware UTC datetime."""
    return shapes.api_time("gitlab", value)
