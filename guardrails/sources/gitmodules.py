"""The ``modules`` facts of the git source, from the commits and the tracked files.

Each module counts the commits that touched it (their shas, in history
order) and their authors, the tracked files under it at HEAD, and the
CODEOWNERS owners of those files. A warm run reads the commits' columns
(:class:`guardrails.deferredfacts.DeferredFacts`), building no commit dict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from guardrails.deferredfacts import DeferredFacts, positions_of

if TYPE_CHECKING:
    from guardrails.sources.git import ModuleMap

ROOT_MODULE = "(root)"


def _columns(commits: list[dict[str, Any]] | DeferredFacts
             ) -> tuple[Sequence[str], Sequence[str], dict[str, Sequence[int]]]:
    """The commits' shas and authors, and each module's commits (positions):
    deferred facts' columns (building no dict), else taken from the dicts."""
    if isinstance(commits, DeferredFacts):
        shas, authors = commits.column("sha"), commits.column("author")
        per_module = commits.positions("modules")
        if shas is not None and authors is not None and per_module is not None:
            return shas, authors, per_module
    return ([c["sha"] for c in commits], [c["author"] for c in commits],
            positions_of([c["modules"] for c in commits]))


def module_facts(commits: list[dict[str, Any]] | DeferredFacts, tracked: list[str],
                 modmap: ModuleMap, meta: dict[str, dict[str, Any]],
                 owners_fact: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``modules`` facts, sorted by id (see the module's docstring)."""
    mods: dict[str, dict[str, Any]] = {}

    def get(mid: str) -> dict[str, Any]:
        if mid not in mods:
            paths = [] if mid == ROOT_MODULE else [mid]
            mods[mid] = {"id": mid, "paths": paths, "commits": [], "authors": Counter(),
                         "files": 0, "owners": Counter(), "owner_teams": Counter(),
                         **meta.get(mid, {})}
        return mods[mid]

    for mid in meta:
        get(mid)
    shas, authors, per_module = _columns(commits)
    # Shas and authors taken per module in C calls (a Counter increment per commit
    # and module was the cost here); authors count in history order, as before.
    for mid, idx in per_module.items():
        m = get(mid)
        m["commits"] = list(map(shas.__getitem__, idx))
        m["authors"] = Counter(map(authors.__getitem__, idx))
    files = owners_fact["files"] if owners_fact else {}
    if files:
        from guardrails.sources.codeowners import team_slug
    for path in tracked:
        module = modmap.module_of(path)
        if module is None:
            continue
        m = get(module)
        m["files"] += 1
        for o in files.get(path, {}).get("owners", ()):
            m["owners"][o] += 1
            slug = team_slug(o)
            if slug is not None:
                m["owner_teams"][slug] += 1
    out = []
    for mid in sorted(mods):
        m = mods[mid]
        m["authors"], m["owners"] = dict(m["authors"]), dict(m["owners"])
        m["owner_teams"] = dict(m["owner_teams"])
        out.append(m)
    return out
