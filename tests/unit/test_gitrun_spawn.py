"""gitrun._spawn (os.posix_spawn and poll) under interruption and heavy stderr."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from guardrails.sources import gitrun
from guardrails.sources.gitrun import Git

pytestmark = pytest.mark.skipif(not gitrun.spawn_ok() or gitrun.which("git") is None,
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


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists /proc/self/fd")
def test_inheritable_descriptors_do_not_reach_git(tmp_path: Path) -> None:
    """A descriptor the process inherited (a CI runner's or a parent's pipe) is not
    handed on to git and what git starts (an fsmonitor daemon can outlive the run
    and hold the parent's pipe open): closed in the child, as subprocess's
    close_fds did."""
    import os

    git = Git(_repo(tmp_path))
    r, w = os.pipe()
    try:
        os.set_inheritable(w, True)
        out = git.run("-c", "alias.fds=!ls /proc/self/fd", "fds")
    finally:
        os.close(r)
        os.close(w)
    assert str(w) not in out.split()


@pytest.mark.parametrize("spawn", [True, False], ids=["posix_spawn", "subprocess"])
def test_blocks_stream_stdout_whole_and_fail_with_stderr(tmp_path: Path, spawn: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Git.blocks (the log's stream): every byte of stdout in order, more than a pipe
    holds, GIT_FLUSH=0 in git's environment; a failing git is a SourceError naming
    its stderr, after the output. Without a descriptor listing, through subprocess."""
    from guardrails.errors import SourceError

    if not spawn:
        monkeypatch.setattr(gitrun, "_inherited", lambda: None)
    git = Git(_repo(tmp_path))
    script = "!head -c 300000 /dev/zero | tr '\\0' o; printf \"$GIT_FLUSH\"; echo bad >&2; exit 3"
    got = bytearray()
    with pytest.raises(SourceError, match="bad"):
        for block in git.blocks("-c", f"alias.loud={script}", "loud"):
            got += block
    assert len(got) == 300_001 and got.endswith(b"o0")
    assert b"".join(git.blocks("-c", "alias.ok=!printf 'a\\0b'", "ok")) == b"a\0b"


def test_a_reader_that_stops_early_leaves_no_git_behind(tmp_path: Path) -> None:
    """The log's reader giving up (an error while parsing) kills git at once rather
    than waiting for it to finish on its own."""
    git = Git(_repo(tmp_path))
    blocks = git.blocks("-c", "alias.slow=!printf x; exec sleep 12", "slow")
    started = time.monotonic()
    assert next(blocks) == b"x"
    blocks.close()  # what a parser's exception does to the generator
    assert time.monotonic() - started < 6
