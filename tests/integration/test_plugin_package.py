"""The example third-party plugin, pip-installed for real, and the generated hook docs.

``examples/plugin`` is installed with pip into a temporary target folder (not
into the test environment, where its entry point would load in every other
test); guardrails then runs in a subprocess with that folder on PYTHONPATH,
so the plugin is found through its ``guardrails`` entry point like any
installed plugin.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import HANG_GUARD, write

REPO = Path(__file__).resolve().parents[2]

SHIFTS = """\
person,start,end
ann,2026-11-02T09:00:00Z,2026-11-03T09:00:00Z
bob,2026-11-05T09:00:00Z,2026-11-06T09:00:00Z
ann,2026-11-09T09:00:00Z,2026-11-10T09:00:00Z
ann,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z
cy,2026-09-01T09:00:00Z,2026-09-02T09:00:00Z
"""
# In the 28 days before 2026-11-20 (from 2026-10-23): ann 3 shifts (first on line 2),
# bob 1; cy's shift is older. With max 2, ann fails.

RULES = """\
pack: oncall
rules:
  - id: fair-rotation
    title: Nobody carries the pager more than twice a month
    check: oncall.max_shifts_per_person
    max: 2
    window: 28d
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(REPO / "examples" / "plugin")],
        check=True, capture_output=True, text=True, timeout=300,
    )
    return target


def run(args: list[str], cwd: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1", "COLUMNS": "80"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    # a hang guard only, never what is asserted: 120 s ran out at load 12
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=HANG_GUARD)


def test_source_check_and_reporter_from_an_installed_plugin(site: Path, tmp_path: Path) -> None:
    write(tmp_path, "guardrails.yaml", "rules: [rules/]\nsources:\n  oncall: {path: shifts.csv}\n")
    write(tmp_path, "shifts.csv", SHIFTS)
    write(tmp_path, "rules/oncall.yaml", RULES)
    res = run(["-m", "guardrails", "check", "--now", "2026-11-20", "--format", "csv",
               "--output", "report.csv", "--format", "terminal"], tmp_path, site)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "sources: oncall shifts.csv (5 shifts)" in res.stdout
    assert "1 of 2 people over 2 shifts" in res.stdout
    rows = list(csv.reader(io.StringIO((tmp_path / "report.csv").read_text())))
    assert rows == [
        ["rule", "outcome", "severity", "value", "subject", "detail"],
        ["oncall::fair-rotation", "failed", "error", "3", "person/ann", "3 shifts (max 2)"],
    ]
    # the evidence names the data file and line: SARIF points there
    res = run(["-m", "guardrails", "check", "--now", "2026-11-20", "--format", "sarif"],
              tmp_path, site)
    loc = json.loads(res.stdout)["runs"][0]["results"][0]["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "shifts.csv"
    assert loc["physicalLocation"]["region"]["startLine"] == 2


EACH_RULES = """\
pack: shifts
rules:
  - id: nobody-but-ann
    check: each
    facts: shifts
    expect: {properties: {person: {enum: [ann, bob]}}}
"""


def test_a_plugin_kind_is_first_class(site: Path, tmp_path: Path) -> None:
    write(tmp_path, "guardrails.yaml", "rules: [rules/]\nsources:\n  oncall: {path: shifts.csv}\n")
    write(tmp_path, "shifts.csv", SHIFTS)
    write(tmp_path, "rules/shifts.yaml", EACH_RULES)
    # guardrails facts KIND knows the kind the plugin registered
    res = run(["-m", "guardrails", "facts", "shifts", "--format", "json"], tmp_path, site)
    assert res.returncode == 0, res.stdout + res.stderr
    shifts = json.loads(res.stdout)["shifts"]
    assert [s["person"] for s in shifts] == ["ann", "bob", "ann", "ann", "cy"]
    assert shifts[0]["start"] == "2026-11-02T09:00:00Z"
    # an each rule over it names its facts by the declared singular
    res = run(["-m", "guardrails", "check", "--now", "2026-11-20", "--format", "json"],
              tmp_path, site)
    assert res.returncode == 1, res.stdout + res.stderr
    (result,) = json.loads(res.stdout)["results"]
    assert [e["subject"] for e in result["evidence"]] == ["shift/cy@2026-09-01T09:00:00Z"]
    # and a field the kind's schema does not have is a rule-file error at load
    write(tmp_path, "rules/shifts.yaml", EACH_RULES.replace("person:", "persn:"))
    res = run(["-m", "guardrails", "check"], tmp_path, site)
    assert res.returncode == 4
    assert "shifts have no field 'persn'" in res.stderr
    assert "did you mean 'person'?" in res.stderr


def test_version_lists_the_plugin(site: Path, tmp_path: Path) -> None:
    res = run(["-m", "guardrails", "--version"], tmp_path, site)
    assert res.returncode == 0
    assert "third-party plugins:\n  oncall: guardrails-example-plugin 0.1.0 " \
           "(guardrails_oncall)" in res.stdout
    # and -p no:oncall disables it by its entry-point name
    write(tmp_path, "guardrails.yaml", "rules: [rules/]\nsources:\n  oncall: {}\n")
    write(tmp_path, "rules/oncall.yaml", RULES)
    res = run(["-m", "guardrails", "check", "-p", "no:oncall"], tmp_path, site)
    assert res.returncode == 4
    assert "unknown check 'oncall.max_shifts_per_person'" in res.stderr


def test_plugin_own_tests_use_guardrails_tester(site: Path) -> None:
    # -n 0: the checkout's addopts ask for a worker per core, for two tests
    res = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
               str(REPO / "examples" / "plugin" / "tests")], REPO, site)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 passed" in res.stdout


def test_hook_reference_is_up_to_date() -> None:
    res = subprocess.run([sys.executable, str(REPO / "docs" / "gen_hooks.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    doc = (REPO / "docs" / "plugins.md").read_text()
    from guardrails import hookspec

    # every hookspec appears, with its firstresult note where it has one
    names = [n for n in vars(hookspec) if n.startswith("guardrails_")]
    assert names and all(f"#### `{n}(" in doc for n in names)
    assert "#### `guardrails_evaluate_rule(rule, context)`\n\n*firstresult*" in doc
