"""Benchmarks, each as a ratio against a floor measured in the same run.

    python benchmarks/run.py            # start-up: check, validate, --version, --help
    python benchmarks/run.py startup --runs 31
    python benchmarks/run.py startup validate   # only these scenarios (check, validate, ...)
    python benchmarks/run.py startup check check-cold check-off   # check's three cache states
    python benchmarks/run.py --profile check   # cProfile of one scenario, top 15
    python benchmarks/run.py --phases          # CPU of check's phases, in one process
    python benchmarks/run.py scale      # 100k deployments, every pack (bench_scale.py)
    python benchmarks/run.py git        # git source floor ratio (bench_git.py)
    python benchmarks/run.py http       # HTTP sources first vs second run (bench_http.py)
    python benchmarks/run.py gitlab     # the gitlab source on the Acme twin (bench_gitlab.py)
    python benchmarks/run.py pytest     # pytest --guardrails serial vs -n 2 (bench_pytest.py)
    python benchmarks/run.py merge      # guardrails merge, 1,000 reports (bench_merge.py)
    python benchmarks/run.py all
    ... --record                        # also update benchmarks/RESULTS.md
    ... --smoke                         # one pair per scenario, never fails (.ci/run)

Start-up is timed as a user meets it: whole processes, each scenario paired
with its floor (A B A B ...), CPU time (user + sys, from the kernel's
accounting of the finished child) and wall time per run. Machines here are
noisy (2 shared cores): the figures are medians, and each target is
checked on the median of the pairwise CPU ratios, which holds when the
machine's speed drifts during the run.

Caches: every run here uses its own cache folders under benchmarks/.cache/
(``GUARDRAILS_CACHE_DIR`` and ``GUARDRAILS_PLUGIN_CACHE_DIR``), so another
checkout's runs cannot rewrite them between two of ours. ``check`` runs as a
repeated use meets it (a pre-commit hook, an engineer re-running it): the caches
warm, filled by the warm-up run. ``check-cold`` empties both folders before
each of its runs (not timed), as a CI job without a saved cache meets it: the
entry points scanned, the builtin packs and the org data parsed and validated,
and the caches written. ``check-off`` sets ``GUARDRAILS_NO_STARTUP_CACHE=1``:
nothing read nor written.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from childrun import run_child

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ACME = ROOT / "examples" / "acme"
EXAMPLE = ACME / "guardrails.yaml"
RUNS = 21
PY = sys.executable
#: What any run of the tool must import anyway: the command line, YAML and the
#: plugin engine. Nothing guardrails-specific, nothing it does not import itself.
FLOOR = [PY, "-c", "import click, yaml, pluggy"]
GUARDRAILS = [PY, "-m", "guardrails"]
#: the benchmark's own cache folders (see the module's docstring)
CACHES = HERE / ".cache" / "startup-caches"
CACHE_ENV = {"GUARDRAILS_CACHE_DIR": str(CACHES / "project"),
             "GUARDRAILS_PLUGIN_CACHE_DIR": str(CACHES / "install")}

#: scenario -> (command, working directory, floor, target ratio of CPU time)
SCENARIOS: dict[str, tuple[list[str], Path, list[str], float]] = {
    "check": ([*GUARDRAILS, "check", "-c", str(EXAMPLE), "--now", "2026-11-20", "-q",
               "--no-color"], ROOT, FLOOR, 1.5),
    # the pre-commit hook on a commit that touches one org data file
    "validate": ([*GUARDRAILS, "validate", "-c", str(EXAMPLE), str(ACME / "org" / "teams.yaml")],
                 ROOT, FLOOR, 1.3),
    # the same command with every cache emptied before each run (a CI job's first run),
    # and with the caches turned off
    "check-cold": ([*GUARDRAILS, "check", "-c", str(EXAMPLE), "--now", "2026-11-20", "-q",
                    "--no-color"], ROOT, FLOOR, 1.5),
    "check-off": ([*GUARDRAILS, "check", "-c", str(EXAMPLE), "--now", "2026-11-20", "-q",
                   "--no-color"], ROOT, FLOOR, 1.5),
    "version": ([*GUARDRAILS, "--version"], ROOT, FLOOR, 1.2),
    "help": ([*GUARDRAILS, "--help"], ROOT, FLOOR, 1.2),
}


#: how each check scenario meets guardrails' caches, as the table says it
STATES = {"check": " (caches warm: a repeated run, e.g. the commit hook)",
          "check-cold": " (caches empty before each run: a CI job without a saved cache)",
          "check-off": " (GUARDRAILS_NO_STARTUP_CACHE=1)"}


def _run(cmd: list[str], cwd: Path, name: str = "") -> tuple[float, float]:
    """(cpu, wall) seconds of one whole process; cpu is user + sys of the child.

    ``name``: the scenario, for its cache state (see the module's docstring).
    """
    env = {**os.environ, **CACHE_ENV}
    env.pop("GUARDRAILS_NO_STARTUP_CACHE", None)
    if name == "check-cold":
        shutil.rmtree(CACHES, ignore_errors=True)
    elif name == "check-off":
        env["GUARDRAILS_NO_STARTUP_CACHE"] = "1"
    done = run_child(cmd, cwd=cwd, env=env, keep_stderr=True)
    if done.exit_code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.exit_code}:\n{done.stderr}")
    return done.cpu, done.wall


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


def _shown(cmd: list[str]) -> str:
    out = []
    for part in cmd:
        part = part.replace(str(ROOT) + "/", "").replace(PY, "python")
        out.append(f'"{part}"' if " " in part else part)
    return " ".join(out)


def pair(name: str, runs: int) -> dict[str, float]:
    cmd, cwd, floor, _ = SCENARIOS[name]
    _run(floor, cwd)
    _run(cmd, cwd, name)  # warm the OS's file cache and (for "check") guardrails' caches
    a_cpu, a_wall, b_cpu, b_wall, r_cpu, r_wall = [], [], [], [], [], []
    for _ in range(runs):
        ac, aw = _run(cmd, cwd, name)
        bc, bw = _run(floor, cwd)
        a_cpu.append(ac)
        a_wall.append(aw)
        b_cpu.append(bc)
        b_wall.append(bw)
        r_cpu.append(ac / bc)
        r_wall.append(aw / bw)
    med = statistics.median
    return {"cpu": med(a_cpu), "wall": med(a_wall), "floor_cpu": med(b_cpu),
            "floor_wall": med(b_wall), "ratio_cpu": med(r_cpu), "ratio_wall": med(r_wall),
            "ratio_cpu_min": min(r_cpu), "ratio_cpu_max": max(r_cpu)}


def startup(runs: int = RUNS, names: list[str] | None = None) -> tuple[str, bool]:
    compile_package()
    ok_all = True
    rows = []
    for name in names or list(SCENARIOS):
        if name not in SCENARIOS:
            raise SystemExit(f"unknown start-up scenario {name!r}; "
                             f"choose from {', '.join(SCENARIOS)}")
        cmd, cwd, floor, target = SCENARIOS[name]
        f = pair(name, runs)
        ok = f["ratio_cpu"] <= target
        ok_all &= ok
        where = "" if cwd == ROOT else f" (in {cwd.relative_to(ROOT)})"
        where += STATES.get(name, "")
        rows.append(
            f"| {name}: `{_shown(cmd)}`{where} | {f['cpu'] * 1000:.0f} ms "
            f"| {f['floor_cpu'] * 1000:.0f} ms | **{f['ratio_cpu']:.2f}x** "
            f"({f['ratio_cpu_min']:.2f}-{f['ratio_cpu_max']:.2f}) | {f['ratio_wall']:.2f}x "
            f"| <= {target}x: {'met' if ok else 'NOT met'} |")
    text = (f"## start-up: whole processes against the import floor\n\n"
            f"{datetime.now(UTC).date()}, {machine()}; `python benchmarks/run.py startup "
            f"--runs {runs}`: each command paired with the floor "
            f"`{_shown(FLOOR)}` (A B A B ..., {runs} pairs after one warm-up each), "
            f"bytecode compiled for both as pip install leaves it; medians, and the median "
            f"(min-max) of the pairwise ratios\n\n"
            f"| scenario | cpu | floor cpu | cpu / floor | wall / floor | target |\n"
            f"|---|---:|---:|---:|---:|---|\n" + "\n".join(rows) + "\n")
    return text, ok_all


PHASES = """
import sys, time
T = time.process_time
t0 = T()
import click, yaml, pluggy
t1 = T()
import guardrails.checkcmd, guardrails.session  # what a plain `check` line imports
from datetime import UTC, datetime
from guardrails.config import RunOptions
from guardrails.session import Session, build_config
t2 = T()
cfg = build_config(sys.argv[1], RunOptions(now=datetime(2026, 11, 20, tzinfo=UTC)))
t3 = T()
s = Session(cfg)
s.configure()
s.collect()
t4 = T()
s.gather()
t5 = T()
s.start_report()
s.evaluate()
s.finish()
t6 = T()
marks = (t0, t1, t2, t3, t4, t5, t6)
print(*(round((b - a) * 1000, 1) for a, b in zip(marks, marks[1:])))
"""
PHASE_NAMES = ("floor imports (click, yaml, pluggy)", "importing the CLI and the session",
               "config: load and validate", "configure + collect the rules",
               "gather the facts", "evaluate + report")


def phases(runs: int) -> int:
    """CPU ms of ``check``'s phases in one process (median of ``runs`` processes)."""
    compile_package()
    got = []
    env = {**os.environ, **CACHE_ENV}  # warm: the caches as the run before left them
    env.pop("GUARDRAILS_NO_STARTUP_CACHE", None)
    for _ in range(runs + 1):
        out = subprocess.run([PY, "-c", PHASES, str(EXAMPLE)], cwd=ROOT, capture_output=True,
                             text=True, check=True, env=env).stdout
        got.append([float(x) for x in out.split()])
    got = got[1:]  # the first run filled the caches
    for i, name in enumerate(PHASE_NAMES):
        print(f"| {name} | {statistics.median(r[i] for r in got):.0f} |")
    return 0


def profile(name: str) -> int:
    """Run one scenario under cProfile (imports included), write the profile, print the top 15."""
    import pstats

    if name not in SCENARIOS:
        print(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
        return 2
    compile_package()
    cmd, cwd, _, _ = SCENARIOS[name]
    out = HERE / ".cache" / "profiles" / f"{name}.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([PY, "-m", "cProfile", "-o", str(out), *cmd[1:]], cwd, name)
    print(f"{_shown(cmd)}: profile written to {out.relative_to(ROOT)} "
          f"(open with python -m pstats or snakeviz)\n")
    stats = pstats.Stats(str(out))
    stats.strip_dirs().sort_stats("cumulative").print_stats(15)
    stats.sort_stats("tottime").print_stats(15)
    return 0


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
    smoke = "--smoke" in argv
    runs = RUNS
    args: list[str] = []
    it = iter(argv)
    for a in it:
        if a == "--runs":
            runs = int(next(it, str(RUNS)))
        elif a == "--profile":
            return profile(next(it, "check"))
        elif a == "--phases":
            return phases(9)
        elif a not in ("--record", "--smoke"):
            args.append(a)
    if smoke:
        runs = 1
    which = args[0] if args else "startup"
    jobs = {
        "startup": lambda: startup(runs, args[1:] or None),
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
        partial = name == "startup" and len(args) > 1  # a subset would replace the whole table
        if (rec and not smoke and not partial and name in ("startup", "scale", "pytest")
                and text.startswith("## ")):
            record(text)
    return 0 if ok_all or smoke else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
