"""The example org split into three repositories, for ``guardrails merge`` tests.

Deployments and incidents go by service, pull requests and CI runs by
repository; teams, goals, postmortems and surveys stay in every copy. Every
fact a DORA or delivery metric counts lands in exactly one repository, so
the merged metrics of the three must equal those of the unsplit org.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

ACME = Path(__file__).resolve().parents[1] / "examples" / "acme"
#: three repositories of the example org, by the services they deploy
SPLIT = {
    "web": {"web", "mobile-bff"},
    "billing": {"billing-api", "notifications", "auth"},
    "data": {"search", "data-pipeline", "edge-gateway", "service"},
}


def _filter_csv(path: Path, keep: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(r for r in rows if keep(r))
    path.write_text(out.getvalue(), encoding="utf-8")


def split_acme(root: Path, name: str, services: set[str]) -> Path:
    """A copy of the example org holding only what ``services`` deploy and run."""
    repo = root / name
    shutil.copytree(ACME, repo)
    org = repo / "org"
    repos = {f"acme/{s}" for s in services}
    _filter_csv(org / "deployments.csv", lambda r: r["service"] in services)
    _filter_csv(org / "ci_runs.csv", lambda r: r["repo"] in repos)
    prs = [line for line in (org / "pull_requests.jsonl").read_text("utf-8").splitlines()
           if json.loads(line)["repo"] in repos]
    (org / "pull_requests.jsonl").write_text("\n".join(prs) + "\n", encoding="utf-8")
    inc = yaml.safe_load((org / "incidents.yaml").read_text("utf-8"))
    inc["incidents"] = [i for i in inc["incidents"] if i["service"] in services]
    (org / "incidents.yaml").write_text(yaml.safe_dump(inc), encoding="utf-8")
    return repo


