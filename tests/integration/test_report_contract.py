"""The Report is the whole contract: it round-trips through JSON and renders again.

``Report.from_json(report.to_json()) == report`` on the example org and on a
run with an error, a waiver (one active, one expired) and a baseline; and
``guardrails report REPORT.json --format F`` writes, byte for byte, what the
live run wrote for every format (the terminal too: its timing comes from the
report). A version 1 document (before the header, sources and rules were
added) is read with defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import make_project, run_cli

from guardrails.config import RunOptions
from guardrails.model import Outcome, Report
from guardrails.session import run
from guardrails.timeutil import parse_now

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme" / "guardrails.yaml"
NOW = "2026-11-20"
FORMATS = ("terminal", "json", "junit", "sarif", "github", "markdown", "html")

RULES = """\
pack: people
rules:
  - id: team-size
    title: Teams have 3 to 8 members
    check: teams.size
    min: 3
    max: 8
  - id: some-teams
    title: At least one team
    check: count
    facts: teams
    min: 1
  - id: too-many-teams
    title: At most one team
    check: count
    facts: teams
    max: 1
  - id: boom
    title: A check that crashes
    check: local.boom
"""

PLUGIN = """\
from guardrails import Check, hookimpl


class Boom(Check):
    name = "local.boom"

    def evaluate(self, rule, ctx):
        raise RuntimeError("kaput")


@hookimpl
def guardrails_collect_checks():
    return [Boom()]


@hookimpl
def guardrails_report_header(config):
    return ["local plugin says hello"]
"""

CONFIG = """\
rules: [rules/]
sources:
  files: {path: org}
waivers:
  - rule: people::too-many-teams
    reason: merging teams next quarter
    expires: 2027-01-31
  - rule: people::team-size
    subject: team/alpha
    reason: an old waiver
    expires: 2025-01-01
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path, rules={"rules/people.yaml": RULES}, plugins=PLUGIN, config=CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def roundtrip(report: Report) -> Report:
    # Through the text, as a saved report is read back.
    return Report.from_json(json.loads(json.dumps(report.to_json())))


def test_example_org_report_roundtrips_exactly() -> None:
    report = run(ACME, options=RunOptions(now=parse_now(NOW)))
    assert report.exit_code == 1 and report.results and report.sources and report.rules
    assert roundtrip(report) == report


def test_report_with_error_waivers_and_baseline_roundtrips(project: Path) -> None:
    assert run_cli(["check", "-q", "--now", NOW, "--write-baseline", "b.json"]).exit_code == 1
    report = run("guardrails.yaml", options=RunOptions(now=parse_now(NOW), baseline="b.json"))
    outcomes = {r.id: r.outcome for r in report.results}
    assert outcomes == {"people::team-size": Outcome.SKIPPED,  # known in the baseline
                        "people::some-teams": Outcome.PASSED,
                        "people::too-many-teams": Outcome.WAIVED,
                        "people::boom": Outcome.ERROR}
    assert "kaput" in report.results[3].longrepr
    assert [(w.rule, w.active) for w in report.waivers] == [
        ("people::too-many-teams", True), ("people::team-size", False)]
    assert report.baseline is not None and report.baseline.known == ["people::team-size"]
    assert report.header.lines == ["local plugin says hello"]
    assert roundtrip(report) == report


def live_outputs(tmp_path: Path, *extra: str) -> dict[str, bytes]:
    args = ["check", "--now", NOW, *extra]
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(tmp_path / f"live.{fmt}")]
    res = run_cli(args)
    assert res.exit_code in (0, 1), res.output
    return {fmt: (tmp_path / f"live.{fmt}").read_bytes() for fmt in FORMATS}


def valid_sarif(data: bytes) -> None:
    """Validate a SARIF log against the official OASIS 2.1.0 schema (tests/data/README.md)."""
    import jsonschema

    schema = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
                               ).validate(json.loads(data))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_saved_report_renders_as_the_run_did(project: Path, fmt: str) -> None:
    live = live_outputs(project, "-v")
    again = project / f"again.{fmt}"
    args = ["report", str(project / "live.json"), "--format", fmt, "--output", str(again)]
    res = run_cli([*args, "-v"])
    assert res.exit_code == 0, res.output
    assert again.read_bytes() == live[fmt]
    if fmt == "sarif":
        valid_sarif(live[fmt])
        # to standard output too, as `guardrails report REPORT.json -f sarif` prints it
        res = run_cli(["report", str(project / "live.json"), "-f", "sarif"])
        assert res.stdout.encode() == live[fmt]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_example_org_renders_again_identically(tmp_path: Path, fmt: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    live = live_outputs(tmp_path, "-c", str(ACME))
    again = tmp_path / f"again.{fmt}"
    res = run_cli(["report", str(tmp_path / "live.json"), "-f", fmt, "-o", str(again)])
    assert res.exit_code == 0, res.output
    assert again.read_bytes() == live[fmt]
    if fmt == "sarif":
        valid_sarif(live[fmt])


def test_a_version_1_report_is_read_with_defaults(project: Path) -> None:
    live_outputs(project)
    data = json.loads((project / "live.json").read_text(encoding="utf-8"))
    v1 = {k: data[k] for k in ("now", "focus", "summary", "warnings", "results")}
    v1["version"] = 1
    for r in v1["results"]:
        r.pop("duration", None)
        r.pop("longrepr", None)
    old = Report.from_json(v1)
    assert [r.id for r in old.rules] == [r["id"] for r in data["results"]]
    assert old.header.rootdir == "" and old.sources == [] and old.baseline is None
    (project / "v1.json").write_text(json.dumps(v1), encoding="utf-8")
    res = run_cli(["report", "v1.json", "-f", "markdown", "-o", "v1.md"])
    assert res.exit_code == 0, res.output
    # Markdown reads only what version 1 had: the same document.
    assert (project / "v1.md").read_bytes() == (project / "live.markdown").read_bytes()


def _as_version_2(data: dict[str, Any]) -> dict[str, Any]:
    """A version 3 report less what version 3 added to the header, rules and evidence."""
    data["version"] = 2
    data["header"].pop("repository_root")
    for rule in data["rules"]:
        rule.pop("help")
    for r in data["results"]:
        for e in r["evidence"]:
            e.pop("record", None)
    return data


def test_a_version_2_report_is_read_with_defaults(project: Path) -> None:
    """Version 2 had no evidence ``record``, no ``repository_root``, no rule ``help``."""
    live_outputs(project)
    data = _as_version_2(json.loads((project / "live.json").read_text(encoding="utf-8")))
    old = Report.from_json(data)
    assert old.header.repository_root == "" and all(r.help is None for r in old.rules)
    (project / "v2.json").write_text(json.dumps(data), encoding="utf-8")
    res = run_cli(["report", "v2.json", "-f", "sarif"])
    assert res.exit_code == 0, res.output
    valid_sarif(res.stdout.encode())
    run = json.loads(res.stdout)["runs"][0]
    # paths relative to rootdir, the config's folder; no help to give
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert all("help" not in r for r in run["tool"]["driver"]["rules"])


def test_report_command_refuses_what_is_not_a_report(project: Path) -> None:
    (project / "x.json").write_text('{"version": 9, "now": "x"}', encoding="utf-8")
    res = run_cli(["report", "x.json"])
    assert res.exit_code == 4
    assert "x.json: not a guardrails JSON report" in res.stderr
    res = run_cli(["report", "missing.json"])
    assert res.exit_code == 4 and "missing.json: report not found" in res.stderr
    live_outputs(project)
    res = run_cli(["report", "live.json", "-f", "nope"])
    assert res.exit_code == 4 and "unknown format 'nope'" in res.stderr


@pytest.mark.parametrize(("path", "value", "words"), [
    (("results", 0, "id"), 5, "5 is not of type 'string' at $.results[0].id"),
    (("summary",), None, "None is not of type 'object' at $.summary"),
    (("results", 0, "value"), "abc", "at $.results[0].value"),
    (("results", 0, "evidence"), [{"subject": 5}], "at $.results[0].evidence[0]"),
    (("header",), [], "at $.header"),
])
def test_report_command_refuses_a_forged_report_before_rendering_it(
        project: Path, path: tuple[Any, ...], value: Any, words: str) -> None:
    """A saved report is another job's artefact: checked as merge checks its inputs
    (an 'id' of 5 was a traceback, exit 3; a 'value' of "abc" rendered as a result)."""
    live_outputs(project)
    data = json.loads((project / "live.json").read_text(encoding="utf-8"))
    place = data
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    (project / "forged.json").write_text(json.dumps(data), encoding="utf-8")
    for fmt in ("terminal", "json", "junit", "sarif", "github", "markdown", "html"):
        res = run_cli(["report", "forged.json", "-f", fmt])
        assert res.exit_code == 4, (fmt, res.output)
        assert words in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_a_version_2_report_is_merged(project: Path) -> None:
    """merge reads versions 1 to 3: a version 2 report has no header.repository_root
    and no rules[].help (the merge schema required both, refusing every one)."""
    live_outputs(project)
    data = _as_version_2(json.loads((project / "live.json").read_text(encoding="utf-8")))
    for r in data["results"]:
        r.pop("series", None)
        r.pop("measures", None)
    (project / "v2.json").write_text(json.dumps(data), encoding="utf-8")
    res = run_cli(["merge", "v2.json", "live.json", "-f", "json", "-o", "org.json"])
    assert "skipped" not in res.stderr, res.stderr
    assert json.loads((project / "org.json").read_text("utf-8"))["org"]["reports"] == 2


def test_the_saved_report_validates_against_its_schema(project: Path) -> None:
    import jsonschema

    from guardrails.validation import load_schema

    live_outputs(project)
    data = json.loads((project / "live.json").read_text(encoding="utf-8"))
    assert data["version"] == 3 and data["baseline"] is None
    validator = jsonschema.Draft202012Validator(load_schema("report"))
    assert [e.message for e in validator.iter_errors(data)] == []
    run_cli(["check", "-q", "--now", NOW, "--write-baseline", "b.json"])
    # beta leaves: its team-size failure is fixed
    (project / "org" / "teams.yaml").write_text(
        "teams:\n  - {id: alpha, members: [{handle: a}, {handle: b}, {handle: c}]}\n")
    run_cli(["check", "-q", "--now", NOW, "--baseline", "b.json", "-f", "json", "-o", "b.out"])
    data = json.loads((project / "b.out").read_text(encoding="utf-8"))
    assert data["baseline"]["fixed"] and data["baseline"]["file"] == "b.json"
    assert [e.message for e in validator.iter_errors(data)] == []
