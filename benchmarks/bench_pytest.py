"""``pytest --guardrails`` on the example org: serial against pytest-xdist ``-n 2``.

    python benchmarks/bench_pytest.py [--runs 7]

Copies the example org (config and org data) to a temporary folder, so no
ini file of this repository reaches the runs, and times both commands as
whole processes, alternating, after one warm-up each: the median wall time
and the median CPU time (the process and its reaped children, the xdist
workers among them). Bytecode is written as on a user's machine (pip
install compiles, pytest caches its rewritten plugin modules), so the runs
measure pytest and guardrails, not the compiler.

There is no speed target: xdist starts two more interpreters that each
import pytest and guardrails, collect the rules and gather the facts, and on
an org this small that is the whole cost. The benchmark fails when the two
runs' outcome summaries differ (xdist must give the serial outcomes).
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "acme"
SERIAL = [sys.executable, "-m", "pytest", "--guardrails", "--guardrails-now", "2026-11-20",
          "-q", "-p", "no:cacheprovider", "--no-header"]
XDIST = [*SERIAL, "-n", "2"]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, the outcome summary without its duration)."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}"
                         f"{proc.stderr}")
    last = proc.stdout.strip().splitlines()[-1]
    return wall, cpu, re.sub(r" in [0-9.]+s.*", "", last.strip("= "))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        import xdist  # noqa: F401
    except ImportError:
        print("pytest-xdist is not installed (pip install -e '.[test]')", file=sys.stderr)
        return 2
    compileall.compile_dir(str(ROOT / "guardrails"), quiet=1)
    load = os.getloadavg()[0]  # shared machines: wall times mean little when it is high
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTEST_ADDOPTS")}
    with tempfile.TemporaryDirectory(prefix="bench-pytest-") as tmp:
        org = Path(tmp)
        shutil.copy(EXAMPLE / "guardrails.yaml", org)
        shutil.copytree(EXAMPLE / "org", org / "org")
        run(SERIAL, org, env)
        run(XDIST, org, env)  # warm-up: file cache, pytest's rewrite cache
        serial: list[tuple[float, float, str]] = []
        xdist: list[tuple[float, float, str]] = []
        for _ in range(args.runs):
            serial.append(run(SERIAL, org, env))
            xdist.append(run(XDIST, org, env))
    summaries = {s for _, _, s in serial + xdist}
    same = len(summaries) == 1

    def med(rows: list[tuple[float, float, str]], i: int) -> float:
        return statistics.median(r[i] for r in rows)

    sw, sc, xw, xc = med(serial, 0), med(serial, 1), med(xdist, 0), med(xdist, 1)
    print(f"## pytest --guardrails: serial vs pytest-xdist -n 2\n\n"
          f"`python benchmarks/bench_pytest.py` — {datetime.now(UTC).date()}, "
          f"{platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; the example org (18 rules, facts from files), "
          f"median of {args.runs} alternating whole-process runs after a warm-up; "
          f"load average {load:.1f} at the start\n\n"
          f"| run | wall | CPU |\n|---|---:|---:|\n"
          f"| `pytest --guardrails` | {sw:.2f} s | {sc:.2f} s |\n"
          f"| `pytest --guardrails -n 2` | {xw:.2f} s | {xc:.2f} s |\n"
          f"| **-n 2 / serial** | **{xw / sw:.2f}x** | **{xc / sc:.2f}x** |\n\n"
          f"Outcomes: {' | '.join(sorted(summaries))} "
          f"({'the same in every run' if same else 'NOT the same'}).\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
