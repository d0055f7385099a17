"""Benchmark: an HTTP source cold vs revalidated (github: 2,000 merged pull requests;
opsgenie: 2,000 incidents, half resolved, each with its timeline).

Serves a fake API (tests/httpfakes.py, the one the tests use) from a
threaded werkzeug server on 127.0.0.1, gathers the source's facts twice with
the same on-disk cache, and reports requests sent and body bytes received for
each run. The second run sends conditional requests; the target is zero
bodies re-downloaded. Run: ``python benchmarks/bench_http.py [--source
github|opsgenie] [--items N]`` (``--prs`` is the old name of ``--items``).
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

from httpfakes import FakeAPI, FakeGitHub, FakeOpsgenie  # noqa: E402
from loopback import serving  # noqa: E402

from guardrails.plugin import Source, SourceEnv  # noqa: E402
from guardrails.sources.github import GitHubSource  # noqa: E402
from guardrails.sources.opsgenie import OpsgenieSource  # noqa: E402

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def build(prs: int) -> FakeGitHub:
    fake = FakeGitHub()
    for n in range(1, prs + 1):
        merged = NOW - timedelta(minutes=40 * n)  # 2,000 PRs span ~56 days
        z = merged.isoformat().replace("+00:00", "Z")
        created = (merged - timedelta(hours=20)).isoformat().replace("+00:00", "Z")
        fake.add_pr(n, user=f"dev{n % 17}", created_at=created, updated_at=z, merged_at=z,
                    additions=n % 300, deletions=n % 40,
                    reviews=[(f"dev{(n + 1) % 17}", "APPROVED", z)],
                    commit_dates=[created, z])
    return fake


def build_opsgenie(incidents: int) -> FakeOpsgenie:
    fake = FakeOpsgenie()
    for n in range(1, incidents + 1):
        created = NOW - timedelta(minutes=60 * n)  # 2,000 incidents span ~83 days
        z = created.isoformat().replace("+00:00", "Z")
        done = (created + timedelta(minutes=5 + n % 90)).isoformat().replace("+00:00", "Z")
        fake.add_incident(n, created_at=z, status="resolved" if n % 2 else "open",
                          priority=f"P{1 + n % 5}", services=["svc-checkout"],
                          timeline=[("IncidentResolved", done)] if n % 2 else [])
    return fake


def run(url: str, cache: Path, workers: int, source: str) -> tuple[int, float, Source]:
    env = SourceEnv(root=cache, now=NOW, window=timedelta(days=90), cache_dir=cache)
    src: Source
    if source == "opsgenie":
        src = OpsgenieSource({"url": url, "services": {"svc-checkout": "checkout"},
                              "workers": workers, "max_pages": 1000}, env)
        kind = "incidents"
    else:
        src = GitHubSource({"repo": "acme/api", "api_url": url, "workers": workers,
                            "max_pages": 1000}, env)
        kind = "changes"
    started = time.perf_counter()
    facts = src.gather({kind})
    return len(facts[kind]), time.perf_counter() - started, src


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("github", "opsgenie"), default="github")
    parser.add_argument("--items", "--prs", dest="items", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    os.environ.pop("GITHUB_TOKEN", None)
    # the Opsgenie source needs a key; the fake (token=None) accepts any
    os.environ["OPSGENIE_API_KEY"] = "bench-key-not-secret"

    fake: FakeAPI = build_opsgenie(args.items) if args.source == "opsgenie" else build(args.items)
    rows = []
    with serving(fake.handle) as url, tempfile.TemporaryDirectory() as tmp:
        for label in ("first (cold cache)", "second (304s)"):
            fake.hits.clear()
            count, seconds, src = run(url, Path(tmp), args.workers, args.source)
            client = getattr(src, "client", None)
            stats = client.stats if client else None
            bodies = sum(1 for h in fake.hits if h.status == 200)
            body_bytes = sum(h.body_bytes for h in fake.hits if h.status == 200)
            rows.append((label, count, len(fake.hits), bodies, body_bytes,
                         stats.body_bytes if stats else 0, seconds))

    what = "incidents" if args.source == "opsgenie" else "merged PRs"
    print(f"{args.source} source, {args.items} {what}, workers={args.workers}, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'run':<20} {'facts':>7} {'requests':>8} {'bodies':>7} {'body bytes':>11} "
          f"{'client bytes':>12} {'seconds':>8}")
    for label, count, reqs, bodies, sent, got, secs in rows:
        print(f"{label:<20} {count:>7} {reqs:>8} {bodies:>7} {sent:>11} {got:>12} "
              f"{secs:>8.2f}")
    ratio = rows[1][-1] / rows[0][-1]
    print(f"second run time / first run time: {ratio:.2f}")
    ok = rows[1][3] == 0 and rows[0][1] == rows[1][1] == args.items
    print("target (0 bodies re-downloaded, same facts):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
