"""Running the git CLI in one repository: argv, environment, streamed output.

Shared by the git source (history, CODEOWNERS) and by lead time through git
(:mod:`guardrails.sources.gitship`), so neither imports the other for it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from guardrails.errors import SourceError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

# No prompt for credentials, no lock files taken behind the user's back, and
# git's messages in English so errors can be recognised.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


class Git:
    """Runs git in one repository."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.exe = shutil.which("git")

    def _argv(self, args: Sequence[str]) -> list[str]:
        if self.exe is None:
            raise SourceError("git", "git is not installed or not on PATH; install git "
                              "or add it to PATH")
        return [self.exe, "-C", str(self.path), "--no-pager", "-c", "log.showSignature=false",
                *args]

    def run(self, *args: str, input: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        proc = subprocess.run(self._argv(args), input=input, capture_output=True,
                              env={**os.environ, **_ENV}, check=False, encoding="utf-8",
                              errors="surrogateescape")
        if proc.returncode not in ok:
            raise SourceError("git", f"git {args[0]} failed in {self.path}: "
                              f"{proc.stderr.strip() or 'exit ' + str(proc.returncode)}")
        return proc.stdout

    def status(self, *args: str) -> int:
        """Run git for its exit status only (e.g. ``merge-base --is-ancestor``)."""
        return subprocess.run(self._argv(args), capture_output=True, check=False,
                              env={**os.environ, **_ENV}).returncode

    def stream(self, *args: str) -> Iterator[str]:
        """Yield git's NUL-separated output tokens as they arrive."""
        proc = subprocess.Popen(self._argv(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, **_ENV},
                                encoding="utf-8", errors="surrogateescape")
        assert proc.stdout is not None and proc.stderr is not None
        if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
            # A 1 MiB pipe lets git run ahead while we parse (the default is 64 KiB).
            with contextlib.suppress(OSError):
                fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        try:
            buf = ""
            while chunk := proc.stdout.read(1 << 20):
                parts = (buf + chunk).split("\0")
                buf = parts.pop()
                yield from parts
            if buf:
                yield buf
            err = proc.stderr.read()
        finally:
            proc.stdout.close()
            rc = proc.wait()
        if rc != 0:
            raise SourceError("git", f"git {args[0]} failed in {self.path}: {err.strip()}")
