"""Shared helpers for tests: write a project (config, rule files, org data) and run the CLI.

Everything is written as text, so a test knows the exact line of every key it
wrote and can state expected error positions by hand.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

#: terminal width used by every CLI run in tests, so separators are 80 columns
COLUMNS = 80

# Two teams: alpha has 3 members, beta has 9.
TEAMS_YAML = """\
teams:
  - id: alpha
    members:
      - {handle: ann}
      - {handle: ben}
      - {handle: cat}
  - id: beta
    members:
      - {handle: dan}
      - {handle: eve}
      - {handle: fay}
      - {handle: gus}
      - {handle: hal}
      - {handle: ida}
      - {handle: jon}
      - {handle: kim}
      - {handle: lou}
"""

# people::team-size fails on beta (9 > 8); people::some-teams passes (2 >= 1).
PEOPLE_RULES = """\
pack: people
tags: [people]
rules:
  - id: team-size
    title: Teams have 3 to 8 members
    check: teams.size
    min: 3
    max: 8
  - id: some-teams
    title: At least one team
    check: count
    facts: teams
    min: 1
"""

#: one rule on each kind the git source gives: the bus factor (commits and
#: modules), CODEOWNERS coverage, a count of the commits (more rules may follow)
GIT_RULES = """\
pack: own
rules:
  - id: bus
    title: Every module has two authors
    check: teams.bus_factor
    min_commits: 2
  - id: coverage
    title: Every file has an owner
    check: teams.codeowners_coverage
  - id: history
    title: Someone committed
    check: count
    facts: commits
    min: 1
"""

DEFAULT_CONFIG = """\
rules:
  - rules/
sources:
  files: {path: org}
"""


def write(root: Path, rel: str, text: str | bytes) -> Path:
    """Write ``text`` (dedented) or raw bytes to ``root/rel``, creating folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _all_builtin() -> str:
    from guardrails.rulepaths import builtin_packs

    return "rules:\n" + "".join(f"  - builtin:{name}\n" for name in builtin_packs())


#: a config naming every builtin pack
ALL_BUILTIN = _all_builtin()


def collect_rules(root: Path, config: str = ALL_BUILTIN, **options: Any) -> list[Any]:
    """The rules a session collects for ``config`` written in ``root`` (RunOptions
    ``options``)."""
    from guardrails.config import RunOptions, load_config
    from guardrails.session import Session

    cfg = load_config(write(root, "guardrails.yaml", config), RunOptions(**options))
    session = Session(cfg)
    session.configure()
    try:
        return session.collect()
    finally:
        session.unconfigure()


def make_project(
    root: Path,
    *,
    config: str | None = DEFAULT_CONFIG,
    rules: Mapping[str, str] | None = None,
    org: Mapping[str, str] | None = None,
    plugins: str | None = None,
) -> Path:
    """A project folder: guardrails.yaml, rule files, an org folder, a local plugin.

    ``rules`` and ``org`` map paths (relative to ``root`` and ``root/org``) to
    their text. Defaults: one pack ``rules/people.yaml`` and ``org/teams.yaml``.
    Returns the config path (or ``root`` when ``config`` is None).
    """
    for rel, text in (rules if rules is not None else {"rules/people.yaml": PEOPLE_RULES}).items():
        write(root, rel, text)
    for rel, text in (org if org is not None else {"teams.yaml": TEAMS_YAML}).items():
        write(root, f"org/{rel}", text)
    if plugins is not None:
        write(root, "guardrails_plugins.py", plugins)
    if config is None:
        return root
    return write(root, "guardrails.yaml", config)


def cli_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """Environment for CliRunner: fixed width, no colour switches unless given."""
    env: dict[str, str | None] = {"COLUMNS": str(COLUMNS), "NO_COLOR": None, "FORCE_COLOR": None}
    env.update(extra or {})
    return env


def run_cli(args: Sequence[str], env: Mapping[str, str | None] | None = None) -> Result:
    """Invoke ``guardrails`` in-process through click's CliRunner (cwd is the caller's)."""
    from guardrails.cli import cli

    return CliRunner().invoke(cli, list(args), env=cli_env(env), catch_exceptions=False)


def check_report(config: Path, out: Path, *args: str,
                 env: Mapping[str, str | None] | None = None) -> tuple[Result, dict[str, Any]]:
    """``guardrails check -c CONFIG --now 2026-11-20 --format json --output OUT ARGS``
    in-process, and the JSON report it wrote (a run that wrote none fails the test,
    with the run's output as the message)."""
    result = run_cli(["check", "-c", str(config), "--now", "2026-11-20", "--format", "json",
                      "--output", str(out), *args], env)
    assert out.exists(), result.output
    return result, json.loads(out.read_text(encoding="utf-8"))


def check_outputs(config: Path, report: Path, *args: str,
                  env: Mapping[str, str | None] | None = None) -> list[str]:
    """What a user sees of ``guardrails check -c CONFIG --now 2026-11-20 --no-color ARGS``
    printing the terminal report and writing the JSON one to REPORT: its exit code, its
    output (timing masked) and the JSON report less its timings, as text, so that two
    runs (a cache cold, warm, off...) compare equal exactly when they showed the same."""
    result = run_cli(["check", "-c", str(config), "--now", "2026-11-20", "--no-color",
                      "--format", "terminal", "--format", "json", "--output", str(report),
                      *args], env)
    data = without_timings(json.loads(report.read_text(encoding="utf-8")))
    return [f"exit {result.exit_code}", mask_timing(result.output),
            json.dumps(data, indent=1, sort_keys=True)]


def check(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """``guardrails check --now 2026-11-20 ARGS`` in-process (cwd is the caller's)."""
    return run_cli(["check", "--now", "2026-11-20", *args], env)


def console_script() -> Path:
    """The installed ``guardrails`` console script of the running interpreter's venv."""
    return Path(sys.executable).parent / ("guardrails.exe" if os.name == "nt" else "guardrails")


#: the hang guard of :func:`in_child` (seconds): generous, never what a test asserts
HANG_GUARD = 600


def in_child(args: Sequence[str], *, cwd: Path | None = None,
             timeout: float = HANG_GUARD) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a child process, killed after ``timeout`` seconds.

    For work that a regression would make endless (a backtracking regex): the
    child hangs and is killed, and the test fails saying so, instead of the
    suite hanging. ``python -c CODE`` runs the installed package (``cwd``
    defaults to the system's temporary folder, never a checkout's root).
    """
    import tempfile

    try:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              timeout=timeout, check=False,
                              cwd=cwd if cwd is not None else tempfile.gettempdir())
    except subprocess.TimeoutExpired:  # the child is killed by subprocess.run
        raise AssertionError(f"hung: no exit within {timeout:g} s (a hang guard, not a "
                             f"speed limit): {' '.join(args)[:200]}") from None


def python_in_child(code: str, *, timeout: float = HANG_GUARD) -> str:
    """The standard output of Python ``code`` run by :func:`in_child`; a failure in
    the child fails the test with its stderr."""
    proc = in_child(["-c", textwrap.dedent(code)], timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def without_timings(report: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON report less what varies from run to run, the times taken: the run's
    ``duration`` and ``timings``, the summary's ``duration_s``, each result's ``duration``."""
    out = {k: v for k, v in report.items() if k not in ("duration", "timings")}
    out["summary"] = {k: v for k, v in report["summary"].items() if k != "duration_s"}
    out["results"] = [{k: v for k, v in r.items() if k != "duration"}
                      for r in report["results"]]
    return out


@dataclass
class Imported:
    """What one ``guardrails`` process (see :func:`modules_after`) ended with."""

    #: the code ``guardrails.entry.main`` returned (the process exits with it)
    code: int
    #: every module in ``sys.modules`` once ``main`` returned
    modules: set[str]
    #: whether logging's code was still deferred (only with ``defer_logging=True``)
    logging_deferred: bool | None
    #: the process's stdout and stderr, for a failing assertion's message
    output: str


#: the program a probe runs: ``guardrails.entry.main``, then what it imported on stderr
_PROBE = """\
import json, sys
{start}from guardrails.entry import main
code = main(sys.argv[1:])
mods = sorted(sys.modules)
print(json.dumps([code, mods, {deferred}]), file=sys.stderr)
sys.exit(code)
"""
#: as the console script starts (guardrails.entry.console): logging's code deferred
_DEFER = "from guardrails.deferred import defer_logging, deferred\ndefer_logging()\n"


def modules_after(args: Sequence[str], env: Mapping[str, str], *, cwd: Path | None = None,
                  defer_logging: bool = False) -> Imported:
    """Run ``guardrails ARGS`` in a fresh interpreter through ``guardrails.entry.main``
    and say which modules it imported: a test of what a command leaves unimported.

    ``defer_logging``: start as the console script does (``guardrails.entry.console``
    defers logging's code to its first use), and report whether it was still deferred.
    Without it nothing but ``guardrails.entry`` is imported before ``main`` runs.
    """
    code = _PROBE.format(
        start=_DEFER if defer_logging else "",
        deferred="deferred(sys.modules['logging'])" if defer_logging else "None")
    res = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=dict(env),
                         capture_output=True, text=True, timeout=120, check=False)
    output = res.stdout + res.stderr
    try:
        returned, modules, logging_deferred = json.loads(res.stderr.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise AssertionError(f"guardrails {' '.join(args)} ended early "
                             f"(exit {res.returncode}):\n{output}") from None
    assert returned == res.returncode, output
    return Imported(returned, set(modules), logging_deferred, output)


def example_without_caches(folder: Path) -> Imported:
    """:func:`modules_after` of ``check`` on the example org with the start-up caches
    off (``folder`` as working directory and cache): what a run without caches imports."""
    example = Path(__file__).resolve().parents[1] / "examples" / "acme" / "guardrails.yaml"
    env = {"GUARDRAILS_NO_STARTUP_CACHE": "1", "PATH": "/usr/bin:/bin",
           "GUARDRAILS_CACHE_DIR": str(folder)}
    ran = modules_after(["check", "-c", str(example), "--now", "2026-11-20", "-q"], env,
                        cwd=folder)
    assert ran.code == 1, ran.output  # the example has failures
    return ran


_TIMING = re.compile(r" in \d+\.\d\ds\b")


def mask_timing(text: str) -> str:
    """Replace the run time on the final ``== ... in 0.41s ==`` line."""
    return _TIMING.sub(" in X.XXs", text)


def sep(char: str, title: str = "", width: int = COLUMNS) -> str:
    """A pytest-style separator line, worked out independently of the reporter."""
    if not title:
        return char * width
    fill = width - len(title) - 2
    return f"{char * (fill // 2)} {title} {char * (fill - fill // 2)}"


def fact_context(now, checks, metrics, failed=None, **kinds):  # type: ignore[no-untyped-def]
    """An EvalContext over hand-built facts: added, joined, one kind maybe failed.

    ``failed`` names a kind whose source failed (reading it raises SourceError),
    for the error-path tests of every rule.
    """
    from datetime import timedelta

    from guardrails.errors import SourceError
    from guardrails.facts import FactStore, join
    from guardrails.plugin import EvalContext

    store = FactStore()
    for kind, facts in kinds.items():
        store.add(kind, facts, "test")
    if failed:
        store.fail(failed, SourceError("files", "boom"))
    join(store)
    return EvalContext(now=now, window=timedelta(days=90), focus=None, store=store,
                       config=None, metrics=metrics, checks=checks)


def fuzz_examples(ci: int) -> int:
    """How many hypothesis examples a fuzz or oracle test runs.

    ``ci`` is the count for the normal suite (what ``.ci/run`` runs); a deep
    run multiplies it: ``GUARDRAILS_FUZZ_SCALE=20 python -m pytest -m fuzz``.
    """
    return max(1, int(ci * float(os.environ.get("GUARDRAILS_FUZZ_SCALE", "1"))))


def things_layout() -> Any:
    """The data file kind ``things`` that the CSV readers' tests read (test_csv_plain.py,
    test_csv_build.py): a list column, an integer, a number, a required id and two
    columns a team may share."""
    from guardrails.sources.files_formats import Layout

    return Layout(what="thing", keys=("things",), lists=frozenset({"tags"}),
                  integers=frozenset({"n"}), numbers=frozenset({"x"}), required=("id",),
                  shared=frozenset({"team", "n"}))


def read_things(text: str, layout: Any) -> Any:
    """``text`` read as the CSV file ``things.csv`` by whichever reader the caller's
    patches leave in place: (the records as (key, value, type) in key order, the
    start lines, their container's type, the columns), or the error's
    ``("error", message, line, fix)``; the two ways of a test compare equal."""
    from guardrails.errors import DataFileError
    from guardrails.sources.files_formats import read_table

    try:
        table = read_table(text, "things.csv", ".csv", layout)
    except DataFileError as exc:
        return ("error", exc.message, exc.line, exc.fix)
    return ([[(k, v, type(v)) for k, v in r.items()] for r in table.records],
            list(table.starts or ()), type(table.starts), table.columns)
