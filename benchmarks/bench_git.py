"""Benchmark: the git source + ownership checks against the `git log` floor.

Builds once (cached in benchmarks/.cache/, gitignored) a synthetic repository
with ``git fast-import``: 100,000 commits over 2,000 files in 40 top-level
modules, 60 authors (skewed, so some modules have a bus factor of 1), one
year of history, a CODEOWNERS file. Then, best of 3 each, in this process:

- floor: ``git log --no-merges --name-only --format=...`` over the same
  history, its output read to the end;
- ours: GitSource gathering commits, modules and codeowners (no cache) plus
  evaluating teams.bus_factor and teams.codeowners_coverage;
- ours, second run with a warm cache.

Prints the ratio ours/floor (target <= 1.5) and peak RSS.

    python benchmarks/bench_git.py [REPO_PATH]     # REPO_PATH: also a real repository
"""

from __future__ import annotations

import fcntl
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardrails.checks.teams import BusFactorCheck, CodeownersCoverageCheck  # noqa: E402
from guardrails.facts import FactStore  # noqa: E402
from guardrails.model import Rule  # noqa: E402
from guardrails.plugin import EvalContext, SourceEnv  # noqa: E402
from guardrails.sources.git import GitSource  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
COMMITS, FILES, AUTHORS, MODULES = 100_000, 2_000, 60, 40
END = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
TARGET = 1.5
FLOOR_FORMAT = "--format=%H%x1f%aN%x1f%aE%x1f%at%x1f%ct"


def _paths() -> list[str]:
    return [f"mod{i % MODULES:02d}/pkg{(i // MODULES) % 5}/file{i}.py" for i in range(FILES)]


def build(path: Path) -> None:
    """Write the synthetic repository with one ``git fast-import`` stream."""
    rng = random.Random(42)
    paths = _paths()
    # Each module has a main author doing ~half its work: realistic, and
    # it gives the bus factor check something to find.
    main_author = {m: rng.randrange(AUTHORS) for m in range(MODULES)}
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp)], check=True)
    proc = subprocess.Popen(["git", "-C", str(tmp), "fast-import", "--quiet"],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    out = proc.stdin
    start = int((END - SPAN).timestamp())
    step = SPAN.total_seconds() / COMMITS
    owners = "".join(f"/mod{m:02d}/ @acme/team{m % 12}\n" for m in range(MODULES - 3))
    codeowners = f"* @acme/everyone\n{owners}/mod38/pkg1/\n".encode()
    for n in range(COMMITS):
        ts = start + int(n * step)
        mod = rng.randrange(MODULES)
        who = main_author[mod] if rng.random() < 0.5 else rng.randrange(AUTHORS)
        lines = [f"commit refs/heads/main\nmark :{n + 1}\n",
                 f"author Dev {who} <dev{who}@example.com> {ts} +0000\n",
                 f"committer Dev {who} <dev{who}@example.com> {ts} +0000\n",
                 "data 7\nchange\n"]
        out.write("".join(lines).encode())
        if n == 0:
            for p in paths:
                body = f"{p}\n".encode()
                out.write(f"M 100644 inline {p}\ndata {len(body)}\n".encode() + body + b"\n")
            out.write(f"M 100644 inline CODEOWNERS\ndata {len(codeowners)}\n".encode()
                      + codeowners + b"\n")
        else:
            same_mod = paths[mod::MODULES]
            for p in rng.sample(same_mod, k=rng.randint(1, 3)):
                body = f"{p} {n}\n".encode()
                out.write(f"M 100644 inline {p}\ndata {len(body)}\n".encode() + body + b"\n")
        out.write(b"\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(tmp), "checkout", "-q", "main"], check=True)
    tmp.rename(path)


def synthetic() -> Path:
    path = CACHE / f"synthetic-{COMMITS}"
    if not (path / ".git").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        print(f"building {path} with git fast-import ...", flush=True)
        build(path)
        print(f"  built in {time.perf_counter() - t:.1f}s", flush=True)
    return path


def best(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def floor(repo: Path, since: int) -> None:
    proc = subprocess.Popen(["git", "-C", str(repo), "log", "--no-merges", "--name-only",
                             FLOOR_FORMAT, f"--since=@{since}", "HEAD"],
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    # the same 1 MiB pipe the git source asks for, so only the parsing differs
    fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    while proc.stdout.read(1 << 20):
        pass
    proc.wait()


def ours(repo: Path, now: datetime, window: timedelta, cache: Path | None) -> tuple[str, str]:
    env = SourceEnv(root=repo, now=now, window=window, cache_dir=cache)
    store = FactStore()
    for kind, facts in GitSource({}, env).gather({"commits", "modules", "codeowners"}).items():
        store.add(kind, facts, "git")
    ctx = EvalContext(now=now, window=window, focus=None, store=store)
    bf = BusFactorCheck().evaluate(Rule("teams", "bus-factor", "", "teams.bus_factor",
                                        {"min": 2, "min_commits": 10}), ctx)
    cov = CodeownersCoverageCheck().evaluate(
        Rule("teams", "codeowners-coverage", "", "teams.codeowners_coverage", {}), ctx)
    return f"{bf.outcome} ({bf.message[:70]})", f"{cov.outcome} ({cov.message[:70]})"


def measure(label: str, repo: Path, now: datetime, window: timedelta) -> dict[str, object]:
    since = int((now - window).timestamp())
    count = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "--no-merges",
                            f"--since=@{since}", "HEAD"], capture_output=True, text=True,
                           check=True).stdout.strip()
    t_floor = best(lambda: floor(repo, since))
    t_ours = best(lambda: ours(repo, now, window, None))
    with tempfile.TemporaryDirectory() as cache:
        ours(repo, now, window, Path(cache))
        t_cached = best(lambda: ours(repo, now, window, Path(cache)))
    outcomes = ours(repo, now, window, None)
    ratio = t_ours / t_floor
    print(f"\n{label}: {repo}\n  commits read: {count}")
    print(f"  floor git log --name-only: {t_floor:.2f}s")
    print(f"  ours (gather + both checks): {t_ours:.2f}s   ratio {ratio:.2f}x "
          f"({'meets' if ratio <= TARGET else 'misses'} target <= {TARGET}x)")
    print(f"  ours, warm cache: {t_cached:.2f}s")
    print(f"  bus factor: {outcomes[0]}\n  coverage:   {outcomes[1]}")
    return {"label": label, "commits": count, "floor": t_floor, "ours": t_ours,
            "cached": t_cached, "ratio": ratio}


def main(argv: list[str]) -> int:
    results = [measure("synthetic", synthetic(), END, SPAN)]
    for arg in argv:
        repo = Path(arg).resolve()
        if not (repo / ".git").exists():  # a bare mirror: check out a work tree first
            work = CACHE / ("real-" + repo.parent.name)
            if not work.exists():
                subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
            repo = work
        results.append(measure("real", repo, datetime.now(UTC), timedelta(days=3650)))
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"\npeak RSS: this process {self_kb / 1024:.0f} MB, largest git child "
          f"{child_kb / 1024:.0f} MB")
    print(f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, "
          f"CPython {platform.python_version()}, "
          f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}")
    return 0 if all(float(r["ratio"]) <= TARGET for r in results) else 1  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
