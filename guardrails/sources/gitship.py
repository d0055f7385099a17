"""Lead time through git: which production deployment shipped a change.

A change that no deployment names in ``changes`` ships with the first
successful production deployment whose sha has the change's merge commit as
an ancestor (DATA.md). With the repository checked out, the git source answers
that after every source gathered: for production deployments in time order,
``git rev-list <sha> ^<previous sha>`` lists the commits each one shipped.

The earliest deployment in the data has no predecessor to compare with, so
the commits it shipped stay unknown rather than all of history being
attributed to it (which would invent years-long lead times).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from guardrails.datakinds import is_production_success
from guardrails.errors import SourceError
from guardrails.sources.gitrun import Git

# An abbreviated or full commit name; anything else in a deployment's sha is skipped.
_SHA = re.compile(r"^[0-9a-fA-F]{4,64}$")


def commit_deployments(repo: Path, deployments: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Full commit sha -> the first of ``deployments`` (in time order) that shipped it."""
    git = Git(repo)
    first: dict[str, dict[str, Any]] = {}
    prev: str | None = None
    for d in deployments:
        sha = str(d["sha"])
        if not _SHA.match(sha):
            continue  # data, not an argument: never let "--option" reach git's argv
        if prev is not None and sha != prev:
            try:
                shipped = git.run("rev-list", sha, f"^{prev}", "--").split()
            except SourceError:
                shipped = []  # a sha this clone does not have: nothing known
            for commit in shipped:
                first.setdefault(commit, d)
        prev = sha
    return first


def ship(config: Any, store: Any) -> None:
    """Give each change no deployment names the production deployment that shipped
    it (see the module's docstring): the git plugin's ``guardrails_gather_finish``."""
    facts = store.by_kind
    changes, deployments = facts.get("changes"), facts.get("deployments")
    if not changes or not deployments:
        return
    todo = [c for c in changes if "deployment" not in c and c.get("merge_sha")]
    if not todo:
        return
    prod = sorted(
        (d for d in deployments
         if is_production_success(d) and d.get("sha") and d.get("finished_at")),
        key=lambda d: d["finished_at"],
    )
    if len(prod) < 2:
        return
    repo = config.resolve_inside(config.sources["git"].get("path", "."), "sources", "git")
    try:
        first = commit_deployments(repo, prod)
    except SourceError as exc:
        store.warnings.append(f"lead time through git unavailable: {exc.message}")
        return
    for c in todo:
        dep = first.get(str(c["merge_sha"]))
        if dep is not None:
            c["deployment"] = dep
