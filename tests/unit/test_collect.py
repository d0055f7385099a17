"""Collecting rules: packs, rule-file validation with exact positions, focus, selection."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from helpers import write

from guardrails.config import RunOptions, load_config
from guardrails.errors import ConfigError, LoadErrors, RuleFileError, UsageError
from guardrails.expressions import compile_expression, select, unmatched_names
from guardrails.model import Rule, Severity
from guardrails.rulepaths import builtin_packs, resolve_specs
from guardrails.session import Session


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def collect(root: Path, rules: Mapping[str, str], config: str = "rules:\n  - rules/\n",
            **options: object) -> Session:
    """Write the files, then configure and collect a real session."""
    for rel, text in rules.items():
        write(root, rel, text)
    cfg = load_config(write(root, "guardrails.yaml", config), RunOptions(**options))
    session = Session(cfg)
    session.configure()
    session.collect()
    return session


def collect_error(root: Path, rules: Mapping[str, str], config: str = "rules:\n  - rules/\n",
                  **options: object) -> UsageError:
    with pytest.raises(UsageError) as info:
        collect(root, rules, config, **options)
    return info.value


def by_id(session: Session) -> dict[str, Rule]:
    return {r.nodeid: r for r in session.rules}


COUNT_RULE = """\
pack: p
rules:
  - id: a
    check: count
    facts: teams
    min: 1
"""

# ---------------------------------------------------------------------------
# where rule files come from
# ---------------------------------------------------------------------------


def test_builtin_packs_include_the_contract_packs() -> None:
    assert {"stability", "incidents", "teams", "goals"} <= set(builtin_packs())


def test_builtin_pack_is_collected(tmp_path: Path) -> None:
    session = collect(tmp_path, {}, "rules:\n  - builtin:stability\n")
    assert [r.nodeid for r in session.rules] == [
        "stability::deployment-frequency", "stability::lead-time",
        "stability::change-failure-rate", "stability::time-to-restore",
    ]
    assert all(r.builtin and r.file == "rules/stability.yaml" for r in session.rules)
    assert by_id(session)["stability::lead-time"].tags == ("stability", "dora")


def test_unknown_builtin_pack_suggests_the_close_one(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {}, "rules:\n  - builtin:teams\n  - builtin:stabilty\n")
    assert (err.file, err.line) == ("guardrails.yaml", 3)
    assert "unknown builtin pack 'stabilty'" in err.message
    assert (err.fix or "").startswith("did you mean 'builtin:stability'?")
    assert "builtin packs: " in (err.fix or "")


def test_folder_of_rule_files_is_read_recursively_in_order(tmp_path: Path) -> None:
    session = collect(tmp_path, {
        "rules/b.yaml": COUNT_RULE.replace("pack: p", "pack: b"),
        "rules/a.yml": COUNT_RULE.replace("pack: p", "pack: a"),
        "rules/sub/c.yaml": COUNT_RULE.replace("pack: p", "pack: c"),
        "rules/notes.txt": "not a rule file",
    })
    assert [r.nodeid for r in session.rules] == ["a::a", "b::a", "c::a"]
    assert [f for f, _ in session.files] == ["rules/a.yml", "rules/b.yaml", "rules/sub/c.yaml"]


def test_same_file_named_twice_is_collected_once(tmp_path: Path) -> None:
    session = collect(tmp_path, {"rules/p.yaml": COUNT_RULE},
                      "rules:\n  - rules/p.yaml\n  - rules/\n")
    assert [r.nodeid for r in session.rules] == ["p::a"]


def test_empty_rule_folder(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    err = collect_error(tmp_path, {})
    assert (err.file, err.line) == ("guardrails.yaml", 2)
    assert "holds no .yaml files" in err.message
    assert err.fix is not None and "add a pack to it" in err.fix


def test_a_rule_id_given_as_a_path_is_told_to_use_k(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest takes ``file::test`` node ids as paths; guardrails selects rules with -k."""
    from helpers import check

    monkeypatch.chdir(tmp_path)
    write(tmp_path, "guardrails.yaml", "rules: [builtin:teams]\n")
    result = check("teams::two-pizza-teams")
    assert result.exit_code == 4, result.output
    assert result.stderr.strip() == (
        "ERROR: rule file or folder 'teams::two-pizza-teams' does not exist. Fix: PATHS are "
        "rule files, folders or builtin:<pack>; to run the rule teams::two-pizza-teams "
        "alone, select it: guardrails check -k teams::two-pizza-teams")


def test_missing_rule_path(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {}, "rules:\n  - builtin:teams\n  - team-rules.yaml\n")
    assert (err.file, err.line) == ("guardrails.yaml", 3)
    assert "does not exist" in err.message


def test_rule_path_outside_the_root(tmp_path: Path) -> None:
    write(tmp_path, "shared/p.yaml", COUNT_RULE)
    project = tmp_path / "project"
    with pytest.raises(ConfigError) as info:
        collect(project, {}, "rules:\n  - ../shared/p.yaml\n")
    assert info.value.line == 2
    assert "outside the folder holding the config" in info.value.message
    allowed = collect(project, {}, "rules:\n  - ../shared/p.yaml\nallow_outside_root: true\n")
    assert [r.nodeid for r in allowed.rules] == ["p::a"]


def test_rule_folder_link_outside_the_root(tmp_path: Path) -> None:
    import os

    write(tmp_path, "shared/p.yaml", COUNT_RULE)
    project = tmp_path / "project"
    (project / "rules").mkdir(parents=True)
    os.symlink(tmp_path / "shared" / "p.yaml", project / "rules" / "p.yaml")
    with pytest.raises(UsageError) as info:
        collect(project, {})
    assert info.value.file == "rules/p.yaml"
    assert "resolves outside" in info.value.message
    allowed = collect(project, {}, "rules:\n  - rules/\nallow_outside_root: true\n")
    assert [r.nodeid for r in allowed.rules] == ["p::a"]


def test_rule_folder_fifo_and_proc_link_are_refused_even_when_allowed(tmp_path: Path) -> None:
    import os

    (tmp_path / "rules").mkdir()
    os.symlink("/proc/self/environ", tmp_path / "rules" / "env.yaml")
    os.mkfifo(tmp_path / "rules" / "pipe.yaml")
    with pytest.raises(UsageError) as info:
        collect(tmp_path, {}, "rules:\n  - rules/\nallow_outside_root: true\n")
    text = str(info.value)
    assert "rules/env.yaml" in text and "/proc/" in text
    assert "rules/pipe.yaml" in text and "FIFO" in text


# ---------------------------------------------------------------------------
# rule file validation: exact positions
# ---------------------------------------------------------------------------


def test_rule_fields(tmp_path: Path) -> None:
    session = collect(tmp_path, {"rules/p.yaml": """\
        pack: people
        description: about people
        tags: [org]
        rules:
          - id: big-teams
            title: No big teams
            check: count
            facts: teams
            where: {properties: {size: {minimum: 9}}}
            max: 0
            severity: warning
            tags: [teams, org]
        """})
    (rule,) = session.rules
    assert rule.nodeid == "people::big-teams"
    assert rule.title == "No big teams"
    assert rule.check == "count"
    assert dict(rule.params) == {"facts": "teams", "where": {"properties": {"size": {
        "minimum": 9}}}, "max": 0}
    assert rule.severity is Severity.WARNING
    assert rule.tags == ("org", "teams")  # pack tags first, each once
    assert (rule.file, rule.line) == ("rules/p.yaml", 5)
    assert rule.builtin is False


@pytest.mark.parametrize(
    ("text", "line", "column", "needle"),
    [
        # missing check: points at the rule item (line 3, after "- ")
        ("pack: p\nrules:\n  - id: a\n    title: t\n", 3, 5,
         "'check' is a required property at $.rules[0]"),
        # bad severity: points at the severity key
        ("pack: p\nrules:\n  - id: a\n    check: count\n    facts: teams\n    min: 1\n"
         "    severity: fatal\n", 7, 5, "'fatal' is not one of ['error', 'warning']"),
        # bad rule id characters
        ("pack: p\nrules:\n  - id: 'has space'\n    check: count\n", 3, 5,
         "$.rules[0].id"),
        # no rules at all
        ("pack: p\nrules: []\n", 2, 1, "should be non-empty at $.rules"),
        # pack missing
        ("rules:\n  - id: a\n    check: count\n", 1, 1, "'pack' is a required property"),
        # a window that is not a duration, in the second rule
        ("pack: p\nrules:\n  - id: a\n    check: count\n    facts: teams\n    min: 1\n"
         "  - id: b\n    check: count\n    facts: teams\n    min: 1\n    window: 3 months\n",
         11, 5, "$.rules[1].window"),
    ],
)
def test_rule_file_schema_violations(tmp_path: Path, text: str, line: int, column: int,
                                     needle: str) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": text})
    assert isinstance(err, RuleFileError)
    assert (err.file, err.line, err.column) == ("rules/p.yaml", line, column)
    assert needle in err.message
    assert "schema path: " in err.message


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("1e308", "YAML 1.1 reads 1e308 as text"),  # no dot: a string to YAML 1.1
        ("true", "guardrails schema rules"),
        ("[1]", "guardrails schema rules"),
    ],
)
def test_rule_file_schema_violation_names_a_fix(tmp_path: Path, value: str, fix: str) -> None:
    """DESIGN: a usage error names file, line and fix; a schema's own words name no fix."""
    text = f"pack: p\nrules:\n  - id: a\n    check: count\n    facts: teams\n    max: {value}\n"
    err = collect_error(tmp_path, {"rules/p.yaml": text})
    assert (err.file, err.line) == ("rules/p.yaml", 6)
    assert err.fix and fix in err.fix
    assert ". Fix: " in str(err)


def test_empty_rules_list_says_what_to_add(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": "pack: p\nrules: []\n"})
    assert err.fix and "at least 1 item" in err.fix


def test_empty_rule_file(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": "# todo\n"})
    assert err.file == "rules/p.yaml"
    assert "empty" in err.message


def test_invalid_yaml_in_rule_file(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": "pack: p\nrules:\n  - id: [a\n"})
    assert err.file == "rules/p.yaml"
    assert err.message.startswith("invalid YAML")


def test_unknown_check_suggests_the_close_one(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml":
                                   "pack: p\nrules:\n  - id: a\n    check: eech\n"})
    assert (err.line, err.column) == (4, 5)
    assert "rule 'a': unknown check 'eech'" in err.message
    assert (err.fix or "").startswith("did you mean 'each'? known checks: ")
    assert "teams.size" in (err.fix or "")


def test_unknown_metric_suggests_the_close_one(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": "pack: p\nrules:\n  - id: a\n"
                                   "    check: metric\n    metric: dora.lead_tme\n    max: 7d\n"})
    assert (err.line, err.column) == (5, 5)
    assert "unknown metric 'dora.lead_tme'" in err.message
    assert (err.fix or "").startswith("did you mean 'dora.lead_time'?")


def test_check_specific_unknown_key_gets_a_suggestion(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE + "    mxa: 3\n"})
    assert err.file == "rules/p.yaml"
    assert "'mxa' was unexpected" in err.message
    assert err.fix == "did you mean 'max' instead of 'mxa'?"


def test_check_specific_unknown_key_points_at_its_line(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE + "    mxa: 3\n"})
    assert (err.line, err.column) == (7, 5)


def test_key_of_another_check_is_unknown_here(tmp_path: Path) -> None:
    # 'expect' belongs to 'each', not to 'count'
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE + "    expect: {}\n"})
    assert "'expect' was unexpected" in err.message


def test_check_parameter_type_error_points_at_the_key(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": "pack: p\nrules:\n  - id: a\n"
                                   "    check: metric\n    metric: dora.lead_time\n"
                                   "    max: 1 week\n"})
    assert (err.line, err.column) == (6, 5)
    assert "$.rules[0].max" in err.message


def test_required_check_parameter(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml":
                                   "pack: p\nrules:\n  - id: a\n    check: each\n"
                                   "    facts: teams\n"})
    assert (err.line, err.column) == (3, 5)
    assert "'expect' is a required property" in err.message


def test_count_needs_min_or_max(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE.replace("    min: 1\n", "")})
    assert err.line == 3


def test_invalid_expect_schema_is_a_rule_file_error(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml":
                                   "pack: p\nrules:\n  - id: a\n    check: each\n"
                                   "    facts: teams\n    expect: {type: objec}\n"})
    assert err.line == 6


def test_duplicate_rule_id_in_one_file(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE + "  - id: a\n    check: count\n"
                                   "    facts: teams\n    max: 3\n"})
    assert (err.file, err.line) == ("rules/p.yaml", 7)
    assert "duplicate rule id 'p::a' (first defined at rules/p.yaml:3)" in err.message


def test_duplicate_rule_id_across_files(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/a.yaml": COUNT_RULE, "rules/b.yaml": COUNT_RULE})
    assert (err.file, err.line) == ("rules/b.yaml", 3)
    assert "first defined at rules/a.yaml:3" in err.message


NO_BOUNDS = "  - id: b\n    check: count\n    facts: teams\n"  # count needs min or max


def _errors(err: UsageError) -> list[tuple[str | None, int | None, str]]:
    return [(e.file, e.line, e.message)
            for e in (err.errors if isinstance(err, LoadErrors) else [err])]


def test_duplicate_rule_id_when_the_first_file_has_another_error(tmp_path: Path) -> None:
    """The first copy's file fails to load for another rule: the repeat in the next
    file is still refused in the same run, naming the first copy (it was not
    reported at all, then only once a.yaml was fixed)."""
    err = collect_error(tmp_path, {"rules/a.yaml": COUNT_RULE + NO_BOUNDS,
                                   "rules/b.yaml": COUNT_RULE})
    got = _errors(err)
    assert [(f, n) for f, n, _ in got] == [("rules/a.yaml", 7), ("rules/b.yaml", 3)]
    assert got[1][2] == "duplicate rule id 'p::a' (first defined at rules/a.yaml:3)"


def test_duplicate_rule_id_when_the_first_copy_itself_is_bad(tmp_path: Path) -> None:
    """Three copies, the first one with an error of its own: both repeats name the
    first copy (the third was reported against the second, as its first)."""
    bad_first = COUNT_RULE.replace("    min: 1\n", "")
    err = collect_error(tmp_path, {"rules/a.yaml": bad_first, "rules/b.yaml": COUNT_RULE,
                                   "rules/c.yaml": COUNT_RULE})
    got = _errors(err)
    assert got[0][:2] == ("rules/a.yaml", 3) and "invalid rule 'a'" in got[0][2]
    assert got[1:] == [
        ("rules/b.yaml", 3, "duplicate rule id 'p::a' (first defined at rules/a.yaml:3)"),
        ("rules/c.yaml", 3, "duplicate rule id 'p::a' (first defined at rules/a.yaml:3)")]


def test_duplicate_rule_id_in_one_bad_file(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE + NO_BOUNDS + COUNT_RULE.split(
        "rules:\n", 1)[1]})
    assert ("rules/p.yaml", 10, "duplicate rule id 'p::a' (first defined at rules/p.yaml:3)"
            ) in _errors(err)


def test_switched_off_rule_in_a_bad_file_is_no_first_copy(tmp_path: Path) -> None:
    """A rule switched off (``enabled: false``) is not collected, so its id does not
    count (docs/rules.md), also when another rule of its file has an error: only
    that error is reported, no "duplicate rule id" against the copy switched off."""
    off = COUNT_RULE + "    enabled: false\n" + NO_BOUNDS
    err = collect_error(tmp_path, {"rules/a.yaml": off, "rules/b.yaml": COUNT_RULE})
    got = _errors(err)
    assert [(f, n) for f, n, _ in got] == [("rules/a.yaml", 8)], got


def test_duplicate_rule_id_from_a_plugin_that_yields_its_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin's ``guardrails_collect_file`` that hands back an iterator (the spec says
    a list) still has its ids checked: the collected rules were read a second time
    for the duplicate check, and an exhausted iterator let two rules share an id."""
    from helpers import make_project

    plugin = (
        "from guardrails.collect import guardrails_collect_file as builtin\n"
        "from guardrails.plugin import hookimpl\n\n\n"
        "@hookimpl(tryfirst=True)\n"
        "def guardrails_collect_file(path, config):\n"
        "    got = builtin(path, config)\n"
        "    return None if got is None else iter(got)\n")
    config = make_project(tmp_path, config="rules:\n  - rules/\n",
                          rules={"rules/a.yaml": COUNT_RULE, "rules/b.yaml": COUNT_RULE},
                          plugins=plugin)
    monkeypatch.chdir(tmp_path)
    session = Session(load_config(config, RunOptions()))
    session.configure()
    try:
        with pytest.raises(UsageError) as info:
            session.collect()
    finally:
        session.unconfigure()
    assert "duplicate rule id 'p::a' (first defined at rules/a.yaml:3)" in str(info.value)


def test_validate_names_the_first_copy_in_a_bad_file(tmp_path: Path) -> None:
    """``guardrails validate`` on the two files (as pre-commit names them) says the same."""
    from helpers import run_cli

    write(tmp_path, "rules/a.yaml", COUNT_RULE + NO_BOUNDS)
    write(tmp_path, "rules/b.yaml", COUNT_RULE)
    write(tmp_path, "guardrails.yaml", "rules:\n  - rules/\n")
    res = run_cli(["validate", "rules/a.yaml", "rules/b.yaml"])
    assert res.exit_code == 4
    assert ("rules/b.yaml:3: duplicate rule id 'p::a' (first defined at rules/a.yaml:3)"
            in res.output)


def test_validate_counts_a_bad_file_in_its_place_among_a_folders_files(
        tmp_path: Path) -> None:
    """What validate collects for one name (:func:`collect_named`) may be a folder's
    files: the ids of one that fails to load count where the file is, not after the
    folder's good files, so the repeat in b.yaml names a.yaml's copy as the first
    (b.yaml's was named, and a.yaml's copy reported as the repeat)."""
    from guardrails.namedfiles import collect_named
    from guardrails.rulefile import duplicate_errors

    write(tmp_path, "packs/a.yaml", COUNT_RULE + NO_BOUNDS)
    write(tmp_path, "packs/b.yaml", COUNT_RULE)
    cfg = load_config(write(tmp_path, "guardrails.yaml", "rules: []\n"), RunOptions())
    session = Session(cfg)
    session.configure()
    packs: list[Rule | tuple[str, str, int]] = []
    refused = collect_named(session, cfg, Path("packs"), [], packs, set())
    assert [e.line for e in refused] == [7]  # a.yaml's rule 'b' has no bounds
    assert [(e.file, e.line, e.message) for e in duplicate_errors(packs)] == [
        ("packs/b.yaml", 3, "duplicate rule id 'p::a' (first defined at packs/a.yaml:3)")]


def test_same_rule_id_in_different_packs_is_fine(tmp_path: Path) -> None:
    session = collect(tmp_path, {"rules/a.yaml": COUNT_RULE,
                                 "rules/b.yaml": COUNT_RULE.replace("pack: p", "pack: q")})
    assert [r.nodeid for r in session.rules] == ["p::a", "q::a"]


# ---------------------------------------------------------------------------
# focus, overrides, enabled
# ---------------------------------------------------------------------------


def test_focus_overrides_applied_and_defaults_kept(tmp_path: Path) -> None:
    session = collect(tmp_path, {}, "rules:\n  - builtin:stability\n", focus="stability")
    rules = by_id(session)
    cfr = rules["stability::change-failure-rate"]
    assert cfr.params["max"] == 0.10
    assert cfr.defaults["max"] == 0.15
    assert cfr.focus_applied == "stability"
    ttr = rules["stability::time-to-restore"]
    assert (ttr.params["max"], ttr.defaults["max"]) == ("12h", "24h")
    # rules without an override for this focus keep their defaults
    freq = rules["stability::deployment-frequency"]
    assert freq.params["min"] == 1 and freq.focus_applied is None
    assert rules["stability::lead-time"].params["max"] == "7d"


def test_other_focus_tightens_other_rules(tmp_path: Path) -> None:
    session = collect(tmp_path, {}, "focus: {current: throughput}\n"
                      "rules:\n  - builtin:stability\n")
    rules = by_id(session)
    assert rules["stability::deployment-frequency"].params["min"] == 3
    assert rules["stability::change-failure-rate"].params["max"] == 0.15


def test_focus_override_with_unknown_key(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE +
                                   "    focus:\n      stability: {mxa: 3}\n"})
    # "      stability: {mxa: 3}": the unknown key starts at column 19
    assert (err.file, err.line, err.column) == ("rules/p.yaml", 8, 19)
    assert "focus override 'stability' of rule 'a'" in err.message
    assert err.fix == "did you mean 'max' instead of 'mxa'?"


def test_focus_override_severity(tmp_path: Path) -> None:
    text = COUNT_RULE + "    severity: warning\n    focus:\n      stability: {severity: error}\n"
    assert collect(tmp_path, {"rules/p.yaml": text}).rules[0].severity is Severity.WARNING
    assert collect(tmp_path, {"rules/p.yaml": text},
                   focus="stability").rules[0].severity is Severity.ERROR


def test_enabled_false_is_not_collected_unless_a_focus_enables_it(tmp_path: Path) -> None:
    text = COUNT_RULE + "    enabled: false\n    focus:\n      knowledge-sharing: {enabled: true}\n"
    assert collect(tmp_path, {"rules/p.yaml": text}).rules == []
    enabled = collect(tmp_path, {"rules/p.yaml": text}, focus="knowledge-sharing")
    assert [r.nodeid for r in enabled.rules] == ["p::a"]


def test_config_overrides(tmp_path: Path) -> None:
    session = collect(tmp_path, {"rules/p.yaml": COUNT_RULE},
                      "rules: [rules/]\noverrides:\n  p::a: {min: 4, severity: warning}\n")
    (rule,) = session.rules
    assert rule.params["min"] == 4
    assert rule.defaults["min"] == 1
    assert rule.severity is Severity.WARNING


def test_config_override_wins_over_focus(tmp_path: Path) -> None:
    session = collect(tmp_path, {}, "focus: {current: stability}\nrules: [builtin:stability]\n"
                      "overrides:\n  stability::change-failure-rate: {max: 0.2}\n")
    assert by_id(session)["stability::change-failure-rate"].params["max"] == 0.2


def test_config_override_disables_a_rule(tmp_path: Path) -> None:
    session = collect(tmp_path, {}, "rules: [builtin:stability]\n"
                      "overrides:\n  stability::lead-time: {enabled: false}\n")
    assert "stability::lead-time" not in by_id(session)
    assert len(session.rules) == 3


def test_override_that_disables_a_rule_is_not_a_warning(tmp_path: Path) -> None:
    session = collect(tmp_path, {}, "rules: [builtin:stability]\n"
                      "overrides:\n  stability::lead-time: {enabled: false}\n")
    assert session.warnings == []


def test_config_override_with_unknown_key(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {"rules/p.yaml": COUNT_RULE},
                        "rules: [rules/]\noverrides:\n  p::a: {mn: 4}\n")
    assert (err.file, err.line) == ("guardrails.yaml", 3)
    assert err.fix == "did you mean 'min' instead of 'mn'?"


def test_override_for_an_unknown_rule_is_a_warning(tmp_path: Path) -> None:
    session = collect(tmp_path, {"rules/p.yaml": COUNT_RULE},
                      "rules: [rules/]\noverrides:\n  p::b: {min: 4}\n")
    assert any("p::b" in w for w in session.warnings)


def test_unknown_focus_lists_the_known_ones(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {}, "rules: [builtin:stability]\n", focus="stabilty")
    assert err.file is None  # it came from --focus
    assert "unknown focus 'stabilty'" in err.message
    assert err.fix == "known focuses: knowledge-sharing, stability, throughput"


def test_unknown_focus_in_config_names_the_line(tmp_path: Path) -> None:
    err = collect_error(tmp_path, {}, "rules: [builtin:stability]\nfocus:\n  current: speed\n")
    assert (err.file, err.line) == ("guardrails.yaml", 3)


def test_focus_named_in_a_rule_is_known(tmp_path: Path) -> None:
    text = COUNT_RULE + "    focus:\n      onboarding: {min: 2}\n"
    session = collect(tmp_path, {"rules/p.yaml": text}, focus="onboarding")
    assert session.rules[0].params["min"] == 2
    err = collect_error(tmp_path, {"rules/p.yaml": text}, focus="onboardin")
    assert err.fix == "known focuses: knowledge-sharing, onboarding, stability, throughput"


# ---------------------------------------------------------------------------
# -k and -m
# ---------------------------------------------------------------------------


def rule(nodeid: str, *tags: str) -> Rule:
    pack, ident = nodeid.split("::")
    return Rule(pack=pack, id=ident, title=ident, check="count", params={}, tags=tags)


RULES = [
    rule("stability::lead-time", "stability", "dora"),
    rule("stability::change-failure-rate", "stability", "dora"),
    rule("teams::two-pizza-teams", "teams"),
    rule("teams::bus-factor", "teams", "knowledge"),
    rule("delivery::small-batches", "delivery", "dorama"),
]


def ids(rules: list[Rule]) -> list[str]:
    return [r.nodeid for r in rules]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("lead", ["stability::lead-time"]),
        ("LEAD", ["stability::lead-time"]),  # case-insensitive
        ("knowledge", ["teams::bus-factor"]),  # a tag
        ("dora", ["stability::lead-time", "stability::change-failure-rate",
                  "delivery::small-batches"]),  # substring of the tag 'dorama' too
        ("stability and not lead", ["stability::change-failure-rate"]),
        ("lead or pizza", ["stability::lead-time", "teams::two-pizza-teams"]),
        ("(lead or pizza) and teams", ["teams::two-pizza-teams"]),
        ("not (stability or teams)", ["delivery::small-batches"]),
        ("not not bus", ["teams::bus-factor"]),
        ("teams::bus", ["teams::bus-factor"]),
        ("nothing-like-this", []),
    ],
)
def test_keyword_expressions(expr: str, expected: list[str]) -> None:
    selected, deselected = select(RULES, expr, None)
    assert ids(selected) == expected
    assert deselected == len(RULES) - len(expected)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("dora", ["stability::lead-time", "stability::change-failure-rate"]),  # exact tag
        ("dor", []),
        ("DORA", []),
        ("teams and not knowledge", ["teams::two-pizza-teams"]),
        ("knowledge or delivery", ["teams::bus-factor", "delivery::small-batches"]),
    ],
)
def test_mark_expressions(expr: str, expected: list[str]) -> None:
    assert ids(select(RULES, None, expr)[0]) == expected


def test_keyword_and_mark_together() -> None:
    selected, deselected = select(RULES, "stability", "dora and not stability")
    assert (ids(selected), deselected) == ([], 5)
    selected, deselected = select(RULES, "failure", "dora")
    assert (ids(selected), deselected) == (["stability::change-failure-rate"], 4)


@pytest.mark.parametrize(
    ("keyword", "markexpr", "expected"),
    [
        ("LEAD or pizza", "dora and not knowledge", []),  # every name matches something
        ("dora", None, []),  # a substring of a tag
        ("lead or laed", None, ["-k name 'laed' matches no id or tag of the collected rules "
                                "(did you mean 'lead'?)"]),
        (None, "not dor", ["-m name 'dor' matches no tag of the collected rules "
                           "(did you mean 'dora'?)"]),  # -m is exact: 'dor' is no tag
        (None, "stability or incidnets or incidnets",  # each name once
         ["-m name 'incidnets' matches no tag of the collected rules"]),
    ],
)
def test_names_that_match_no_rule(keyword: str | None, markexpr: str | None,
                                  expected: list[str]) -> None:
    assert unmatched_names(RULES, keyword, markexpr) == expected


def test_no_expression_selects_everything() -> None:
    assert select(RULES, None, None) == (RULES, 0)


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("a and", "unexpected end"),
        ("(a or b", "missing ')'"),
        ("and a", "unexpected 'and'"),
        ("a b", "unexpected 'b'"),
        ("a )", "unexpected ')'"),
        ("   ", "empty expression"),
        ("not", "unexpected end"),
    ],
)
def test_invalid_expressions(expr: str, needle: str) -> None:
    with pytest.raises(UsageError) as info:
        compile_expression(expr, "-k")
    assert f"invalid -k expression {expr!r}" in info.value.message
    assert needle in info.value.message
    assert "and', 'or', 'not'" in (info.value.fix or "")


def test_invalid_mark_expression_through_select() -> None:
    with pytest.raises(UsageError, match="invalid -m expression"):
        select(RULES, None, "dora or")


def test_selection_in_a_session_counts_deselected(tmp_path: Path) -> None:
    session = collect(tmp_path, {"rules/p.yaml": COUNT_RULE},
                      "rules: [builtin:stability, rules/]\n",
                      keyword="time and not lead", markexpr="dora")
    # 4 stability rules + p::a; only time-to-restore has 'time', not 'lead', and tag dora
    assert [r.nodeid for r in session.rules] == ["stability::time-to-restore"]
    assert (session.collected, session.deselected) == (5, 4)


def test_resolve_specs_from_the_command_line_are_relative_to_cwd(tmp_path: Path) -> None:
    path = write(tmp_path, "elsewhere/p.yaml", COUNT_RULE)
    cfg = load_config(write(tmp_path, "project/guardrails.yaml", "rules: []\n"))
    assert resolve_specs(cfg, ["elsewhere/p.yaml"], from_cli=True) == [path.resolve()]
