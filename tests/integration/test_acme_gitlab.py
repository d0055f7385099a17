"""The example org's GitLab twin (examples/acme/guardrails-gitlab.yaml) against a fake GitLab.

The fake holds Acme's exports as GitLab would (tests/acmegitlab.py), so the
twin's report must match the files-based report stored in
tests/data/acme-report.json rule for rule, outcome and value, with one
difference GitLab cannot avoid: a hotfix is an ordinary deployment there, so
dep-5697 (failed, hotfixed by dep-5699, no incident) is not a failure and the
change failure rate is 7 of 64 instead of 8 of 64. Nothing is patched: the
gitlab source talks HTTP to a server on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from acmegitlab import ORG, acme_gitlab, twin_config
from helpers import check_report

REPO = Path(__file__).resolve().parents[2]
TOKEN = "glpat-ACMEtwinTOKEN000000000"


def twin_report(httpserver: Any, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    shutil.copytree(ORG, tmp_path / "org")
    cfg = twin_config(httpserver.url_for("").rstrip("/"))
    cfg["cache_dir"] = "cache"
    (tmp_path / "guardrails.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), "utf-8")
    result, report = check_report(tmp_path / "guardrails.yaml", tmp_path / "report.json",
                                  *extra, env={"GITLAB_TOKEN": TOKEN})
    return result.exit_code, report, result.output


def test_the_gitlab_twin_reports_what_the_exports_report(httpserver: Any,
                                                         tmp_path: Path) -> None:
    fake = acme_gitlab(TOKEN)
    fake.install(httpserver)
    code, report, output = twin_report(httpserver, tmp_path)

    assert code == 1
    stored = json.loads((REPO / "tests/data/acme-report.json").read_text("utf-8"))
    want = {r["id"]: r for r in stored["results"]}
    got = {r["id"]: r for r in report["results"]}
    assert sorted(got) == sorted(want)
    for rule, r in got.items():
        if rule == "stability::change-failure-rate":
            continue
        assert (r["outcome"], r.get("value")) == (want[rule]["outcome"],
                                                  want[rule].get("value")), rule
    cfr = got["stability::change-failure-rate"]
    assert cfr["outcome"] == "failed" and cfr["value"] == pytest.approx(7 / 64)
    failed = {e["subject"] for e in cfr["evidence"]}
    assert "deployment/acme/web/deployments/5697" not in failed
    assert "deployment/acme/billing-api/deployments/5512" in failed  # incident + rollback
    assert "deployment/acme/mobile-bff/deployments/5601" in failed  # found as a rollback
    assert "deployment/dep-5697" in {
        e["subject"] for e in want["stability::change-failure-rate"]["evidence"]}
    # the same dangling reference the exports have, named the GitLab way
    assert report["warnings"] == [
        "incident INC-726 names deployment acme/search/deployments/5398, which is not in "
        "the data"]
    assert TOKEN not in output
    assert {h.headers.get("Private-Token") for h in fake.hits} == {TOKEN}


def test_the_twin_offline_needs_its_cache(httpserver: Any, tmp_path: Path) -> None:
    acme_gitlab(TOKEN).install(httpserver)
    code, report, _ = twin_report(httpserver, tmp_path, "--offline")
    outcomes = {r["id"]: r["outcome"] for r in report["results"]}
    assert code == 1
    assert outcomes["stability::deployment-frequency"] == "error"  # nothing cached yet
    assert outcomes["teams::two-pizza-teams"] == "failed"  # files facts are unaffected
