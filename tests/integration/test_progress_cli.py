"""``guardrails check`` shows its header at once and the sources' progress on stderr.

- ``--progress`` where stderr is not a terminal (a CI log): one line per
  finished task, from the git source's history walk and from the session's
  task per source;
- by default only when stderr is a terminal and ``-q`` is not given: checked
  on a real pseudo-terminal, in-process for the decision and once end to end
  with a source that takes over a second, where the banner must be on the
  screen before the first progress frame and the frame must be erased before
  the rest of the header.

Timings are masked; nothing asserts how long anything took.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo
from helpers import HANG_GUARD, make_project, run_cli

from guardrails.cli.check import progress_for
from guardrails.progress import TerminalProgress

RULES = """\
pack: work
rules:
  - id: some-commits
    title: Somebody commits
    check: count
    facts: commits
    min: 1
"""

CONFIG = """\
rules: [rules/]
sources:
  git: {path: .}
  files: {path: org}
"""

SLOW_CONFIG = """\
rules: [rules/]
sources:
  slow: {}
"""

SLOW_RULES = """\
pack: crew
rules:
  - id: some-teams
    title: At least one team
    check: count
    facts: teams
    min: 1
"""

# A source that reports progress and takes 1.3 s: long enough to be drawn.
SLOW_PLUGIN = """\
import time

from guardrails.plugin import Source, hookimpl


class Slow(Source):
    name = "slow"

    def provides(self):
        return {"teams"}

    def gather(self, kinds):
        teams = []
        with self.env.progress.task("slow: teams", total=13, unit="teams") as task:
            for i in range(13):
                time.sleep(0.1)
                teams.append({"id": f"t{i}", "members": [{"handle": f"m{i}"}]})
                task.advance()
        return {"teams": teams}


@hookimpl
def guardrails_gather_sources():
    return [Slow]
"""

TIMING = re.compile(r"in \d+\.\ds$", re.M)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    make_project(repo.path, config=CONFIG, rules={"rules/work.yaml": RULES})
    repo.commit({"a.txt": "1\n"}, date="2026-11-01T10:00:00Z")
    repo.commit({"a.txt": "2\n"}, date="2026-11-02T10:00:00Z")
    repo.commit({"b.txt": "3\n"}, date="2026-11-03T10:00:00Z")
    monkeypatch.chdir(repo.path)
    return repo


def test_progress_flag_writes_lines_where_stderr_is_not_a_terminal(repo: GitRepo) -> None:
    res = run_cli(["check", "--now", "2026-11-20", "--progress"])
    assert res.exit_code == 0, res.output
    shown = TIMING.sub("in X.Xs", res.stderr)
    # The history walk (3 commits), then the session's task of each source gathered.
    assert shown.splitlines() == [
        "git: history  3 commits  in X.Xs",
        "git .  3 facts  in X.Xs",
        "files org/  2 facts  in X.Xs",
    ]
    assert "git: history" not in res.stdout  # the report itself is untouched


def test_no_progress_where_stderr_is_not_a_terminal(repo: GitRepo) -> None:
    res = run_cli(["check", "--now", "2026-11-20"])
    assert res.exit_code == 0, res.output
    assert res.stderr == ""


def test_no_progress_flag_wins(repo: GitRepo) -> None:
    res = run_cli(["check", "--now", "2026-11-20", "--progress", "--no-progress"])
    assert res.stderr == ""


def test_explicit_progress_is_shown_with_quiet_too(repo: GitRepo) -> None:
    # -q alone never shows it; asking for it by name does (docs/sources.md).
    res = run_cli(["check", "--now", "2026-11-20", "-q", "--progress"])
    assert "git: history  3 commits" in res.stderr


def test_default_is_live_on_a_terminal_and_off_with_quiet(
        monkeypatch: pytest.MonkeyPatch) -> None:
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as tty:
            monkeypatch.setattr(sys, "stderr", tty)
            shown = progress_for(None, 0)
            assert isinstance(shown, TerminalProgress) and shown.live
            assert progress_for(None, -1) is None  # -q
            assert progress_for(False, 0) is None  # --no-progress
            monkeypatch.setenv("TERM", "dumb")  # no cursor control: whole lines
            dumb = progress_for(None, 0)
            assert isinstance(dumb, TerminalProgress) and not dumb.live
    finally:
        os.close(leader)
        os.close(follower)


def read_all(fd: int) -> bytes:
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], HANG_GUARD)
        if not ready:
            raise AssertionError(f"no output for {HANG_GUARD} s (a hang guard); so far: {out!r}")
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return out
        if not chunk:
            return out
        out += chunk


def run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """``guardrails ARGS`` with stdout and stderr on one pseudo-terminal."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm", "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "guardrails", *args], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
                            env=env)
    os.close(follower)
    try:
        output = read_all(leader)
    finally:
        os.close(leader)
    return proc.wait(timeout=HANG_GUARD), output.decode("utf-8", "replace")


def test_on_a_terminal_the_header_comes_first_and_progress_is_erased(tmp_path: Path) -> None:
    make_project(tmp_path, config=SLOW_CONFIG, rules={"rules/crew.yaml": SLOW_RULES},
                 org={}, plugins=SLOW_PLUGIN)
    code, out = run_on_a_terminal(["check", "--now", "2026-11-20"], tmp_path)
    assert code == 0, out
    banner = out.index("guardrails session starts")
    rootdir = out.index("rootdir: ")
    frame = out.index("slow: teams")  # a live frame: drawn once the source ran 1 s
    sources = out.index("sources: slow (13 teams)")
    assert banner < rootdir < frame < sources
    drawn = out[out.rindex("\r", 0, frame):out.index("\x1b[K", frame)]
    assert re.fullmatch(r"\r[|/\\-] slow: teams  \d+/13 teams  .*", drawn), drawn
    # Erased before the header goes on: the sources line starts on a clean line.
    assert out[:sources].endswith("\r\x1b[K")
    assert "\r" not in out[sources:].replace("\r\n", "\n")  # nothing drawn after gathering
