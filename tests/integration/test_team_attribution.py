"""Evidence is attributed to owning teams, whatever rules are selected.

Runs on the bundled example org, whose services.yaml names each service's
owning team (web -> web, auth -> identity, billing-api -> payments, ...).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrails.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "guardrails.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    main(["check", "-c", str(EXAMPLE), "--now", "2026-11-20", "--format", "json", *args])
    return json.loads(capsys.readouterr().out)


def test_deployment_evidence_names_the_service_owner_even_when_teams_rules_are_deselected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = run(capsys, "-k", "change-failure-rate")
    (result,) = report["results"]
    teams = {e["subject"]: e.get("team") for e in result["evidence"]}
    # services.yaml: web is owned by web, auth by identity, billing-api by payments
    assert teams["deployment/dep-5560"] == "web"        # service web
    assert teams["deployment/dep-5618"] == "identity"   # service auth
    assert teams["deployment/dep-5512"] == "payments"   # service billing-api


def test_group_by_team_groups_the_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "-c", str(EXAMPLE), "--now", "2026-11-20", "--no-color",
          "--group-by", "team", "-k", "change-failure-rate"])
    out = capsys.readouterr().out
    assert "  team payments:\n    deployment/dep-5512" in out
    assert "(no team)" not in out
