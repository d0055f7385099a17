"""The Acme example org served as a GitLab instance (the twin of examples/acme/org/).

``acme_gitlab()`` reads the org's exports (pull requests, deployments,
incidents, CI runs) and files each under the GitLab project of its
repository or service, as GitLab would hold them:

- a pull request becomes a merged merge request (iid = its number) with its
  approvals, its first commit and a diff of its size; other review states have
  no GitLab counterpart;
- a deployment becomes a deployment of ``production`` (iid = its number) that
  shipped the merge requests it lists; a rollback redeploys the sha of the last
  good deployment before the one it remediates, which is how GitLab shows a
  rollback; a hotfix is an ordinary deployment (GitLab has no such notion);
- an incident becomes an incident issue (iid = its number) with GitLab's
  severity, closed when resolved, and "Caused by: <project> deployment #N";
- a CI run becomes a finished pipeline named after its workflow.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from gitlabfake import FakeGitLab

ORG = Path(__file__).resolve().parents[1] / "examples" / "acme" / "org"
SEVERITY = {"SEV1": "CRITICAL", "SEV2": "HIGH", "SEV3": "MEDIUM", "SEV4": "LOW"}
STATUS = {"success": "success", "failure": "failed", "canceled": "canceled",
          "error": "failed"}
PIPELINE = {"success": "success", "failure": "failed", "cancelled": "canceled"}


def _z(text: str) -> str:
    """A timestamp as GitLab writes it (UTC, milliseconds, Z)."""
    t = datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _number(ref: str) -> int:
    return int(str(ref).rpartition("-")[2])


def acme_gitlab(token: str) -> FakeGitLab:
    """A fake GitLab holding Acme's data in group ``acme`` (one project per repository)."""
    fake = FakeGitLab(token=token)
    services = yaml.safe_load((ORG / "services.yaml").read_text("utf-8"))["services"]
    repo_of = {s["id"]: s["repos"][0] for s in services}
    for repo in sorted(repo_of.values()):
        fake.project(repo)

    for line in (ORG / "pull_requests.jsonl").read_text("utf-8").splitlines():
        pr = json.loads(line)
        approvers = list(dict.fromkeys(r["user"] for r in pr.get("reviews", [])
                                       if r["state"] == "APPROVED"))
        fake.add_mr(pr["repo"], int(pr["id"]), author=pr["author"],
                    created_at=_z(pr["created_at"]), merged_at=_z(pr["merged_at"]),
                    approvers=approvers, commit_dates=[_z(pr["first_commit_at"])],
                    merge_sha=pr["merge_sha"], lines=(pr["additions"], pr["deletions"]))

    with (ORG / "deployments.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    last_good: dict[str, str] = {}  # service -> sha of its latest success so far
    good_before: dict[str, str] = {}  # deployment id -> sha of the success before it
    for row in sorted(rows, key=lambda r: r["finished_at"]):
        good_before[row["id"]] = last_good.get(row["service"], row["sha"])
        if row["status"] == "success" and row["environment"] == "production":
            last_good[row["service"]] = row["sha"]
    for row in rows:
        sha = row["sha"]
        if row["kind"] == "rollback" and row["remediates"] in good_before:
            sha = good_before[row["remediates"]]
        fake.add_deployment(
            repo_of[row["service"]], _number(row["id"]), sha=sha,
            created_at=_z(row["started_at"]), finished_at=_z(row["finished_at"]),
            status=STATUS[row["status"]], environment=row["environment"],
            tier="production" if row["environment"] == "production" else "staging",
            shipped=[int(c) for c in row["changes"].split()])

    incidents = yaml.safe_load((ORG / "incidents.yaml").read_text("utf-8"))["incidents"]
    dep_repo = {row["id"]: repo_of[row["service"]] for row in rows}
    for inc in incidents:
        cause = inc.get("caused_by")
        repo = repo_of[inc["service"]]
        cause_repo = dep_repo.get(cause, repo)
        fake.add_incident(
            repo, _number(inc["id"]), created_at=_z(inc["created_at"]),
            closed_at=_z(inc["resolved_at"]) if inc.get("resolved_at") else None,
            severity=SEVERITY.get(inc.get("severity", ""), "UNKNOWN"), labels=["incident"],
            description=inc["title"] + (
                f"\n\nCaused by: {cause_repo} deployment #{_number(cause)}\n" if cause else ""))

    with (ORG / "ci_runs.csv").open(encoding="utf-8", newline="") as fh:
        for run in csv.DictReader(fh):
            fake.add_pipeline(run["repo"], int(run["id"]), started_at=_z(run["started_at"]),
                              finished_at=_z(run["finished_at"]),
                              status=PIPELINE[run["conclusion"]], ref=run["branch"],
                              name=run["workflow"],
                              source="merge_request_event" if run["event"] == "pull_request"
                              else run["event"])
    return fake


def twin_config(url: str) -> dict[str, Any]:
    """examples/acme/guardrails-gitlab.yaml with its GitLab url pointed at ``url``."""
    path = ORG.parent / "guardrails-gitlab.yaml"
    cfg: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    cfg["sources"]["gitlab"]["url"] = url
    return cfg
