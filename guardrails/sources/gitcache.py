"""On-disk cache of parsed git history, so an unchanged repository is read once.

One file per (repository, source options) under ``<cache_dir>/git/<key>.bin``
holding the HEAD it was read at, the oldest author time it covers and the
commits, newest first, column by column (``sha``, ``author``, ``email``, the
dates ``at`` and ``ct``, ``files`` as numbers into a table of ``paths`` with
``nfiles`` per commit, sparse ``renames``, ``additions``/``deletions`` with
line counts), plus what a run derives from them: each commit's ``modules``
(the number of its set in ``modsets``, and ``modpos``: each module's commits;
valid for the module map named by ``modules_key``), the tracked files (valid
while the index file keeps the stat named by ``tracked_key``) and the
CODEOWNERS file at HEAD. A warm run turns that into facts, or hands its columns to the checks
(:func:`deferred_commit_facts`), without asking git for anything but HEAD.

The columns are written with :mod:`marshal` (one C call to read back,
several times faster than JSON for this shape), numbers packed as
little-endian integers (one object for a column), in two parts after a
magic line, each part's CRC-32 and the first part's length: first what a
warm run reads (HEAD, the window, authors and author dates, each module's
commits and authors counted, tracked files, CODEOWNERS), then the columns
only building commit facts reads (:data:`gitcachecheck.COLD`: shas,
committer dates, files, renames, ...), unmarshalled and checked when first
read (:func:`gitcachecheck.rest_problem`): a warm run that only counts
never pays for two thirds of the file. A cache is input like any other file: one that is cut
short, damaged, edited or foreign is ignored (with a warning) and the history
read again. :mod:`marshal` builds data, never runs it, and every column is
checked for its exact type and every number for its range (a code object or
anything else unexpected is refused) before use. When HEAD moved on and the
cached HEAD is its ancestor, only the new commits are read (``git log
OLD..HEAD``) and put in front. Files are replaced whole, so a crash or a
concurrent run never leaves half a cache behind (see :mod:`gitcachedir`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging  # getLogger only when logging: a warm run never executes logging
import marshal
import os
import stat
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.cachefiles import checksum, load_marshal, write_whole
from guardrails.deferredfacts import DeferredFacts
from guardrails.errors import SourceError
from guardrails.sources import gitcachecheck as check
from guardrails.sources.gitcachecheck import (
    MAGIC,
    MARSHAL_VERSION,
    PACKED,
    SWAP,
    U32,
    VERSION,
)

if TYPE_CHECKING:
    from guardrails.sources.gitcolumns import LogColumns


#: a bigger file is not read (a history of ~10 million commits; pytest's 10 years: 0.8 MB)
MAX_BYTES = 1 << 30
#: after the magic line: the two parts' CRC-32s and the first part's length, each
#: 4 bytes big-endian (int.from_bytes: struct's import would cost a warm run ~0.3 ms)
_BODY = len(MAGIC) + 12


def _header(head: bytes) -> tuple[int, int, int]:
    """``(first part's CRC-32, second part's CRC-32, first part's length)``."""
    at = len(MAGIC)
    return (int.from_bytes(head[at:at + 4], "big"), int.from_bytes(head[at + 4:at + 8], "big"),
            int.from_bytes(head[at + 8:at + 12], "big"))

History = dict[str, Any]


class Damaged(ValueError):
    """A column only commit facts read (committer dates, files) failed its check
    when they were built (:func:`gitcachecheck.rest_problem`)."""


def cache_key(repo: Path, options: dict[str, Any]) -> str:
    """What a history read of ``repo`` with ``options`` is: stored in the file and
    compared on load, so a file never answers for another repository or config."""
    return json.dumps({"v": VERSION, "repo": str(repo.resolve()), "opts": options},
                      sort_keys=True, default=str)


def cache_path(cache_dir: Path, key: str) -> Path:
    """The file of ``key``. Two checksums make the name (hashlib's import costs a
    warm run ~3 ms); a clash of names is a miss, never a wrong answer (see ``key``)."""
    raw = key.encode("utf-8", "surrogateescape")
    return cache_dir / "git" / f"{checksum(raw)}.bin"


def load(cache_dir: Path | None, key: str,
         warn: Callable[[str], None] | None = None) -> History | None:
    """The cached history (see the module's docstring) or None (missing or unreadable).

    Only the file's first part is read here; the second is read (from the
    same file, unchanged since: else it is damage) when first needed
    (:func:`gitcachecheck.rest_problem`). A file that does not read back as
    the layout :func:`store` writes (cut short, edited, another version's) is
    ignored, with a warning through ``warn`` when it is damaged, and the
    history is read again: a cache can cost time, never a crash or a wrong fact.
    """
    if cache_dir is None:
        return None
    path = cache_path(cache_dir, key)
    try:
        got = _read_first(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        _ignored(path, f"unreadable ({type(exc).__name__})", warn)
        return None
    if got is None:
        _ignored(path, "not a regular file, or too big", warn)
        return None
    head, hot, ident = got
    if not head.startswith(MAGIC):
        if head.startswith(MAGIC[:MAGIC.index(b" v")]):
            return None  # another guardrails version's layout: not damage
        _ignored(path, "not a history cache", warn)
        return None
    hot_crc, cold_crc, hot_len = _header(head) if len(head) == _BODY else (0, 0, -1)
    if hot_len != len(hot) or zlib.crc32(hot) != hot_crc:
        _ignored(path, "cut short or damaged (checksum)", warn)
        return None
    try:
        data = load_marshal(hot)
    # MemoryError: a forged size (a list "of 2**31 items"): load_marshal caps memory
    except (ValueError, EOFError, TypeError, RecursionError, MemoryError) as exc:
        _ignored(path, f"unreadable ({type(exc).__name__})", warn)
        return None
    problem = check.problem(data)
    if problem is not None:
        _ignored(path, problem, warn)
        return None
    if data["key"] != key:
        return None  # another repository's or config's history under the same name

    def cold() -> bytes | None:
        return _read_rest(path, _BODY + hot_len, ident)

    data["_cold"], data["_cold_crc"] = cold, cold_crc  # see check.rest_problem
    with contextlib.suppress(OSError):  # used: the last to be pruned (see prune)
        os.utime(path)
    return data  # type: ignore[no-any-return]


def ignored(cache_dir: Path | None, key: str, why: str,
            warn: Callable[[str], None] | None) -> None:
    """Tell that the cache of ``key`` was found damaged (``why``) and is not used."""
    if cache_dir is not None:
        _ignored(cache_path(cache_dir, key), why, warn)


#: opened without blocking (a FIFO or a device put at a cache's path must cost a
#: miss, never a run that waits for a writer forever), never through a final link
_OPEN = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_upto(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes of ``fd`` from ``offset``, fewer only at the file's end."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.pread(fd, min(size, 1 << 24), offset)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _read_first(path: Path) -> tuple[bytes, bytes, tuple[int, ...]] | None:
    """The magic line and header, the first part (as long as the header says, or
    what there is) and the file's identity, when ``path`` is a regular file of
    at most :data:`MAX_BYTES`; else None. Raises ``OSError`` (a link: not followed).
    Only what a warm run reads is read: two thirds of pytest's file are not."""
    fd = os.open(path, _OPEN)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        head = _read_upto(fd, _BODY, 0)
        hot_len = _header(head)[2] if len(head) == _BODY else 0
        hot = _read_upto(fd, min(hot_len, st.st_size), _BODY)
        # not the times: a run that reads the file touches it (see prune); a run that
        # writes it replaces it (a new inode), and the second part has its checksum
        return head, hot, (st.st_dev, st.st_ino, st.st_size)
    finally:
        os.close(fd)


def _read_rest(path: Path, offset: int, ident: tuple[int, ...]) -> bytes | None:
    """The file's second part, from ``offset`` to its end, when the file is still the
    one read first (``ident``); None when it was replaced or cannot be read."""
    try:
        fd = os.open(path, _OPEN)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino, st.st_size) != ident:
            return None
        data = _read_upto(fd, st.st_size - offset, offset)
        return data if len(data) == st.st_size - offset else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _ignored(path: Path, why: str, warn: Callable[[str], None] | None) -> None:
    logging.getLogger(__name__).debug("ignoring git cache %s: %s", path, why)
    if warn is not None:
        warn(f"git: ignored the damaged history cache {path.name} ({why}); read the "
             "history again")


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



def _at_bounds(data: dict[str, Any]) -> tuple[int, int]:
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
    at_bounds = _at_bounds(data)
    keep = None if at_bounds[0] >= since else [at >= since for at in ats]
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
    known = {"authored_at": at_bounds} if keep is None and ats else None
    return DeferredFacts(count, build, column, positions, known, tallies)


def seal(hot: bytes, cold: bytes, cold_crc: int | None = None) -> bytes:
    """A cache file's bytes from its two marshalled parts (see the module's
    docstring); ``cold_crc``: the second part's checksum as it was read."""
    crc = zlib.crc32(cold) if cold_crc is None else cold_crc
    return (MAGIC + zlib.crc32(hot).to_bytes(4, "big") + crc.to_bytes(4, "big")
            + len(hot).to_bytes(4, "big") + hot + cold)


def _pack(code: str, values: Iterable[int]) -> bytes:
    col = array(code, values)
    if SWAP:
        col.byteswap()
    return col.tobytes()


def store(cache_dir: Path | None, key: str, data: History) -> None:
    """Write the cache whole or not at all (a temporary file beside it, then
    ``os.replace``, which also replaces a FIFO or a link put in its place; never
    written through a link, nor into a ``git`` folder that is one), then prune
    the folder (:func:`gitcachedir.prune`)."""
    if cache_dir is None:
        return
    # The second part as it was read, when nothing read it (a run that only listed
    # the tracked files again): written back as it is, checksum and all.
    raw_cold, cold_crc = data.get("_cold"), data.get("_cold_crc")
    if callable(raw_cold):
        raw_cold = raw_cold()
        if raw_cold is None:
            return  # the file was replaced meanwhile: no second part to write back
        data["_cold"] = raw_cold  # read now: the file is about to be replaced
    if raw_cold is None and not data.keys() >= check.COLD_KEYS:
        return  # found damaged: nothing whole to write (the facts came from git)
    bounds = _at_bounds(data)
    data = {k: v for k, v in data.items() if not k.startswith("_")}  # run-time notes
    data["key"], data["at_bounds"] = key, list(bounds)
    for name in PACKED:  # little-endian bytes, whatever the machine
        if name in data:
            data[name] = _pack(PACKED[name], data[name])
    for name in ("modpos", "modauthors"):
        data[name] = {mid: _pack(U32, col) for mid, col in data[name].items()}
    path = cache_path(cache_dir, key)
    try:
        hot = marshal.dumps({k: v for k, v in data.items() if k not in check.COLD_KEYS},
                            MARSHAL_VERSION)
        if raw_cold is None:
            cold = marshal.dumps({k: data[k] for k in check.COLD}, MARSHAL_VERSION)
        write_whole(path, seal(hot, bytes(raw_cold) if raw_cold is not None else cold,
                               cold_crc), root=cache_dir)
    except (OSError, ValueError) as exc:
        # A read-only cache folder must not fail the run; it is only slower.
        logging.getLogger(__name__).debug("could not write git cache %s: %s", path, exc)
        return
    from guardrails.sources.gitcachedir import prune  # only a run that wrote prunes

    prune(path.parent, keep=path)
