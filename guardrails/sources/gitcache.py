"""On-disk cache of parsed git history, so an unchanged repository is read once.

One file per (repository, source options) under ``<cache_dir>/git/<key>.bin``
holding the HEAD it was read at, the oldest author time it covers and the
history as :mod:`guardrails.sources.githistory` keeps it in memory (the
commits column by column, each commit's modules, valid for the module map
named by ``modules_key``), plus the tracked files (valid while the index
file keeps the stat named by ``tracked_key``) and the CODEOWNERS file at
HEAD. This module is the file: its layout, reading it back and writing it;
:mod:`githistory` is what it holds and the facts built from that. A warm run
turns the file into facts, or hands its columns to the checks, without asking
git for anything but HEAD.

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
import json
import logging  # getLogger only when logging: a warm run never executes logging
import marshal
import os
import stat
import zlib
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from guardrails.cachefiles import checksum, load_marshal, write_whole
from guardrails.sources import gitcachecheck as check
from guardrails.sources.gitcachecheck import (
    MAGIC,
    MARSHAL_VERSION,
    PACKED,
    SWAP,
    U32,
    VERSION,
)
from guardrails.sources.githistory import History, at_bounds

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
    bounds = at_bounds(data)
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
