"""SARIF, GitHub annotations and Markdown summaries from real ``guardrails check`` runs.

The project is written by hand: one pack, a teams file, and a local plugin
(``guardrails_plugins.py``) with four checks, so every message, location and
fingerprint below is worked out by hand from the text of those files. Every
SARIF log is validated against the official OASIS SARIF 2.1.0 schema
(tests/data/sarif-schema-2.1.0.json, see tests/data/README.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

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
  - id: modules
    title: Modules have owners
    check: local.modules
"""
# line numbers of the rule entries above, counted by hand
BIG_LINE, ROSTER_LINE, CRASH_LINE, MODULES_LINE = 4, 8, 13, 19

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


class Modules(Check):
    """Evidence that names no fact and no file: it has no place but the rule."""

    name = "local.modules"

    def evaluate(self, rule, ctx):
        ev = [Evidence("module/api", "no owner"), Evidence("module/web", "no owner")]
        return CheckResult(Outcome.FAILED, "2 modules without owner", evidence=ev)


@hookimpl
def guardrails_collect_checks():
    return [Big(), Roster(), Boom(), Modules()]
'''
# beta's entry in TEAMS_YAML: "teams:", alpha (1 line + 4), then "  - id: beta" on line 7
BETA_LINE = 7


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def valid_sarif(text: str) -> dict[str, Any]:
    """The SARIF log in ``text``, validated against the official 2.1.0 schema."""
    log = json.loads(text)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
                               ).validate(log)
    return log


def where(result: dict[str, Any]) -> tuple[str, str, int | None]:
    loc = result["locations"][0]["physicalLocation"]
    return (loc["artifactLocation"]["uriBaseId"], loc["artifactLocation"]["uri"],
            loc.get("region", {}).get("startLine"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path, rules={"rules/people.yaml": RULES}, org={"teams.yaml": TEAMS_YAML},
                 plugins=PLUGIN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sarif_validates_and_points_at_files(project: Path) -> None:
    res = run_cli(["check", "--format", "sarif", "--now", "2026-11-20"])
    assert res.exit_code == 1, res.output
    log = valid_sarif(res.stdout)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "guardrails"
    assert [r["id"] for r in driver["rules"]] == [
        "people::big", "people::roster", "people::crashes", "people::some-teams",
        "people::modules"]
    assert driver["rules"][0]["shortDescription"] == {"text": "Teams stay small"}
    assert driver["rules"][1]["properties"]["tags"] == ["people", "roster"]
    assert driver["rules"][1]["defaultConfiguration"] == {"level": "warning"}
    # not in git: the repository root is the config's folder
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.resolve().as_uri() + "/"}}

    got = [(r["ruleId"], r["ruleIndex"], r["level"], *where(r),
            r["partialFingerprints"]["guardrailsSubject/v1"]) for r in run["results"]]
    assert got == [
        # beta's record in the teams file: the alert points at its row
        ("people::big", 0, "error", "%SRCROOT%", "org/teams.yaml", BETA_LINE,
         sha("people::big\0team/beta")),
        # the check named the file and line itself
        ("people::roster", 1, "warning", "%SRCROOT%", "org/teams.yaml", BETA_LINE,
         sha("people::roster\0team/beta")),
        # no evidence: one alert at the rule
        ("people::crashes", 2, "error", "%SRCROOT%", "rules/people.yaml", CRASH_LINE,
         sha("people::crashes\0")),
        # evidence without a place: ONE alert at the rule, listing the subjects
        ("people::modules", 4, "error", "%SRCROOT%", "rules/people.yaml", MODULES_LINE,
         sha("people::modules\0")),
    ]
    assert run["results"][0]["message"]["text"] == (
        "team/beta 9 members (people::big: 1 team too big)")
    assert run["results"][2]["message"]["text"].startswith("people::crashes: ERROR: ")
    assert "kaput" in run["results"][2]["message"]["text"]
    assert run["results"][3]["message"]["text"] == (
        "people::modules: 2 modules without owner\n- module/api: no owner\n"
        "- module/web: no owner")
    assert run["results"][3]["properties"]["subjects"] == ["module/api", "module/web"]
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]


def test_sarif_carries_the_runs_warnings_as_notifications(project: Path) -> None:
    """Warnings are about the run's inputs, not findings: notifications of the one
    invocation, in report order, located when they start with a repository file."""
    (project / "org" / "incidents.csv").write_text(
        "id,created_at,sevrity\ni1,2026-11-01T00:00:00Z,SEV1\n")
    config = project / "guardrails.yaml"
    config.write_text(config.read_text() + "waivers:\n  - {rule: people::nope, reason: x, "
                      "expires: '2026-12-01'}\n")
    res = run_cli(["check", "--format", "sarif", "--now", "2026-11-20"])
    run = valid_sarif(res.stdout)["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["warning"] * 2
    texts = [n["message"]["text"] for n in notes]
    assert texts[0].startswith("guardrails.yaml:6: waiver for people::nope names a rule")
    assert texts[1].startswith("org/incidents.csv:1: column 'sevrity' is not an incident")
    assert [where(n) for n in notes] == [
        ("%SRCROOT%", "guardrails.yaml", 6), ("%SRCROOT%", "org/incidents.csv", 1)]
    # The JSON report's list, in the same order; a saved report renders the same log.
    out = project / "r.json"
    run_cli(["check", "--format", "json", "--output", str(out), "--now", "2026-11-20"])
    assert json.loads(out.read_text())["warnings"] == texts
    again = run_cli(["report", str(out), "--format", "sarif"])
    assert valid_sarif(again.stdout)["runs"][0]["invocations"] == run["invocations"]


def test_sarif_notification_without_a_place_has_no_location() -> None:
    from guardrails.reporters.sarif import Locator, notifications

    got = notifications(["waiver for a::b expired on 2026-01-01: it no longer waives",
                         "/elsewhere/x.yaml:3: outside the repository"], Locator(None))
    assert got == [
        {"level": "warning",
         "message": {"text": "waiver for a::b expired on 2026-01-01: it no longer waives"}},
        {"level": "warning", "message": {"text": "/elsewhere/x.yaml:3: outside the repository"}},
    ]


def test_sarif_rules_carry_explain_as_help(project: Path) -> None:
    log = valid_sarif(run_cli(["check", "--format", "sarif", "-c", "guardrails.yaml"]).stdout)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    explained = run_cli(["explain", "people::big"])
    assert explained.exit_code == 0
    big = rules["people::big"]
    # help.text is, byte for byte, what `guardrails explain` prints
    assert big["help"]["text"] + "\n" == explained.stdout
    assert big["help"]["markdown"].startswith("```\npeople::big - Teams stay small\n")
    assert "**Data it needs**" in big["help"]["markdown"]
    # no "What it checks" text: the title describes it
    assert big["fullDescription"] == {"text": "Teams stay small"}
    assert all(r["helpUri"] == "https://pypi.org/project/execution-guardrails/"
               for r in rules.values())


def test_sarif_builtin_rules_help_and_config_location(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, config="rules:\n  - builtin:teams\nsources:\n  files: {path: org}\n",
                 rules={}, org={"teams.yaml": TEAMS_YAML})
    monkeypatch.chdir(tmp_path)
    res = run_cli(["check", "--format", "sarif", "-k", "two-pizza", "--now", "2026-11-20"])
    assert res.exit_code == 1, res.output
    run = valid_sarif(res.stdout)["runs"][0]
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["id"] == "teams::two-pizza-teams"
    assert rule["fullDescription"]["text"].startswith(
        run_cli(["explain", "teams::two-pizza-teams"]).stdout.split(
            "What it checks\n  ", 1)[1].split()[0])
    assert "**Why it matters**" in rule["help"]["markdown"]
    # the team's record is located; nothing is stacked on the config line
    assert [where(r) for r in run["results"]] == [("%SRCROOT%", "org/teams.yaml", BETA_LINE)]


def git_project(tmp_path: Path) -> Path:
    """A repository whose config lives in sub/ (the root is the git toplevel)."""
    repo = tmp_path / "repo"
    sub = repo / "sub"
    make_project(sub, rules={"rules/people.yaml": RULES}, org={"teams.yaml": TEAMS_YAML},
                 plugins=PLUGIN)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return sub


def test_sarif_uris_are_relative_to_the_repository_root(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sub = git_project(tmp_path)
    # run from a folder that is neither the root nor the config's folder
    (sub / "org" / "deeper").mkdir()
    monkeypatch.chdir(sub / "org" / "deeper")
    out = tmp_path / "out.sarif"
    res = run_cli(["check", "-c", str(sub / "guardrails.yaml"), "--now", "2026-11-20",
                   "--format", "sarif", "--output", str(out), "--format", "json", "--output",
                   str(tmp_path / "r.json")])
    assert res.exit_code == 1, res.output
    run = valid_sarif(out.read_text())["runs"][0]
    root = (tmp_path / "repo").resolve()
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.as_uri() + "/"
    assert [where(r)[1:] for r in run["results"]] == [
        ("sub/org/teams.yaml", BETA_LINE), ("sub/org/teams.yaml", BETA_LINE),
        ("sub/rules/people.yaml", CRASH_LINE), ("sub/rules/people.yaml", MODULES_LINE)]
    # the saved report renders the same log from anywhere (nothing read from disk)
    monkeypatch.chdir(tmp_path)
    again = run_cli(["report", str(tmp_path / "r.json"), "-f", "sarif"])
    assert again.exit_code == 0 and again.stdout == out.read_text()


def test_sarif_paths_are_uri_encoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, rules={"my rules/people #1.yaml": RULES},
                 org={"teams.yaml": TEAMS_YAML}, plugins=PLUGIN,
                 config="rules: ['my rules/']\nsources:\n  files: {path: org}\n")
    monkeypatch.chdir(tmp_path)
    run = valid_sarif(run_cli(["check", "-f", "sarif"]).stdout)["runs"][0]
    uris = {where(r)[1] for r in run["results"]}
    assert uris == {"org/teams.yaml", "my%20rules/people%20%231.yaml"}


def test_sarif_fingerprint_survives_message_changes(project: Path) -> None:
    """Another member makes the message differ; the subject, so the fingerprint, stays."""
    first = valid_sarif(run_cli(["check", "--format", "sarif"]).stdout)
    teams = project / "org" / "teams.yaml"
    teams.write_text(teams.read_text() + "      - {handle: max}\n")
    second = valid_sarif(run_cli(["check", "--format", "sarif"]).stdout)
    a, b = first["runs"][0]["results"][0], second["runs"][0]["results"][0]
    assert a["message"] != b["message"]
    assert a["partialFingerprints"] == b["partialFingerprints"]


def test_github_annotations(project: Path) -> None:
    res = run_cli(["check", "--format", "github"])
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    # rules at level error first (report order), then at level warning, then evidence
    assert lines[0] == (
        f"::error file=rules/people.yaml,line={BIG_LINE},title=people%3A%3Abig::"
        "1 team too big%0A- team/beta: 9 members%0Ahow to fix: guardrails explain people::big")
    assert lines[1].startswith(
        f"::error file=rules/people.yaml,line={CRASH_LINE},title=people%3A%3Acrashes::"
        "ERROR (could not evaluate): check local.boom crashed: RuntimeError: kaput")
    assert lines[2] == (
        f"::error file=rules/people.yaml,line={MODULES_LINE},title=people%3A%3Amodules::"
        "2 modules without owner%0A- module/api: no owner%0A- module/web: no owner"
        "%0Ahow to fix: guardrails explain people::modules")
    # warning severity -> ::warning; message '%' and newlines escaped, not ',' or ':'
    assert lines[3] == (
        f"::warning file=rules/people.yaml,line={ROSTER_LINE},title=people%3A%3Aroster::"
        "roster: 50%25, a,b%0A- team/beta: 100%25 full,%0Asplit: soon"
        "%0Ahow to fix: guardrails explain people::roster")
    # evidence at its data row: the record the big team was read from, then the roster's
    assert lines[4] == (
        f"::error file=org/teams.yaml,line={BETA_LINE},title=people%3A%3Abig::"
        "team/beta: 9 members (1 team too big)")
    assert lines[5] == (
        f"::warning file=org/teams.yaml,line={BETA_LINE},title=people%3A%3Aroster::"
        "team/beta: 100%25 full,%0Asplit: soon (roster: 50%25, a,b)")
    assert lines[6] == "::notice title=guardrails::guardrails: 3 failed, 1 passed, 1 error"
    assert len(lines) == 7


def test_github_shows_ten_annotations_most_important_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """12 big teams: 1 rule annotation + 12 evidence rows + the warning rule's 13."""
    teams = "teams:\n" + "".join(
        f"  - id: t{i:02}\n    members: [{', '.join(f'{{handle: u{i}x{j}}}' for j in range(9))}]\n"
        for i in range(12))
    make_project(tmp_path, rules={"rules/people.yaml": RULES}, org={"teams.yaml": teams},
                 plugins=PLUGIN)
    monkeypatch.chdir(tmp_path)
    res = run_cli(["check", "--format", "github", "-k", "big or roster"])
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 12
    assert lines[0].startswith("::error file=rules/people.yaml,line=4,")
    assert lines[1].startswith("::warning file=rules/people.yaml,line=8,")
    # then the error-level evidence, each team's row in the teams file, in order
    assert [ln.split(",title=")[0] for ln in lines[2:10]] == [
        f"::error file=org/teams.yaml,line={2 + 2 * i}" for i in range(8)]
    assert lines[10] == ("::notice title=guardrails::guardrails: 16 more annotations not "
                         "shown (4 error, 12 warning; GitHub shows 10 per step): see the job "
                         "summary or the SARIF/JSON report")
    assert lines[11] == "::notice title=guardrails::guardrails: 2 failed"
    again = run_cli(["check", "--format", "github", "-k", "big or roster"])
    assert again.stdout == res.stdout  # deterministic


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
    assert md.startswith("## guardrails: 3 failed, 1 passed, 1 error\n")
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
    assert summary.read_text().count("## guardrails: 3 failed, 1 passed, 1 error") == 2
    assert summary.read_text().startswith("earlier step\n## guardrails")


@pytest.mark.parametrize("what", ["symlink", "fifo", "folder", "dangling-symlink"])
def test_a_hostile_step_summary_path_is_refused(project: Path, tmp_path: Path,
                                                what: str) -> None:
    target = tmp_path / "real.md"
    target.write_text("other step\n")
    path = tmp_path / "summary"
    if what == "symlink":
        path.symlink_to(target)
    elif what == "dangling-symlink":
        path.symlink_to(tmp_path / "nowhere.md")
    elif what == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    res = run_cli(["check", "-q"], env={"GITHUB_STEP_SUMMARY": str(path)})
    # the verdict is the run's, the refusal one line on stderr, nothing written anywhere
    assert res.exit_code == 1
    word = {"symlink": "a symbolic link", "dangling-symlink": "a symbolic link",
            "fifo": "a FIFO (named pipe)", "folder": "a folder"}[what]
    assert res.stderr.count("job summary not written") == 1
    assert f"GITHUB_STEP_SUMMARY={path} is {word} (a regular file is required)" in res.stderr
    assert target.read_text() == "other step\n"
    assert not (tmp_path / "nowhere.md").exists()


def test_several_formats_in_one_run(project: Path) -> None:
    res = run_cli(["check", "--format", "sarif", "--output", "out/g.sarif",
                   "--format", "junit", "--output", "out/g.xml", "--format", "terminal"])
    assert res.exit_code == 1
    assert "people::big" in res.stdout and "FAILURES" in res.stdout
    log = valid_sarif((project / "out" / "g.sarif").read_text())
    assert len(log["runs"][0]["results"]) == 4
    suite = ET.parse(project / "out" / "g.xml").getroot()
    assert len(suite.findall(".//testcase")) == 5
