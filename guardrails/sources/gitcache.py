"""On-disk cache of parsed git history, so an unchanged repository is read once.

One JSON file per (repository, source options) under
``<cache_dir>/git/<key>.json`` holding the HEAD it was read at, the oldest
commit time it covers and the raw commits, newest first. When HEAD moved on
and the cached HEAD is its ancestor, only the new commits are read
(``git log OLD..HEAD``) and put in front. Files are replaced atomically, so a
crash or a concurrent run never leaves half a cache behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from guardrails.fileio import atomic_writer

LOG = logging.getLogger(__name__)

#: bump when the layout of a cached commit changes
VERSION = 1


def cache_key(repo: Path, options: dict[str, Any]) -> str:
    """A stable name for the history of ``repo`` read with ``options``."""
    blob = json.dumps({"v": VERSION, "repo": str(repo.resolve()), "opts": options},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "git" / f"{key}.json"


def load(cache_dir: Path | None, key: str) -> dict[str, Any] | None:
    """The cached ``{"head", "since", "commits"}`` or None (missing or unreadable)."""
    if cache_dir is None:
        return None
    path = cache_path(cache_dir, key)
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        # A broken cache is not the user's problem: read the history again.
        LOG.debug("ignoring unreadable git cache %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    return data


def store(cache_dir: Path | None, key: str, head: str, since: int,
          commits: list[dict[str, Any]]) -> None:
    """Write the cache atomically (tempfile in the same folder, then os.replace)."""
    if cache_dir is None:
        return
    path = cache_path(cache_dir, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path) as fh:
            json.dump({"version": VERSION, "head": head, "since": since,
                       "commits": commits}, fh, separators=(",", ":"))
    except OSError as exc:
        # A read-only cache folder must not fail the run; it is only slower.
        LOG.debug("could not write git cache %s: %s", path, exc)
