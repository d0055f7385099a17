"""Standard output that cannot take what is written: full (``> /dev/full``) or its
reader gone (``| head -0``). Whole processes, as a shell runs them.

A full standard output is exit 4 with one line on stderr, for every command
(the report of ``check``, ``list``, ``--help``...), never a traceback nor the
interpreter's ``Exception ignored`` at its last flush. A reader gone is quiet:
exit 1 and nothing on stderr, as pytest's own command does; ``check`` alone says
so and exits 4, since the gate's report was not delivered (docs/ci.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "examples" / "acme" / "guardrails.yaml")
NOW = ["--now", "2026-11-20"]

COMMANDS = {
    "check": ["check", "-c", CONFIG, *NOW, "-q", "--no-color"],
    "check-json": ["check", "-c", CONFIG, *NOW, "-f", "json"],
    "list": ["list", "-c", CONFIG],
    "explain": ["explain", "-c", CONFIG, "stability::lead-time"],
    "facts": ["facts", "-c", CONFIG, *NOW, "teams"],
    "history": ["history", "-c", CONFIG],
    "schema": ["schema", "teams"],
    "version": ["--version"],
    "help": ["--help"],
    "command-help": ["validate", "--help"],
}


def _run(args: list[str], stdout: int, tmp_path: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GUARDRAILS_NORMAL_EXIT", "PYTHONWARNINGS", "PYTHONDEVMODE")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    proc = subprocess.run([sys.executable, "-m", "guardrails", *args], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=120, check=False)
    return proc.returncode, proc.stderr.decode(errors="replace")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_full_stdout_is_exit_4_in_one_line(tmp_path: Path, name: str) -> None:
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        code, err = _run(COMMANDS[name], fd, tmp_path)
    finally:
        os.close(fd)
    assert code == 4, err
    lines = [line for line in err.splitlines()
             if not line.startswith("warning:")]  # check's own warnings about the data
    what = "the report to standard output" if name.startswith("check") else "to standard output"
    assert lines == [f"ERROR: cannot write {what}: No space left on device. Fix: check where "
                     "standard output goes (a full disk?)" + (
                         ", or write the report to a file with --format FORMAT --output FILE"
                         if name.startswith("check") else "")], err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_reader_gone_is_quiet(tmp_path: Path, name: str) -> None:
    read, write = os.pipe()
    os.close(read)  # gone before the first byte: every write meets EPIPE, deterministic
    try:
        code, err = _run(COMMANDS[name], write, tmp_path)
    finally:
        os.close(write)
    lines = [line for line in err.splitlines() if not line.startswith("warning:")]
    if name.startswith("check"):  # the gate's report was not delivered: no verdict
        assert code == 4, err
        assert lines == ["ERROR: standard output was closed before the report was written. "
                         "Fix: write the report to a file with --format FORMAT --output FILE"]
    else:  # as pytest's command (and click's) on a broken pipe: exit 1, nothing said
        assert (code, lines) == (1, []), err


def test_a_broken_pipe_elsewhere_is_no_quiet_success() -> None:
    # EPIPE writing to a child (a git process gone) is not standard output's reader
    # gone: a crash shown with its traceback (exit 3), not exit 0 or 1 in silence
    import io

    from guardrails.exits import wrap_session

    def body() -> int:
        read, write = os.pipe()
        os.close(read)
        with open(write, "wb", buffering=0) as child_stdin:
            child_stdin.write(b"x")
        return 0

    err = io.StringIO()
    assert wrap_session(body, err) == 3
    assert "BrokenPipeError" in err.getvalue()
