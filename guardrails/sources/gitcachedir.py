"""The git history cache's folder, kept bounded.

The folder keeps the :data:`KEEP` history files most recently written or
read; a removed one costs one full read of its repository's history.
Imported only by a run that writes a history (a warm run reads one).
"""

from __future__ import annotations

import logging  # getLogger only when logging: a warm run never executes logging
import os
import re
from pathlib import Path

#: history files kept in ``<cache_dir>/git``: the most recently written or read
KEEP = 16
#: the names this module writes: history files and the temporary files beside them
_OURS = re.compile(r"^(?:[0-9a-f]{16}\.bin|\.[0-9a-f]{16}\.bin\.[0-9a-f]+\.tmp)$")
#: a temporary file this old was left by a run that died while writing
_STALE_TMP_SECONDS = 3600

def prune(folder: Path, keep: Path | None = None, now: float | None = None) -> None:
    """Bound the folder: at most :data:`KEEP` history files, the most recently
    written or read (a read touches its file), and no temporary file left by a
    run that died while writing. Only names this module makes are removed."""
    import time  # here: only a run that wrote a history prunes

    now = time.time() if now is None else now
    found: list[tuple[float, str]] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if not _OURS.fullmatch(entry.name):  # match: "$" lets a final "\n" by
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.name.endswith(".tmp"):
                    if now - st.st_mtime > _STALE_TMP_SECONDS:
                        _unlink(folder / entry.name)
                elif keep is None or entry.name != keep.name:
                    found.append((st.st_mtime, entry.name))
    except OSError as exc:
        logging.getLogger(__name__).debug("could not prune git cache %s: %s", folder, exc)
        return
    found.sort(reverse=True)  # newest first
    for _, name in found[KEEP - (keep is not None):]:
        _unlink(folder / name)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError as exc:
        logging.getLogger(__name__).debug("could not remove %s: %s", path, exc)
