"""A parsed git history in memory, and the ``commits`` facts built from it.

The seam with :mod:`guardrails.sources.gitcache`: that module is the file (its
layout, reading it back bounded and checked, writing it whole); this one is
what the file holds once read, or what a ``git log`` read gives
(:func:`build` from :class:`gitcolumns.LogColumns`): the commits column by
column, newest first (``sha`` joined in one string, ``author``, ``email``,
the dates ``at`` and ``ct``, ``files`` as numbers into ``paths`` with
``nfiles`` per commit, sparse ``renames``, line counts), each commit's
modules (:func:`set_modules`), and the facts a run reads of them: built in one
loop (:func:`commit_facts`), or deferred, the checks reading the columns
until then (:func:`deferred_commit_facts`). Neither module imports the source.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from guardrails.deferredfacts import DeferredFacts
from guardrails.errors import SourceError
from guardrails.sources import gitcachecheck as check
from guardrails.sources.gitcachecheck import U32, VERSION

if TYPE_CHECKING:
    from guardrails.sources.gitcolumns import LogColumns


History = dict[str, Any]

class Damaged(ValueError):
    """A column only commit facts read (committer dates, files) failed its check
    when they were built (:func:`gitcachecheck.rest_problem`)."""


def build(key: str, head: str, since: int, cols: LogColumns) -> History:
    """A history (without modules: :func:`set_modules`) from the columns of the
    commits read (newest first).

    Repeated strings (authors, emails) are one object each, which marshal then
    writes once; each path is stored once and named by its number, dates as
    packed integers: a warm run unpacks a few objects instead of building one
    per commit and file.
    """
    return {
        "version": VERSION, "key": key, "head": head, "since": since,
        "sha": _joined_shas(cols.shas, head), "author": cols.authors, "email": cols.emails,
        "at": cols.at, "ct": cols.ct, "paths": list(cols.paths), "files": cols.files,
        "nfiles": cols.nfiles, "renames": cols.renames,
        "additions": cols.additions, "deletions": cols.deletions,
        "codeowners": None, "tracked_key": None, "tracked": [],
    }


def _joined_shas(shas: list[str], head: str) -> str:
    """The shas as one string (marshal reads one object, not one per commit): each
    as long as HEAD's (40 hex digits, 64 in a SHA-256 repository)."""
    if shas and set(map(len, shas)) != {len(head)}:
        raise SourceError("git", f"commit ids of two lengths in one history (HEAD {head})")
    return "".join(shas)


def shas_of(data: History) -> list[str]:
    """Each commit's sha (split from the stored string once, on first use)."""
    if "_shas" not in data:
        joined, width = data["sha"], len(data["head"])
        data["_shas"] = [joined[i:i + width] for i in range(0, len(joined), width)]
    return data["_shas"]  # type: ignore[no-any-return]


def set_modules(data: History, modules: list[list[str]], modules_key: str) -> None:
    """Store each commit's modules (computed with the module map ``modules_key``).

    Whole columns in C calls, a Python step per distinct module set (a few
    hundred for thousands of commits; equal sets are best passed as one list,
    as :func:`gitmodules.commit_modules` does): set numbers by first
    appearance, each module's commits, each module's commits per author.
    """
    set_no: dict[tuple[str, ...], int] = {}
    number = set_no.setdefault
    distinct = dict(zip(map(id, modules), modules, strict=True))  # the lists all live on
    no_of = {key: number(tuple(m), len(set_no)) for key, m in distinct.items()}
    nums = array(U32, map(no_of.__getitem__, map(id, modules)))
    data["modules"] = nums
    data["modsets"] = sets = [list(ms) for ms in set_no]
    data["modules_key"] = modules_key
    # each module's commits, ready for a run that reads the whole history (the usual):
    # the commits of each set (a stable sort keeps them in order), merged per module
    order = sorted(range(len(nums)), key=nums.__getitem__)
    counts = Counter(nums)
    groups: dict[str, list[list[int]]] = {}
    start = 0
    for no, members in enumerate(sets):
        end = start + counts[no]
        for mid in dict.fromkeys(members):  # a module twice in a set counts once
            groups.setdefault(mid, []).append(order[start:end])
        start = end
    data["modpos"] = {mid: array(U32, gs[0] if len(gs) == 1 else sorted(
        itertools.chain.from_iterable(gs))) for mid, gs in groups.items()}
    # and their authors counted, [author, commits, author, commits, ...] by number in
    # ``authors`` (the bus factor: no count per commit and module on every run)
    authors = data["author"]
    author_no = {a: n for n, a in enumerate(dict.fromkeys(authors))}
    by_number = list(map(author_no.__getitem__, authors))
    data["authors"] = list(author_no)
    data["modauthors"] = {mid: array(U32, itertools.chain.from_iterable(
        Counter(map(by_number.__getitem__, idx)).items())) for mid, idx in data["modpos"].items()}


def files_of(data: History) -> list[list[str]]:
    """Each commit's paths (lists of their own; the strings shared)."""
    paths, files = data["paths"], data["files"]
    out: list[list[str]] = []
    append = out.append
    i = 0
    for k in data["nfiles"]:
        append([paths[j] for j in files[i:i + k]])
        i += k
    return out


def modules_of(data: History) -> list[list[str]]:
    """Each commit's modules: one shared list per distinct set, to read only."""
    sets = data["modsets"]
    return [sets[i] for i in data["modules"]]


def commit_facts(data: History, since: int) -> list[dict[str, Any]]:
    """The ``commits`` facts of a history: those authored at or after ``since``.

    The same dicts the source builds from git's output, built in one loop
    (the datetimes are the cost: a commit committed when it was authored
    shares one); each fact has lists of its own.
    """
    why = check.rest_problem(data)
    if why is not None:
        raise Damaged(why)
    fts = datetime.fromtimestamp
    out: list[dict[str, Any]] = []
    append = out.append
    for sha, author, email, at, ct, files, mods in zip(
            shas_of(data), data["author"], data["email"], data["at"], data["ct"],
            files_of(data), modules_of(data), strict=True):
        if at < since:
            continue
        authored = fts(at, UTC)
        append({"sha": sha, "author": author, "email": email, "authored_at": authored,
                "committed_at": authored if ct == at else fts(ct, UTC), "files": files,
                "modules": list(mods)})
    adds, dels = data.get("additions"), data.get("deletions")
    if adds is not None and dels is not None:
        counts: Iterable[tuple[int, int, int]] = zip(data["at"], adds, dels, strict=True)
        for f, (_, a, d) in zip(out, (x for x in counts if x[0] >= since), strict=True):
            f["additions"], f["deletions"] = a, d
    return out


#: the fact fields read from the file's second part (:data:`gitcachecheck.COLD`)
_COLD_FIELDS = frozenset(("sha", "committed_at", "files", "modules", "additions",
                          "deletions"))



def at_bounds(data: dict[str, Any]) -> tuple[int, int]:
    """The first and last author date of a loaded cache: the checked bounds stored
    with them when the load had them, else worked out (and kept for the run)."""
    bounds = data.get("_at_bounds")
    if not bounds:
        ats = data["at"]
        bounds = data["_at_bounds"] = (min(ats), max(ats)) if ats else (0, 0)
    return bounds


def deferred_commit_facts(data: History, since: int,
                          damaged: Callable[[str], list[dict[str, Any]]]) -> DeferredFacts:
    """:func:`commit_facts`, built only when read; until then checks may read the
    history's columns (cut to the commits authored at or after ``since``; dates
    as POSIX seconds). Columns are the history's own: to read, never to change.

    ``damaged(why)`` gives the facts instead (from git) when a column only facts
    read fails its check as they are built: a cache costs time, never a fact.
    """
    ats = data["at"]
    # The usual warm run reads the window the cache was written for: no cut at all.
    bounds = at_bounds(data)
    keep = None if bounds[0] >= since else [at >= since for at in ats]
    columns: dict[str, Callable[[], Any]] = {
        "sha": lambda: shas_of(data), "author": lambda: data["author"],
        "email": lambda: data["email"], "authored_at": lambda: data["at"],
        "committed_at": lambda: data["ct"], "files": lambda: files_of(data),
        "modules": lambda: modules_of(data), "additions": lambda: data.get("additions"),
        "deletions": lambda: data.get("deletions"),
    }
    memo: dict[str, Any] = {}

    def column(field: str) -> Any:
        if field not in memo:
            make = columns.get(field)
            if field in _COLD_FIELDS and check.rest_problem(data) is not None:
                make = None  # no column: readers build the facts (from git)
            col = make() if make is not None else None
            if col is not None and keep is not None:
                col = list(itertools.compress(col, keep))
            memo[field] = col
        return memo[field]

    def positions(field: str) -> Any:
        return data["modpos"] if field == "modules" and keep is None else None

    def tallies(field: str, by: str) -> Any:
        if field != "modules" or by != "author" or keep is not None:
            return None
        table = data["authors"]
        return {mid: dict(zip(map(table.__getitem__, col[::2]), col[1::2], strict=True))
                for mid, col in data["modauthors"].items()}

    def build() -> list[dict[str, Any]]:
        try:
            return commit_facts(data, since)
        except Damaged as exc:
            return damaged(str(exc))

    count = len(ats) if keep is None else sum(keep)
    known = {"authored_at": bounds} if keep is None and ats else None
    return DeferredFacts(count, build, column, positions, known, tallies)
