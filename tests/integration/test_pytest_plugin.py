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
        "  team/beta  9 members (max 8)",
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


def test_without_flag_nothing_is_collected(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_bad_config_is_a_usage_error(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("--guardrails", "--guardrails-config", "missing.yaml",
                                      "-p", "no:cacheprovider")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*guardrails: missing.yaml: config file not found*"])


def test_guardrails_tester_fixture(pytester: pytest.Pytester) -> None:
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
