"""Benchmarks, each as a ratio against a baseline measured in the same run.

    python benchmarks/run.py            # start-up: check on the example org
    python benchmarks/run.py scale      # 100k deployments, every pack (bench_scale.py)
    python benchmarks/run.py git        # git source floor ratio (bench_git.py)
    python benchmarks/run.py http       # HTTP sources first vs second run (bench_http.py)
    python benchmarks/run.py gitlab     # the gitlab source on the Acme twin (bench_gitlab.py)
    python benchmarks/run.py pytest     # pytest --guardrails serial vs -n 2 (bench_pytest.py)
    python benchmarks/run.py merge      # guardrails merge, 1,000 reports (bench_merge.py)
    python benchmarks/run.py all
    ... --record                        # also update benchmarks/RESULTS.md

Machines here are noisy (2 shared cores): every figure is the median of
several alternating runs, and only ratios are compared with targets.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "acme" / "guardrails.yaml"
RUNS = 9
BASELINE = [sys.executable, "-c", "import pluggy, click, yaml, jsonschema, requests, pathspec"]
OURS = [sys.executable, "-m", "guardrails", "check", "-c", str(EXAMPLE), "--now", "2026-11-20",
        "-q", "--no-color"]
TARGET = 1.5


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    return elapsed


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def compile_package() -> None:
    """Write guardrails' bytecode as ``pip install`` does.

    The dependencies were byte-compiled by pip; an editable checkout run with
    PYTHONDONTWRITEBYTECODE=1 (set on these machines) would recompile our
    modules on every start and measure the compiler, not the tool.
    """
    import compileall

    compileall.compile_dir(str(ROOT / "guardrails"), quiet=1)


def startup() -> tuple[str, bool]:
    compile_package()
    _time(BASELINE)
    _time(OURS)  # warm the file cache for both
    base, ours = [], []
    for _ in range(RUNS):
        base.append(_time(BASELINE))
        ours.append(_time(OURS))
    b, o = statistics.median(base), statistics.median(ours)
    ratio = o / b
    ok = ratio <= TARGET
    text = (f"## start-up: `guardrails check` on the example org\n\n"
            f"{datetime.now(UTC).date()}, {machine()}, median of {RUNS} alternating runs; "
            f"bytecode compiled for both, as pip install leaves it\n\n"
            f"| run | median |\n|---|---|\n"
            f"| baseline: python importing pluggy, click, yaml, jsonschema, requests, "
            f"pathspec | {b * 1000:.0f} ms |\n"
            f"| guardrails check --example org (-q) | {o * 1000:.0f} ms |\n"
            f"| **ratio** | **{ratio:.2f}x** (target <= {TARGET}x: "
            f"{'met' if ok else 'NOT met'}) |\n")
    return text, ok


def _script(name: str, extra: list[str]) -> tuple[str, bool]:
    proc = subprocess.run([sys.executable, str(HERE / name), *extra], text=True,
                          capture_output=True, check=False)
    sys.stderr.write(proc.stderr)
    return proc.stdout, proc.returncode == 0


def record(section: str) -> None:
    """Replace the section with the same '## ' heading in RESULTS.md (or append it)."""
    path = HERE / "RESULTS.md"
    heading = section.splitlines()[0]
    text = path.read_text("utf-8") if path.exists() else "# Benchmark results\n"
    parts = text.split("\n## ")
    kept = [parts[0]] + [p for p in parts[1:] if "## " + p.splitlines()[0] != heading]
    body = "\n## ".join(kept).rstrip() + "\n\n" + section.rstrip() + "\n"
    path.write_text(body, "utf-8")


def main(argv: list[str]) -> int:
    rec = "--record" in argv
    args = [a for a in argv if a != "--record"]
    which = args[0] if args else "startup"
    jobs = {
        "startup": lambda: startup(),
        "scale": lambda: _script("bench_scale.py", args[1:]),
        "merge": lambda: _script("bench_merge.py", args[1:]),
        "git": lambda: _script("bench_git.py", args[1:]),
        "http": lambda: _script("bench_http.py", args[1:]),
        "gitlab": lambda: _script("bench_gitlab.py", args[1:]),
        "pytest": lambda: _script("bench_pytest.py", args[1:]),
    }
    names = list(jobs) if which == "all" else [which]
    ok_all = True
    for name in names:
        if name not in jobs:
            print(f"unknown benchmark {name!r}; choose from {', '.join(jobs)} or all")
            return 2
        text, ok = jobs[name]()
        print(text)
        ok_all &= ok
        # bench_git.py and bench_http.py keep their own longer write-ups.
        if rec and name in ("startup", "scale", "pytest") and text.startswith("## "):
            record(text)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
