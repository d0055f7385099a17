"""One whole process, timed as the kernel accounts it (run.py, pair.py and bench_git.py).

CPU is user + sys of the finished process and of every child it waited for,
from the resource usage ``os.wait4`` returns when it reaps the process (never
this process's own clock, which would count our work too); peak memory is
``ru_maxrss``, the largest single process's; wall time runs from just before
the start to the reaping. The scripts here are run as ``python benchmarks/X.py``,
so they import this module by its plain name (their folder is on ``sys.path``).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finished:
    """What one process cost and how it ended."""

    #: seconds of CPU, user + sys, of the process and the children it waited for
    cpu: float
    #: seconds of wall time, start to reaping
    wall: float
    #: the largest single process's peak resident memory, MiB
    peak_mib: float
    exit_code: int
    #: what it wrote to stderr (only with ``keep_stderr``; else empty)
    stderr: str = ""


def run_child(cmd: Sequence[str], *, cwd: Path | None = None,
              env: Mapping[str, str] | None = None, stdin: int | None = None,
              drain_stdout: bool = False, keep_stderr: bool = False) -> Finished:
    """Run ``cmd`` to its end and say what it cost.

    Its stdout is thrown away, or with ``drain_stdout`` read to the end through a
    pipe as a reader of its output would (in 64 KiB reads, inside the timing).
    Its stderr is thrown away, or with ``keep_stderr`` kept and read once the
    process has ended (for an error message: a command that writes more than a
    pipe holds to stderr would wait for the reader, so keep it for short ones).
    ``stdin``: as ``subprocess.Popen`` takes it (None: this process's).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=None if env is None else dict(env),
                            stdin=stdin,
                            stdout=subprocess.PIPE if drain_stdout else subprocess.DEVNULL,
                            stderr=subprocess.PIPE if keep_stderr else subprocess.DEVNULL)
    if proc.stdout is not None:
        while proc.stdout.read(1 << 16):
            pass
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = ""
    if proc.stderr is not None:
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.stderr.close()
    if proc.stdout is not None:
        proc.stdout.close()
    return Finished(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024,
                    proc.returncode, err)
