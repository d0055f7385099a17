"""Synthetic org data files: one generator for the tests and the benchmarks.

tests/integration/test_lazy_evidence.py writes a small org with it and
benchmarks/bench_scale.py its 100,000-deployment one. The benchmark imports it
from this folder (``sys.path`` gets ``tests/``, as benchmarks/bench_gitlab.py
does for its fake server); a test imports it as it imports ``helpers``, from
the checkout and against an installed wheel alike. Standard library only, so a
benchmark that imports it loads nothing else of the tests'.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_deployments(org: Path, n: int, rnd: random.Random, services: list[str], *,
                      now: datetime, span: int, rollback_every: int,
                      fail_every: int) -> list[datetime]:
    """``org/deployments.csv``: ``n`` production deployments ``d-0``... at random times
    up to ``span`` seconds before ``now``, each shipping change ``c-i``; every
    ``rollback_every``-th one a rollback remediating the one before, every
    ``fail_every``-th one failed. Returns their times, in id order."""
    times = []
    with (org / "deployments.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "service", "finished_at", "status", "environment", "changes", "kind",
                    "remediates"])
        for i in range(n):
            t = now - timedelta(seconds=rnd.randrange(span))
            times.append(t)
            kind = "rollback" if i % rollback_every == 0 and i else "normal"
            w.writerow([f"d-{i}", services[i % len(services)], iso(t),
                        "success" if i % fail_every else "failure", "production", f"c-{i}",
                        kind, f"d-{i - 1}" if kind == "rollback" else ""])
    return times


def write_incidents(org: Path, deployments: int, rnd: random.Random, services: list[str], *,
                    now: datetime, span: int) -> None:
    """``org/incidents.jsonl``: one incident ``INC-i`` for every five deployments, at
    random times up to ``span`` seconds before ``now``, each caused by a random
    deployment; every tenth (``INC-0``, ``INC-10``...) still open."""
    with (org / "incidents.jsonl").open("w") as fh:
        for i in range(deployments // 5):
            created = now - timedelta(seconds=rnd.randrange(span))
            rec = {"id": f"INC-{i}", "created_at": iso(created), "severity": f"SEV{1 + i % 4}",
                   "service": services[i % len(services)], "title": f"incident {i}",
                   "caused_by": f"d-{rnd.randrange(deployments)}"}
            if i % 10:
                rec["resolved_at"] = iso(created + timedelta(minutes=rnd.randrange(30, 3000)))
            fh.write(json.dumps(rec) + "\n")


def write_ci_runs(org: Path, n: int, rnd: random.Random, *, now: datetime, span: int,
                  workflow: Callable[[int], str]) -> None:
    """``org/ci_runs.csv``: ``n`` successful runs ``r-0``... of workflow ``workflow(i)``,
    started at random times up to ``span`` seconds before ``now``, each lasting 1-20
    minutes."""
    with (org / "ci_runs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "started_at", "finished_at", "conclusion", "workflow"])
        for i in range(n):
            s = now - timedelta(seconds=rnd.randrange(span))
            w.writerow([f"r-{i}", iso(s), iso(s + timedelta(seconds=rnd.randrange(60, 1200))),
                        "success", workflow(i)])
