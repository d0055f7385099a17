"""The ``modules`` facts of the git source, from the commits and the tracked files.

Each module counts the commits that touched it (their shas, in history
order) and their authors, the tracked files under it at HEAD, and the
CODEOWNERS owners of those files. A warm run reads the commits' columns
(:class:`guardrails.deferredfacts.DeferredFacts`), building no commit dict.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from guardrails.deferredfacts import DeferredFacts

if TYPE_CHECKING:
    from guardrails.sources.git import ModuleMap

ROOT_MODULE = "(root)"


def _columns(commits: list[dict[str, Any]] | DeferredFacts
             ) -> tuple[Sequence[str], Sequence[str], Sequence[list[str]]]:
    """The commits' shas, authors and modules: deferred facts' columns (building
    no dict), else taken from the dicts."""
    if isinstance(commits, DeferredFacts):
        shas, authors, modules = (commits.column(f) for f in ("sha", "author", "modules"))
        if shas is not None and authors is not None and modules is not None:
            return shas, authors, modules
    return ([c["sha"] for c in commits], [c["author"] for c in commits],
            [c["modules"] for c in commits])


def commits_per_module(modules: Sequence[list[str]]) -> dict[str, Sequence[int]]:
    """Module id -> the positions (ascending) of the commits that touched it.

    Commits are first grouped by their modules list, one append per commit: the
    cached history gives every commit with the same set of modules the same
    list (so a few hundred groups for thousands of commits), and each group
    then counts for each of its modules at once. Distinct lists (commits parsed
    from git) each form a group of one; the answer is the same.
    """
    groups: dict[int, list[int]] = {}
    lists: dict[int, list[str]] = {}
    for i, mods in enumerate(modules):
        if mods:
            key = id(mods)  # the lists live in ``modules`` throughout: ids stay unique
            group = groups.get(key)
            if group is None:
                group = groups[key] = []
                lists[key] = mods
            group.append(i)
    per: dict[str, list[list[int]]] = {}
    for key, group in groups.items():
        for mid in lists[key]:
            have = per.get(mid)
            if have is None:
                per[mid] = [group]
            else:
                have.append(group)
    return {mid: gs[0] if len(gs) == 1 else sorted(itertools.chain.from_iterable(gs))
            for mid, gs in per.items()}


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
    shas, authors, modules = _columns(commits)
    # Shas and authors taken per module in C calls (a Counter increment per commit
    # and module was the cost here); authors count in history order, as before.
    for mid, idx in commits_per_module(modules).items():
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
