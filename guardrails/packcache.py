"""The builtin rule packs, parsed and validated once per install, not per run.

Every ``guardrails check`` collects the builtin packs (``rules/*.yaml``):
their YAML parsed with line positions, every rule validated against the pack
schema, its check's schema and the check's own ``validate_rule``. That was
about a sixth of a run's start-up (benchmarks/RESULTS.md, "start-up"), and
its answer depends only on the pack file and guardrails' own code. So a
builtin pack that loaded without a single error is kept, its data and
positions, in one JSON file for all the builtin packs beside the entry-point
cache (:mod:`guardrails.installed`): a header line (format, context, and each
pack's key, offset, length and checksum), then the packs' JSON one after the
other, written once after the collection (:func:`flush`; one file, not six:
each file written is a temporary file, a write, a rename and a prune). A later
run reads that file once, parses only the packs it collects, builds their
rules from it and skips the validation. What depends on the run is still done every time: the
config's overrides (validated), ``focus``, disabled rules, display paths.

An entry is used only when everything it was stored under matches: the cache
format, Python's version, guardrails' version, the size and modification
time of every file of the guardrails package (an edited check in a source
checkout is seen), the builtin plugins blocked with ``-p no:``, and the pack
file's path, size, modification time and checksum. The files of one pack each
that versions before it wrote (``pack-<stem>-<checksum>.json``) are deleted
whenever any start-up cache file is written (:func:`guardrails.cacheprune.startup_retired`;
the packs file itself rarely is, see below). A run with any plugin
that is not guardrails' own (an entry point, ``plugins:``, a local
``guardrails_plugins.py``) neither reads nor writes it: such a plugin could
change what a rule may name. A corrupt, foreign or unreadable file is a miss
(the pack is parsed and validated as before, and the file rewritten); a
folder that cannot be written costs only the validation.
``GUARDRAILS_NO_STARTUP_CACHE=1`` turns this cache and the entry-point cache
off (docs/configuration.md, "Caches"). A builtin pack whose shipped validation
verdict holds in the run (:mod:`guardrails.packverdict`) never comes here: it
is neither validated nor kept.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import stat
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from guardrails.cachefiles import (
    blake2,
    cache_dir,
    caches_disabled,
    checksum,
    code_fingerprint,
    json_exact,
    read_regular,
    write_cache,
)

#: the same for the packs file (2: one file for all the builtin packs, not one a pack)
_PACKS_FORMAT = 3  # 3: an entry's checksum binds its pack's name and key
#: the biggest pack cache file read (a builtin pack with its positions is ~100 KB)
#: the most a packs file may hold (read whole), and shared by the config cache
MAX_BYTES = 16 << 20
#: the most packs one packs file keeps (the builtin packs of one or a few folders)
_MAX_PACKS = 64

Positions = dict[tuple[Any, ...], tuple[int, int]]
#: what the digests of guardrails/packdata.py are personalised with (guardrails.packgen)
PERSON = b"guardrails-pack"


def context(pm: Any) -> list[Any] | None:
    """What an entry must have been stored under in this run, or None when the
    cache must not be used (turned off, or a plugin that is not ours is registered)."""
    if caches_disabled() or pm is None:
        return None
    try:
        plugins = pm.list_name_plugin()
    except AttributeError:
        return None
    for _name, plugin in plugins:
        if plugin is None:  # a name blocked with -p no:NAME (in the key below)
            continue
        # a module, or an object a plugin registered at configure time (a reporter)
        module = plugin if isinstance(plugin, ModuleType) else sys.modules.get(
            type(plugin).__module__)
        if not ours(module):
            return None
    from guardrails import __version__

    blocked = sorted(getattr(pm, "blocked_names", ()) or ())
    return [sys.version, __version__, code_fingerprint(), blocked]


def ours(module: ModuleType | None) -> bool:
    """A module of this package, loaded from its folder (not a local plugin file)."""
    if module is None or not module.__name__.startswith("guardrails."):
        return False
    file = getattr(module, "__file__", None)
    return isinstance(file, str) and os.path.dirname(file).startswith(_PACKAGE)


_PACKAGE = os.path.dirname(__file__)


def _file_key(path: Path) -> list[Any] | None:
    return read_pack(path)[0]


def read_pack(path: Path) -> tuple[list[Any] | None, bytes | None]:
    """(what a cache entry of builtin pack ``path`` is stored under, the file's bytes),
    from one read; (None, None) when it cannot be read. The bytes serve the parse
    of a miss and :func:`precompiled`: a pack is read once a run, not three times."""
    try:
        # Never waits on a FIFO, nor reads a device: such a "pack" is the parse's to refuse.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None, None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None, None
        with open(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        return None, None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        return None, None
    return [str(path), st.st_size, st.st_mtime_ns, checksum(data)], data


def precompiled(path: Path, raw: bytes) -> tuple[dict[str, Any], Positions] | None:
    """The data and positions of builtin pack ``path`` whose bytes are ``raw``, from
    :mod:`guardrails.packdata` (generated by :mod:`guardrails.packgen`), or None when
    that module holds no parse of exactly these bytes (an edited pack: parsed as ever).

    What the YAML parse of these very bytes gives, without PyYAML: the module keeps
    each pack's BLAKE2b digest beside its parse, and tests/unit/test_packdata.py
    fails when regenerating it would change one byte. Fresh objects every call."""
    from guardrails import packdata

    entry = packdata.PACKS.get(path.stem)
    if entry is None or blake2(raw, PERSON) != entry[0]:
        return None
    data, pos = entry[1]()
    return data, pos


def _packs_file() -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    # One file for every builtin pack of this install and Python (the name, not a
    # proof: the context and each pack's key are inside).
    where = checksum(f"{_PACKAGE}\0{sys.version}".encode("utf-8", "surrogatepass"))
    return folder / f"packs-{where}.json"


#: this collection's packs file: its context, the segments it held, what was stored since
_batch: dict[str, Any] | None = None
_exit_flush = False


def _open(ctx: list[Any]) -> dict[str, Any]:
    """The packs file of this collection under ``ctx``, read once (a new context or
    folder flushes the one before)."""
    global _batch
    file = _packs_file()
    if _batch is not None and _batch["file"] == file and _batch["ctx"] == ctx:
        return _batch
    flush()
    batch: dict[str, Any] = {"file": file, "ctx": ctx, "body": b"", "index": {}, "new": {}}
    _batch = batch
    raw = read_regular(file, MAX_BYTES) if file is not None else None
    if raw:
        line, _, body = raw.partition(b"\n")
        try:
            meta = json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError):
            meta = None
        if (isinstance(meta, dict) and meta.get("format") == _PACKS_FORMAT
                and meta.get("context") == ctx and isinstance(meta.get("packs"), dict)):
            batch["body"], batch["index"] = body, meta["packs"]
    return batch


def _segment(batch: dict[str, Any], name: str, key: list[Any] | None) -> bytes | None:
    """The stored payload of pack ``name`` when its entry is well formed, stored under
    ``key`` (any key when None) and its bytes match their checksum; else None."""
    entry = batch["index"].get(name)
    if not (isinstance(entry, list) and len(entry) == 4):
        return None
    stored_key, start, length, digest = entry
    body: bytes = batch["body"]
    if (key is not None and stored_key != key) or not isinstance(stored_key, list) or not (
            type(start) is int and type(length) is int and start >= 0
            and 0 <= length <= len(body) - start):
        return None
    payload = body[start:start + length]
    return payload if _digest(name, stored_key, payload) == digest else None


def _digest(name: str, key: list[Any], payload: bytes) -> Any:
    """An entry's checksum: of its pack's name and key as well as its bytes, so two
    entries' places swapped in the header (each checksum still right for its bytes)
    give no pack another pack's parse."""
    try:
        head = json.dumps([name, key], ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError, RecursionError):
        return None
    return checksum(head + b"\n" + payload)


def load(path: Path, ctx: list[Any], key: list[Any] | None = None
         ) -> tuple[dict[str, Any], Positions] | None:
    """The stored data and positions of builtin pack ``path``, or None (a miss);
    ``key``: its :func:`read_pack` key when read already."""
    key = key or _file_key(path)
    if key is None:
        return None
    payload = _segment(_open(ctx), str(path), key)
    if payload is None:
        return None
    try:
        stored = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(stored, dict):
        return None
    data, raw = stored.get("data"), stored.get("positions")
    if not (isinstance(data, dict) and isinstance(data.get("pack"), str)
            and isinstance(data.get("rules"), list)):
        return None
    pos = positions_from_stored(raw)
    return None if pos is None else (data, pos)


def positions_from_stored(raw: Any) -> Positions | None:
    """Stored positions (``[[path], line, column]``...) back as a dict; None when forged."""
    if not isinstance(raw, list):
        return None
    pos: Positions = {}
    try:
        for where, line, column in raw:
            if not (isinstance(where, list) and type(line) is int and type(column) is int
                    and all(p is None or type(p) in (str, int) for p in where)):
                return None
            pos[tuple(where)] = (line, column)
    except (TypeError, ValueError):
        return None
    return pos


def stored_payload(data: Any, pos: Positions) -> bytes:
    return json.dumps({"data": data, "positions": [[list(k), v[0], v[1]] for k, v in pos.items()]},
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def store(path: Path, data: Any, pos: Positions, ctx: list[Any],
          key: list[Any] | None = None) -> None:
    """Keep a pack that loaded without an error, for :func:`flush` to write with the
    others (one file, not one a pack: each file written is a temporary file, a
    write, a rename and a prune); what JSON cannot give back as it was (a
    non-string key, a date) is not kept. ``key``: as :func:`load`'s. Never raises."""
    global _exit_flush
    key = key or _file_key(path)
    if key is None or not isinstance(data, dict) or not json_exact(data):
        return
    with contextlib.suppress(ValueError, TypeError, RecursionError):
        batch = _open(ctx)
        if batch["file"] is None:
            return
        batch["new"][str(path)] = (key, stored_payload(data, pos))
        if not _exit_flush:  # a parse outside a session's collection (flush() not called)
            _exit_flush = True
            atexit.register(flush)


def flush() -> None:
    """Write the packs stored since the packs file was read, with the entries it held
    for the packs this run did not store again (while they fit), as one file; then
    forget it, so the next collection reads the file again. Called after a
    collection (:meth:`guardrails.session.Session.collect`) and at exit. Never raises."""
    global _batch
    batch, _batch = _batch, None
    if batch is None or not batch["new"] or batch["file"] is None:
        return
    index: dict[str, list[Any]] = {}
    chunks: list[bytes] = []
    size = 0

    def add(name: str, key: list[Any], payload: bytes) -> None:
        nonlocal size
        index[name] = [key, size, len(payload), _digest(name, key, payload)]
        chunks.append(payload)
        size += len(payload)

    for name, (key, payload) in batch["new"].items():
        add(name, key, payload)
    for name, entry in batch["index"].items():  # what earlier runs kept stays, while it fits
        kept = None if name in index or len(index) >= _MAX_PACKS else _segment(batch, name, None)
        if kept is not None and size + len(kept) <= MAX_BYTES // 2:
            add(name, entry[0], kept)
    with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
        head = json.dumps({"format": _PACKS_FORMAT, "context": batch["ctx"], "packs": index},
                          ensure_ascii=False).encode("utf-8", "surrogatepass")
        write_cache(batch["file"], head + b"\n" + b"".join(chunks))
