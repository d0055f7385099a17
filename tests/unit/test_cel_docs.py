"""The CEL example rules of docs/rules.md load and run on the example org.

Each ``- id:`` of the section's YAML block is one test: it must load (no
exit 4), run without an ``error`` outcome, and give the outcome stated here
for the example org as of 2026-11-20 (so a copy-paste example that silently
stopped selecting anything would be noticed).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from helpers import check_report, write

REPO = Path(__file__).resolve().parents[2]


def _examples() -> str:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    section = text.split("## CEL expressions", 1)[1].split("\n## ", 1)[0]
    found = [b for b in re.findall(r"```yaml\n(.*?)```", section, re.S)
             if b.startswith("pack: cel-examples")]
    assert found, "docs/rules.md lost its CEL examples"
    return found[0]


EXAMPLES = _examples()
IDS = [r["id"] for r in yaml.safe_load(EXAMPLES)["rules"]]
EXPECTED = {
    "sev1-postmortem-in-5-days": "passed", "services-per-team": "passed",
    "two-pizza-teams": "failed", "every-service-owned": "passed",
    "on-call-load": "passed", "restore-within-a-day": "passed",
    "review-before-merge": "failed", "flaky-ci": "passed",
    "failed-deployments-remediated": "failed", "slack-in-recent-plans": "failed",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("cel-docs")
    shutil.copytree(REPO / "examples" / "acme" / "org", root / "org")
    write(root, "rules/examples.yaml", EXAMPLES)
    config = write(root, "guardrails.yaml", "rules: [rules/]\nsources: {files: {path: org}}\n")
    result, data = check_report(config, root / "report.json")
    assert result.exit_code in (0, 1), result.output
    return {r["id"].split("::")[1]: r for r in data["results"]}


def test_there_are_ten_examples() -> None:
    assert len(IDS) >= 10 and sorted(IDS) == sorted(EXPECTED)


@pytest.mark.parametrize("rule_id", IDS)
def test_example_rule(report: dict[str, dict], rule_id: str) -> None:
    got = report[rule_id]
    assert got["outcome"] == EXPECTED[rule_id], got["message"]
    assert got["samples"], got["message"]  # it selected facts


def test_two_pizza_example_names_the_big_team(report: dict[str, dict]) -> None:
    assert [e["subject"] for e in report["two-pizza-teams"]["evidence"]] == ["team/core-infra"]
    assert report["two-pizza-teams"]["evidence"][0]["detail"] == "11 members"
