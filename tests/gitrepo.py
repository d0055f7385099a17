"""Build real git repositories in tests with the git CLI.

Every commit gets its author, email and dates from the GIT_* environment
variables, so a test states its history exactly and computes what it expects
by hand. The user's and the system's git config are kept out.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

_ISOLATED = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


class GitRepo:
    """A repository under ``path`` with helpers to write files and commit."""

    def __init__(self, path: Path, branch: str = "main",
                 object_format: str | None = None) -> None:
        """``object_format``: ``sha256`` for a SHA-256 repository (``RuntimeError``
        from a git that cannot make one)."""
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        fmt = [f"--object-format={object_format}"] if object_format else []
        self.git("init", "-q", "-b", branch, *fmt)

    def env(self, name: str = "Alice", email: str = "alice@example.com",
            date: str = "2026-01-01T12:00:00Z",
            committer_date: str | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(_ISOLATED)
        env.update({
            "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": "Committer", "GIT_COMMITTER_EMAIL": "committer@example.com",
            "GIT_COMMITTER_DATE": committer_date or date,
        })
        return env

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run git in the repository and return its stdout."""
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=dict(env) if env else self.env(),
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout

    def write(self, files: Mapping[str, str | None]) -> None:
        """Write (str) or delete (None) files, relative to the repository root."""
        for rel, text in files.items():
            p = self.path / rel
            if text is None:
                p.unlink()
            else:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text, encoding="utf-8")

    def commit(self, files: Mapping[str, str | None] | None = None, *, author: str = "Alice",
               email: str = "alice@example.com", date: str = "2026-01-01T12:00:00Z",
               committer_date: str | None = None, message: str = "change") -> str:
        """Write ``files``, stage everything and commit; returns the new sha."""
        if files:
            self.write(files)
        env = self.env(author, email, date, committer_date)
        self.git("add", "-A", env=env)
        self.git("commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.head()

    def rename(self, old: str, new: str, **kw: str) -> str:
        """Rename a file with ``git mv`` and commit."""
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        return self.commit(**kw)  # type: ignore[arg-type]

    def merge(self, branch: str, *, date: str = "2026-01-01T12:00:00Z",
              author: str = "Alice", email: str = "alice@example.com") -> str:
        """A true merge commit (``--no-ff``) of ``branch`` into the current branch."""
        env = self.env(author, email, date)
        self.git("merge", "-q", "--no-ff", "-m", f"merge {branch}", branch, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()
