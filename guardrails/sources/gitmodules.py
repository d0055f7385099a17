"""The git source's modules: the map from a path to its module, and the ``modules``
facts from the commits and the tracked files.

Each module counts the commits that touched it (their shas, in history
order) and their authors, the tracked files under it at HEAD, and the
CODEOWNERS owners of those files. A warm run reads the commits' columns
(:class:`guardrails.deferredfacts.DeferredFacts`), building no commit dict.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from guardrails.deferredfacts import DeferredFacts, positions_of

ROOT_MODULE = "(root)"


class ModuleMap:
    """Maps a path to its module id: by depth, or by the longest matching prefix."""

    def __init__(self, depth: int = 1, prefixes: dict[str, str] | None = None) -> None:
        self.depth = depth
        self.prefixes = prefixes  # normalised prefix -> module id
        self._memo: dict[str, str | None] = {}

    def module_of(self, path: str) -> str | None:
        d = path.rpartition("/")[0]
        if d in self._memo:
            return self._memo[d]
        if self.prefixes is None:
            parts = d.split("/") if d else []
            mid: str | None = "/".join(parts[: self.depth]) or ROOT_MODULE
        else:
            mid = None
            probe = d
            while True:  # longest prefix first: walk up the directory
                if probe in self.prefixes:
                    mid = self.prefixes[probe]
                    break
                if not probe:
                    break
                probe = probe.rpartition("/")[0]
            if mid is None and path in self.prefixes:
                mid = self.prefixes[path]
        self._memo[d] = mid
        return mid

    def count_files(self, paths: Sequence[str]) -> Counter[str | None]:
        """How many of ``paths`` each module holds (None: in no module), as
        :meth:`module_of` would tell path by path. By depth only a path's folder
        decides, so each folder is asked once and the paths counted by folder in
        C calls (a warm run counts the tracked files: ~700 for pytest); a prefix
        may name a file, so with prefixes each path is asked."""
        if self.prefixes is not None:
            return Counter(map(self.module_of, paths))
        by_dir = Counter(map(itemgetter(0), map(str.rpartition, paths, repeat("/"))))
        out: Counter[str | None] = Counter()
        for d, n in by_dir.items():
            out[self.module_of(d + "/")] += n
        return out


def commit_modules(data: dict[str, Any], modmap: ModuleMap) -> list[list[str]]:
    """Each commit's modules (sorted ids; one shared list per distinct set, to read
    only) from a history's columns (:mod:`gitcache`: ``paths``, ``files``,
    ``nfiles``, ``renames``; newest first).

    A file counts under its name at HEAD: walking back, a rename ``old -> new``
    sends ``old``, in the commits older than the rename, to wherever ``new``
    went (renames followed). The renames are replayed in history order, as a
    walk commit by commit would apply them, and only the files named like a
    renamed file are looked at again; every other file keeps the module of its
    path (one look-up per distinct path, one ``frozenset`` per commit in C).
    """
    paths, files, nfiles = data["paths"], data["files"], data["nfiles"]
    module_of = modmap.module_of
    path_mod = list(map(module_of, paths))
    mods = list(map(path_mod.__getitem__, files))  # the module of each file of each commit
    ends = list(itertools.accumulate(nfiles))
    renames: dict[int, list[list[str]]] = data["renames"]
    if renames:
        # Replay the renames newest first (a commit's own renames apply to the older
        # commits only): old path -> [(commit, its name at HEAD from the next one on)].
        current: dict[str, str] = {}
        moves: dict[str, tuple[list[int], list[str]]] = {}
        for k in sorted(renames):
            for old, new in renames[k]:
                current[old] = target = current.get(new, new)
                at, names = moves.setdefault(old, ([], []))
                at.append(k)
                names.append(target)
        # by path number: the commits of its renames and the modules they send it to
        by_number = {n: (moves[p][0], list(map(module_of, moves[p][1])))
                     for n, p in enumerate(paths) if p in moves}
        if by_number:
            commit_of = list(itertools.chain.from_iterable(
                map(itertools.repeat, range(len(nfiles)), nfiles)))
            for j in itertools.compress(range(len(files)),
                                        map(by_number.__contains__, files)):
                k = commit_of[j]
                at, targets = by_number[files[j]]
                last = bisect_left(at, k) - 1  # the newest rename before commit k
                if last >= 0:
                    mods[j] = targets[last]
    starts = itertools.chain((0,), ends)
    sets = list(map(frozenset, map(mods.__getitem__, map(slice, starts, ends))))
    shared: dict[frozenset[str | None], list[str]] = {}
    for found in dict.fromkeys(sets):
        real = [m for m in found if m is not None]
        shared[found] = sorted(real) if len(real) > 1 else real
    return list(map(shared.__getitem__, sets))


def _columns(commits: list[dict[str, Any]] | DeferredFacts
             ) -> tuple[Callable[[], Sequence[str]], Sequence[str], dict[str, Sequence[int]]]:
    """The commits' shas (a call: read only when the facts are built) and authors,
    and each module's commits (positions): deferred facts' columns (building no
    dict), else taken from the dicts."""
    if isinstance(commits, DeferredFacts):
        authors, per_module = commits.column("author"), commits.positions("modules")
        if authors is not None and per_module is not None:
            def shas() -> Sequence[str]:
                col = commits.column("sha")
                return col if col is not None else [c["sha"] for c in commits]
            return shas, authors, per_module
    listed = [c["sha"] for c in commits]
    return (lambda: listed, [c["author"] for c in commits],
            positions_of([c["modules"] for c in commits]))


def module_facts(commits: list[dict[str, Any]] | DeferredFacts, tracked: list[str],
                 modmap: ModuleMap, meta: dict[str, dict[str, Any]],
                 owners_fact: dict[str, Any] | None) -> list[dict[str, Any]] | DeferredFacts:
    """The ``modules`` facts, sorted by id (see the module's docstring).

    From deferred commits, deferred too: the tracked files and owners are
    counted now (the bus factor reads ``id``, ``files``, ``team`` and
    ``owner_teams`` as columns), each module's commits and authors when
    the facts are first read.
    """
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
    for mid in per_module:
        get(mid)
    files = owners_fact["files"] if owners_fact else {}
    if files:
        from guardrails.sources.codeowners import team_slug
    if not files:  # no owners to count: the files by module, in C calls
        for module, n in modmap.count_files(tracked).items():
            if module is not None:
                get(module)["files"] += n
        tracked = []
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
    ids = sorted(mods)

    def build() -> list[dict[str, Any]]:
        # Shas and authors taken per module in C calls (a Counter increment per commit
        # and module was the cost here); authors count in history order, as before.
        sha_of = shas().__getitem__
        for mid, idx in per_module.items():
            m = mods[mid]
            m["commits"] = list(map(sha_of, idx))
            m["authors"] = Counter(map(authors.__getitem__, idx))
        out = []
        for mid in ids:
            m = mods[mid]
            m["authors"], m["owners"] = dict(m["authors"]), dict(m["owners"])
            m["owner_teams"] = dict(m["owner_teams"])
            out.append(m)
        return out

    if not isinstance(commits, DeferredFacts):
        return build()

    def column(field: str) -> list[Any] | None:
        if field == "id":
            return ids
        if field in ("files", "team", "service"):
            return [mods[mid].get(field) for mid in ids]
        if field == "owner_teams":  # copies: the facts turn theirs into dicts in place
            return [dict(mods[mid]["owner_teams"]) for mid in ids]
        return None

    return DeferredFacts(len(ids), build, column)
