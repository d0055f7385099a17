"""A failing source makes exactly the rules that need its facts `error`.

The github source talks to a real HTTP server on 127.0.0.1; the files source
reads a real org folder. Nothing is patched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from httpfakes import FakeGitHub
from werkzeug.wrappers import Response

from guardrails.cli import main

TOKEN = "ghp_SECRETtoken1234567890abcdefSECRET"

TEAMS = """\
teams:
  - id: web
    members:
      - {handle: ann}
      - {handle: bob}
      - {handle: cy}
"""


def write_org(tmp_path: Path, api_url: str) -> Path:
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "teams.yaml").write_text(TEAMS)
    cfg = tmp_path / "guardrails.yaml"
    cfg.write_text(
        "focus: {current: stability, reviewed_on: 2026-11-01}\n"
        "rules: [builtin:teams, builtin:stability]\n"
        "sources:\n"
        "  files: {path: org}\n"
        f"  github: {{repo: acme/api, api_url: '{api_url}', token_env: GITHUB_TOKEN,\n"
        "           timeout: 5, retries: 1, backoff_factor: 0.01}\n"
        "cache_dir: cache\n"
    )
    return cfg


def run_json(cfg: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(["check", "-c", str(cfg), "--now", "2026-11-20", "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), out + err


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in report["results"]}


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


def test_server_errors_make_only_github_rules_error(
    httpserver: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = FakeGitHub(token=TOKEN)
    app.install(httpserver)
    broken = Response("<html>bad gateway</html>", status=502, content_type="text/html")
    app.fault_forever("/repos/acme/api/deployments", broken)
    app.fault_forever("/repos/acme/api/pulls", broken)
    app.fault_forever("/repos/acme/api/issues", broken)
    cfg = write_org(tmp_path, httpserver.url_for("").rstrip("/"))

    code, report, text = run_json(cfg, capsys)

    got = outcomes(report)
    assert got["teams::two-pizza-teams"] == "passed"  # files facts are unaffected
    for rule in ("stability::deployment-frequency", "stability::lead-time",
                 "stability::change-failure-rate", "stability::time-to-restore"):
        assert got[rule] == "error", rule
    errored = next(r for r in report["results"] if r["id"] == "stability::lead-time")
    assert "github" in errored["message"]
    assert code == 1 and report["summary"]["exit_code"] == 1
    assert TOKEN not in text
    for f in (tmp_path / "cache").rglob("*"):
        if f.is_file():
            assert TOKEN not in f.read_text(errors="replace")


def test_bad_token_names_the_variable_and_never_the_token(
    httpserver: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = FakeGitHub(token="ghp_the_right_one")
    app.install(httpserver)
    cfg = write_org(tmp_path, httpserver.url_for("").rstrip("/"))

    code, report, text = run_json(cfg, capsys)

    assert code == 1
    err = next(r for r in report["results"] if r["id"] == "stability::deployment-frequency")
    assert err["outcome"] == "error"
    assert "GITHUB_TOKEN" in err["message"]
    assert TOKEN not in text
    assert outcomes(report)["teams::two-pizza-teams"] == "passed"


def test_terminal_header_names_the_failed_source(
    httpserver: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = FakeGitHub(token=TOKEN)
    app.install(httpserver)
    app.fault_forever("/repos/acme/api/deployments",
                      Response("{", status=200, content_type="application/json"))
    cfg = write_org(tmp_path, httpserver.url_for("").rstrip("/"))

    code = main(["check", "-c", str(cfg), "--now", "2026-11-20", "--no-color"])
    out = capsys.readouterr().out

    assert code == 1
    assert "github acme/api (FAILED:" in out or "(FAILED:" in out
    assert "ERROR stability::deployment-frequency" in out
    assert TOKEN not in out
