"""``guardrails facts --compare gitlab-dora`` against the fake GitLab's DORA API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitlabfake import FakeGitLab
from helpers import run_cli

TOKEN = "glpat-DORAcompareTOKEN00000"
P = "acme/api"


def setup(httpserver: Any, tmp_path: Path, where: str = f"project: {P}") -> FakeGitLab:
    fake = FakeGitLab(token=TOKEN)
    fake.add_mr(P, 1, author="ann", created_at="2026-11-10T00:00:00Z",
                merged_at="2026-11-11T00:00:00Z", commit_dates=["2026-11-09T00:00:00Z"])
    fake.add_deployment(P, 1, sha="a" * 40, created_at="2026-11-12T00:00:00Z",
                        finished_at="2026-11-12T00:00:00Z", shipped=[1])
    fake.add_deployment(P, 2, sha="b" * 40, created_at="2026-11-13T00:00:00Z",
                        finished_at="2026-11-13T00:00:00Z")
    fake.add_incident(P, 5, created_at="2026-11-13T01:00:00Z", closed_at="2026-11-13T03:00:00Z",
                      description="Caused by: deployment #2")
    fake.install(httpserver)
    (tmp_path / "guardrails.yaml").write_text(
        "rules: [builtin:stability]\nwindow: 28d\nsources:\n"
        f"  gitlab: {{url: '{httpserver.url_for('').rstrip('/')}', {where}, "
        "timeout: 5, retries: 0}\n", "utf-8")
    return fake


def compare(tmp_path: Path) -> dict[str, Any]:
    result = run_cli(["facts", "--compare", "gitlab-dora", "--format", "json", "-c",
                      str(tmp_path / "guardrails.yaml"), "--now", "2026-11-29"],
                     env={"GITLAB_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    data: dict[str, Any] = json.loads(result.output)
    return {r["metric"]: r for r in data["metrics"]}


def test_numbers_side_by_side(httpserver: Any, tmp_path: Path) -> None:
    fake = setup(httpserver, tmp_path)
    fake.dora = {"deployment_frequency": 2.0, "lead_time_for_changes": 86400.0,
                 "change_failure_rate": 0.5, "time_to_restore_service": 7200.0}
    rows = compare(tmp_path)
    assert rows["dora.deployment_frequency"]["ours"] == pytest.approx(0.5)  # 2 in 4 weeks
    assert rows["dora.deployment_frequency"]["gitlab"] == pytest.approx(0.5)
    assert rows["dora.lead_time"]["ours"] == 3 * 86400  # from the first commit
    assert rows["dora.lead_time"]["gitlab"] == 86400  # from the merge
    assert "from the merge" in rows["dora.lead_time"]["note"]
    assert rows["dora.change_failure_rate"]["ours"] == 0.5
    assert rows["dora.time_to_restore"]["ours"] == rows["dora.time_to_restore"]["gitlab"]
    q = {x["metric"]: x for x in fake.dora_queries}
    assert q["deployment_frequency"]["interval"] == "daily"
    assert q["lead_time_for_changes"]["start_date"] == "2026-11-01"
    assert q["lead_time_for_changes"]["end_date"] == "2026-11-29"
    assert q["lead_time_for_changes"]["environment_tiers[]"] == "production"


def test_without_ultimate_says_why(httpserver: Any, tmp_path: Path) -> None:
    setup(httpserver, tmp_path)  # dora None: 403 like a Free or Premium instance
    rows = compare(tmp_path)
    assert rows["dora.lead_time"]["ours"] == 3 * 86400
    assert rows["dora.lead_time"]["gitlab"] is None
    assert "needs GitLab Ultimate" in rows["dora.lead_time"]["note"]


def test_group_and_table(httpserver: Any, tmp_path: Path) -> None:
    fake = setup(httpserver, tmp_path, where="group: acme")
    fake.dora = {"deployment_frequency": 4.0, "lead_time_for_changes": None,
                 "change_failure_rate": 0.0, "time_to_restore_service": None}
    result = run_cli(["facts", "--compare", "gitlab-dora", "-c",
                      str(tmp_path / "guardrails.yaml"), "--now", "2026-11-29"],
                     env={"GITLAB_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["metric", "guardrails", "GitLab", "DORA"]
    freq = next(line for line in lines if line.startswith("dora.deployment_frequency"))
    assert freq.split()[1:] == ["0.50/week", "1.00/week"]  # 4 deployments in 4 weeks
    assert any(line.strip() == "n/a" or line.split()[-1] == "n/a" for line in lines)
    assert any(h.path == "/api/v4/groups/acme/dora/metrics" for h in fake.hits)


def test_a_rejected_token_is_reported_not_raised(httpserver: Any, tmp_path: Path) -> None:
    setup(httpserver, tmp_path)
    result = run_cli(["facts", "--compare", "gitlab-dora", "--format", "json", "-c",
                      str(tmp_path / "guardrails.yaml"), "--now", "2026-11-29"],
                     env={"GITLAB_TOKEN": "glpat-wrong-0000000000"})
    assert result.exit_code == 0 and "Traceback" not in result.output
    data = json.loads(result.output)
    assert "deployments" in data["errors"] and "401" in data["errors"]["deployments"]
    notes = {r["note"] for r in data["metrics"]}
    assert len(notes) == 1 and "401" in notes.pop()
    assert all(r["ours"] is None for r in data["metrics"])
    assert "glpat-wrong-0000000000" not in result.output


def test_without_a_gitlab_source_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "guardrails.yaml").write_text("rules: [builtin:stability]\n", "utf-8")
    result = run_cli(["facts", "--compare", "gitlab-dora", "-c",
                      str(tmp_path / "guardrails.yaml")])
    assert result.exit_code == 4
    assert "needs a gitlab source" in result.output


def test_offline_answers_from_the_cache(httpserver: Any, tmp_path: Path) -> None:
    fake = setup(httpserver, tmp_path)
    fake.dora = {"deployment_frequency": 2.0, "lead_time_for_changes": 86400.0,
                 "change_failure_rate": 0.5, "time_to_restore_service": 7200.0}
    online = compare(tmp_path)
    fake.hits.clear()
    result = run_cli(["facts", "--compare", "gitlab-dora", "--format", "json", "--offline",
                      "-c", str(tmp_path / "guardrails.yaml"), "--now", "2026-11-29"],
                     env={"GITLAB_TOKEN": TOKEN})
    offline = {r["metric"]: r for r in json.loads(result.output)["metrics"]}
    assert offline == online and fake.hits == []
