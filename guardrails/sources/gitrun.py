"""Running the git CLI in one repository: argv, environment, streamed output.

Shared by the git source (history, CODEOWNERS) and by lead time through git
(:mod:`guardrails.sources.gitship`), so neither imports the other for it.
"""

from __future__ import annotations

import codecs
import contextlib
import itertools
import os
import select
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from guardrails.errors import SourceError

# No prompt for credentials, no lock files taken behind the user's back, and
# git's messages in English so errors can be recognised.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
#: most bytes one read takes (the pipe's size)
_READ = 1 << 20
#: a read shorter than this means git is slower than us: nap before the next one
_BATCH = 1 << 16
#: seconds of that nap: at most this much later than git's last write. 10 ms, not
#: 2: on pytest's history (1.6 MB of log) ~6 ms less CPU, and git (~5 MB/s) fills
#: ~50 KB of the 1 MiB pipe meanwhile, so it never waits
_NAP = 0.01


#: os.posix_spawn and poll (POSIX): see _spawn
_SPAWN = hasattr(os, "posix_spawn") and hasattr(select, "poll")


def _inherited() -> list[int] | None:
    """Inheritable descriptors above stderr, which subprocess's ``close_fds`` closes in
    the child (posix_spawn hands them on), or None when they cannot be listed."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        out = []
        for name in names:
            if name.isdigit() and int(name) > 2:
                with contextlib.suppress(OSError):  # the listing's own, closed since
                    if os.get_inheritable(int(name)):
                        out.append(int(name))
        return out
    return None


def _spawn(argv: list[str], close: Sequence[int] = ()) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``argv``, stdin empty.

    What ``subprocess.run(..., capture_output=True)`` does, with
    ``os.posix_spawn`` and a poll loop: a warm run's one ``git rev-parse``
    then costs ~4 ms less CPU (subprocess's import and machinery). Both
    pipes are drained as they fill, so no output size can block git. The
    bytes are decoded as they are (no newline translation: a path holding
    ``\r`` stays itself). ``close``: descriptors closed in the child
    (:func:`_inherited`).
    """
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawn(argv[0], argv, {**os.environ, **_ENV}, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2),
            *((os.POSIX_SPAWN_CLOSE, fd) for fd in close)])
    except BaseException:
        for fd in (out_r, out_w, err_r, err_w):
            os.close(fd)
        raise
    os.close(out_w)
    os.close(err_w)
    bufs: dict[int, list[bytes]] = {out_r: [], err_r: []}
    done = False
    try:
        poller = select.poll()
        for fd in bufs:
            poller.register(fd, select.POLLIN)
        left = set(bufs)
        while left:
            for fd, _ in poller.poll():
                data = os.read(fd, _READ)
                if data:
                    bufs[fd].append(data)
                else:  # end of that stream
                    poller.unregister(fd)
                    left.discard(fd)
        done = True
    finally:
        # Closed before waiting: interrupted mid-read, git then fails its next
        # write instead of waiting on a full pipe forever.
        os.close(out_r)
        os.close(err_r)
        if not done:  # interrupted (Ctrl-C, SIGTERM): git is killed, as subprocess.run does
            import signal

            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
    out, err = (b"".join(bufs[fd]).decode("utf-8", "surrogateescape") for fd in (out_r, err_r))
    return os.waitstatus_to_exitcode(status), out, err


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


class Git:
    """Runs git in one repository."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.exe = which("git")

    def _argv(self, args: Sequence[str]) -> list[str]:
        if self.exe is None:
            raise SourceError("git", "git is not installed or not on PATH; install git "
                              "or add it to PATH")
        return [self.exe, "-C", str(self.path), "--no-pager", "-c", "log.showSignature=false",
                *args]

    def run(self, *args: str, input: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        """git's output; a :class:`SourceError` for an exit status not in ``ok``."""
        return self.run_status(*args, input=input, ok=ok)[1]

    def run_status(self, *args: str, input: str | None = None,
                   ok: tuple[int, ...] = (0,)) -> tuple[int, str]:
        """``(exit status, output)``; a :class:`SourceError` for a status not in ``ok``."""
        argv = self._argv(args)
        # Descriptors a parent passed down must not reach git (and a daemon it may
        # start): where they cannot be listed, subprocess closes them.
        inherited = _inherited() if input is None and _SPAWN else None
        if inherited is not None:
            rc, out, err = _spawn(argv, inherited)
        else:
            import subprocess  # not at import: a warm run needs none (see _spawn)

            proc = subprocess.run(argv, input=input, capture_output=True,
                                  env={**os.environ, **_ENV}, check=False, encoding="utf-8",
                                  errors="surrogateescape")
            rc, out, err = proc.returncode, proc.stdout, proc.stderr
        if rc not in ok:
            raise SourceError("git", f"git {args[0]} failed in {self.path}: "
                              f"{err.strip() or 'exit ' + str(rc)}")
        return rc, out

    def status(self, *args: str) -> int:
        """Run git for its exit status only (e.g. ``merge-base --is-ancestor``)."""
        import subprocess

        return subprocess.run(self._argv(args), capture_output=True, check=False,
                              env={**os.environ, **_ENV}).returncode

    def stream(self, *args: str) -> Iterator[str]:
        """Yield git's NUL-separated output tokens as they arrive."""
        return itertools.chain.from_iterable(self.chunks(*args))

    def chunks(self, *args: str) -> Iterator[list[str]]:
        """Yield git's NUL-separated output tokens as they arrive, a list at a time.

        Lists, not single tokens: a long history is ~100,000 tokens, and a
        generator step per token costs more than splitting them.
        """
        import subprocess

        proc = subprocess.Popen(self._argv(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, **_ENV})
        assert proc.stdout is not None and proc.stderr is not None
        fd = proc.stdout.fileno()
        try:
            import fcntl  # here: a warm run streams nothing
        except ImportError:  # Windows
            fcntl = None  # type: ignore[assignment]
        if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
            # A 1 MiB pipe lets git run ahead while we parse (the default is 64 KiB).
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        try:
            buf = ""
            while chunk := os.read(fd, _READ):
                parts = (buf + decoder.decode(chunk)).split("\0")
                buf = parts.pop()
                yield parts
                if len(chunk) < _BATCH:
                    # git log writes a commit at a time: reading each as it comes is a
                    # wake-up per commit (thousands). Waiting a moment lets the pipe
                    # fill, so a read takes many commits; git never waits on us.
                    time.sleep(_NAP)
            buf += decoder.decode(b"", final=True)
            if buf:
                yield [buf]
            err = proc.stderr.read().decode("utf-8", "surrogateescape")
        finally:
            proc.stdout.close()
            proc.stderr.close()
            rc = proc.wait()
        if rc != 0:
            raise SourceError("git", f"git {args[0]} failed in {self.path}: {err.strip()}")
