"""gitrun._spawn (os.posix_spawn and poll) under interruption and heavy stderr."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrails.sources import gitrun
from guardrails.sources.gitrun import Git

pytestmark = pytest.mark.skipif(not gitrun.spawn_ok() or gitrun.which("git") is None,
                                reason="needs os.posix_spawn, poll and git")


def _repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not finished (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _pid_from(path: Path) -> int:
    """The pid git's alias wrote to ``path`` (it writes it before anything else)."""
    for _ in range(2000):  # a hang guard: 20 s for the alias to start
        with contextlib.suppress(OSError, ValueError):
            text = path.read_text()
            if text.endswith("\n"):
                return int(text)
        time.sleep(0.01)
    raise AssertionError(f"git's alias never wrote {path}")


@contextlib.contextmanager
def _left_running(pidfile: Path) -> Iterator[None]:
    """Kills what git's alias left running (the sleep ``exec`` made of its shell)."""
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_interrupted_git_is_not_waited_for(tmp_path: Path) -> None:
    """Ctrl-C (or SIGTERM, turned into KeyboardInterrupt) while git runs without
    writing: the run ends at once, as subprocess.run did (it kills its child),
    instead of waiting for git to finish on its own."""
    git = Git(_repo(tmp_path / "r"))
    pidfile = tmp_path / "pid"

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    def signal_when_started(main: int) -> None:
        _pid_from(pidfile)
        signal.pthread_kill(main, signal.SIGALRM)

    previous = signal.signal(signal.SIGALRM, interrupt)
    sender = threading.Thread(target=signal_when_started, args=(threading.get_ident(),))
    try:
        # The sleep is killed on leaving _left_running, so it is asked about inside:
        # asked after that SIGKILL, it was alive or dead by how soon the kernel
        # finished it (the test failed now and then under load).
        with _left_running(pidfile):
            with pytest.raises(KeyboardInterrupt):
                sender.start()
                # 60 s: a hang guard only (a run that waits for git fails after it)
                git.run_status("-c", f"alias.slow=!echo $$ > '{pidfile}'; exec sleep 60",
                               "slow")
            # git's child (the sleep) still runs: git, which waits for it, was not
            # waited for. Without the kill, the call returns when the sleep has ended.
            assert _alive(_pid_from(pidfile)), "the interrupted run waited for git"
    finally:
        sender.join(timeout=30)
        signal.signal(signal.SIGALRM, previous)


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
    git = Git(_repo(tmp_path / "r"))
    pidfile = tmp_path / "pid"
    with _left_running(pidfile):
        blocks = git.blocks("-c", f"alias.slow=!echo $$ > '{pidfile}'; printf x; exec sleep 12",
                            "slow")
        assert next(blocks) == b"x"
        blocks.close()  # what a parser's exception does to the generator
        # the sleep still runs: git (waiting for it) was killed, not waited for
        assert _alive(_pid_from(pidfile))
