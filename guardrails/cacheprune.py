"""Which files a cache folder keeps: each family pruned to its most recent files.

A start-up cache (:mod:`guardrails.cachefiles`) or a source's cache names
its files ``prefix`` + 16 hex digits (a checksum) + ``suffix``; a folder keeps
the :data:`KEEP` most recently written of each family (:func:`prune`), drops
the temporary files a killed process left more than an hour ago, and deletes
the files of names an earlier release wrote and this one never reads
(``retired``, :func:`named`, :func:`startup_retired`). Pruning runs when a
cache file is written, never on a read, looks at a bounded number of folder
entries, never follows a link and never raises.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: files kept per family (``entry-points-``, ``packs-``, ...) in a cache folder
KEEP = 16
#: folder entries looked at when pruning (a hostile folder of millions costs no more)
_PRUNE_SCAN = 10_000
#: a temporary file older than this (seconds) was left by a killed process
_STALE_TMP = 3600
#: files of retired names deleted by one prune at most (the rest by later writes)
RETIRED_MAX = 64

def startup_retired(name: str) -> bool:
    """A file an earlier release's start-up caches wrote in their folder, which no
    run reads now: the packs cache's format 1 kept one a builtin pack
    (``pack-<stem>-<checksum>.json``, a stem of at most 41 characters)."""
    return named(name, "pack-", ".json", 41) and name[-22] == "-" and len(name) > 27


def prune(folder: Path, prefix: str, suffix: str, keep: int = KEEP) -> None:
    """Delete all but the ``keep`` most recently written cache files named
    ``prefix`` + 16 hex digits + ``suffix`` in ``folder``, and temporary files of
    that family a killed process left more than an hour ago. Only regular files
    with exactly such names, never through a symbolic link; looks at no more than
    :data:`_PRUNE_SCAN` entries; never raises (a cache it cannot tidy is no error).
    """
    prune_families(folder, ((prefix, suffix),), keep)


def named(name: str, prefix: str, suffix: str, middle: int = 0) -> bool:
    """Whether ``name`` is ``prefix``, at most ``middle`` more characters, 16 hex
    digits and ``suffix``: the shape of a cache file's name (``pack-teams-`` +
    checksum + ``.json``). For a ``retired`` test of :func:`prune_families`."""
    width = len(name) - len(prefix) - len(suffix) - 16
    return (0 <= width <= middle and name.startswith(prefix) and name.endswith(suffix)
            and _hex16(name[len(name) - len(suffix) - 16:len(name) - len(suffix)]))


def prune_families(folder: Path, families: Any, keep: int = KEEP,
                   retired: Callable[[str], bool] | None = None) -> None:
    """:func:`prune` for each ``(prefix, suffix)`` of ``families``, in one listing
    of ``folder`` (a cache that writes one file for several kinds tidies them
    all at once). With ``retired``, the regular files whose name it accepts
    (what an earlier version wrote and this one never reads: its test must
    match only names our caches made) are deleted in the same listing, at most
    :data:`RETIRED_MAX` a call, and a temporary file of such a name a killed
    process left. Called when a cache file is written, never on a read. Never
    raises."""
    import time

    wanted: dict[tuple[str, str], list[tuple[int, str]]] = {
        (prefix, suffix): [] for prefix, suffix in families}
    stale: list[str] = []
    gone: list[str] = []
    now = time.time()
    try:
        with os.scandir(folder) as entries:
            for n, entry in enumerate(entries):
                if n >= _PRUNE_SCAN:
                    break
                name = entry.name
                tmp = name.startswith(".") and name.endswith(".tmp")
                if retired is not None and len(gone) < RETIRED_MAX and retired(
                        name[1:].rsplit(".", 2)[0] if tmp else name):
                    if entry.is_file(follow_symlinks=False) and not (
                            tmp and now - entry.stat(follow_symlinks=False).st_mtime
                            <= _STALE_TMP):
                        gone.append(name)
                    continue
                for prefix, suffix in wanted:
                    bare = name
                    if tmp and suffix in name:  # .NAME.RANDOM.tmp (.NAME.PID.tmp before)
                        bare = name[1:name.index(suffix, 1) + len(suffix)]
                    width = len(prefix) + 16
                    if (len(bare) == width + len(suffix) and bare.startswith(prefix)
                            and bare.endswith(suffix) and _hex16(bare[len(prefix):width])):
                        break
                else:
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
                if tmp:
                    if now - st.st_mtime > _STALE_TMP:
                        stale.append(name)
                else:
                    wanted[prefix, suffix].append((st.st_mtime_ns, name))
    except OSError:
        return
    doomed = stale + gone
    for found in wanted.values():
        found.sort(reverse=True)
        doomed += [name for _, name in found[max(keep, 1):]]
    for name in doomed:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))


def _hex16(text: str) -> bool:
    return len(text) == 16 and all(c in "0123456789abcdef" for c in text)
