"""Lead time through git ancestry, end to end on a real repository.

Deployments name only their sha; changes name only their merge commit. The
git source works out which deployment shipped each change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import GitRepo

from guardrails.cli import main


def test_changes_ship_with_the_first_deployment_containing_their_merge_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path)
    base = repo.commit({"app.py": "v0\n"}, date="2026-10-01T00:00:00Z")
    c1 = repo.commit({"app.py": "v1\n"}, date="2026-11-01T10:00:00Z")
    c2 = repo.commit({"app.py": "v2\n"}, date="2026-11-02T10:00:00Z")
    d2_sha = repo.commit({"app.py": "v3\n"}, date="2026-11-03T10:00:00Z")  # c3
    (tmp_path / "org").mkdir()
    # dep-1 at `base` is the first deployment: nothing before it to compare with.
    # dep-2 ships c1, c2 and c3 (everything after base up to d2_sha).
    (tmp_path / "org" / "deployments.csv").write_text(
        "id,service,finished_at,status,sha\n"
        f"dep-1,app,2026-10-02T00:00:00Z,success,{base}\n"
        f"dep-2,app,2026-11-04T10:00:00Z,success,{d2_sha}\n"
    )
    (tmp_path / "org" / "pull_requests.jsonl").write_text(
        json.dumps({"id": "1", "created_at": "2026-10-31T10:00:00Z", "merge_sha": c1,
                    "merged_at": "2026-11-01T10:00:00Z"}) + "\n"
        + json.dumps({"id": "2", "created_at": "2026-11-02T04:00:00Z", "merge_sha": c2,
                      "merged_at": "2026-11-02T10:00:00Z"}) + "\n"
    )
    (tmp_path / "guardrails.yaml").write_text(
        "rules: [builtin:stability]\n"
        "sources: {files: {path: org}, git: {path: .}}\n"
        "cache_dir: .cache\n"
    )
    code = main(["check", "-c", str(tmp_path / "guardrails.yaml"), "--now", "2026-11-20",
                 "-k", "lead-time", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    (result,) = report["results"]
    # change 1: 2026-11-04T10 - 2026-10-31T10 = 4 days; change 2: 11-04T10 - 11-02T04 = 2d 6h
    # median of two = (4d + 2.25d) / 2 = 3.125 days = 270000 s
    assert result["samples"] == 2
    assert result["value"] == pytest.approx(3.125 * 86400)
    assert result["outcome"] == "passed"
    assert code == 0


def test_without_the_git_source_changes_stay_unshipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path)
    base = repo.commit({"a": "0"}, date="2026-10-01T00:00:00Z")
    c1 = repo.commit({"a": "1"}, date="2026-11-01T00:00:00Z")
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "deployments.csv").write_text(
        "id,service,finished_at,status,sha\n"
        f"dep-1,app,2026-10-02T00:00:00Z,success,{base}\n"
        f"dep-2,app,2026-11-04T00:00:00Z,success,{c1}\n"
    )
    (tmp_path / "org" / "pull_requests.jsonl").write_text(
        json.dumps({"id": "1", "created_at": "2026-10-31T00:00:00Z", "merge_sha": c1}) + "\n")
    (tmp_path / "guardrails.yaml").write_text(
        "rules: [builtin:stability]\nsources: {files: {path: org}}\n")
    code = main(["check", "-c", str(tmp_path / "guardrails.yaml"), "--now", "2026-11-20",
                 "-k", "lead-time", "--format", "json"])
    (result,) = json.loads(capsys.readouterr().out)["results"]
    assert result["outcome"] == "skipped"
    assert code == 0
