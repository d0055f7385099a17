"""Time two commands as whole processes, in turn, and print their ratio pair by pair.

    python benchmarks/pair.py [-n RUNS] [--warmup N] [--timeout S] --vs 'COMMAND B' -- COMMAND A ...
    python benchmarks/pair.py [-n RUNS] -- COMMAND

Every figure in benchmarks/RESULTS.md that says "paired" was taken this way:
A and B run in turn (A B A B ...) after ``--warmup`` runs of each that are not
counted, each a process of its own with its output read and thrown away; CPU
is user + sys from the kernel's accounting of the finished process and every
child it waited for (``os.wait4``), peak memory the largest single process's
(``ru_maxrss``); the ratio is taken pair by pair, so a machine whose speed
drifts during the call (these are shared 2-core machines) moves A and B
together. Prints min, median and max of each figure and of A/B. It never
judges: exit 0 when every run was started and reaped (a command's own exit
code is printed, not acted on), 2 on unusable arguments, 3 when ``--timeout``
ended the call early (the finished pairs are still printed).

``COMMAND B`` is one string split as a shell splits words (``shlex``); no
shell runs either command. Run ``python -m compileall -q guardrails`` first on
a machine with PYTHONDONTWRITEBYTECODE=1 (see RESULTS.md).

Our own script rather than a third-party runner (hyperfine, pyperf): those
time wall clock or run commands through a shell; the ratio of CPU per pair is
what a noisy shared machine can give honestly.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import time

from childrun import run_child


def run_once(cmd: list[str]) -> tuple[float, float, float, int]:
    """(cpu s, wall s, peak MiB, exit code) of one whole process, its input and output
    thrown away."""
    done = run_child(cmd, stdin=subprocess.DEVNULL)
    return done.cpu, done.wall, done.peak_mib, done.exit_code


def spread(values: list[float], unit: str = "", scale: float = 1.0) -> str:
    """``median (min-max)`` of ``values``."""
    def fmt(v: float) -> str:
        return f"{v * scale:.3g}{unit}"

    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def parse(argv: list[str]) -> tuple[int, int, float, list[str] | None, list[str]]:
    runs, warmup, timeout, vs = 5, 1, 600.0, None
    if "--" not in argv:
        raise ValueError("give the command after --")
    cut = argv.index("--")
    opts, cmd = argv[:cut], argv[cut + 1:]
    it = iter(opts)
    for opt in it:
        value = next(it, None)
        if value is None:
            raise ValueError(f"{opt} needs a value")
        if opt == "-n":
            runs = int(value)
        elif opt == "--warmup":
            warmup = int(value)
        elif opt == "--timeout":
            timeout = float(value)
        elif opt == "--vs":
            vs = shlex.split(value)
        else:
            raise ValueError(f"unknown option {opt}")
    if not cmd or (vs is not None and not vs):
        raise ValueError("a command is empty")
    if not 1 <= runs <= 500 or not 0 <= warmup <= 20 or timeout <= 0:
        raise ValueError("-n is 1-500, --warmup 0-20, --timeout above 0")
    return runs, warmup, timeout, vs, cmd


def main(argv: list[str]) -> int:
    try:
        runs, warmup, timeout, vs, a = parse(argv)
    except ValueError as exc:
        print(f"pair.py: {exc}\n{__doc__.splitlines()[2]}", file=sys.stderr)
        return 2
    commands = [a] if vs is None else [a, vs]
    for _ in range(warmup):
        for cmd in commands:
            run_once(cmd)
    deadline = time.monotonic() + timeout
    got: list[list[tuple[float, float, float, int]]] = [[] for _ in commands]
    ended_early = False
    for _ in range(runs):
        if time.monotonic() > deadline:
            ended_early = True
            break
        for i, cmd in enumerate(commands):
            got[i].append(run_once(cmd))
    n = len(got[0])
    if n == 0:
        print("pair.py: no run finished before --timeout", file=sys.stderr)
        return 3
    names = ["A", "B"]
    print(f"{n} counted run(s) of each, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}; A: {shlex.join(a)}"
          + ("" if vs is None else f"; B: {shlex.join(vs)}"))
    for i, rows in enumerate(got[:len(commands)]):
        codes = sorted({r[3] for r in rows})
        print(f"{names[i]}: cpu {spread([r[0] for r in rows], ' ms', 1e3)}, "
              f"wall {spread([r[1] for r in rows], ' ms', 1e3)}, "
              f"peak {spread([r[2] for r in rows], ' MiB')}, exit {codes}")
    if vs is not None:
        for label, k in (("cpu", 0), ("wall", 1), ("peak", 2)):
            ratios = [x[k] / y[k] for x, y in zip(got[0], got[1], strict=True) if y[k] > 0]
            if ratios:
                print(f"A/B {label}: {spread(ratios, 'x')}")
    return 3 if ended_early else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
