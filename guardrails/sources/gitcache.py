"""On-disk cache of parsed git history, so an unchanged repository is read once.

One file per (repository, source options) under ``<cache_dir>/git/<key>.bin``
holding the HEAD it was read at, the oldest author time it covers and the
commits, newest first, column by column (``sha``, ``author``, ``email``, the
dates ``at`` and ``ct``, ``files`` as numbers into a table of ``paths`` with
``nfiles`` per commit, sparse ``renames``, ``additions``/``deletions`` with
line counts), plus what a run derives from them: each commit's ``modules``
(the number of its set in ``modsets``, and ``modpos``: each module's commits;
valid for the module map named by ``modules_key``), the tracked files (valid while the index file keeps the
stat named by ``tracked_key``) and the CODEOWNERS file at HEAD. A warm run
turns that into facts, or hands its columns to the checks
(:func:`deferred_commit_facts`), without asking git for anything but HEAD.

The columns are written with :mod:`marshal` (one C call to read back,
several times faster than JSON for this shape), numbers packed as
little-endian integers (one object for a column), after a magic line and a
CRC-32 of the payload. A cache is input like any other file: one that is cut
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
import logging
import marshal
import os
import re
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardrails.deferredfacts import DeferredFacts, positions_of
from guardrails.installed import checksum, write_whole
from guardrails.sources.gitcachedir import prune, read_regular

LOG = logging.getLogger(__name__)

#: bump when the layout changes
#: 2: an author whose name ends in "[bot]" or " bot" is a bot (facts.is_bot)
#: 3: marshalled columns with modules, tracked files and CODEOWNERS (was JSON)
#: 4: dates, file and module-set numbers as packed integers, paths and module sets
#:    stored once, each module's commits (a warm run unpacks a few dozen objects
#:    where it built ~40,000)
VERSION = 4
MAGIC = b"guardrails git history v4\n"
_HEX = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_EPOCH_MIN, _EPOCH_MAX = -62135596800, 253402300799
#: the marshal format written (4: shared objects stored once; readable since 3.4)
_MARSHAL_VERSION = 4
#: packed columns: name -> array typecode (dates signed 64-bit, counts and numbers
#: unsigned 32-bit), stored little-endian whatever the machine
_U32 = "I" if array("I").itemsize == 4 else "L"
_PACKED = {"at": "q", "ct": "q", "nfiles": _U32, "files": _U32, "modules": _U32}
#: packed columns with one entry per commit (``files`` has one per file of each commit)
_PER_COMMIT = ("at", "ct", "nfiles", "modules")
_SWAP = sys.byteorder != "little"

History = dict[str, Any]


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

    A file that does not read back as the layout :func:`store` writes (cut
    short, edited, another version's) is ignored, with a warning through
    ``warn`` when it is damaged, and the history is read again: a cache can
    cost time, never a crash or a wrong fact.
    """
    if cache_dir is None:
        return None
    path = cache_path(cache_dir, key)
    try:
        blob = read_regular(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        _ignored(path, f"unreadable ({type(exc).__name__})", warn)
        return None
    if blob is None:
        _ignored(path, "not a regular file, or too big", warn)
        return None
    if not blob.startswith(MAGIC):
        if blob.startswith(MAGIC[:MAGIC.index(b" v")]):
            return None  # another guardrails version's layout: not damage
        _ignored(path, "not a history cache", warn)
        return None
    head = len(MAGIC) + 4
    body = memoryview(blob)[head:]
    if len(blob) < head or zlib.crc32(body) != int.from_bytes(blob[len(MAGIC):head], "big"):
        _ignored(path, "cut short or damaged (checksum)", warn)
        return None
    try:
        data = marshal.loads(body)
    except (ValueError, EOFError, TypeError, RecursionError) as exc:
        _ignored(path, f"unreadable ({type(exc).__name__})", warn)
        return None
    problem = _problem(data)
    if problem is not None:
        _ignored(path, problem, warn)
        return None
    if data["key"] != key:
        return None  # another repository's or config's history under the same name
    with contextlib.suppress(OSError):  # used: the last to be pruned (see prune)
        os.utime(path)
    return data  # type: ignore[no-any-return]


def _ignored(path: Path, why: str, warn: Callable[[str], None] | None) -> None:
    LOG.debug("ignoring git cache %s: %s", path, why)
    if warn is not None:
        warn(f"git: ignored the damaged history cache {path.name} ({why}); read the "
             "history again")


def _only(values: Any, kind: type) -> bool:
    """``values`` is a list of exactly ``kind`` (no subclass): C loops, no generator."""
    return type(values) is list and set(map(type, values)) <= {kind}


def _strs(values: Iterable[Any]) -> bool:
    """Every one of ``values`` is a string: ``str.join`` checks that in C, fastest."""
    try:
        "".join(values)
    except TypeError:
        return False
    return True


def _unpack(data: dict[str, Any]) -> str | None:
    """Turn the packed columns of a loaded file into arrays; why not, or None."""
    for name, code in _PACKED.items():
        raw = data.get(name)
        if type(raw) is not bytes:
            return f"column {name!r} is malformed"
        col = array(code)
        if len(raw) % col.itemsize:
            return f"column {name!r} is cut short"
        col.frombytes(raw)
        if _SWAP:
            col.byteswap()
        data[name] = col
    return None


def _problem(data: Any) -> str | None:
    """Why ``data`` is not a history :func:`store` wrote, or None when it is (its
    packed columns then unpacked to arrays).

    Whole columns at a time (``set(map(type, ...))``, ``min``/``max`` run in C):
    this runs over every cached commit on every warm run.
    """
    if type(data) is not dict or data.get("version") != VERSION:
        return "not a history object"
    if type(data.get("key")) is not str:
        return "no key"
    if type(data.get("head")) is not str or not _HEX.match(data["head"]):
        return "no valid head"
    if type(data.get("since")) is not int:
        return "no valid since"
    n = len(data["sha"]) if type(data.get("sha")) is list else -1
    for name in ("sha", "author", "email"):
        col: Any = data.get(name)
        if not (type(col) is list and _strs(col) and len(col) == n):
            return f"column {name!r} is malformed"
    problem = _unpack(data)
    if problem is not None:
        return problem
    for name in _PER_COMMIT:
        if len(data[name]) != n:
            return f"column {name!r} is malformed"
    for name in ("at", "ct"):
        if n and not (min(data[name]) >= _EPOCH_MIN and max(data[name]) <= _EPOCH_MAX):
            return f"column {name!r} holds a date out of range"
    paths, files = data.get("paths"), data["files"]
    if not (type(paths) is list and _strs(paths)):
        return "the path table is malformed"
    if sum(data["nfiles"]) != len(files) or (files and max(files) >= len(paths)):
        return "column 'files' is malformed"
    sets: Any = data.get("modsets")
    if not (_only(sets, list) and _strs(itertools.chain.from_iterable(sets))):
        return "the module sets are malformed"
    if n and max(data["modules"]) >= len(sets):
        return "column 'modules' is malformed"
    modpos: Any = data.get("modpos")
    if not (type(modpos) is dict and _strs(modpos)):
        return "the module positions are malformed"
    for mid, raw in modpos.items():
        col = array(_U32)
        if type(raw) is not bytes or len(raw) % col.itemsize:
            return "the module positions are malformed"
        col.frombytes(raw)
        if _SWAP:
            col.byteswap()
        if not col or max(col) >= n:
            return "the module positions are malformed"
        modpos[mid] = col
    for name in ("additions", "deletions"):
        col = data.get(name)
        if col is not None and not (_only(col, int) and len(col) == n):
            return f"column {name!r} is malformed"
    if (data.get("additions") is None) != (data.get("deletions") is None):
        return "line counts are half there"
    renames = data.get("renames")
    if type(renames) is not dict:
        return "no rename map"
    if renames:  # whole levels at a time: keys, lists of pairs, pairs, paths
        if not (_only(list(renames), int) and min(renames) >= 0 and max(renames) < n
                and _only(list(renames.values()), list)):
            return "a rename is malformed"
        pairs = list(itertools.chain.from_iterable(renames.values()))
        if not (_only(pairs, list) and set(map(len, pairs)) == {2}
                and _only(list(itertools.chain.from_iterable(pairs)), str)):
            return "a rename is malformed"
    if type(data.get("modules_key")) is not str:
        return "no modules key"
    owners = data.get("codeowners")
    if owners is not None and not (_only(owners, str) and len(owners) in (0, 2)):
        return "CODEOWNERS is malformed"
    tkey, tracked = data.get("tracked_key"), data.get("tracked")
    if tkey is not None and not (_only(tkey, int) and _only(tracked, str)):
        return "tracked files are malformed"
    return None


def build(key: str, head: str, since: int, raw: list[dict[str, Any]], modules: list[list[str]],
          modules_key: str) -> History:
    """A history from raw commits (newest first) and each one's modules.

    Repeated strings (authors, emails) become one object, which marshal then
    writes once; each path and each distinct set of modules is stored once and
    named by its number, dates as packed integers: a warm run unpacks a few
    objects instead of building one per commit and file.
    """
    memo: dict[str, str] = {}
    one = memo.setdefault
    renames: dict[int, list[list[str]]] = {}
    for i, c in enumerate(raw):
        if "renames" in c:
            renames[i] = c["renames"]
    numstat = bool(raw) and "additions" in raw[0]
    path_no: dict[str, int] = {}
    number = path_no.setdefault
    files = array(_U32, [number(p, len(path_no)) for c in raw for p in c["files"]])
    data: History = {
        "version": VERSION, "key": key, "head": head, "since": since,
        "sha": [c["sha"] for c in raw],
        "author": [one(c["author"], c["author"]) for c in raw],
        "email": [one(c["email"], c["email"]) for c in raw],
        "at": array("q", [c["at"] for c in raw]), "ct": array("q", [c["ct"] for c in raw]),
        "paths": list(path_no), "files": files,
        "nfiles": array(_U32, [len(c["files"]) for c in raw]),
        "renames": renames,
        "additions": [c.get("additions", 0) for c in raw] if numstat else None,
        "deletions": [c.get("deletions", 0) for c in raw] if numstat else None,
        "codeowners": None, "tracked_key": None, "tracked": [],
    }
    set_modules(data, modules, modules_key)
    return data


def set_modules(data: History, modules: list[list[str]], modules_key: str) -> None:
    """Store each commit's modules (computed with the module map ``modules_key``)."""
    set_no: dict[tuple[str, ...], int] = {}
    number = set_no.setdefault
    data["modules"] = array(_U32, [number(tuple(m), len(set_no)) for m in modules])
    data["modsets"] = [list(ms) for ms in set_no]
    data["modules_key"] = modules_key
    # each module's commits, ready for a run that reads the whole history (the usual)
    data["modpos"] = {mid: array(_U32, idx) for mid, idx in positions_of(modules_of(data)).items()}


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


def raw_commits(data: History) -> list[dict[str, Any]]:
    """The raw commit dicts (as the log parser yields them) of a history."""
    out: list[dict[str, Any]] = []
    renames = data["renames"]
    adds, dels = data.get("additions"), data.get("deletions")
    for i, (sha, author, email, at, ct, files) in enumerate(zip(
            data["sha"], data["author"], data["email"], data["at"], data["ct"],
            files_of(data), strict=True)):
        c: dict[str, Any] = {"sha": sha, "author": author, "email": email, "at": at,
                             "ct": ct, "files": files}
        if adds is not None and dels is not None:
            c["additions"], c["deletions"] = adds[i], dels[i]
        if i in renames:
            c["renames"] = renames[i]
        out.append(c)
    return out


def commit_facts(data: History, since: int) -> list[dict[str, Any]]:
    """The ``commits`` facts of a history: those authored at or after ``since``.

    The same dicts the source builds from git's output, built in one loop
    (the datetimes are the cost: a commit committed when it was authored
    shares one); each fact has lists of its own.
    """
    fts = datetime.fromtimestamp
    out: list[dict[str, Any]] = []
    append = out.append
    for sha, author, email, at, ct, files, mods in zip(
            data["sha"], data["author"], data["email"], data["at"], data["ct"],
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


def deferred_commit_facts(data: History, since: int) -> DeferredFacts:
    """:func:`commit_facts`, built only when read; until then checks may read the
    history's columns (cut to the commits authored at or after ``since``; dates
    as POSIX seconds). Columns are the history's own: to read, never to change.
    """
    ats = data["at"]
    # The usual warm run reads the window the cache was written for: no cut at all.
    keep = None if not ats or min(ats) >= since else [at >= since for at in ats]
    columns: dict[str, Callable[[], Any]] = {
        "sha": lambda: data["sha"], "author": lambda: data["author"],
        "email": lambda: data["email"], "authored_at": lambda: data["at"],
        "committed_at": lambda: data["ct"], "files": lambda: files_of(data),
        "modules": lambda: modules_of(data), "additions": lambda: data.get("additions"),
        "deletions": lambda: data.get("deletions"),
    }
    memo: dict[str, Any] = {}

    def column(field: str) -> Any:
        if field not in memo:
            make = columns.get(field)
            col = make() if make is not None else None
            if col is not None and keep is not None:
                col = list(itertools.compress(col, keep))
            memo[field] = col
        return memo[field]

    def positions(field: str) -> Any:
        return data["modpos"] if field == "modules" and keep is None else None

    count = len(ats) if keep is None else sum(keep)
    return DeferredFacts(count, lambda: commit_facts(data, since), column, positions)


def _pack(code: str, values: Iterable[int]) -> bytes:
    col = array(code, values)
    if _SWAP:
        col.byteswap()
    return col.tobytes()


def store(cache_dir: Path | None, key: str, data: History) -> None:
    """Write the cache whole or not at all (a temporary file beside it, then
    ``os.replace``, which also replaces a FIFO or a link put in its place), then
    prune the folder (:func:`gitcachedir.prune`)."""
    if cache_dir is None:
        return
    data = {**data, "key": key}
    for name in _PACKED:  # little-endian bytes, whatever the machine
        data[name] = _pack(_PACKED[name], data[name])
    data["modpos"] = {mid: _pack(_U32, idx) for mid, idx in data["modpos"].items()}
    path = cache_path(cache_dir, key)
    try:
        payload = marshal.dumps(data, _MARSHAL_VERSION)
        write_whole(path, MAGIC + zlib.crc32(payload).to_bytes(4, "big") + payload)
    except (OSError, ValueError) as exc:
        # A read-only cache folder must not fail the run; it is only slower.
        LOG.debug("could not write git cache %s: %s", path, exc)
        return
    prune(path.parent, keep=path)
