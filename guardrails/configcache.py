"""The config's parse, kept by its bytes: a warm run parses no YAML for it.

:mod:`guardrails.config` reads the config file's bytes on every run; the data
and line positions an earlier run parsed from exactly those bytes are kept in
one JSON file a config (``doc-<stem>-<checksum>.json`` in the cache folder),
under the cache format, Python's and guardrails' versions, the fingerprint of
guardrails' own files and PyYAML's files (a different parser could parse
differently), and the file's path, size and digest. It shares the packs'
stored form (:mod:`guardrails.packcache`: data and positions as JSON) and
nothing else: the packs are guardrails' own files, kept all in one file, and
used only when no outside plugin runs; the config is the user's, and any run
may read its parse back.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from guardrails.cachefiles import (
    blake2,
    cache_dir,
    caches_disabled,
    checksum,
    code_fingerprint,
    json_exact,
    load_json_cache,
    package_files,
    store_json_cache,
)
from guardrails.packcache import MAX_BYTES, Positions, positions_from_stored, stored_payload

#: bump when what is stored, or how it is read, changes (the config's parse)
_FORMAT = 1


def yaml_files() -> tuple[str, ...]:
    """PyYAML's files (its libyaml extension among them), found without importing it."""
    return package_files("yaml")


def _document(path: Path, raw: bytes) -> tuple[Path, dict[str, Any]] | None:
    """The cache file and header of YAML file ``path`` holding exactly ``raw``."""
    folder = None if caches_disabled() else cache_dir()
    if folder is None:
        return None
    from guardrails import __version__

    where = checksum(f"{path}\0{sys.version}".encode("utf-8", "surrogatepass"))
    digest = blake2(raw, b"guardrails-yaml")
    return folder / f"doc-{path.stem[:40]}-{where}.json", {
        "format": _FORMAT, "context": [sys.version, __version__, code_fingerprint(),
                                       list(yaml_files())],
        "file": [str(path), len(raw), digest]}


def load_document(path: Path, raw: bytes) -> tuple[Any, Positions] | None:
    """The data and positions an earlier run parsed from exactly these bytes ``raw`` of
    YAML file ``path`` (the config), or None: a miss, or the caches are off."""
    where = _document(path, raw)
    if where is None:
        return None
    stored = load_json_cache(where[0], MAX_BYTES, where[1])
    if not isinstance(stored, dict) or "data" not in stored:
        return None
    pos = positions_from_stored(stored.get("positions"))
    return None if pos is None else (stored["data"], pos)


def store_document(path: Path, raw: bytes, data: Any, pos: Positions) -> None:
    """Keep the parse of ``raw`` for :func:`load_document`; what JSON cannot give back
    as it was (a non-string key, a NaN) is not kept. Never raises."""
    if not json_exact(data):
        return
    where = _document(path, raw)
    if where is None:
        return
    with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
        store_json_cache(where[0], where[1], stored_payload(data, pos))
