"""gitrun._spawn (os.posix_spawn and poll) under interruption and heavy stderr."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from guardrails.sources import gitrun
from guardrails.sources.gitrun import Git

pytestmark = pytest.mark.skipif(not gitrun._SPAWN or gitrun.which("git") is None,
                                reason="needs os.posix_spawn, poll and git")


def _repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_interrupted_git_is_not_waited_for(tmp_path: Path) -> None:
    """Ctrl-C (or SIGTERM, turned into KeyboardInterrupt) while git runs without
    writing: the run ends at once, as subprocess.run did (it kills its child),
    instead of waiting for git to finish on its own."""
    git = Git(_repo(tmp_path))

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            git.run_status("-c", "alias.slow=!exec sleep 12", "slow")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    # Without the kill this takes the full 12 s of git's child; 6 s leaves room
    # for a loaded machine.
    assert time.monotonic() - started < 6


def test_much_stderr_and_stdout_do_not_block(tmp_path: Path) -> None:
    """git writing megabytes to both pipes: both are drained as they fill."""
    git = Git(_repo(tmp_path))
    script = ("!head -c 300000 /dev/zero | tr '\\0' e >&2; "
              "head -c 300000 /dev/zero | tr '\\0' o; exit 3")
    rc, out = git.run_status("-c", f"alias.loud={script}", "loud", ok=(3,))
    assert rc == 3 and len(out) == 300_000 and set(out) == {"o"}
