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
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardrails.fileio import atomic_writer

LOG = logging.getLogger(__name__)

#: bump when the layout of a cached commit changes
#: 2: an author whose name ends in "[bot]" or " bot" is a bot (facts.is_bot), so v1
#: histories may hold commits that are now left out
VERSION = 2
_HEX = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_EPOCH_MIN, _EPOCH_MAX = -62135596800, 253402300799


def cache_key(repo: Path, options: dict[str, Any]) -> str:
    """A stable name for the history of ``repo`` read with ``options``."""
    blob = json.dumps({"v": VERSION, "repo": str(repo.resolve()), "opts": options},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "git" / f"{key}.json"


def load(cache_dir: Path | None, key: str,
         warn: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """The cached ``{"head", "since", "commits"}`` or None (missing or unreadable).

    A file that does not read back as the layout :func:`store` writes (cut
    short, edited, another version's) is ignored, with a warning through
    ``warn`` when it is damaged, and the history is read again: a cache can
    cost time, never a crash or a wrong fact.
    """
    if cache_dir is None:
        return None
    path = cache_path(cache_dir, key)
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        # A broken cache is not the user's problem: read the history again.
        _ignored(path, f"unreadable ({type(exc).__name__})", warn)
        return None
    if isinstance(data, dict) and data.get("version") != VERSION:
        return None  # another guardrails version's layout: not damage
    problem = _problem(data)
    if problem is not None:
        _ignored(path, problem, warn)
        return None
    return data


def _ignored(path: Path, why: str, warn: Callable[[str], None] | None) -> None:
    LOG.debug("ignoring git cache %s: %s", path, why)
    if warn is not None:
        warn(f"git: ignored the damaged history cache {path.name} ({why}); read the "
             "history again")


def _problem(data: Any) -> str | None:
    """Why ``data`` is not a cache :func:`store` wrote, or None when it is."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if not isinstance(data.get("head"), str) or not _HEX.match(data["head"]):
        return "no valid head"
    if type(data.get("since")) is not int:
        return "no valid since"
    commits = data.get("commits")
    if not isinstance(commits, list):
        return "no commit list"
    for i, c in enumerate(commits):
        if not (isinstance(c, dict) and isinstance(c.get("sha"), str)
                and isinstance(c.get("author"), str) and isinstance(c.get("email"), str)
                and type(c.get("at")) is int and type(c.get("ct")) is int
                and _EPOCH_MIN <= c["at"] <= _EPOCH_MAX
                and _EPOCH_MIN <= c["ct"] <= _EPOCH_MAX
                and isinstance(c.get("files"), list)
                and all(isinstance(f, str) for f in c["files"])
                and all(isinstance(r, list) and len(r) == 2
                        and all(isinstance(p, str) for p in r)
                        for r in c.get("renames", ()) or ())
                and all(type(c.get(k, 0)) is int for k in ("additions", "deletions"))):
            return f"commit {i + 1} is malformed"
    return None


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
