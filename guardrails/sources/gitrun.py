"""Running the git CLI in one repository: argv, environment, streamed output.

Shared by the git source (history, CODEOWNERS) and by lead time through git
(:mod:`guardrails.sources.gitship`), so neither imports the other for it.

Every git runs in the folder it is given and nowhere else: the variables
that would send it to another repository, index, object store or config
(``GIT_DIR`` and the like, which a git hook runs with) are left out of its
environment (:data:`MOVING`, :func:`environment`); a repository's own config
cannot make it run a command (``core.fsmonitor`` off, no pager, no external
diff, no signature check).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from guardrails.errors import SourceError
from guardrails.sources.githead import MOVING, MOVING_PREFIXES, which

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


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every git this module runs: the process's, less
    :data:`MOVING` (and :data:`MOVING_PREFIXES`), plus :data:`_ENV` and ``extra``.
    Built for each git run (~50 us, as the copy of ``os.environ`` before the
    variables were left out): a caller may change ``os.environ`` in between."""
    env = {**os.environ, **_ENV}
    for name in [n for n in env if n.startswith("GIT_")]:
        if name in MOVING or name.startswith(MOVING_PREFIXES):
            del env[name]
    if extra:
        env.update(extra)
    return env


def spawn_ok() -> bool:
    """``os.posix_spawn`` and ``select.poll`` are there (POSIX): see :func:`_spawn`.
    Asked when git is run: a warm run runs none, and ``select`` (an extension
    module) is not imported for it."""
    if not hasattr(os, "posix_spawn"):
        return False
    import select

    return hasattr(select, "poll")


def _signal_module() -> Any:
    """The C module ``_signal`` (the ``signal`` module builds enums at import)."""
    try:
        import _signal as module  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - an interpreter without it
        import signal as module
    return module


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """For the time of a spawn, SIGINT and SIGTERM are noted instead of raising,
    then delivered again once the block has stored the child for clean-up.

    A KeyboardInterrupt (Ctrl-C, or SIGTERM as :mod:`guardrails.exits` turns
    it) raised between ``posix_spawn``/``Popen`` returning and the assignment
    of its result would lose the child: never killed, never waited for. Only
    signals whose handler is Python's own are held (a default or ignored
    disposition raises nothing); a signal mask is not used, as other threads
    could take the signal instead. Outside the main thread there is nothing to
    hold: Python runs signal handlers in the main thread only.
    """
    sig = _signal_module()
    held: dict[int, Any] = {}
    noted: list[int] = []
    try:
        with contextlib.suppress(ValueError):  # not the main thread
            for signum in (sig.SIGINT, sig.SIGTERM):
                if callable(sig.getsignal(signum)):
                    held[signum] = sig.signal(signum, lambda n, _frame: noted.append(n))
        yield
    finally:
        for signum, handler in held.items():
            sig.signal(signum, handler)
        for signum in dict.fromkeys(noted):  # now the block's child is known
            sig.raise_signal(signum)


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
    ``os.posix_spawn`` and a poll loop (:func:`_spawned`): a warm run's one
    ``git rev-parse`` then costs ~4 ms less CPU (subprocess's import and
    machinery). The bytes are decoded as they are (no newline translation: a
    path holding ``\r`` stays itself). ``close``: descriptors closed in the
    child (:func:`_inherited`).
    """
    done: list[Any] = []
    out = b"".join(_spawned(argv, close, done, nap=False))
    rc, err = done
    return rc, out.decode("utf-8", "surrogateescape"), err.decode("utf-8", "surrogateescape")


def _spawned(argv: list[str], close: Sequence[int], done: list[Any], nap: bool,
             env: dict[str, str] | None = None) -> Iterator[bytes]:
    """Yield ``argv``'s stdout as it comes (stdin empty); then put ``[exit status,
    stderr bytes]`` in ``done``.

    Both pipes are drained as they fill, so no output size can block the
    child. ``nap``: after a short read wait :data:`_NAP` before the next, so
    a long output is taken in a few large reads (git log writes a commit at a
    time). Stopped early (an error in the reader, Ctrl-C), the child is
    killed and waited for, as ``subprocess.run`` does.
    """
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid: int | None = None
    errs: list[bytes] = []
    finished = False
    try:
        with _signals_held():  # an interrupt lands after pid is stored, never before
            pid = os.posix_spawn(argv[0], argv, environment(env),
                                 file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2),
                *((os.POSIX_SPAWN_CLOSE, fd) for fd in close)])
        fd, out_w = out_w, -1  # forgotten before closed: never closed twice
        os.close(fd)
        fd, err_w = err_w, -1
        os.close(fd)
        if nap:
            _bigger_pipe(out_r)
        import select  # imported already by spawn_ok

        poller = select.poll()
        for fd in (out_r, err_r):
            poller.register(fd, select.POLLIN)
        left = {out_r, err_r}
        while left:
            got = 0
            for fd, _ in poller.poll():
                data = os.read(fd, _READ)
                got += len(data)
                if not data:  # end of that stream
                    poller.unregister(fd)
                    left.discard(fd)
                elif fd == out_r:
                    yield data
                else:
                    errs.append(data)
            if nap and left and got < _BATCH:
                # git log writes a commit at a time: reading each as it comes is a
                # wake-up per commit (thousands). Waiting a moment lets the pipe
                # fill, so a read takes many commits; git never waits on us.
                time.sleep(_NAP)
        finished = True
    finally:
        # Closed before waiting: interrupted mid-read, git then fails its next
        # write instead of waiting on a full pipe forever.
        for fd in (out_r, err_r, out_w, err_w):
            if fd >= 0:
                os.close(fd)
        if pid is not None:
            if not finished:  # interrupted (Ctrl-C, SIGTERM, the reader gave up): killed
                with contextlib.suppress(OSError):
                    os.kill(pid, _signal_module().SIGKILL)
            status = os.waitpid(pid, 0)[1]
    done[:] = [os.waitstatus_to_exitcode(status), b"".join(errs)]


def _bigger_pipe(fd: int) -> None:
    """A 1 MiB pipe lets git run ahead while we parse (the default is 64 KiB)."""
    try:
        import fcntl  # here: a warm run streams nothing
    except ImportError:  # Windows
        return
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


class Git:
    """Runs git in one repository."""

    def __init__(self, path: Path, exe: str | None = None) -> None:
        """``exe``: git's path when the caller looked it up already (else looked up)."""
        self.path = path
        self.exe = exe if exe is not None else which("git")

    def _argv(self, args: Sequence[str]) -> list[str]:
        if self.exe is None:
            raise SourceError("git", "git is not installed or not on PATH; install git "
                              "or add it to PATH")
        # core.fsmonitor names a command git runs on an index refresh (ls-files): a
        # repository's own .git/config is input, and nothing it names may run
        return [self.exe, "-C", str(self.path), "--no-pager", "-c", "core.fsmonitor=false",
                "-c", "log.showSignature=false", *args]

    def run(self, *args: str, input: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        """git's output; a :class:`SourceError` for an exit status not in ``ok``."""
        return self.run_status(*args, input=input, ok=ok)[1]

    def run_status(self, *args: str, input: str | None = None,
                   ok: tuple[int, ...] = (0,)) -> tuple[int, str]:
        """``(exit status, output)``; a :class:`SourceError` for a status not in ``ok``."""
        argv = self._argv(args)
        # Descriptors a parent passed down must not reach git (and a daemon it may
        # start): where they cannot be listed, subprocess closes them.
        inherited = _inherited() if input is None and spawn_ok() else None
        if inherited is not None:
            rc, out, err = _spawn(argv, inherited)
        else:
            rc, out, err = _run(argv, input)
        if rc not in ok:
            raise SourceError("git", f"git {args[0]} failed in {self.path}: "
                              f"{err.strip() or 'exit ' + str(rc)}")
        return rc, out

    def status(self, *args: str) -> int:
        """Run git for its exit status only (e.g. ``merge-base --is-ancestor``)."""
        return _run(self._argv(args), None)[0]

    def blocks(self, *args: str) -> Iterator[bytes]:
        """Yield git's stdout as it arrives, in blocks of bytes (as many as a read
        took after a short nap: a few dozen reads for a long log); a
        :class:`SourceError` after the last one when git fails.

        ``GIT_FLUSH=0``: git then fills its output buffer before each write
        instead of flushing after every commit (thousands of writes and
        wake-ups fewer for a long history; git's own choice for a file).
        """
        argv = self._argv(args)
        env = {"GIT_FLUSH": "0"}
        inherited = _inherited() if spawn_ok() else None
        done: list[Any] = []
        if inherited is not None:
            yield from _spawned(argv, inherited, done, nap=True, env=env)
            rc, err = done
        else:
            rc, err = yield from self._popen_blocks(argv, env)
        if rc != 0:
            text = err.decode("utf-8", "surrogateescape").strip()
            raise SourceError("git", f"git {args[0]} failed in {self.path}: {text}")

    @staticmethod
    def _popen_blocks(argv: list[str], env: dict[str, str]
                      ) -> Generator[bytes, None, tuple[int, bytes]]:
        """:meth:`blocks` through :mod:`subprocess`, where posix_spawn is missing or
        inherited descriptors cannot be listed (subprocess closes them)."""
        import subprocess

        proc: subprocess.Popen[bytes] | None = None
        err, finished = b"", False
        try:
            with _signals_held():  # an interrupt lands after proc is stored, never before
                proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=environment(env))
            assert proc.stdout is not None and proc.stderr is not None
            fd = proc.stdout.fileno()
            _bigger_pipe(fd)
            while chunk := os.read(fd, _READ):
                yield chunk
                if len(chunk) < _BATCH:
                    time.sleep(_NAP)
            err, finished = proc.stderr.read(), True
        finally:
            if proc is not None:
                _reap(proc, finished)
        assert proc is not None
        return proc.returncode, err


def _reap(proc: Any, finished: bool) -> None:
    """Close ``proc``'s pipes and wait for it; killed first unless it ``finished``
    (the reader gave up, or an interrupt): as subprocess.run does."""
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    if not finished:
        with contextlib.suppress(OSError):
            proc.kill()
    proc.wait()


def _run(argv: list[str], input: str | None) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``argv`` through :mod:`subprocess`:
    ``subprocess.run(..., capture_output=True)``, with the child stored before an
    interrupt can land (:func:`_signals_held`), then killed and waited for."""
    import subprocess  # not at import: a warm run needs none (see _spawn)

    proc: subprocess.Popen[str] | None = None
    finished = False
    try:
        with _signals_held():
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else None,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=environment(), encoding="utf-8",
                                    errors="surrogateescape")
        out, err = proc.communicate(input)
        finished = True
    finally:
        if proc is not None:
            _reap(proc, finished)
    assert proc is not None
    return proc.returncode, out, err
