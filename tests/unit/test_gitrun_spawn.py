"""gitrun._spawn (os.posix_spawn and poll) under interruption and heavy stderr."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _children() -> set[int]:
    """This process's children that were not waited for (running or zombies)."""
    me, out = os.getpid(), set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == me:
                    out.add(int(name))
    return out


def _signal_right_after(spawn: str, made: list[Any]) -> object:
    """A profile hook that sends this process SIGTERM the moment the spawn returns,
    before the caller has stored its result: at the c_return of os.posix_spawn,
    or the return of subprocess.Popen.__init__ (the object made, not yet stored;
    kept in ``made``, so that no garbage collection waits for it behind the
    test's back). Deterministic: no sleep, no thread; the hook removes itself."""
    init = subprocess.Popen.__init__.__code__

    def hook(frame: Any, event: str, arg: Any) -> None:
        hit = (event == "c_return" and arg is os.posix_spawn if spawn == "posix_spawn"
               else event == "return" and frame.f_code is init)
        if hit:
            sys.setprofile(None)
            if spawn != "posix_spawn":
                made.append(frame.f_locals["self"])
            signal.raise_signal(signal.SIGTERM)

    return hook


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists children in /proc")
@pytest.mark.parametrize(("spawn", "call"), [
    ("posix_spawn", "run_status"), ("posix_spawn", "blocks"),
    ("subprocess", "run_status"), ("subprocess", "blocks"), ("subprocess", "status")])
def test_a_signal_right_after_the_spawn_leaves_no_git_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spawn: str, call: str) -> None:
    """SIGTERM (a KeyboardInterrupt in a run, guardrails.exits) arriving between the
    spawn returning and the child being stored: the interrupt still ends the call,
    and git is waited for (killed first) instead of left unwaited: a zombie, or a
    git running on after the run."""
    from guardrails.exits import sigterm_as_interrupt

    if spawn == "subprocess":
        monkeypatch.setattr(gitrun, "_inherited", lambda: None)
    git = Git(_repo(tmp_path))
    before = _children()
    made: list[Any] = []
    try:
        with sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt):
            sys.setprofile(_signal_right_after(spawn, made))
            try:
                if call == "blocks":
                    list(git.blocks("--version"))
                else:
                    getattr(git, call)("--version")
            finally:
                sys.setprofile(None)
        if spawn == "posix_spawn":
            assert _children() == before, "git was never waited for"
        else:
            (proc,) = made
            assert proc.returncode is not None, "git was never waited for"
    finally:
        for proc in made:
            proc.kill()
            proc.wait()
        for pid in _children() - before:  # what a failure left: killed and waited for
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
