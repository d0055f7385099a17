"""Benchmark: ``guardrails check`` with the git source, as whole processes, vs ``git log``.

Issue 15 asks for whole-process figures (an in-process figure hides
start-up). Every figure here is a separate process, run in turn with its
floor (A B A B ...), median of N pairs, wall and CPU (the process and every
child it waited for, from ``os.wait4``):

- cold: ``python -m guardrails check`` on a config with only the git source
  and the rules ``teams::bus-factor`` and ``teams::codeowners-coverage``,
  its history cache deleted before each run, against the floor
  ``git log --no-merges --name-only --format=%H%x1f%aN%x1f%aE%x1f%at%x1f%ct
  --since=@<window start> HEAD`` with its output read to the end through a
  pipe; and against the same floor run with ``GIT_FLUSH=0``, as the source
  runs git (git into a pipe otherwise flushes commit by commit, ~15% of the
  floor's CPU at 3650d: not a saving of ours to count against the issue's
  floor). A second, informative floor adds what the source must do on top:
  ``--since-as-filter`` (the whole history is walked, so a commit dated 1970
  cannot hide the history behind it), ``-M --name-status`` and ``-z``, run
  as the source runs it (``GIT_FLUSH=0``: git fills its buffer instead of
  writing each commit to the pipe, as it does for a file).
- warm: the same check with the cache in place, against start-up: the same
  config without the source (nothing to gather).

Repositories: a synthetic one built once with ``git fast-import``
(benchmarks/.cache/, gitignored; 100,000 commits over 2,000 files in 40
modules, 60 authors, one year, a CODEOWNERS file; window 365d), and any
repository given on the command line (a work tree, or a bare mirror that is
cloned first) with 365d and 3650d windows ending the day after its HEAD.

    python benchmarks/bench_git.py [--pairs N] [--commits N | --no-synthetic]
                                   [--baseline SRC_DIR] [REPO_PATH ...]

``--baseline SRC_DIR`` adds two rows per repository and window: this
checkout's cold and warm checks against the same checks run from another
checkout's ``guardrails`` package (e.g. ``git archive main | tar -x -C
SRC_DIR``), paired the same way, each with its own cache.

Prints one table per repository; exits 0 (figures, not a verdict: a
shared, noisy machine cannot pass or fail a ratio on its own).
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from childrun import run_child

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
COMMITS, FILES, AUTHORS, MODULES = 100_000, 2_000, 60, 40
END = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
FLOOR_FORMAT = "--format=%H%x1f%aN%x1f%aE%x1f%at%x1f%ct"
RULES = """rules:
  - builtin:teams
overrides:
  teams::two-pizza-teams: {enabled: false}
  teams::slack-in-plans: {enabled: false}
window: %(window)s
allow_outside_root: true
cache_dir: %(cache)s
"""


def _paths() -> list[str]:
    return [f"mod{i % MODULES:02d}/pkg{(i // MODULES) % 5}/file{i}.py" for i in range(FILES)]


def build(path: Path, commits: int = COMMITS) -> None:
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
    step = SPAN.total_seconds() / commits
    owners = "".join(f"/mod{m:02d}/ @acme/team{m % 12}\n" for m in range(MODULES - 3))
    codeowners = f"* @acme/everyone\n{owners}/mod38/pkg1/\n".encode()
    for n in range(commits):
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


def synthetic(commits: int = COMMITS) -> Path:
    path = CACHE / f"synthetic-{commits}"
    if not (path / ".git").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        print(f"building {path} with git fast-import ...", flush=True)
        build(path, commits)
        print(f"  built in {time.perf_counter() - t:.1f}s", flush=True)
    return path


def run(cmd: list[str], before: Sequence[Path] = (), source: Path = ROOT,
        extra_env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its children, exit status) of one run."""
    for p in before:  # outside the timing: a cold run starts without a cache
        shutil.rmtree(p, ignore_errors=True)
    # Which checkout's guardrails: `python -m` puts the working directory first on
    # sys.path, before PYTHONPATH, so both name the checkout.
    env = {**os.environ, "PYTHONPATH": str(source), **(extra_env or {})}
    # its output read as a pipe reader would, to the end
    done = run_child(cmd, cwd=source, env=env, drain_stdout=True)
    return done.wall, done.cpu, done.exit_code


def paired(a: list[str], b: list[str], pairs: int, clear: Sequence[Path] = (),
           clear_b: Sequence[Path] = (), source_b: Path = ROOT,
           env_a: dict[str, str] | None = None,
           env_b: dict[str, str] | None = None) -> dict[str, float]:
    """Run A and B in turn (one warm-up each), medians and median pair ratios."""
    run(a, clear, extra_env=env_a), run(b, clear_b, source_b, env_b)
    rows = []
    for _ in range(pairs):
        ra, rb = run(a, clear, extra_env=env_a), run(b, clear_b, source_b, env_b)
        if ra[2] not in (0, 1) or rb[2] not in (0, 1):
            raise SystemExit(f"a run failed: {a if ra[2] not in (0, 1) else b}")
        rows.append((ra, rb))
    med = statistics.median
    return {"a_wall": med(r[0][0] for r in rows), "a_cpu": med(r[0][1] for r in rows),
            "b_wall": med(r[1][0] for r in rows), "b_cpu": med(r[1][1] for r in rows),
            "wall": med(r[0][0] / r[1][0] for r in rows),
            "cpu": med(r[0][1] / max(r[1][1], 1e-3) for r in rows)}


def measure(label: str, repo: Path, now: datetime, days: int, pairs: int,
            baseline: Path | None = None) -> list[str]:
    since = int((now - timedelta(days=days)).timestamp())
    count = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "--no-merges",
                            f"--since=@{since}", "HEAD"], capture_output=True, text=True,
                           check=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="bench-git-"))
    try:
        cache, base_cache = work / "cache", work / "base-cache"
        with_git, without = work / "git.yaml", work / "none.yaml"
        with_git.write_text(RULES % {"window": f"{days}d", "cache": cache}
                            + f"sources:\n  git: {{path: '{repo}'}}\n", "utf-8")
        base_git = work / "base.yaml"
        base_git.write_text(RULES % {"window": f"{days}d", "cache": base_cache}
                            + f"sources:\n  git: {{path: '{repo}'}}\n", "utf-8")
        without.write_text(RULES % {"window": f"{days}d", "cache": cache}, "utf-8")
        check = [sys.executable, "-m", "guardrails", "check", "--now",
                 now.strftime("%Y-%m-%d"), "-q", "--no-color", "-c"]
        git = ["git", "-C", str(repo), "log"]
        floor = [*git, "--no-merges", "--name-only", FLOOR_FORMAT, f"--since=@{since}", "HEAD"]
        same = [*git, "-z", "--no-merges", "-M", "--name-status", FLOOR_FORMAT,
                f"--since-as-filter=@{since}", "HEAD"]
        cold = paired([*check, str(with_git)], floor, pairs, [cache])
        # The floor as the issue names it lets git flush its output commit by
        # commit into the pipe; the source sets GIT_FLUSH=0. Against a floor
        # told the same, so that flag is not counted in our favour:
        cold_unflushed = paired([*check, str(with_git)], floor, pairs, [cache],
                                env_b={"GIT_FLUSH": "0"})
        work_floor = paired(same, floor, pairs, env_a={"GIT_FLUSH": "0"})
        warm = paired([*check, str(with_git)], [*check, str(without)], pairs)
        if baseline is not None:
            base_cold = paired([*check, str(with_git)], [*check, str(base_git)], pairs,
                               [cache], [base_cache], baseline)
            base_warm = paired([*check, str(with_git)], [*check, str(base_git)], pairs,
                               source_b=baseline)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ms = "{:.0f} ms".format

    def row(name: str, cmd: str, r: dict[str, float]) -> str:
        return (f"| {label} {days}d | {name} | {ms(r['a_wall'] * 1000)} / "
                f"{ms(r['a_cpu'] * 1000)} | {cmd} {ms(r['b_wall'] * 1000)} / "
                f"{ms(r['b_cpu'] * 1000)} | **{r['wall']:.2f}x** / **{r['cpu']:.2f}x** |")

    rows = [f"| {label} {days}d | commits in the window | {count} | | |",
            row("cold check", "floor `git log --name-only`", cold),
            row("cold check", "floor with `GIT_FLUSH=0`", cold_unflushed),
            row("same-work git log", "floor `git log --name-only`", work_floor),
            row("warm check", "start-up (no source)", warm)]
    if baseline is not None:
        rows += [row("cold check", "baseline's cold check", base_cold),
                 row("warm check", "baseline's warm check", base_warm)]
    return rows


def head_day(repo: Path) -> datetime:
    """The day after HEAD's commit: windows that end with the repository's history."""
    ct = int(subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%ct", "HEAD"],
                            capture_output=True, text=True, check=True).stdout)
    day = datetime.fromtimestamp(ct, UTC).replace(hour=0, minute=0, second=0)
    return day + timedelta(days=1)


def main(argv: list[str]) -> int:
    pairs, commits, repos = 9, COMMITS, []
    baseline: Path | None = None
    it = iter(argv)
    for arg in it:
        if arg == "--pairs":
            pairs = int(next(it))
        elif arg == "--commits":
            commits = int(next(it))
        elif arg == "--no-synthetic":
            commits = 0
        elif arg == "--baseline":
            baseline = Path(next(it)).resolve()
        else:
            repos.append(Path(arg).resolve())
    import compileall  # bytecode as pip install leaves it (PYTHONDONTWRITEBYTECODE may be set)

    compileall.compile_dir(str(ROOT / "guardrails"), quiet=1)
    if baseline is not None:
        compileall.compile_dir(str(baseline / "guardrails"), quiet=1)
    lines = ["| repository, window | run (A) | A: wall / CPU | floor (B): wall / CPU "
             "| A/B median of pairs: wall / CPU |", "|---|---|---:|---:|---:|"]
    if commits:
        lines += measure(f"synthetic {commits}", synthetic(commits), END, 365, pairs, baseline)
    for repo in repos:
        if not (repo / ".git").exists():  # a bare mirror: check out a work tree first
            work = CACHE / ("real-" + repo.parent.name)
            if not work.exists():
                subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
            repo = work
        for days in (365, 3650):
            lines += measure(repo.name, repo, head_day(repo), days, pairs, baseline)
    print("\n".join(lines))
    git_version = subprocess.run(["git", "--version"], capture_output=True,
                                 text=True).stdout.strip()
    print(f"\n{datetime.now(UTC).date()}, {platform.machine()} {platform.system()}, "
          f"{os.cpu_count()} CPUs, CPython {platform.python_version()}, {git_version}; "
          f"median of {pairs} pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
