"""History backfill benchmark: 26 weekly points against one run, 100,000 facts.

    python benchmarks/bench_history.py [--size 100000] [--runs 5]
    python benchmarks/bench_history.py --child history|check   # one command, for a timer

The org is bench_scale.py's (N deployments, N pull requests, N CI runs, N/5
incidents, N/20 postmortems; every builtin pack; cached under
benchmarks/.cache/). Two whole commands in fresh processes, in turn (A B A
B ...), the median of the per-pair ratios quoted:

- A: ``guardrails history --backfill 26w --now 2026-11-20`` on an empty store
  (the child removes the store first, outside the timed part);
- B: ``guardrails check --now 2026-11-20 -qq``: one run of every rule.

Target: A / B < 2 (26 points in under twice one run).
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_scale  # noqa: E402

TARGET = 2.0

CHILD = """
import shutil, sys, time
from pathlib import Path
root = Path(sys.argv[1])
if sys.argv[2] == "history":  # an empty store: the backfill does all its points
    shutil.rmtree(root / ".guardrails", ignore_errors=True)
start = time.perf_counter()
from guardrails.cli import main
code = main(sys.argv[2:])
print("ELAPSED", time.perf_counter() - start, "CODE", code, file=sys.stderr)
"""


def timed(root: Path, args: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one whole command in a fresh process, and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root), *args],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu, proc.returncode


def child(which: str, size: int) -> int:
    """One whole command, for an outside timer: ``--child history`` or ``--child check``."""
    root = bench_scale.generate(bench_scale.CACHE / f"org-{size}", size)
    cfg = str(root / "guardrails.yaml")
    if which == "history":
        shutil.rmtree(root / ".guardrails", ignore_errors=True)
        args = ["history", "-c", cfg, "--now", "2026-11-20", "--backfill", "26w"]
    else:
        args = ["check", "-c", cfg, "--now", "2026-11-20", "-qq"]
    from guardrails.cli import main as cli_main

    return 0 if cli_main(args) in (0, 1) else 1


def main(argv: list[str]) -> int:
    size = int(argv[argv.index("--size") + 1]) if "--size" in argv else 100_000
    if "--child" in argv:
        return child(argv[argv.index("--child") + 1], size)
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    root = bench_scale.generate(bench_scale.CACHE / f"org-{size}", size)
    cfg = str(root / "guardrails.yaml")
    backfill = ["history", "-c", cfg, "--now", "2026-11-20", "--backfill", "26w"]
    check = ["check", "-c", cfg, "--now", "2026-11-20", "-qq"]
    timed(root, check)  # warm-up: page cache, bytecode
    pairs = []
    for _ in range(runs):
        a, b = timed(root, backfill), timed(root, check)
        pairs.append((a, b))
    store = root / ".guardrails" / "history"
    entries = sum(1 for p in store.glob("*.jsonl") for line in p.open() if line.strip())
    shutil.rmtree(root / ".guardrails", ignore_errors=True)
    wall = statistics.median(a[0] / b[0] for a, b in pairs)
    cpu = statistics.median(a[1] / b[1] for a, b in pairs)
    print(json.dumps({
        "size": size, "runs": runs, "points": entries,
        "backfill_wall_median": statistics.median(a[0] for a, _ in pairs),
        "check_wall_median": statistics.median(b[0] for _, b in pairs),
        "ratio_wall_median": wall, "ratio_wall_min": min(a[0] / b[0] for a, b in pairs),
        "ratio_wall_max": max(a[0] / b[0] for a, b in pairs), "ratio_cpu_median": cpu,
        "target": TARGET, "met": wall < TARGET}, indent=2))
    return 0 if wall < TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
