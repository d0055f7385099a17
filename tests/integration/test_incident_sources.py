"""Incident sources in a whole run: a GitHub-only org and an Opsgenie-paged org.

The sources talk to real HTTP servers on 127.0.0.1 (the fakes of httpfakes);
the rules are the builtin stability pack. Nothing is patched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from httpfakes import FakeGitHub, FakeOpsgenie
from werkzeug.wrappers import Response

from guardrails.cli import main

GH_TOKEN = "ghp_SECRETincidentSignals0123456789"
OG_KEY = "0b6c1f2e-OGsecret-key-in-session-5a9a"
NOW = "2026-11-30"


@pytest.fixture(autouse=True)
def _tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    monkeypatch.setenv("OPSGENIE_API_KEY", OG_KEY)


def run(tmp_path: Path, sources: str, capsys: pytest.CaptureFixture[str]
        ) -> tuple[int, dict[str, dict[str, Any]], str]:
    cfg = tmp_path / "guardrails.yaml"
    cfg.write_text("focus: {current: stability, reviewed_on: 2026-11-01}\n"
                   "rules: [builtin:stability]\n"
                   f"sources:\n{sources}cache_dir: cache\n")
    code = main(["check", "-c", str(cfg), "--now", NOW, "--format", "json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    return code, {r["id"]: r for r in report["results"]}, out + err


def github_org(app: FakeGitHub) -> None:
    # two production deployments; the second ships PR 101's merge commit
    app.add_pr(101, user="ann", created_at="2026-11-10T09:00:00Z",
               updated_at="2026-11-11T10:00:00Z", merged_at="2026-11-11T10:00:00Z")
    app.add_deployment(501, sha="a" * 40, created_at="2026-11-05T10:00:00Z",
                       statuses=[("success", "2026-11-05T10:05:00Z")])
    app.add_deployment(502, sha="b" * 40, created_at="2026-11-12T10:00:00Z",
                       statuses=[("success", "2026-11-12T10:05:00Z")])
    app.add_compare("a" * 40, "b" * 40, [f"{101:040x}"])
    # PR 101 broke checkout: 3 hours to restore
    app.add_issue(7, created_at="2026-11-12T11:00:00Z", labels=["incident", "sev1"],
                  closed_at="2026-11-12T14:00:00Z", body="Checkout 500s\ncaused-by: #101")
    app.add_issue(8, created_at="2026-11-20T11:00:00Z", labels=["outage"],
                  closed_at="2026-11-20T12:00:00Z")


def test_a_github_only_org_gets_time_to_restore_and_change_failure_rate(
        httpserver: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = FakeGitHub(token=GH_TOKEN)
    github_org(app)
    app.install(httpserver)
    url = httpserver.url_for("").rstrip("/")
    code, results, text = run(tmp_path, (
        f"  github: {{repo: acme/api, api_url: '{url}', retries: 0, timeout: 5,\n"
        "           incidents: {labels: [incident, outage]}}\n"), capsys)
    ttr = results["stability::time-to-restore"]
    assert (ttr["outcome"], ttr["value"], ttr["samples"]) == ("passed", 2 * 3600.0, 2)
    cfr = results["stability::change-failure-rate"]
    # 502 shipped PR 101, which incident 7 names: 1 of 2 deployments failed
    assert (cfr["outcome"], cfr["value"], cfr["samples"]) == ("failed", 0.5, 2)
    assert any(e["subject"] == "deployment/502" for e in cfr["evidence"])
    assert code == 1
    assert GH_TOKEN not in text


def test_an_opsgenie_org_gets_time_to_restore(httpserver: Any, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    app = FakeOpsgenie(token=OG_KEY)
    app.add_incident(1, created_at="2026-11-10T10:00:00Z", status="closed", priority="P1",
                     services=["svc-1"], timeline=[("IncidentResolved", "2026-11-10T10:30:00Z"),
                                                   ("IncidentClosed", "2026-11-11T00:00:00Z")])
    app.add_incident(2, created_at="2026-11-12T10:00:00Z", status="resolved", priority="P3",
                     services=["svc-1"], timeline=[("IncidentResolved", "2026-11-12T12:30:00Z")])
    app.install(httpserver)
    url = httpserver.url_for("").rstrip("/")
    code, results, text = run(tmp_path, (
        f"  opsgenie: {{url: '{url}', services: {{svc-1: checkout}}, retries: 0,\n"
        "             timeout: 5}\n"), capsys)
    ttr = results["stability::time-to-restore"]
    # medians of 30 min and 2 h 30 min
    assert (ttr["outcome"], ttr["value"], ttr["samples"]) == ("passed", 5400.0, 2)
    assert OG_KEY not in text


def test_a_failing_opsgenie_makes_its_rules_error(httpserver: Any, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    app = FakeOpsgenie(token=OG_KEY)
    app.install(httpserver)
    app.fault_forever("/v1/incidents", Response("<html>login</html>", content_type="text/html"))
    url = httpserver.url_for("").rstrip("/")
    code, results, text = run(tmp_path, (
        f"  opsgenie: {{url: '{url}', teams: [web], retries: 0, timeout: 5}}\n"), capsys)
    ttr = results["stability::time-to-restore"]
    assert ttr["outcome"] == "error" and "HTML page instead of JSON" in ttr["message"]
    assert code == 1
    assert OG_KEY not in text
