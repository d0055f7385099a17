"""Evidence words and teams made when first read (guardrails.evidencelater) show the
same in every report as made at once: the example org and a generated one (with
subject and team waivers), every format, ``-v``, ``-q``, ``--group-by team``, the
baseline written and read, byte for byte but the timings."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import run_cli
from orggen import iso, write_ci_runs, write_deployments, write_incidents

from guardrails.evidencelater import made_at_once

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "acme" / "guardrails.yaml"
NOW = datetime(2026, 11, 20, tzinfo=UTC)
_TIMINGS = re.compile(r'( in )[0-9.]+s\b|("(?:duration|duration_s|collect|gather|evaluate)": )'
                      r'[0-9.e-]+|(time=")[0-9.]+|[0-9.]+( ?ms)\b')


def generated_org(root: Path, n: int = 300) -> Path:
    """A small org as benchmarks/bench_scale.py makes them, with waivers."""
    rnd = random.Random(n)
    org = root / "org"
    (org / "postmortems").mkdir(parents=True)
    teams = [f"team-{i:02d}" for i in range(6)]
    services = [f"svc-{i:02d}" for i in range(12)]
    (org / "teams.yaml").write_text("teams:\n" + "".join(
        f"  - id: {t}\n    name: {t.title()}\n    members:\n" + "".join(
            f"      - {{handle: {t}-m{j}, email: {t}-m{j}@example.com}}\n" for j in range(3 + i))
        for i, t in enumerate(teams)))
    (org / "services.yaml").write_text("services:\n" + "".join(
        f"  - {{id: {s}, owner: {teams[i % len(teams)]}}}\n" for i, s in enumerate(services)))
    span = 200 * 86400
    times = write_deployments(org, n, rnd, services, now=NOW, span=span, rollback_every=25,
                              fail_every=9)
    with (org / "pull_requests.jsonl").open("w") as fh:
        for i in range(n):
            merged = times[i] - timedelta(hours=rnd.randrange(1, 72))
            t = teams[i % len(teams)]
            rec = {"id": f"c-{i}", "author": f"{t}-m0" if i % 17 else "stranger",
                   "created_at": iso(merged - timedelta(days=2)), "merged_at": iso(merged),
                   "additions": rnd.randrange(800), "deletions": rnd.randrange(200),
                   "reviews": [{"user": f"{t}-m{rnd.randrange(2)}", "state": "APPROVED",
                                "submitted_at": iso(merged - timedelta(hours=1))}]}
            if i % 3:
                rec["title"] = f"change {i}"
            fh.write(json.dumps(rec) + "\n")
    write_incidents(org, n, rnd, services, now=NOW, span=span)
    for i in range(n // 40):
        (org / "postmortems" / f"pm-{i:03d}.md").write_text(
            f"---\nincident: INC-{i * 4}\nstatus: reviewed\nauthors: [a]\naction_items:\n"
            f"  - {{title: fix {i}, owner: someone, due: 2026-10-01, status: open}}\n---\n\n"
            "## Summary\nA thing broke.\n\n## Impact\nUsers saw errors.\n\n## Timeline\n"
            "- 10:00 alert\n\n## Contributing factors\nA missing timeout.\n\n"
            "## Action items\n- add the timeout\n")
    write_ci_runs(org, n, rnd, now=NOW, span=span, workflow=lambda i: f"wf-{i % 3}")
    packs = "".join(f"  - builtin:{p}\n" for p in
                    ("culture", "delivery", "goals", "incidents", "stability", "teams"))
    config = root / "guardrails.yaml"
    config.write_text(
        "focus: {current: stability, reviewed_on: 2026-11-01}\n"
        f"rules:\n{packs}sources:\n  files: {{path: org}}\nwindow: 90d\n"
        "waivers:\n"
        "  - {rule: delivery::small-batches, subject: team/team-01, reason: r, "
        "expires: 2026-12-31}\n"
        "  - {rule: incidents::postmortem-exists, subject: incident/INC-1, reason: r, "
        "expires: 2026-12-31}\n"
        "  - {rule: stability::change-failure-rate, subject: team/team-02, reason: r, "
        "expires: 2026-12-31}\n")
    return config


def reports(config: Path, out: Path) -> dict[str, str]:
    """Every report of ``config``: name -> text, timings masked."""
    out.mkdir()
    base = ["check", "-c", str(config), "--now", "2026-11-20", "--no-color"]
    files = {fmt: out / f"report.{fmt}" for fmt in
             ("json", "junit", "sarif", "html", "markdown", "github")}
    runs = {
        "default": [], "verbose": ["-v"], "quiet": ["-q"], "team": ["--group-by", "team"],
        "team-v": ["--group-by", "team", "-v"],
        "files": [a for fmt, f in files.items() for a in ("-f", fmt, "-o", str(f))],
        "write-baseline": ["--write-baseline", str(out / "baseline.json")],
        "baseline": ["--baseline", str(out / "baseline.json"), "-v"],
    }
    shown = {}
    for name, args in runs.items():
        result = run_cli([*base, *args])
        shown[name] = f"exit {result.exit_code}\n{result.output}"
    shown.update({f.name: f.read_text(encoding="utf-8") for f in [*files.values(),
                                                                  out / "baseline.json"]})
    return {k: _TIMINGS.sub(lambda m: "".join(g or "" for g in m.groups()) + "X",
                            v.replace(str(out), "OUT")) for k, v in shown.items()}


@pytest.mark.parametrize("org", ["example", "generated"])
def test_every_report_is_the_same_as_with_evidence_made_at_once(
        org: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", str(tmp_path / "cache"))
    config = EXAMPLE if org == "example" else generated_org(tmp_path / "org")
    lazy = reports(config, tmp_path / "lazy")
    with made_at_once():
        eager = reports(config, tmp_path / "eager")
    assert lazy.keys() == eager.keys()
    for name in lazy:
        assert lazy[name] == eager[name], name
    # the generated org fails the rules whose evidence waits, waivers and all
    assert "delivery::small-batches" in lazy["default"]
    assert "incidents::postmortem-exists" in lazy["default"]
    assert "change/c-" in lazy["verbose"] and "team team-0" in lazy["team"] or org == "example"
