"""``pytest --guardrails`` and the ``guardrails_tester`` fixture, run by pytest's pytester.

Each test writes a project into pytester's folder and runs a real inner
pytest session in a subprocess (in-process runs would re-import guardrails'
modules next to the loaded ones); the expected outcomes are worked out by hand from the rules
and the teams file written here.
"""

from __future__ import annotations

import textwrap

import pytest
from helpers import TEAMS_YAML

pytest_plugins = ["pytester"]

# alpha has 3 members, beta 9 (TEAMS_YAML)
RULES = """\
pack: people
rules:
  - id: team-size
    title: Teams have 3 to 8 members
    check: teams.size
    min: 3
    max: 8
    tags: [teams, size]
  - id: tiny-teams
    check: teams.size
    max: 2
    tags: [teams]
  - id: roomy
    check: teams.size
    max: 5
    severity: warning
  - id: some-teams
    check: count
    facts: teams
    min: 1
    tags: [dora-like]
  - id: incidents-have-titles
    check: each
    facts: incidents
    expect: {required: [title]}
  - id: crashes
    check: local.boom
"""

CONFIG = """\
rules: [rules/]
sources:
  files: {path: org}
waivers:
  - rule: people::tiny-teams
    reason: reorganising in Q1
    expires: 2099-01-31
"""

PLUGIN = '''\
from guardrails.plugin import Check, hookimpl


class Boom(Check):
    name = "local.boom"

    def evaluate(self, rule, ctx):
        raise RuntimeError("kaput")


@hookimpl
def guardrails_collect_checks():
    return [Boom()]


@hookimpl
def guardrails_gather_finish(config, store):
    # one line per gathering, so the test can count them
    with open(config.root / "gathered.log", "a") as fh:
        fh.write("gathered\\n")
'''


@pytest.fixture(autouse=True)
def _only_our_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs load guardrails' pytest plugin alone (``-p xdist.plugin`` adds
    xdist): every other installed plugin, hypothesis first, costs each inner
    process about a second of CPU. ``installed_plugins`` undoes it."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "guardrails.pytest_plugin")


@pytest.fixture
def installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs load every installed plugin, guardrails' through its entry point."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.delenv("PYTEST_PLUGINS")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", guardrails=CONFIG)
    (pytester.path / "rules").mkdir()
    (pytester.path / "rules" / "people.yaml").write_text(RULES)
    (pytester.path / "org").mkdir()
    (pytester.path / "org" / "teams.yaml").write_text(TEAMS_YAML)
    pytester.makepyfile(guardrails_plugins=PLUGIN)
    return pytester


def test_outcomes_map_onto_pytest(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("--guardrails", "-v", "-rxs", "-p", "no:cacheprovider")
    # team-size failed; tiny-teams waived -> xfailed; roomy warning -> passed with a warning;
    # some-teams passed; no incidents -> skipped; crashes -> error (in setup)
    res.assert_outcomes(passed=2, failed=1, skipped=1, xfailed=1, errors=1, warnings=1)
    res.stdout.fnmatch_lines([
        "rules/people.yaml::people::team-size FAILED*",
        "rules/people.yaml::people::tiny-teams XFAIL*",
        "rules/people.yaml::people::roomy PASSED*",
        "rules/people.yaml::people::some-teams PASSED*",
        "rules/people.yaml::people::incidents-have-titles SKIPPED*",
        "rules/people.yaml::people::crashes ERROR*",
    ])
    # the failure text is the evidence, not a Python traceback
    res.stdout.fnmatch_lines([
        "*_ people::team-size _*",
        "1 team outside 3..8 members: beta (9)",
        "  team/beta  9 members (max 8) (org/teams.yaml:7)",  # the record's row
        "how to fix: guardrails explain people::team-size",
    ])
    res.stdout.fnmatch_lines(["*ERROR at setup of people::crashes*",
                              "ERROR: check local.boom crashed: RuntimeError: kaput"])
    res.stdout.fnmatch_lines(["*waived until 2099-01-31: reorganising in Q1*"])
    res.stdout.fnmatch_lines(["*GuardrailsWarning: people::roomy (severity warning)*"])
    assert res.ret == pytest.ExitCode.TESTS_FAILED
    # facts were gathered once for the six rules
    assert (project.path / "gathered.log").read_text() == "gathered\n"


def test_select_with_k_and_m(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("--guardrails", "-m", "dora-like", "--collect-only",
                                       "-q", "-p", "no:cacheprovider")
    res.stdout.fnmatch_lines(["rules/people.yaml::people::some-teams"])
    # collecting only gathers nothing
    assert not (project.path / "gathered.log").exists()
    res = project.runpytest_subprocess("--guardrails", "-m", "teams and not size",
                                       "--strict-markers", "-p", "no:cacheprovider")
    res.assert_outcomes(xfailed=1)  # only tiny-teams has teams without size
    res = project.runpytest_subprocess("--guardrails", "-k", "some-teams or roomy",
                                       "--strict-markers", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=2, warnings=1)
    # warned at the rule's own line: "- id: roomy" is line 13 of RULES
    res.stdout.fnmatch_lines(["*rules/people.yaml:13: GuardrailsWarning: people::roomy*"])


def test_without_flag_nothing_is_collected(project: pytest.Pytester,
                                           installed_plugins: None) -> None:
    res = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_bad_config_is_a_usage_error(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("--guardrails", "--guardrails-config", "missing.yaml",
                                      "-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*guardrails: missing.yaml: config file not found*"])


def test_guardrails_tester_fixture(pytester: pytest.Pytester, installed_plugins: None) -> None:
    """A plugin author's test suite, using the fixture the pytest plugin offers."""
    pytester.makepyfile(textwrap.dedent('''
        def test_team_size(guardrails_tester):
            guardrails_tester.write_org({"teams.yaml": {"teams": [
                {"id": "solo", "members": [{"handle": "ann"}]},
                {"id": "trio", "members": [{"handle": h} for h in "abc"]},
            ]}})
            guardrails_tester.write_rules({"pack": "mine", "rules": [
                {"id": "size", "check": "teams.size", "min": 2, "max": 8},
            ]})
            result = guardrails_tester.run("check", "--now", "2026-11-20")
            assert result.exit_code == 1
            assert result.outcomes() == {"mine::size": "failed"}
            assert [e["subject"] for e in result.result("mine::size")["evidence"]] == [
                "team/solo"]
            assert "FAILURES" in result.stdout

        def test_usage_error(guardrails_tester):
            guardrails_tester.write_rules("pack: broken\\nrules: 3\\n", name="broken")
            result = guardrails_tester.run("check")
            assert result.exit_code == 4
            assert result.report_json is None
            assert "rules/broken.yaml" in result.stderr

        def test_other_commands(guardrails_tester):
            guardrails_tester.write_rules({"pack": "p", "rules": [
                {"id": "r", "check": "count", "facts": "teams", "min": 1}]})
            guardrails_tester.write_org({"teams.yaml": {"teams": []}})
            result = guardrails_tester.run("list")
            assert result.exit_code == 0
            assert "p::r" in result.stdout
    '''))
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    res.assert_outcomes(passed=3)


def test_config_is_found_from_the_invocation_folder(pytester: pytest.Pytester) -> None:
    # The rootdir is the outer project (it has the pytest ini file); the guardrails
    # config lives in a sub-folder that pytest is run from.
    pytester.makeini("[pytest]\n")
    org = pytester.path / "sub"
    (org / "rules").mkdir(parents=True)
    (org / "rules" / "people.yaml").write_text(RULES.split("  - id: tiny-teams")[0])
    (org / "org").mkdir()
    (org / "org" / "teams.yaml").write_text(TEAMS_YAML)
    (org / "guardrails.yaml").write_text("rules: [rules/]\nsources:\n  files: {path: org}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(org)
        res = pytester.runpytest_subprocess("--guardrails", "-rs", "-p", "no:cacheprovider")
    res.assert_outcomes(failed=1)  # team-size: beta has 9 members


def test_builtin_rule_skips_point_at_the_shipped_pack(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", guardrails="rules: [builtin:teams]\n")
    res = pytester.runpytest_subprocess("--guardrails", "-rs", "-p", "no:cacheprovider")
    # no data at all: every teams rule is skipped, reported at its line in rules/teams.yaml
    res.stdout.fnmatch_lines(["SKIPPED [[]1[]] *teams.yaml:*: no teams data"])
    assert "pytest_plugin.py" not in res.stdout.str()


def test_baseline_option_skips_known_failures(project: pytest.Pytester) -> None:
    from helpers import run_cli

    # The baseline plugin is the same under pytest as under 'guardrails check'.
    assert run_cli(["check", "-q", "--write-baseline", "b.json"]).exit_code == 1
    res = project.runpytest_subprocess("--guardrails", "-v", "-rs", "-p", "no:cacheprovider",
                                       "--guardrails-baseline", "b.json")
    res.stdout.fnmatch_lines(["rules/people.yaml::people::team-size SKIPPED*",
                              "*known in baseline b.json*"])
    # team-size and the warning-severity roomy were failing: both known now
    res.assert_outcomes(passed=1, skipped=3, xfailed=1, errors=1)
    res = project.runpytest_subprocess("--guardrails", "-p", "no:cacheprovider",
                                       "--guardrails-baseline", "missing.json")
    # A baseline not written yet is an empty one, said out loud (docs/ci.md).
    assert res.ret == pytest.ExitCode.TESTS_FAILED
    res.stderr.fnmatch_lines(["*baseline missing.json does not exist yet*"])


# --- node ids: printed, passed back, rerun (issue 11) ------------------------------------

MINE = """\
pack: mine
rules:
  - id: docs.size
    check: teams.size
    max: 20
"""


def _failed_ids(res: pytest.RunResult) -> list[str]:
    """The node ids of the short summary's FAILED lines (``-rf``)."""
    return [line.split()[1] for line in res.stdout.lines if line.startswith("FAILED ")]


def test_printed_ids_can_be_passed_back(pytester: pytest.Pytester) -> None:
    # A project whose own tests are in tests/ (testpaths), with a rule folder,
    # a nested local rule file and a builtin pack. (Not guardrails/rules/ as in
    # DESIGN.md: under `python -m pytest` that folder would shadow this editable
    # install's package; an installed wheel wins over it.)
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.makefile(".yaml", guardrails="rules:\n  - builtin:teams\n  - rules/\n"
                      "  - ./checks/rules/\nsources:\n  files: {path: org}\n")
    (pytester.path / "rules").mkdir()
    (pytester.path / "rules" / "people.yaml").write_text(RULES.split("  - id: tiny")[0])
    (pytester.path / "checks" / "rules").mkdir(parents=True)
    (pytester.path / "checks" / "rules" / "mine.yaml").write_text(MINE)
    (pytester.path / "org").mkdir()
    (pytester.path / "org" / "teams.yaml").write_text(TEAMS_YAML)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_app.py").write_text("def test_app():\n    pass\n")

    # No argument: the project's tests and every rule file (none is under tests/).
    res = pytester.runpytest_subprocess("--guardrails", "-rf", "-p", "no:cacheprovider")
    # builtin two-pizza-teams and people::team-size fail on beta (9 members)
    failed = _failed_ids(res)
    assert failed == ["guardrails.yaml::teams::two-pizza-teams",
                      "rules/people.yaml::people::team-size"]
    res.assert_outcomes(passed=2, failed=2, skipped=3)

    # Passed back, the printed ids run those rules and nothing else (a folder
    # holding no rule file, tests/, runs no rule).
    res = pytester.runpytest_subprocess("--guardrails", "-v", "-p", "no:cacheprovider",
                                        *failed, "tests")
    res.assert_outcomes(failed=2, passed=1)
    res.stdout.fnmatch_lines(["guardrails.yaml::teams::two-pizza-teams FAILED*",
                              "rules/people.yaml::people::team-size FAILED*",
                              "tests/test_app.py::test_app PASSED*"])
    assert _failed_ids(res) == failed

    # A path or a pack selects as pytest's own arguments do; a dotted rule id
    # is printed as written (pytest's -v line would make it mine::docs::size).
    res = pytester.runpytest_subprocess("--guardrails", "-v", "-p", "no:cacheprovider",
                                        "checks/rules/mine.yaml", "guardrails.yaml::teams",
                                        "-k", "not bus-factor and not codeowners")
    res.stdout.fnmatch_lines(["checks/rules/mine.yaml::mine::docs.size PASSED*",
                              "guardrails.yaml::teams::two-pizza-teams FAILED*",
                              "guardrails.yaml::teams::slack-in-plans SKIPPED*"])
    res.assert_outcomes(passed=1, failed=1, skipped=1, deselected=2)


def test_arguments_pytest_cannot_find_name_their_fix(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", guardrails="rules: [builtin:teams]\n")
    (pytester.path / "extra").mkdir()
    (pytester.path / "extra" / "mine.yaml").write_text(MINE)
    # guardrails' own reports show a builtin rule's file as rules/<pack>.yaml
    res = pytester.runpytest_subprocess("--guardrails", "-p", "no:cacheprovider",
                                        "rules/teams.yaml::teams::two-pizza-teams",
                                        "extra/mine.yaml")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines([
        "ERROR: guardrails: rules/teams.yaml::teams::two-pizza-teams: builtin pack 'teams' "
        "is collected under guardrails.yaml; pass 'guardrails.yaml::teams::two-pizza-teams'",
        "extra/mine.yaml: a rule pack that guardrails.yaml does not collect; add it to its "
        "'rules:' list, or run 'guardrails check extra/mine.yaml'",
    ])


def test_last_failed_round_trip(project: pytest.Pytester) -> None:
    # pytest's cache provider is on in these inner runs: no -p no:cacheprovider here,
    # and the suite's own addopts do not reach them (pytester drops PYTEST_ADDOPTS).
    res = project.runpytest_subprocess("--guardrails")
    res.assert_outcomes(passed=2, failed=1, skipped=1, xfailed=1, errors=1, warnings=1)

    # --lf: the failed rule and the errored one, nothing else
    res = project.runpytest_subprocess("--guardrails", "--lf", "-v")
    res.stdout.fnmatch_lines(["run-last-failure: rerun previous 2 failures*"])
    res.assert_outcomes(failed=1, errors=1, deselected=4)
    res.stdout.fnmatch_lines(["rules/people.yaml::people::team-size FAILED*",
                              "rules/people.yaml::people::crashes ERROR*"])

    # beta shrinks to 8 members; --ff runs every rule, the two that failed
    # first: team-size passes now, crashes still errors
    (project.path / "org" / "teams.yaml").write_text(TEAMS_YAML.replace(
        "      - {handle: lou}\n", ""))
    res = project.runpytest_subprocess("--guardrails", "--ff", "-v")
    res.stdout.fnmatch_lines(["run-last-failure: rerun previous 2 failures first*"])
    res.assert_outcomes(passed=3, skipped=1, xfailed=1, errors=1, warnings=1)
    ran = [line.split()[:2] for line in res.stdout.lines
           if line.startswith("rules/people.yaml::people::") and line.endswith("%]")]
    assert ran == [["rules/people.yaml::people::team-size", "PASSED"],
                   ["rules/people.yaml::people::crashes", "ERROR"],
                   ["rules/people.yaml::people::tiny-teams", "XFAIL"],
                   ["rules/people.yaml::people::roomy", "PASSED"],
                   ["rules/people.yaml::people::some-teams", "PASSED"],
                   ["rules/people.yaml::people::incidents-have-titles", "SKIPPED"]]


OUTCOMES_CONFTEST = '''\
import json


def pytest_runtest_logreport(report):
    # under xdist the workers' reports reach the controller's hook too
    outcome = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed"
    elif report.when != "call" and report.failed:
        outcome = "error"
    elif report.when != "call" and not report.skipped:
        return
    OUT.setdefault(report.nodeid, outcome)


OUT = {}


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):
        with open("outcomes.json", "w") as fh:
            json.dump(OUT, fh, sort_keys=True)
'''


def test_xdist_run_matches_serial(project: pytest.Pytester) -> None:
    import json

    project.makeconftest(OUTCOMES_CONFTEST)
    serial = project.runpytest_subprocess("--guardrails", "-p", "no:cacheprovider")
    serial_outcomes = json.loads((project.path / "outcomes.json").read_text())
    (project.path / "gathered.log").unlink()
    res = project.runpytest_subprocess("--guardrails", "-p", "no:cacheprovider",
                                       "-p", "xdist.plugin", "-n", "2")
    assert json.loads((project.path / "outcomes.json").read_text()) == serial_outcomes
    assert serial_outcomes == {
        "rules/people.yaml::people::team-size": "failed",
        "rules/people.yaml::people::tiny-teams": "xfailed",
        "rules/people.yaml::people::roomy": "passed",
        "rules/people.yaml::people::some-teams": "passed",
        "rules/people.yaml::people::incidents-have-titles": "skipped",
        "rules/people.yaml::people::crashes": "error",
    }
    assert res.parseoutcomes() == serial.parseoutcomes()
    assert res.ret == serial.ret == pytest.ExitCode.TESTS_FAILED
    # facts are gathered once per worker that ran a rule
    assert 1 <= len((project.path / "gathered.log").read_text().splitlines()) <= 2
