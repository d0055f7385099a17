"""Benchmark: the gitlab source over the Acme twin (8 projects), cold vs revalidated.

Serves the fake GitLab of the tests (tests/acmegitlab.py: Acme's 134 merge
requests, 76 deployments, 13 incidents and 342 pipelines in group ``acme``)
from a threaded werkzeug server on 127.0.0.1, gathers every kind twice with
the same on-disk cache, and reports requests, bodies and seconds of each run.
The second run sends conditional requests; the target is zero bodies
re-downloaded and the same facts. Run: ``python benchmarks/bench_gitlab.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from acmegitlab import acme_gitlab  # noqa: E402
from loopback import serving  # noqa: E402

from guardrails.plugin import SourceEnv  # noqa: E402
from guardrails.sources.gitlab import GitLabSource  # noqa: E402

NOW = datetime(2026, 11, 20, tzinfo=UTC)
KINDS = {"changes", "deployments", "incidents", "ci_runs"}
TOKEN = "glpat-benchmark000000000000"


def run(url: str, cache: Path, workers: int) -> tuple[dict[str, int], float]:
    env = SourceEnv(root=cache, now=NOW, window=timedelta(days=90), cache_dir=cache)
    src = GitLabSource({"url": url, "group": "acme", "sizes": True, "workers": workers}, env)
    started = time.perf_counter()
    facts = src.gather(KINDS)
    return {k: len(v) for k, v in sorted(facts.items())}, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    os.environ["GITLAB_TOKEN"] = TOKEN

    fake = acme_gitlab(TOKEN)
    rows = []
    with serving(fake.handle) as url, tempfile.TemporaryDirectory() as tmp:
        for label in ("first (cold cache)", "second (304s)"):
            fake.hits.clear()
            counts, seconds = run(url, Path(tmp), args.workers)
            bodies = sum(1 for h in fake.hits if h.status == 200)
            body_bytes = sum(h.body_bytes for h in fake.hits if h.status == 200)
            rows.append((label, counts, len(fake.hits), bodies, body_bytes, seconds))

    print(f"gitlab source, Acme twin, workers={args.workers}, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'run':<20} {'requests':>8} {'bodies':>7} {'body bytes':>11} {'seconds':>8}  facts")
    for label, counts, reqs, bodies, sent, secs in rows:
        print(f"{label:<20} {reqs:>8} {bodies:>7} {sent:>11} {secs:>8.2f}  {counts}")
    print(f"second run time / first run time: {rows[1][-1] / rows[0][-1]:.2f}")
    ok = rows[1][3] == 0 and rows[0][1] == rows[1][1]
    print("target (0 bodies re-downloaded, same facts):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
