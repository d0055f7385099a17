"""SARIF, GitHub annotations and Markdown summaries from real ``guardrails check`` runs.

The project is written by hand: one pack, a teams file, and a local plugin
(``guardrails_plugins.py``) with three checks, so every message, location and
fingerprint below is worked out by hand from the text of those files.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from helpers import TEAMS_YAML, make_project, run_cli

from guardrails.reporters.github import escape_data, escape_property

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "sarif-schema-2.1.0.json"

RULES = """\
pack: people
tags: [people]
rules:
  - id: big
    title: Teams stay small
    check: local.big
    max: 8
  - id: roster
    title: Rosters are tidy
    check: local.roster
    severity: warning
    tags: [roster]
  - id: crashes
    check: local.boom
  - id: some-teams
    check: count
    facts: teams
    min: 1
"""
# line numbers of the rule entries above, counted by hand
BIG_LINE, ROSTER_LINE, CRASH_LINE = 4, 8, 13

PLUGIN = '''\
from guardrails.model import CheckResult, Evidence, Outcome
from guardrails.plugin import Check, hookimpl


class Big(Check):
    name = "local.big"
    kinds = ("teams",)
    schema = {"properties": {"max": {"type": "integer"}}}

    def evaluate(self, rule, ctx):
        ev = [Evidence(f"team/{t['id']}", f"{len(t['members'])} members")
              for t in ctx.facts("teams") if len(t["members"]) > rule.params["max"]]
        return CheckResult(Outcome.FAILED if ev else Outcome.PASSED,
                           f"{len(ev)} team too big", evidence=ev)


class Roster(Check):
    name = "local.roster"
    kinds = ("teams",)

    def evaluate(self, rule, ctx):
        lines = (ctx.config.root / "org" / "teams.yaml").read_text().splitlines()
        ev = []
        for t in ctx.facts("teams"):
            if len(t["members"]) > 8:
                line = lines.index(f"  - id: {t['id']}") + 1
                ev.append(Evidence(f"team/{t['id']}", "100% full,\\nsplit: soon",
                                   file="org/teams.yaml", line=line))
        return CheckResult(Outcome.FAILED if ev else Outcome.PASSED, "roster: 50%, a,b",
                           evidence=ev)


class Boom(Check):
    name = "local.boom"

    def evaluate(self, rule, ctx):
        raise RuntimeError("kaput")


@hookimpl
def guardrails_collect_checks():
    return [Big(), Roster(), Boom()]
'''
# beta's entry in TEAMS_YAML: "teams:", alpha (1 line + 4), then "  - id: beta" on line 7
BETA_LINE = 7


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path, rules={"rules/people.yaml": RULES}, org={"teams.yaml": TEAMS_YAML},
                 plugins=PLUGIN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sarif_validates_and_points_at_files(project: Path) -> None:
    res = run_cli(["check", "--format", "sarif", "--now", "2026-11-20"])
    assert res.exit_code == 1, res.output
    log = json.loads(res.stdout)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
                               ).validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "guardrails"
    assert [r["id"] for r in driver["rules"]] == [
        "people::big", "people::roster", "people::crashes", "people::some-teams"]
    assert driver["rules"][0]["shortDescription"] == {"text": "Teams stay small"}
    assert driver["rules"][1]["properties"]["tags"] == ["people", "roster"]
    assert driver["rules"][1]["defaultConfiguration"] == {"level": "warning"}
    assert "helpUri" not in driver["rules"][0]

    got = [(r["ruleId"], r["ruleIndex"], r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["partialFingerprints"]["guardrailsSubject/v1"]) for r in run["results"]]
    assert got == [
        ("people::big", 0, "error", "rules/people.yaml", BIG_LINE,
         sha("people::big\0team/beta")),
        # the evidence names its data file and line: the alert points there
        ("people::roster", 1, "warning", "org/teams.yaml", BETA_LINE,
         sha("people::roster\0team/beta")),
        # no evidence: one alert at the rule
        ("people::crashes", 2, "error", "rules/people.yaml", CRASH_LINE,
         sha("people::crashes\0")),
    ]
    assert run["results"][0]["message"]["text"] == (
        "team/beta 9 members (people::big: 1 team too big)")
    assert run["results"][2]["message"]["text"].startswith("people::crashes: ERROR: ")
    assert "kaput" in run["results"][2]["message"]["text"]
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]


def test_sarif_fingerprint_survives_message_changes(project: Path) -> None:
    """Another member makes the message differ; the subject, so the fingerprint, stays."""
    first = json.loads(run_cli(["check", "--format", "sarif"]).stdout)
    teams = project / "org" / "teams.yaml"
    teams.write_text(teams.read_text() + "      - {handle: max}\n")
    second = json.loads(run_cli(["check", "--format", "sarif"]).stdout)
    a, b = first["runs"][0]["results"][0], second["runs"][0]["results"][0]
    assert a["message"] != b["message"]
    assert a["partialFingerprints"] == b["partialFingerprints"]


def test_github_annotations(project: Path) -> None:
    res = run_cli(["check", "--format", "github"])
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0] == (
        f"::error file=rules/people.yaml,line={BIG_LINE},title=people%3A%3Abig::"
        "1 team too big%0A- team/beta: 9 members%0Ahow to fix: guardrails explain people::big")
    # warning severity -> ::warning; message '%' and newlines escaped, not ',' or ':'
    assert lines[1] == (
        f"::warning file=rules/people.yaml,line={ROSTER_LINE},title=people%3A%3Aroster::"
        "roster: 50%25, a,b%0A- team/beta: 100%25 full,%0Asplit: soon"
        "%0Ahow to fix: guardrails explain people::roster")
    assert lines[2] == (
        f"::warning file=org/teams.yaml,line={BETA_LINE},title=people%3A%3Aroster::"
        "team/beta: 100%25 full,%0Asplit: soon (roster: 50%25, a,b)")
    assert lines[3].startswith(
        f"::error file=rules/people.yaml,line={CRASH_LINE},title=people%3A%3Acrashes::"
        "ERROR (could not evaluate): check local.boom crashed: RuntimeError: kaput")
    assert lines[4] == "::notice title=guardrails::guardrails: 2 failed, 1 passed, 1 error"
    assert len(lines) == 5


def test_github_escaping_rules() -> None:
    assert escape_data("100%\r\nnext, a:b") == "100%25%0D%0Anext, a:b"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_markdown_and_step_summary(project: Path, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    res = run_cli(["check", "--format", "markdown"], env=env)
    assert res.exit_code == 1
    md = res.stdout
    assert md.startswith("## guardrails: 2 failed, 1 passed, 1 error\n")
    assert "| `people::big` | ❌ failed | 1 team too big |" in md
    assert "| `people::roster` | ❌ failed (warning) | roster: 50%, a,b |" in md
    assert "| `people::some-teams` | ✅ passed |" in md
    assert "#### ❌ `people::big`: Teams stay small" in md
    # the runner attributes a team subject to that team
    assert "- `team/beta` (team beta): 9 members" in md
    assert "#### 💥 `people::crashes`" in md
    # the step summary gets the same text, appended after what was there
    assert summary.read_text() == "earlier step\n" + md + "\n"
    # whatever the formats: a terminal-only run appends again
    res = run_cli(["check", "-q"], env=env)
    assert res.exit_code == 1
    assert summary.read_text().count("## guardrails: 2 failed, 1 passed, 1 error") == 2


def test_several_formats_in_one_run(project: Path) -> None:
    res = run_cli(["check", "--format", "sarif", "--output", "out/g.sarif",
                   "--format", "junit", "--output", "out/g.xml", "--format", "terminal"])
    assert res.exit_code == 1
    assert "people::big" in res.stdout and "FAILURES" in res.stdout
    log = json.loads((project / "out" / "g.sarif").read_text())
    assert len(log["runs"][0]["results"]) == 3
    suite = ET.parse(project / "out" / "g.xml").getroot()
    assert len(suite.findall(".//testcase")) == 4
