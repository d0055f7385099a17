"""Where the git executable is, apart from running it (:mod:`guardrails.sources.gitrun`).

A warm git run only needs to know that git is there (it reads HEAD from git's
files and the history from its cache): looking git up here keeps the runner
(its imports, ~0.2 ms) out of that run.
"""

from __future__ import annotations

import os


def which(name: str) -> str | None:
    """``shutil.which(name)`` without importing :mod:`shutil` on POSIX.

    shutil brings bz2 and lzma with it (~1.7 ms, a twentieth of a warm git
    run's own cost). The same search as shutil's on POSIX: each ``PATH``
    entry in order (no ``PATH``: the system default), the first existing,
    executable non-directory wins; an empty entry is the working directory.
    Elsewhere (``PATHEXT``, the current folder first) shutil's own.
    """
    if os.name != "posix" or os.sep in name:
        import shutil

        return shutil.which(name)
    path = os.environ.get("PATH")
    if path is None:
        try:
            path = os.confstr("CS_PATH")
        except (AttributeError, ValueError):
            path = os.defpath
    seen: set[str] = set()
    for folder in path.split(os.pathsep) if path else ():
        if folder in seen:
            continue
        seen.add(folder)
        candidate = os.path.join(folder, name)
        if (os.path.exists(candidate) and os.access(candidate, os.F_OK | os.X_OK)
                and not os.path.isdir(candidate)):
            return candidate
    return None
