"""The CI examples in examples/ci work as copied, on day one and on day two.

Each example's commands are read from its YAML (never copied here) and run,
in order, in a scratch git repository holding the example org, the way the
CI system would run them:

- day one: no baseline file committed yet. The gate runs, reports every
  failure, writes every report the later steps upload, says how to record a
  baseline, and exits 1 (the example org fails rules), not 4;
- the team records its baseline as docs/ci.md says and commits it;
- day two: the same commands pass (every failure is known);
- day three: a new failure (a tenth team member... in a new team) fails again.

The example org's team ``core-infra`` has 11 members, so ``teams::two-pizza-teams``
fails whatever the date: the commands carry no ``--now`` and run on today's
clock, so only date-independent outcomes are asserted.

The workflow files are also validated against the public GitHub Actions and
GitLab CI schemas that check-jsonschema vendors (offline), and checked for
what a careful workflow does: actions pinned to full commit shas with their
release in a comment, no credentials persisted by checkout, least permissions.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from gitrepo import GitRepo
from helpers import cli_env

from guardrails import __version__

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "ci"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"
ACME = REPO / "examples" / "acme"
KNOWN_FAILURE = "teams::two-pizza-teams"  # core-infra has 11 members, on any date
#: characters that would make a `run:` line more than one plain command
SHELL_SYNTAX = re.compile(r"[|&;<>$`()\\]|\n\S")


@dataclass
class Step:
    """One command of a CI file, with the environment the CI system gives it."""

    name: str
    script: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Ran:
    step: Step
    exit_code: int
    stdout: str
    stderr: str


# -- reading the CI files -------------------------------------------------------

def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _secret_free(value: Any) -> str:
    """A step's env value as a CI run without that secret sees it: empty."""
    text = str(value)
    return "" if re.fullmatch(r"\$\{\{\s*secrets\.\w+\s*\}\}", text) else text


def github_steps(doc: dict[str, Any]) -> list[Step]:
    (job,) = doc["jobs"].values()
    return [Step(s.get("name", s["run"]), s["run"],
                 {k: _secret_free(v) for k, v in (s.get("env") or {}).items()})
            for s in job["steps"] if "run" in s]


def github_upload(doc: dict[str, Any]) -> dict[str, Any]:
    (job,) = doc["jobs"].values()
    (step,) = [s for s in job["steps"] if "upload-sarif" in s.get("uses", "")]
    return step


def gitlab_steps(doc: dict[str, Any]) -> list[Step]:
    (job,) = [v for k, v in doc.items() if isinstance(v, dict) and "script" in v]
    env = {k: str(v) for k, v in (job.get("variables") or {}).items()}
    return [Step(line, line, env) for line in
            [*job.get("before_script", []), *job["script"]]]


def gitlab_artifacts(doc: dict[str, Any]) -> list[str]:
    (job,) = [v for k, v in doc.items() if isinstance(v, dict) and "script" in v]
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"  # kept when the gate fails, the day it matters
    return [*artifacts["reports"].values(), *artifacts["paths"]]


def baseline_file(steps: list[Step]) -> str:
    for step in steps:
        argv = shlex.split(step.script)
        if "--baseline" in argv:
            return argv[argv.index("--baseline") + 1]
    raise AssertionError("no step runs guardrails check --baseline")


# -- running them -----------------------------------------------------------------

def run_step(step: Step, env: dict[str, str]) -> Ran | None:
    """Run one CI command as the runner's shell would; None for the install step.

    The commands are plain: one program and its arguments, no pipes, variables
    or redirections, so splitting them like the shell is running them.
    """
    assert not SHELL_SYNTAX.search(step.script.strip()), (
        f"{step.name!r} uses shell syntax; teach this test to run it")
    argv = shlex.split(step.script)
    if argv[:4] == ["python", "-m", "pip", "install"]:
        # The package under test is what pip would install: the one the docs describe.
        assert argv[4:] == [f"execution-guardrails=={__version__}"], argv
        return None
    assert argv[0] == "guardrails", argv
    from guardrails.cli import cli

    res = CliRunner().invoke(cli, argv[1:], env=cli_env({**env, **step.env}),
                             catch_exceptions=False)
    return Ran(step, res.exit_code, res.stdout, res.stderr)


def run_all(steps: list[Step], env: dict[str, str]) -> Ran:
    """Every step in order, as a CI job does (it stops at the first that fails)."""
    checks = []
    for step in steps:
        ran = run_step(step, env)
        if ran is not None:
            checks.append(ran)
            if ran.exit_code:
                break
    (check,) = checks
    return check


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A repository holding the example org (config at its root) and both CI files."""
    repo = GitRepo(tmp_path / "repo")
    shutil.copy(ACME / "guardrails.yaml", repo.path / "guardrails.yaml")
    shutil.copytree(ACME / "org", repo.path / "org")
    (repo.path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(GITHUB, repo.path / ".github" / "workflows" / "guardrails.yml")
    shutil.copy(GITLAB, repo.path / ".gitlab-ci.yml")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "adopt guardrails")
    monkeypatch.chdir(repo.path)
    return repo


def sarif_rule_ids(path: Path) -> set[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == "2.1.0"
    return {r["ruleId"] for run in data["runs"] for r in run.get("results", [])}


def add_big_team(repo: GitRepo) -> None:
    """A new team of 9: a failure on a subject no baseline knows."""
    members = "".join(f"      - handle: growth-{i}\n" for i in range(9))
    teams = repo.path / "org" / "teams.yaml"
    teams.write_text(teams.read_text(encoding="utf-8")
                     + f"  - id: growth\n    name: Growth\n    members:\n{members}",
                     encoding="utf-8")
    repo.git("commit", "-q", "-am", "a new team")


def record_baseline(repo: GitRepo, path: str) -> None:
    """docs/ci.md: record today's failures once and commit the file."""
    res = run_step(Step("record", f"guardrails check -q --write-baseline {path}"), {})
    assert res is not None and res.exit_code == 1, res and res.stdout  # it still reports
    repo.git("add", path)
    repo.git("commit", "-q", "-m", "guardrails baseline")


# -- GitHub Actions ---------------------------------------------------------------

def test_github_workflow_day_one_and_day_two(scratch: GitRepo, tmp_path: Path) -> None:
    doc = load(scratch.path / ".github" / "workflows" / "guardrails.yml")
    steps = github_steps(doc)
    upload = github_upload(doc)
    sarif = scratch.path / upload["with"]["sarif_file"]
    # The upload runs whenever the check wrote its file, also after a failed gate.
    assert upload["if"] == f"always() && hashFiles('{upload['with']['sarif_file']}') != ''"
    summary = tmp_path / "step-summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(scratch.path),
           "GITHUB_STEP_SUMMARY": str(summary)}
    baseline = baseline_file(steps)
    assert not (scratch.path / baseline).exists()

    day1 = run_all(steps, env)
    assert day1.exit_code == 1, day1.stdout + day1.stderr  # failures, not a usage error
    assert f"baseline {baseline} does not exist yet" in day1.stderr
    assert f"--write-baseline {baseline}" in day1.stderr  # says how to adopt
    assert "::error " in day1.stdout and "two-pizza-teams" in day1.stdout
    assert KNOWN_FAILURE in sarif_rule_ids(sarif)
    assert ET.parse(scratch.path / "guardrails.xml").getroot().tag == "testsuites"
    assert f"{baseline} does not exist yet" in summary.read_text(encoding="utf-8")

    record_baseline(scratch, baseline)
    sarif.unlink()
    summary.unlink()
    day2 = run_all(steps, env)
    assert day2.exit_code == 0, day2.stdout + day2.stderr
    assert "does not exist yet" not in day2.stderr
    assert "::error " not in day2.stdout
    assert KNOWN_FAILURE not in sarif_rule_ids(sarif)  # known: skipped, not an alert
    assert summary.read_text(encoding="utf-8").strip()

    add_big_team(scratch)
    day3 = run_all(steps, env)
    assert day3.exit_code == 1
    assert KNOWN_FAILURE in sarif_rule_ids(sarif)
    # only what is new is evidence (the message still counts every team outside the range)
    assert "team/growth" in day3.stdout and "team/core-infra" not in day3.stdout


# -- GitLab CI --------------------------------------------------------------------

def test_gitlab_job_day_one_and_day_two(scratch: GitRepo) -> None:
    doc = load(scratch.path / ".gitlab-ci.yml")
    steps = gitlab_steps(doc)
    artifacts = [scratch.path / a for a in gitlab_artifacts(doc)]
    baseline = baseline_file(steps)

    day1 = run_all(steps, {"GITLAB_CI": "true"})
    assert day1.exit_code == 1, day1.stdout + day1.stderr
    assert f"baseline {baseline} does not exist yet" in day1.stdout  # warnings summary
    assert all(a.is_file() and a.stat().st_size for a in artifacts), artifacts
    report = json.loads((scratch.path / "guardrails.json").read_text(encoding="utf-8"))
    assert any(f"{baseline} does not exist yet" in w for w in report["warnings"])
    assert {r["id"]: r["outcome"] for r in report["results"]}[KNOWN_FAILURE] == "failed"

    record_baseline(scratch, baseline)
    day2 = run_all(steps, {"GITLAB_CI": "true"})
    assert day2.exit_code == 0, day2.stdout
    report = json.loads((scratch.path / "guardrails.json").read_text(encoding="utf-8"))
    assert {r["id"]: r["outcome"] for r in report["results"]}[KNOWN_FAILURE] == "skipped"
    assert not any("does not exist yet" in w for w in report["warnings"])


# -- the files themselves ---------------------------------------------------------

@pytest.mark.parametrize(("path", "schema"), [
    (GITHUB, "vendor.github-workflows"),
    (GITLAB, "vendor.gitlab-ci"),
])
def test_examples_follow_the_public_schemas(path: Path, schema: str) -> None:
    # The schemas ship inside check-jsonschema (SchemaStore's): nothing is downloaded.
    from check_jsonschema import main

    res = CliRunner().invoke(main, ["--builtin-schema", schema, str(path)])
    assert res.exit_code == 0, res.output


def test_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The schema test above can fail: a step with both `uses` and `run` is refused."""
    from check_jsonschema import main

    broken = tmp_path / "broken.yml"
    broken.write_text(GITHUB.read_text(encoding="utf-8").replace(
        "      - run: python -m pip", "      - uses: actions/cache@v4\n        run: python -m pip"),
        encoding="utf-8")
    res = CliRunner().invoke(main, ["--builtin-schema", "vendor.github-workflows", str(broken)])
    assert res.exit_code == 1, res.output


USES = re.compile(r"^\s*-?\s*uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)"
                  r"(?:\s+#\s*(?P<version>\S+))?\s*$")


def test_github_actions_are_pinned_to_commit_shas() -> None:
    text = GITHUB.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if re.match(r"^\s*-?\s*uses:", line)]
    assert len(lines) == 3
    for line in lines:
        m = USES.match(line)
        assert m, line
        assert re.fullmatch(r"[0-9a-f]{40}", m["ref"]), f"not a full commit sha: {line}"
        assert m["version"] and re.fullmatch(r"v\d+\.\d+\.\d+", m["version"]), (
            f"the release the sha is in belongs in a comment: {line}")


def test_github_workflow_asks_for_least_privilege() -> None:
    doc = load(GITHUB)
    assert doc["permissions"] == {}  # nothing unless a job asks
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    (checkout,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["fetch-depth"] == 0  # the git source reads history
    # Secrets reach only the step that runs guardrails.
    for step in job["steps"]:
        if "guardrails check" not in step.get("run", ""):
            assert "secrets." not in json.dumps(step), step
