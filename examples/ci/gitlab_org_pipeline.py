"""Write the child pipeline of examples/ci/gitlab-ci-org.yml: one job per repository.

    python gitlab_org_pipeline.py guardrails-repositories.txt > child.yml
    python gitlab_org_pipeline.py --group acme > child.yml   # GitLab API, GITLAB_TOKEN

The list is one project path a line (``acme/api``; ``#`` comments and blank
lines ignored), or every unarchived project of a group from the GitLab API
(``$CI_API_V4_URL/groups/GROUP/projects``, subgroups included, 100 a page).
The child pipeline has a ``check`` job per project (clone, ``guardrails
check --format json``, the report as an artifact), a ``merge`` job in the
next stage (which receives every earlier job's artifacts) and ``pages``.

Project paths come from a file or an API, so they are checked against a
strict pattern before they reach the YAML, which is written as JSON (valid
YAML, every string quoted): no path can inject keys or commands. Standard
library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.parse
import urllib.request
from typing import Any

PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*){1,19}")
MAX_PROJECTS = 2000
INSTALL = 'python -m pip install "execution-guardrails==0.1.0"'


def from_file(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        lines = [line.strip() for line in fh]
    return [line for line in lines if line and not line.startswith("#")]


def from_api(group: str) -> list[str]:
    api = os.environ.get("CI_API_V4_URL", "https://gitlab.com/api/v4")
    token = os.environ.get("GITLAB_TOKEN", "")
    out: list[str] = []
    page = 1
    while len(out) < MAX_PROJECTS:
        query = urllib.parse.urlencode({"include_subgroups": "true", "archived": "false",
                                        "per_page": 100, "page": page, "order_by": "path"})
        url = f"{api}/groups/{urllib.parse.quote(group, safe='')}/projects?{query}"
        req = urllib.request.Request(url, headers={"PRIVATE-TOKEN": token} if token else {})
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 (the CI's API URL)
            batch = json.load(resp)
        if not batch:
            break
        out += [p["path_with_namespace"] for p in batch]
        page += 1
    return out


def slug(path: str) -> str:
    return path.replace("/", "-")


def child(projects: list[str]) -> dict[str, Any]:
    """The child pipeline for ``projects`` (already checked)."""
    doc: dict[str, Any] = {
        "stages": ["check", "merge", "deploy"],
        "default": {"image": "python:3.12"},
    }
    for path in projects:
        report = f"reports/{slug(path)}.json"
        doc[f"check {path}"] = {
            "stage": "check",
            "variables": {"PROJECT_PATH": path, "REPORT": report},
            "script": [
                INSTALL,
                # The job token clones projects that allow this one (CI/CD settings,
                # "Job token permissions"); full history for the git source.
                'git clone "https://gitlab-ci-token:${CI_JOB_TOKEN}@${CI_SERVER_HOST}/'
                '${PROJECT_PATH}.git" repo',
                "mkdir -p reports",
                # Exit 1 (rules failed) still wrote the report the merge needs.
                'cd repo && guardrails check --format terminal --format json '
                '--output "../${REPORT}" || test $? -eq 1',
            ],
            "artifacts": {"when": "always", "paths": [report], "expire_in": "14 days"},
        }
    doc["merge"] = {
        "stage": "merge",
        "when": "always",  # merge what exists; merge names what is missing
        "script": [
            INSTALL,
            "mkdir -p public",
            "guardrails merge reports/*.json --format json --output public/org.json "
            "--format html --output public/index.html --format markdown --output org.md",
        ],
        "artifacts": {"when": "always", "paths": ["public/", "org.md"],
                      "expose_as": "guardrails org report"},
    }
    doc["pages"] = {
        "stage": "deploy",
        "when": "always",
        "needs": [{"job": "merge", "artifacts": True}],
        "script": ["test -f public/index.html"],
        "artifacts": {"paths": ["public/"]},
    }
    return doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?", help="one project path a line")
    ap.add_argument("--group", help="every unarchived project of this group (GitLab API)")
    args = ap.parse_args(argv)
    if bool(args.file) == bool(args.group):
        ap.error("give a repository list file or --group, not both")
    projects = from_file(args.file) if args.file else from_api(args.group)
    bad = [p for p in projects if not PATH.fullmatch(p)]
    if bad:
        print(f"not a project path: {bad[0]!r} (write group/project, one a line)",
              file=sys.stderr)
        return 4
    slugs = [slug(p) for p in set(projects)]
    if len(set(slugs)) < len(slugs):
        print("two projects give the same report name (group/a-b and group-a/b): rename "
              "one in the list", file=sys.stderr)
        return 4
    if not projects or len(projects) > MAX_PROJECTS:
        print(f"need 1 to {MAX_PROJECTS} projects, got {len(projects)}", file=sys.stderr)
        return 4
    json.dump(child(sorted(set(projects))), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
