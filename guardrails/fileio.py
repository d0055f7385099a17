"""Writing files the user keeps: whole or not at all.

Every file guardrails writes (``--output`` reports, ``--junitxml``,
``--write-baseline``, ``init``'s scaffold) goes
through :func:`atomic_writer`: the text goes to a temporary file in the same
folder, which replaces the target with ``os.replace`` only once it is
complete. A crash, Ctrl-C or SIGTERM in between leaves the previous file as
it was and no half-written one beside it.

A target that exists and is not a regular file (``/dev/null``, ``/dev/full``,
a terminal) is written directly: renaming over a device would replace the
device, not write to it. Folders are refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; new files get 0o666 minus the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_writer(path: str | Path, *, binary: bool = False,
                  encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open ``path`` for writing; it appears (or is replaced) only on a clean exit.

    A symlink is followed: its target is replaced, the link stays. Raises
    ``OSError`` (``IsADirectoryError`` for a folder) like ``open`` does; the
    caller turns it into a message.
    """
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(path)  # follows links, /dev/stdout's magic one included
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        # A device or terminal: nothing to keep intact, and renaming would replace it.
        fh: IO[Any]
        if binary:
            fh = open(path, "wb")  # noqa: PTH123, SIM115
        else:
            fh = open(path, "w", encoding=encoding,  # noqa: PTH123, SIM115
                      errors="backslashreplace", newline="\n")
        try:
            yield fh
        except BaseException:
            with contextlib.suppress(OSError):  # the body's error is the one to report
                fh.close()
            raise
        fh.close()
        return
    import tempfile  # here: it imports shutil, bz2 and lzma, which a run without files skips

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if binary:
            fh = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, errors="backslashreplace", newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write all of ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, binary=isinstance(data, bytes), encoding=encoding) as fh:
        fh.write(data)


__all__ = ["atomic_write", "atomic_writer"]
