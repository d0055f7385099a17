"""Scale benchmark: a synthetic org, every builtin pack, against merely parsing.

    python benchmarks/bench_scale.py [--size 100000]
    python benchmarks/bench_scale.py --floor benchmarks/.cache/org-100000   # floor alone
    python benchmarks/bench_scale.py --run benchmarks/.cache/org-100000/guardrails.yaml
    python benchmarks/bench_scale.py --run CONFIG --cache cold   # or warm, off (see below)
    python benchmarks/bench_scale.py --run CONFIG --session      # a Session in this script

Generates (once, cached under benchmarks/.cache/) an org with N deployments,
N/5 incidents, N/20 postmortems and matching teams, services, pull requests
and CI runs, then measures in the same run:

- baseline: merely parsing the same files (csv, json lines, front matter
  YAML) with the standard library and PyYAML, no validation;
- ours: ``guardrails check`` (in a fresh process) running every builtin pack.

Target: evaluation adds at most 2x the parse time (the evaluate phase, timed
inside the run, <= 2x the parse baseline). The gather phase (reading plus
schema validation, normalisation and joins) and the whole process are
reported beside it. Peak RSS is reported at N/2 and N to show memory grows
linearly.

Caches: the files source keeps the org data it parsed in ``cache_dir``
(guardrails/sources/files_cache.py), so a plain ``--run`` is warm from its
second run on (with ``$GUARDRAILS_CACHE_DIR``, else ``~/.cache/guardrails``).
``--cache warm`` uses a folder of its own under benchmarks/.cache/ (filled by
the first run, e.g. a warm-up run); ``--cache cold`` empties that folder
first (the deletion, ~10-20 ms at 100k, is inside the timed process), as a
CI job without a saved cache meets it: every file parsed and the cache
written (the install's start-up caches, a few ms here, are left as they
are); ``--cache off`` sets ``GUARDRAILS_NO_STARTUP_CACHE=1``.

What ``--run`` times: this process becomes the program a user runs
(``os.execv`` of ``python -m guardrails check -c CONFIG --now 2026-11-20
--no-color``, the terminal report on standard output), so the whole process
is exactly a user's ``guardrails check``: start-up, gather, evaluate, the
report, and the program's own exit (guardrails.entry.console: the atexit
handlers, then ``os._exit`` without the interpreter's teardown of every
object). This script's own start before the exec (~20 ms) is counted too.
``--session`` runs instead ``Session(config).run()`` inside this script (what
``--run`` did before 2026-12-01 late evening) and prints the phase timings as
JSON; the process then ends through the interpreter's teardown, which frees
every fact one by one: ~0.8 s of CPU at 100,000 facts that ``guardrails
check`` never spends (benchmarks/RESULTS.md, "scale, scale5").
"""

from __future__ import annotations

import csv
import json
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # tests/orggen.py, the org's generator
CACHE = HERE / ".cache"
NOW = datetime(2026, 11, 20, tzinfo=UTC)
TARGET_EVAL = 2.0  # the evaluation phase may take at most 2x merely parsing the files


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(root: Path, n: int) -> Path:
    org = root / "org"
    marker = root / ".complete"
    if marker.exists():
        write_config(root)  # the packs may have changed since the data was made
        return root
    rnd = random.Random(n)
    (org / "postmortems").mkdir(parents=True, exist_ok=True)
    teams = [f"team-{i:02d}" for i in range(40)]
    services = [f"svc-{i:03d}" for i in range(200)]
    import yaml

    (org / "teams.yaml").write_text(yaml.safe_dump({"teams": [
        {"id": t, "name": t.title(), "members": [
            {"handle": f"{t}-m{j}", "email": f"{t}-m{j}@example.com"}
            for j in range(3 + i % 7)]}
        for i, t in enumerate(teams)]}))
    (org / "services.yaml").write_text(yaml.safe_dump({"services": [
        {"id": s, "owner": teams[i % len(teams)]} for i, s in enumerate(services)]}))
    span = 360 * 86400
    # shared with tests/integration/test_lazy_evidence.py; imported here, not at the
    # top: ``--run``'s start before its exec stays as it was
    from orggen import write_ci_runs, write_deployments, write_incidents

    dep_times = write_deployments(org, n, rnd, services, now=NOW, span=span,
                                  rollback_every=50, fail_every=30)
    with (org / "pull_requests.jsonl").open("w") as fh:
        for i in range(n):
            merged = dep_times[i] - timedelta(hours=rnd.randrange(1, 72))
            t = teams[i % len(teams)]
            fh.write(json.dumps({
                "id": f"c-{i}", "author": f"{t}-m0", "created_at": iso(merged - timedelta(days=2)),
                "merged_at": iso(merged), "additions": rnd.randrange(800),
                "deletions": rnd.randrange(200),
                "reviews": [{"user": f"{t}-m1", "state": "APPROVED",
                             "submitted_at": iso(merged - timedelta(hours=1))}],
            }) + "\n")
    write_incidents(org, n, rnd, services, now=NOW, span=span)
    for i in range(n // 20):
        (org / "postmortems" / f"pm-{i:06d}.md").write_text(
            "---\n"
            f"incident: INC-{i * 4}\nstatus: reviewed\nauthors: [a]\n"
            "action_items:\n"
            f"  - {{title: fix {i}, owner: someone, due: 2027-01-01, status: open}}\n"
            "---\n\n## Summary\nA thing broke.\n\n## Impact\nUsers saw errors.\n\n"
            "## Timeline\n- 10:00 alert\n- 10:30 fixed\n\n## Contributing factors\n"
            "A missing timeout.\n\n## Action items\n- add the timeout\n")
    write_ci_runs(org, n, rnd, now=NOW, span=span, workflow=lambda i: "ci")
    write_config(root)
    marker.write_text("ok")
    return root


def write_config(root: Path) -> None:
    """Every builtin pack, over the files source."""
    from guardrails.rulepaths import builtin_packs

    packs = "\n".join(f"  - builtin:{p}" for p in builtin_packs())
    (root / "guardrails.yaml").write_text(
        "focus: {current: stability, reviewed_on: 2026-11-01}\n"
        f"rules:\n{packs}\nsources:\n  files: {{path: org}}\nwindow: 90d\n")


def parse_baseline(root: Path) -> float:
    """Merely parse the same files: no validation, no normalisation."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    start = time.perf_counter()
    org = root / "org"
    for name in ("deployments.csv", "ci_runs.csv"):
        with (org / name).open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    for name in ("pull_requests.jsonl", "incidents.jsonl"):
        with (org / name).open() as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    for name in ("teams.yaml", "services.yaml"):
        yaml.load((org / name).read_text(), Loader=loader)  # noqa: S506 - safe loader
    for p in sorted((org / "postmortems").glob("*.md")):
        text = p.read_text()
        _, front, _body = text.split("---\n", 2)
        yaml.load(front, Loader=loader)  # noqa: S506 - safe loader
    del rows
    return time.perf_counter() - start


CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from guardrails.config import RunOptions
from guardrails.session import Session, build_config
from guardrails.timeutil import parse_now
config = build_config(sys.argv[1], RunOptions(now=parse_now("2026-11-20")))
session = Session(config)
report = session.run()
elapsed = time.perf_counter() - start
print(json.dumps({"total": elapsed, **session.timings, "code": report.exit_code,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def ours(root: Path) -> dict[str, float]:
    """One run in a fresh process: total seconds, per-phase seconds, peak RSS."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root / "guardrails.yaml")],
                          capture_output=True, text=True, check=False)
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SystemExit(f"guardrails run failed:\n{proc.stdout}\n{proc.stderr}") from None
    if out["code"] not in (0, 1):
        raise SystemExit(f"guardrails exited {out['code']}:\n{proc.stderr}")
    return out


def _caches(state: str) -> None:
    """Set this process's caches to ``state``: cold, warm or off (the module's docstring)."""
    import os
    import shutil

    folder = CACHE / "scale-caches"
    if state not in ("cold", "warm", "off"):
        raise SystemExit(f"--cache {state!r}: choose cold, warm or off")
    if state == "off":
        os.environ["GUARDRAILS_NO_STARTUP_CACHE"] = "1"
        return
    if state == "cold":
        shutil.rmtree(folder, ignore_errors=True)
    os.environ.pop("GUARDRAILS_NO_STARTUP_CACHE", None)
    os.environ["GUARDRAILS_CACHE_DIR"] = str(folder)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--floor"]:  # the floor as a whole process: parse one org, exit
        parse_baseline(Path(argv[1]))
        return 0
    if argv[:1] == ["--run"]:  # one guardrails run of an org's config (the module's docstring)
        if "--cache" in argv:
            _caches(argv[argv.index("--cache") + 1])
        if "--session" in argv:
            sys.argv = [sys.argv[0], argv[1]]
            exec(compile(CHILD, "<child>", "exec"), {"sys": sys})  # noqa: S102 - our own text
            return 0
        import os

        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "guardrails", "check", "-c", argv[1],
                                  "--now", "2026-11-20", "--no-color"])
    size = 100_000
    if "--size" in argv:
        size = int(argv[argv.index("--size") + 1])
    half = generate(CACHE / f"org-{size // 2}", size // 2)
    full = generate(CACHE / f"org-{size}", size)
    base, runs = [], []
    for _ in range(3):
        base.append(parse_baseline(full))
        runs.append(ours(full))
    half_run = ours(half)
    b = statistics.median(base)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    evaluate, gather, total = med("evaluate"), med("gather"), med("total")
    ratio = evaluate / b
    ok = ratio <= TARGET_EVAL
    rss_full, rss_half = runs[-1]["rss_kib"], half_run["rss_kib"]
    print(f"## scale: every pack on {size:,} deployments\n")
    print(f"{datetime.now(UTC).date()}; {size:,} deployments, {size:,} pull requests, "
          f"{size:,} CI runs, {size // 5:,} incidents, {size // 20:,} postmortems; "
          "every builtin pack over the files source; median of 3 fresh processes\n")
    print("| phase | time | / parse baseline |\n|---|---|---|")
    print(f"| baseline: merely parsing the files (csv, json, yaml; no validation) | "
          f"{b:.2f} s | 1.00x |")
    print(f"| gather: read + validate against the schemas + normalise + join | "
          f"{gather:.2f} s | {gather / b:.2f}x |")
    print(f"| **evaluate: every rule** | **{evaluate:.2f} s** | **{ratio:.2f}x** "
          f"(target <= {TARGET_EVAL:g}x: {'met' if ok else 'NOT met'}) |")
    print(f"| whole process (start-up, config, gather, evaluate, report) | {total:.2f} s | "
          f"{total / b:.2f}x |\n")
    print("| size | peak RSS |\n|---|---|")
    print(f"| {size // 2:,} deployments | {rss_half / 1024:.0f} MiB |")
    print(f"| {size:,} deployments | {rss_full / 1024:.0f} MiB |")
    print(f"| growth for 2x data | {rss_full / rss_half:.2f}x (linear: <= 2x) |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
