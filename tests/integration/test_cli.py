"""The command line, through click's CliRunner and one real console-script process.

Every exit code of the contract: 0 passed, 1 failed/error, 2 interrupted,
3 internal error, 4 usage error (never a traceback), 5 no rules.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest
from helpers import HANG_GUARD, PEOPLE_RULES, check, cli_env, console_script, make_project, run_cli

from guardrails.cli import main
from guardrails.config import load_config

NOW = "2026-11-20"


def assert_usage_error(result, *needles: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr


# ---------------------------------------------------------------------------
# 0 and 1
# ---------------------------------------------------------------------------


def test_exit_0_when_every_rule_passes(project: Path) -> None:
    make_project(project, rules={"rules/people.yaml": PEOPLE_RULES.replace("max: 8", "max: 9")})
    result = check()
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_exit_1_when_a_rule_fails(project: Path) -> None:
    result = check()
    assert result.exit_code == 1
    assert "FAILED people::team-size - 1 team outside 3..8 members: beta (9)" in result.stdout


def test_exit_1_when_a_check_crashes_and_the_run_goes_on(project: Path) -> None:
    make_project(project, rules={"rules/people.yaml": PEOPLE_RULES.replace("max: 8", "max: 9")
                                 + "  - id: boom\n    check: local.boom\n"},
                 plugins=BOOM_PLUGIN)
    result = check("--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {r["id"]: r["outcome"] for r in data["results"]} == {
        "people::team-size": "passed", "people::some-teams": "passed", "people::boom": "error"}
    assert data["summary"]["exit_code"] == 1


BOOM_PLUGIN = """\
import os

from guardrails.plugin import Check, hookimpl


class Boom(Check):
    name = "local.boom"

    def evaluate(self, rule, ctx):
        return 1 / 0


@hookimpl
def guardrails_collect_checks():
    return [Boom()]


@hookimpl
def guardrails_report_header(config):
    if os.environ.get("HEADER_CRASH"):
        raise RuntimeError("the header hook has a bug")
    return ["local plugin says hello"]


@hookimpl
def guardrails_session_start(session):
    if os.environ.get("INTERRUPT"):
        raise KeyboardInterrupt
"""


# ---------------------------------------------------------------------------
# 2 and 3
# ---------------------------------------------------------------------------


def test_exit_3_on_a_crash_in_the_engine_with_traceback(project: Path) -> None:
    make_project(project, plugins=BOOM_PLUGIN)
    result = check(env={"HEADER_CRASH": "1"})
    assert result.exit_code == 3
    assert "INTERNAL ERROR" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: the header hook has a bug" in result.stderr


def test_exit_2_when_interrupted(project: Path) -> None:
    make_project(project, plugins=BOOM_PLUGIN)
    result = check(env={"INTERRUPT": "1"})
    assert result.exit_code == 2
    assert "interrupted" in result.stderr
    assert "Traceback" not in result.output


def test_local_plugin_header_lines_are_shown(project: Path) -> None:
    make_project(project, plugins=BOOM_PLUGIN)
    assert "\nlocal plugin says hello\n" in check().stdout


# ---------------------------------------------------------------------------
# 4: usage and configuration errors, never a traceback
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--maxfail", "-1"], "Invalid value for '--maxfail'"),
        (["--maxfail", "many"], "Invalid value for '--maxfail'"),
        (["--bogus"], "--bogus"),  # click's wording of this error varies by version
        (["--group-by", "service"], "Invalid value for '--group-by'"),
    ],
)
def test_exit_4_on_bad_options(project: Path, args: list[str], needle: str) -> None:
    assert_usage_error(check(*args), needle)


def test_exit_4_on_bad_now(project: Path) -> None:
    assert_usage_error(run_cli(["check", "--now", "last tuesday"]),
                       "ERROR: invalid --now 'last tuesday'")


def test_exit_4_on_unknown_focus_listing_the_known_ones(project: Path) -> None:
    assert_usage_error(check("--focus", "speed"), "unknown focus 'speed'",
                       "known focuses: knowledge-sharing, stability, throughput")


def test_exit_4_on_unknown_format_listing_the_known_ones(project: Path) -> None:
    result = check("--format", "xml")
    assert_usage_error(result, "unknown format 'xml'", "known formats: ", "junit", "terminal")


def test_exit_4_when_two_formats_want_stdout(project: Path) -> None:
    assert_usage_error(check("--format", "json", "--format", "terminal"),
                       "would all write to standard output")


@pytest.mark.parametrize("spelling", [["--output", "-"], ["--output=-"], ["-o-"]])
def test_output_dash_is_standard_output(project: Path, spelling: list[str]) -> None:
    """``--output -`` is stdout, as for most tools: the JSON alone (no terminal report
    mixed in), and no file named ``-`` in the folder (it made both)."""
    make_project(project)
    result = check("--format", "json", *spelling)
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["summary"]["failed"] >= 1
    assert not (project / "-").exists()
    assert_usage_error(check("--format", "json", "-o", "-", "--format", "sarif", "-o", "-"),
                       "would all write to standard output")


def test_junitxml_dash_and_report_dash_are_standard_output(project: Path) -> None:
    make_project(project)
    result = check("--junitxml", "-")
    assert result.stdout.startswith("<?xml"), result.stdout[:200]
    check("--format", "json", "--output", "r.json")
    rendered = run_cli(["report", "r.json", "-f", "markdown", "-o", "-"])
    assert rendered.exit_code == 0, rendered.output
    assert rendered.stdout.startswith("## guardrails")
    assert not (project / "-").exists()


@pytest.mark.parametrize("args", [
    ["check", "--junitxml", "-q"], ["check", "--format", "json", "--output", "-v"],
    ["check", "-f", "json", "-o", "-q"], ["check", "--baseline", "-x"],
    ["check", "--write-baseline", "-q"], ["check", "-c", "-q"], ["validate", "-c", "-q"],
    ["hook", "--baseline", "-q"], ["report", "r.json", "-o", "-v"],
    ["merge", "r.json", "-f", "json", "-o", "-q"],
])
def test_exit_4_when_a_file_option_is_given_an_option(project: Path, args: list[str]) -> None:
    """A FILE forgotten (``--junitxml -q``, as pytest users type it) took the next
    option as the file's name: a report written to a file called ``-q``, and -q lost."""
    make_project(project)
    check("--format", "json", "--output", "r.json")
    result = run_cli(args)
    assert_usage_error(result, "is an option, not a file name", "./-")
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("-")) == []


def test_exit_4_when_output_comes_before_its_format(project: Path) -> None:
    assert_usage_error(check("--output", "r.json", "--format", "json"),
                       "must follow the --format it is for")


def test_exit_4_on_bad_keyword_expression(project: Path) -> None:
    assert_usage_error(check("-k", "team and"), "invalid -k expression 'team and'")


def test_exit_4_on_bad_config(project: Path) -> None:
    (project / "guardrails.yaml").write_text("rules: [rules/]\nwindwo: 30d\n")
    assert_usage_error(check(), "ERROR: guardrails.yaml:2:1: invalid config",
                       "did you mean 'window' instead of 'windwo'?")


def test_exit_4_on_bad_rule_file(project: Path) -> None:
    (project / "rules" / "people.yaml").write_text(
        "pack: people\nrules:\n  - id: a\n    check: count\n    facts: teams\n"
        "    min: 1\n    severity: high\n")
    assert_usage_error(check(), "ERROR: rules/people.yaml:7:5: invalid rule file",
                       "'high' is not one of ['error', 'warning']")


def test_exit_4_on_bad_data_file(project: Path) -> None:
    (project / "org" / "teams.yaml").write_text("teams:\n  - members: []\n")
    result = check()
    assert_usage_error(result, "org/teams.yaml:2")


def test_exit_4_on_unknown_source(project: Path) -> None:
    (project / "guardrails.yaml").write_text("rules: [rules/]\nsources:\n  filez: {path: org}\n")
    assert_usage_error(check(), "guardrails.yaml:3: unknown source 'filez'", "known sources: ")


def test_exit_4_without_a_config_explains_init(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run_cli(["check"]), "no guardrails.yaml", "guardrails init")


# ---------------------------------------------------------------------------
# 5: nothing to run
# ---------------------------------------------------------------------------


def test_exit_5_when_no_rules_are_configured(project: Path) -> None:
    (project / "guardrails.yaml").write_text("rules: []\nsources:\n  files: {path: org}\n")
    result = check()
    assert result.exit_code == 5
    assert "collected 0 rules" in result.stdout


def test_exit_5_when_every_rule_is_deselected(project: Path) -> None:
    result = check("-k", "nothing-matches")
    assert result.exit_code == 5
    assert "collected 2 rules / 2 deselected / 0 selected" in result.stdout
    assert "2 deselected in " in result.stdout


def test_exit_5_when_tag_selects_nothing(project: Path) -> None:
    assert check("-m", "peopl").exit_code == 5  # -m wants the exact tag
    assert check("-m", "people").exit_code == 1


# ---------------------------------------------------------------------------
# stopping early, strictness
# ---------------------------------------------------------------------------

THREE_FAILING = """\
pack: sizes
rules:
  - id: one
    check: teams.size
    min: 10
  - id: two
    check: teams.size
    max: 2
  - id: three
    check: count
    facts: teams
    max: 1
"""


def results_of(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["id"] for r in json.loads(result.stdout)["results"]]


@pytest.mark.parametrize(
    ("args", "ran"),
    [
        ((), ["sizes::one", "sizes::two", "sizes::three"]),
        (("-x",), ["sizes::one"]),
        (("--exitfirst",), ["sizes::one"]),
        (("--maxfail", "2"), ["sizes::one", "sizes::two"]),
        (("--maxfail", "0"), ["sizes::one", "sizes::two", "sizes::three"]),  # 0: no limit
    ],
)
def test_exitfirst_and_maxfail(project: Path, args: tuple[str, ...], ran: list[str]) -> None:
    make_project(project, rules={"rules/people.yaml": THREE_FAILING})
    result = check("--format", "json", *args)
    assert result.exit_code == 1
    assert results_of(result) == ran


def test_exitfirst_says_it_stopped(project: Path) -> None:
    make_project(project, rules={"rules/people.yaml": THREE_FAILING})
    result = check("-x")
    assert "!!! stopping after 1 failures !!!" in result.stdout
    assert "1 failed in " in result.stdout


WARNING_RULES = PEOPLE_RULES.replace("    max: 8\n", "    max: 8\n    severity: warning\n")


def test_warning_failure_does_not_fail_the_run_unless_strict(project: Path) -> None:
    make_project(project, rules={"rules/people.yaml": WARNING_RULES})
    relaxed = check()
    assert relaxed.exit_code == 0
    assert "rules/people.yaml W." in relaxed.stdout
    assert "FAILED people::team-size - 1 team outside 3..8 members: beta (9) (warning)" in (
        relaxed.stdout)
    assert check("--strict").exit_code == 1


# ---------------------------------------------------------------------------
# output formats
# ---------------------------------------------------------------------------


def test_json_to_stdout_parses(project: Path) -> None:
    result = check("--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["version"] == 3
    assert data["now"] == "2026-11-20T00:00:00Z"
    assert data["summary"] | {"duration_s": 0} == {
        "failed": 1, "passed": 1, "skipped": 0, "error": 0, "waived": 0, "duration_s": 0,
        "exit_code": 1}
    failed = data["results"][0]
    assert failed["id"] == "people::team-size"
    # version 3: the row of org/teams.yaml the team was read from
    assert failed["evidence"] == [{"subject": "team/beta", "detail": "9 members (max 8)",
                                   "url": None, "team": "beta", "file": "org/teams.yaml",
                                   "line": 7, "record": True}]
    # the value counts offending teams; the 3..8 bound is per team, in the message
    assert (failed["value"], failed["unit"], failed["threshold"]) == (1, "count", {"max": 0})


def test_junit_file_and_terminal_together(project: Path) -> None:
    result = check("--format", "junit", "--output", "reports/f.xml", "--format", "terminal")
    assert result.exit_code == 1
    assert "collected 2 rules" in result.stdout
    root = ET.parse(project / "reports" / "f.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    names = [tc.get("name") for tc in root.iter("testcase")]
    assert names == ["team-size", "some-teams"]


def test_junitxml_shorthand_keeps_the_terminal(project: Path) -> None:
    result = check("--junitxml", "out.xml")
    assert (project / "out.xml").is_file()
    assert "collected 2 rules" in result.stdout


def test_json_output_file_keeps_the_terminal(project: Path) -> None:
    result = check("--format", "json", "--output", "r.json")
    assert "collected 2 rules" in result.stdout
    data = json.loads((project / "r.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in data["results"]] == ["people::team-size", "people::some-teams"]


# ---------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------


def test_init_scaffolds_a_valid_config_and_refuses_to_overwrite(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["init"])
    assert result.exit_code == 0, result.output
    assert "created guardrails.yaml" in result.stdout
    cfg = load_config(tmp_path / "guardrails.yaml")  # validates against the schema
    assert cfg.focus == "stability"
    # Not today's date: a placeholder the user fills in, which goals::focus-revisited fails.
    assert cfg.focus_reviewed_on is None and cfg.focus_reviewed_on_placeholder
    assert cfg.sources == {"files": {"path": "org"}}
    assert "./guardrails/rules/" in cfg.rule_specs
    assert (tmp_path / "org" / "teams.yaml").is_file()
    assert (tmp_path / "guardrails" / "rules" / "local.yaml").is_file()

    (tmp_path / "guardrails.yaml").write_text("# mine\nrules: []\n")
    again = run_cli(["init"])
    assert_usage_error(again, "already exist", "nothing was written")
    assert (tmp_path / "guardrails.yaml").read_text() == "# mine\nrules: []\n"


def test_init_into_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(["init", "--dir", "new/place"]).exit_code == 0
    assert (tmp_path / "new" / "place" / "guardrails.yaml").is_file()


@pytest.mark.parametrize("where", [".", "services/billing"])
def test_init_in_a_git_repository_or_a_folder_of_one_reads_its_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    # a monorepo's folder has no .git of its own: init left the git source out there
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=HANG_GUARD)
    folder = tmp_path / where
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    assert run_cli(["init"]).exit_code == 0
    assert load_config(folder / "guardrails.yaml").sources["git"] == {"path": "."}


def test_check_runs_right_after_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_cli(["init"])
    result = check()
    assert result.exit_code in (0, 1), result.output


# ---------------------------------------------------------------------------
# list, explain, schema, facts
# ---------------------------------------------------------------------------


def test_list(project: Path) -> None:
    result = run_cli(["list"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "people::team-size   teams.size  error    [people]  Teams have 3 to 8 members",
        "people::some-teams  count       error    [people]  At least one team",
        "",
        "2 rules",
    ]


def test_list_with_selection_and_json(project: Path) -> None:
    result = run_cli(["list", "-k", "size", "--format", "json"])
    assert result.exit_code == 0
    (rule,) = json.loads(result.stdout)
    assert rule["id"] == "people::team-size"
    assert rule["params"] == {"min": 3, "max": 8}
    assert (rule["file"], rule["line"]) == ("rules/people.yaml", 4)
    assert run_cli(["list", "-k", "nothing"]).exit_code == 5


def test_list_shows_metric_names(project: Path) -> None:
    (project / "guardrails.yaml").write_text("rules: [builtin:stability]\n")
    lines = run_cli(["list"]).stdout.splitlines()
    assert lines[0].split()[:3] == ["stability::deployment-frequency",
                                    "metric:dora.deployment_frequency", "error"]


SECTIONS = ("What it checks", "Why it matters", "Default and where it comes from",
            "How to fix a failure", "Data it needs")


def test_explain_builtin_rule_without_config(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["explain", "stability::change-failure-rate"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "stability::change-failure-rate - Change failure rate stays under 15%"
    assert "defined in: rules/stability.yaml" in result.stdout
    headings = [line for line in lines if line in SECTIONS]
    assert headings == list(SECTIONS)
    assert "  stability: max: 0.1" in lines


def test_explain_shows_the_focus_in_effect(project: Path) -> None:
    (project / "guardrails.yaml").write_text("focus: {current: stability}\n"
                                             "rules: [builtin:stability]\n")
    out = run_cli(["explain", "stability::time-to-restore"]).stdout
    assert '  max: "12h"  (default \'24h\', focus stability)' in out
    assert "  stability: max: \"12h\"  <- current focus" in out


def test_explain_unknown_rule_suggests(project: Path) -> None:
    result = run_cli(["explain", "people::team-sise"])
    assert_usage_error(result, "no rule 'people::team-sise'", "people::team-size")


def test_schema_config_prints_the_shipped_schema(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["schema", "config"])
    assert result.exit_code == 0
    shipped = json.loads(resources.files("guardrails.schemas").joinpath("config.json")
                         .read_text("utf-8"))
    assert json.loads(result.stdout) == shipped
    assert shipped["additionalProperties"] is False


def test_schema_rules_knows_every_check(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    schema = json.loads(run_cli(["schema", "rules"]).stdout)
    checks = schema["$defs"]["rule"]["properties"]["check"]["enum"]
    assert {"each", "count", "metric", "teams.size", "goals.focus_revisited"} <= set(checks)


def test_schema_unknown_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run_cli(["schema", "nope"]), "no schema named 'nope'")


def test_facts_json(project: Path) -> None:
    result = run_cli(["facts", "teams", "--format", "json"])
    assert result.exit_code == 0
    teams = json.loads(result.stdout)["teams"]
    assert [(t["id"], t["size"]) for t in teams] == [("alpha", 3), ("beta", 9)]


def test_facts_unknown_kind(project: Path) -> None:
    assert_usage_error(run_cli(["facts", "teems"]), "unknown fact kind 'teems'")


def test_rule_paths_without_a_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path, config=None)
    result = check("rules/people.yaml")
    # no config, so no sources: both rules lack their data
    assert result.exit_code == 0, result.output
    assert "collected 2 rules" in result.stdout
    assert "SKIPPED [1] people::team-size - no teams data" in result.stdout


@pytest.mark.parametrize("name, message", [
    ("checks-teams", "unknown check 'teams.size'"),
    ("source-files", "unknown source 'files'"),
])
def test_a_builtin_plugin_is_disabled_by_its_entry_point_name(project: Path, name: str,
                                                             message: str) -> None:
    assert_usage_error(check("-p", f"no:{name}"), message)


def test_the_fact_kinds_of_the_data_are_essential(project: Path) -> None:
    assert_usage_error(check("-p", "no:guardrails.datakinds"), "is essential")


def test_plugin_option_naming_a_loaded_module(project: Path) -> None:
    result = check("-p", "guardrails.checks.teams")
    assert result.exit_code == 1, result.output


# ---------------------------------------------------------------------------
# main() and the real console script
# ---------------------------------------------------------------------------


def test_main_returns_the_exit_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--now", NOW, "-q"]) == 1
    assert main(["check", "--maxfail", "x"]) == 4
    assert main(["--version"]) == 0
    assert main(["check", "--help"]) == 0
    out = capsys.readouterr()
    assert "Invalid value for '--maxfail'" in out.err


def test_console_script_in_a_real_process(project: Path) -> None:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update({k: v for k, v in cli_env().items() if v is not None})
    done = subprocess.run([str(console_script()), "check", "--now", NOW], cwd=project,
                          env=full_env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert done.returncode == 1, done.stderr
    assert "\x1b[" not in done.stdout  # piped: no colours
    assert "FAILED people::team-size" in done.stdout
    bad = subprocess.run([str(console_script()), "check", "--maxfail", "-1"], cwd=project,
                         env=full_env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert bad.returncode == 4
    assert "Traceback" not in bad.stderr


HOSTILE = "core##[error title=forged]x\x85\u2028\u202e\x9b[2J"


def test_json_outputs_parse_back_and_obey_nothing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """facts/list/check --format json: valid JSON that gives the data back as written,
    with no '##[' (a GitHub runner command anywhere in a line), C1 control, bidi
    override or line separator left raw for a terminal or CI log to act on."""
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path, org={"teams.yaml": "teams:\n  - id: " + json.dumps(HOSTILE)
                                + "\n    members: [{handle: a}]\n"},
                 rules={"rules/people.yaml": PEOPLE_RULES.replace(
                     "Teams have 3 to 8 members", json.dumps(HOSTILE))})
    outs = [run_cli(["facts", "--format", "json", "teams"]).output,
            run_cli(["list", "--format", "json"]).output,
            run_cli(["check", "--now", "2026-11-20", "--format", "json"]).output]
    for out in outs:
        text = out[out.index("{") if out.lstrip().startswith("{") else out.index("["):]
        assert HOSTILE in json.dumps(json.loads(text), ensure_ascii=False)  # as written
        assert "##[" not in out and not any(c in out for c in "\x85\u2028\u202e\x9b")
