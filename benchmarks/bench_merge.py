"""``guardrails merge`` on 1,000 repository reports of 1,000 samples per metric.

    python benchmarks/bench_merge.py [--reports 1000] [--samples 1000] [--runs 3]

Writes the reports once under benchmarks/.cache/merge-R-S/ (gitignored):
each is the example org's real JSON report (18 results, evidence and all)
with its four DORA results given ``S`` random samples each (lead time, time
to restore, change failure rate, deployment frequency), so the org pools
4 x R x S samples. Then times, in fresh processes, alternating:

- the floor: ``python -c`` reading and ``json.loads``-ing every file (what
  any merge must at least do);
- ``python -m guardrails merge FILES -f json -o org.json``.

Wall time and peak RSS (the child's ``ru_maxrss``) are printed as a
Markdown section for benchmarks/RESULTS.md; target: under 10 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 10.0
DORA = {"stability::lead-time": ("median", lambda r: r.lognormvariate(11, 1)),
        "stability::time-to-restore": ("median", lambda r: r.lognormvariate(9, 1.2)),
        "stability::change-failure-rate": ("rate", lambda r: int(r.random() < 0.12)),
        "stability::deployment-frequency": ("per_week", lambda r: 1)}
WINDOW_S = 90 * 86400


def template() -> dict:
    out = HERE / ".cache" / "merge-template.json"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "guardrails", "check", "-c",
                        str(ROOT / "examples/acme/guardrails.yaml"), "--now", "2026-11-20",
                        "-q", "--format", "json", "--output", str(out)],
                       check=False, capture_output=True)
    return json.loads(out.read_text(encoding="utf-8"))


def generate(folder: Path, reports: int, samples: int) -> list[str]:
    files = [folder / f"repo-{i:04d}.json" for i in range(reports)]
    if folder.exists() and all(f.exists() for f in files):
        return [str(f) for f in files]
    folder.mkdir(parents=True, exist_ok=True)
    base = template()
    rng = random.Random(13)
    for f in files:
        for r in base["results"]:
            if r["id"] not in DORA:
                continue
            agg, draw = DORA[r["id"]]
            t = sorted(rng.randrange(WINDOW_S) for _ in range(samples))
            v = [draw(rng) for _ in range(samples)]
            v = [round(x, 3) if isinstance(x, float) else x for x in v]
            r["series"] = {"agg": agg, "start": "2026-08-22T00:00:00Z",
                           "end": "2026-11-20T00:00:00Z", "n": samples, "total": sum(v),
                           "t": t, "v": v}
            r["samples"] = samples
        f.write_text(json.dumps(base), encoding="utf-8")
    return [str(f) for f in files]


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one fresh process.

    Both are given because these machines are shared: under load the wall
    time grows, the CPU time of a single-threaded process much less.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:4]} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    folder = HERE / ".cache" / f"merge-{args.reports}-{args.samples}"
    files = generate(folder, args.reports, args.samples)
    size = sum(Path(f).stat().st_size for f in files)
    listing = folder / "files.txt"
    listing.write_text("\n".join(files), encoding="utf-8")
    floor = [sys.executable, "-c",
             "import json,sys\nfor f in open(sys.argv[1]).read().split('\\n'):\n"
             " json.loads(open(f,'rb').read())", str(listing)]
    out = folder / "org.json"
    ours = [sys.executable, "-m", "guardrails", "merge", *files, "-f", "json", "-o", str(out)]
    timed(floor)
    floors, walls, cpus = [], [], []
    for _ in range(args.runs):
        floors.append(timed(floor)[0])
        wall, cpu = timed(ours)
        walls.append(wall)
        cpus.append(cpu)
    # peak RSS of merge alone: a process of its own after the loop
    rss = subprocess.run(
        [sys.executable, "-c",
         "import resource,subprocess,sys\nsubprocess.run(sys.argv[1:],capture_output=True)\n"
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", *ours],
        capture_output=True, text=True, check=True)
    peak = int(rss.stdout.strip()) / 1024
    org = json.loads(out.read_text(encoding="utf-8"))
    pooled = sum(r["samples"] for r in org["results"] if "series" in r
                 and r["id"] in DORA)
    w, f, c = statistics.median(walls), statistics.median(floors), statistics.median(cpus)
    ok = w < TARGET_S
    print(f"## merge: {args.reports:,} reports of {args.samples:,} samples per DORA metric\n\n"
          f"{datetime.now(UTC).date()}, {platform.machine()}, Python "
          f"{platform.python_version()}; `python benchmarks/bench_merge.py`; median of "
          f"{args.runs} fresh processes each\n\n"
          f"| run | median | peak RSS |\n|---|---:|---:|\n"
          f"| floor: json.loads of every file ({size / 2**20:.0f} MB) | {f:.2f} s | |\n"
          f"| guardrails merge ... -f json ({pooled:,} samples pooled) | {w:.2f} s "
          f"(CPU {c:.2f} s) | {peak:.0f} MB |\n\n"
          f"Target under {TARGET_S:.0f} s: {'met' if ok else 'NOT met'}; "
          f"{w / f:.2f}x the floor.\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
