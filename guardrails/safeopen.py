"""Opening a checked file so that the file opened is the file checked.

:func:`guardrails.paths.check_file` (and the files source's cheaper listing
checks) look at a path with ``lstat``/``realpath``; reading it opens the path
again. Someone who can write to the checkout during the run could swap the
file, or a folder on its way, for a symbolic link out of the root in
between, and a plain ``open`` would follow it. :class:`SafeOpener` closes
that gap:

- a folder inside the root is opened from the root, one resolved component
  at a time, each with ``O_NOFOLLOW`` (and kept open for the next file of
  that folder), so a folder swapped for a link is met as a link;
- the file is opened relative to its folder (``dir_fd``) with
  ``O_NOFOLLOW``: a plain file opens as it was checked. A name that is a
  link at open time is checked then, by :func:`~guardrails.paths.check_file`:
  a link out of the root (or to ``/proc``, a device...) gets the very error
  the check gives, and a link inside the root is opened at its resolved
  place, again one component at a time without following anything.

Every file so opened lies beneath the root (unless ``allow_outside_root``
let it out, where the checks of :mod:`guardrails.paths` hold as they are
made). A link met again on the resolved path as it is opened (the tree
changing under the run as it is read) is an error too, never a silent read
of something else. Where the system has no ``O_NOFOLLOW`` or no ``dir_fd``
for ``open`` (not Linux, macOS or the BSDs), files open as the checks left
them. Folders are opened with ``O_PATH`` where there is one: searching a
folder is all a name in it needs, not the right to list it.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardrails.errors import UsageError
from guardrails.paths import check_file, in_system_tree, is_inside

__all__ = ["SafeOpener"]

#: how a file is opened for reading: never waiting on a FIFO, not inherited by children
READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: a folder is opened to open names in it (O_PATH: searching it is all that needs)
_DIR_FLAGS = (getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
              | getattr(os, "O_CLOEXEC", 0))
#: errors O_NOFOLLOW gives for a link (Linux and macOS: ELOOP; FreeBSD: EMLINK);
#: ENOTDIR is a link (or file) where O_DIRECTORY expected a folder
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK, errno.ENOTDIR})
_DIR_FD_OK = os.open in os.supports_dir_fd and bool(_NOFOLLOW)


class SafeOpener:
    """Opens files checked against ``root`` (see the module docstring).

    ``error`` and ``what`` word the refusals as :func:`check_file` does
    (``DataFileError``, ``"data file"``); ``shown`` names a path in them as the
    user does (links not followed), else the caller's ``display`` does.
    Folders opened are kept until :meth:`close` (or the end of a ``with``
    block): a folder of 5,000 postmortems is walked once, not once a file.
    """

    def __init__(self, root: Path, *, allow_outside: bool, error: type[UsageError] = UsageError,
                 what: str = "file", real_root: Path | None = None,
                 shown: Callable[[Path], str] | None = None) -> None:
        self.root = root
        self.shown = shown
        self.allow_outside = allow_outside
        self.error = error
        self.what = what
        self.real_root = real_root if real_root is not None else Path(os.path.realpath(root))
        self._dirs: dict[tuple[str, ...], int] = {}  # resolved parts below the root -> fd
        self._real: dict[Path, Path] = {}  # a folder as named -> resolved, once each
        #: a folder named as it resolves (inside the root) -> its descriptor in _dirs
        self._by_name: dict[str, int] = {}

    def __enter__(self) -> SafeOpener:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        dirs, self._dirs = self._dirs, {}
        self._by_name = {}
        for fd in dirs.values():
            os.close(fd)

    def open(self, path: Path, display: str) -> int:
        """A descriptor of ``path`` for reading (``READ_FLAGS``); the caller closes it.

        Raises ``OSError`` as ``os.open`` does (a missing file, no permission),
        and ``self.error`` naming ``display`` for a link the checks refuse.
        """
        if not _DIR_FD_OK:  # no openat or O_NOFOLLOW here: the checks as they were made
            return os.open(path, READ_FLAGS)
        # The common case, one more file of a folder inside the root met before
        # (5,000 postmortems): the folder's descriptor by the folder's name, no
        # path arithmetic (pathlib's was ~3% of a cold 100k run: RESULTS.md, s24).
        folder, _, name = str(path).rpartition(os.sep)
        fd = self._by_name.get(folder)
        if fd is not None and name not in ("", ".", ".."):
            try:
                return os.open(name, READ_FLAGS | _NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno not in _LINK_ERRNOS:
                    raise
            # a link now: the whole way below, which checks it
        parent = self._real.get(path.parent)
        if parent is None:
            parent = self._real[path.parent] = Path(os.path.realpath(path.parent))
        try:
            return self._open_beneath(parent, path.name, display, path)
        except OSError as exc:
            if exc.errno not in _LINK_ERRNOS:
                raise
        # The name (or a folder on its way) is a link now: the check decides, as it
        # would have had it seen the link, and a link it lets through is opened at
        # the place it resolves to, nothing followed on the way.
        self._check(path, display)
        real = Path(os.path.realpath(path))
        try:
            return self._open_beneath(real.parent, real.name, display, path)
        except OSError as exc:
            if exc.errno not in _LINK_ERRNOS:
                raise
        raise self._changed(self.shown(path) if self.shown is not None else display)

    def _open_beneath(self, folder: Path, name: str, display: str, path: Path) -> int:
        """``folder/name`` opened without following a link, ``folder`` resolved."""
        if not is_inside(folder, self.root, self.real_root):
            # A folder outside the root: only allow_outside_root lets one be read,
            # and never one in /proc, /sys or /dev. Refused, it is checked again as
            # it is opened, for the error the check gives (a link out of the root).
            if not self.allow_outside or in_system_tree(folder):
                self._check(path, display)
                raise self._changed(self.shown(path) if self.shown is not None else display)
            # A plain file there opens as checked; a link is met as one (ELOOP) and
            # checked by open() (a realpath a file only for links, not for each file).
            return os.open(folder / name, READ_FLAGS | _NOFOLLOW)
        fd = self._folder(folder)
        if name == path.name and str(folder) == str(path.parent):
            # named as it resolves, no link on its way: the next file of this
            # folder by the same name takes the descriptor at once (open())
            self._by_name[str(folder)] = fd
        return os.open(name, READ_FLAGS | _NOFOLLOW, dir_fd=fd)

    def _folder(self, folder: Path) -> int:
        """A descriptor of ``folder`` (resolved, inside the root), opened from the root."""
        parts = folder.relative_to(self.real_root).parts
        fd = self._dirs.get(parts)
        if fd is not None:
            return fd
        if parts:
            above = self._folder(folder.parent)
            fd = os.open(parts[-1], _DIR_FLAGS, dir_fd=above)
        else:
            fd = os.open(self.real_root, _DIR_FLAGS & ~_NOFOLLOW)  # the root: the anchor
        self._dirs[parts] = fd
        return fd

    def _check(self, path: Path, display: str) -> None:
        if self.shown is not None:
            display = self.shown(path)
        check_file(path, root=self.root, allow_outside=self.allow_outside, display=display,
                   error=self.error, what=self.what, real_root=self.real_root)

    def _changed(self, display: str) -> UsageError:
        return self.error(
            f"the {self.what} was replaced while guardrails opened it (a symbolic link "
            "appeared on its path between the check and the read)",
            file=display,
            fix="run again once nothing else writes to the project's files; "
            "guardrails reads only the file it checked",
        )
