"""Rule and config loading refuses every mistake at load time, all at once (issue 9).

Unknown fact kinds and fields, misspelt JSON Schema keywords, $refs outside the
schema, regexes RE2 cannot run, thresholds that contradict their unit, NaN,
zero windows, deep -k expressions: each is a usage error naming file:line, and
``check`` and ``validate`` list every one of them, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from helpers import in_child, python_in_child, run_cli, write

from guardrails.checks.conditions import condition_problems
from guardrails.checks.templates import evidence_problems, render_template, template_fields
from guardrails.config import RunOptions, load_config
from guardrails.errors import LoadErrors, UsageError
from guardrails.expressions import compile_expression
from guardrails.fastvalid import predicate
from guardrails.ruleparams import threshold_problems
from guardrails.session import Session, build_config
from guardrails.timeutil import parse_duration
from guardrails.validation import make_rule_validator, make_validator

CONFIG = "rules:\n  - rules/\nsources:\n  files: {path: org}\n"
TEAMS = "teams:\n  - id: alpha\n    members: [{handle: ann}, {handle: ben}, {handle: cat}]\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def project(root: Path, rules: Mapping[str, str], config: str = CONFIG) -> Path:
    write(root, "org/teams.yaml", TEAMS)
    for rel, text in rules.items():
        write(root, rel, text)
    return write(root, "guardrails.yaml", config)


def load_error(root: Path, rules: Mapping[str, str], config: str = CONFIG) -> UsageError:
    cfg_path = project(root, rules, config)
    with pytest.raises(UsageError) as info:
        cfg = build_config(cfg_path, RunOptions())
        session = Session(cfg)
        session.configure()
        session.collect()
    return info.value


def messages(err: UsageError) -> list[str]:
    return [str(e) for e in err.errors] if isinstance(err, LoadErrors) else [str(err)]


def pack(body: str, name: str = "p") -> str:
    return f"pack: {name}\nrules:\n{body}"


EACH = "  - id: r\n    check: each\n    facts: incidents\n"

# ---------------------------------------------------------------------------
# fact kinds and fields
# ---------------------------------------------------------------------------


def test_unknown_fact_kind_suggests_the_plural(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"rules/p.yaml": pack(
        "  - id: r\n    check: count\n    facts: incident\n    min: 1\n")})
    (msg,) = messages(err)
    assert msg.startswith("rules/p.yaml:5:5: rule 'r': unknown fact kind 'incident'")
    assert "did you mean 'incidents'?" in msg


def test_a_kind_a_plugin_source_provides_is_known(tmp_path: Path) -> None:
    write(tmp_path, "guardrails_plugins.py", (
        "from guardrails.plugin import Source, hookimpl\n"
        "class Widgets(Source):\n"
        "    name = 'widgets'\n"
        "    def provides(self):\n        return {'widgets'}\n"
        "    def gather(self, kinds):\n        return {'widgets': [{'id': 'w1'}]}\n"
        "@hookimpl\n"
        "def guardrails_gather_sources():\n    return [Widgets]\n"))
    cfg_path = project(tmp_path, {"rules/p.yaml": pack(
        "  - id: r\n    check: each\n    facts: widgets\n"
        "    expect: {required: [colour]}\n    evidence: '{colour}'\n")},
        CONFIG + "  widgets: {}\n")
    session = Session(load_config(cfg_path, RunOptions()))
    session.configure()
    session.collect()
    # A plugin kind has no schema guardrails knows: its fields are not judged.
    assert [r.nodeid for r in session.rules] == ["p::r"]


@pytest.mark.parametrize(("template", "needle"), [
    ("{titel}", "incidents have no field 'titel' ('{titel}'). Fix: did you mean 'title'?"),
    ("{postmortem.publishd_at}", "postmortems have no field 'publishd_at'"),
    ("{title:>999999999}", "format specs are not supported"),
    ("{0}", "a template field needs a name"),
    ("{title[0]}", "indexing is not supported"),
    ("{title!x}", "only !s and !r"),
    ("{title", "evidence template"),
])
def test_bad_evidence_templates(template: str, needle: str) -> None:
    (problem,) = evidence_problems(template, "incidents")
    assert needle in f"{problem}. Fix: {problem.fix}"


def test_good_evidence_templates_and_rendering() -> None:
    assert evidence_problems("{severity} {title} {postmortem.published_at} {url}",
                             "incidents") == []
    assert template_fields("{a} and {b.c!r}") == ["a", "b.c"]
    view = {"title": "db down", "postmortem": {"published_at": "2026-11-02"}}
    assert render_template("{title}: {postmortem.published_at} {missing} {title!r}",
                           view) == "db down: 2026-11-02 - 'db down'"
    assert render_template("{postmortem.status}", {"postmortem": "postmortem/x.md"}) == "-"


# ---------------------------------------------------------------------------
# where / expect
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("schema", "needle", "fix"), [
    ({"requird": ["severity"]}, "unknown JSON Schema keyword 'requird'",
     "did you mean 'required'?"),
    ({"properties": {"title": {"minLenght": 2}}}, "'minLenght'", "did you mean 'minLength'?"),
    ({"properties": {"severty": {}}}, "incidents have no field 'severty'",
     "did you mean 'severity'?"),
    ({"anyOf": [{"required": ["titel"]}]}, "no field 'titel'", "did you mean 'title'?"),
    ({"properties": {"postmortem": {"properties": {"statuss": {}}}}},
     "postmortems have no field 'statuss'", "did you mean 'status'?"),
    ({"$ref": "http://127.0.0.1:1/s.json"}, "points outside the schema", "never fetches"),
    ({"$ref": "file:///etc/passwd"}, "points outside the schema", None),
    ({"$ref": "other.json#/a"}, "points outside the schema", None),
    ({"$id": "http://x/"}, "unknown JSON Schema keyword '$id'", None),
    ({"$schema": "http://json-schema.org/draft-04/schema#"}, "not Draft 2020-12", None),
    ({"type": "strin"}, "not a valid JSON Schema", None),
    ({"properties": {"title": {"pattern": "(a)\\1"}}}, "RE2", None),
    ({"patternProperties": {"(?=t)": {}}}, "patternProperties", None),
    ({"$ref": "#"}, "refer to itself without end", "properties or items"),
    ({"anyOf": [{"type": "string"}, {"$ref": "#"}]}, "refer to itself without end", None),
    ({"$defs": {"a": {"not": {"$ref": "#/$defs/b"}}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}},
      "$ref": "#/$defs/a"}, "refer to itself without end", None),
    ({"$ref": "#/$defs/nothing"}, "points to nothing", None),
])
def test_condition_problems(schema: dict, needle: str, fix: str | None) -> None:
    problems = condition_problems("expect", schema, "incidents")
    assert len(problems) == 1, problems
    assert needle in str(problems[0])
    if fix:
        assert fix in (problems[0].fix or "")


def test_a_ref_cycle_through_properties_is_fine() -> None:
    schema = {"$defs": {"n": {"type": "object", "properties": {"title": {"$ref": "#/$defs/n"}}}},
              "$ref": "#/$defs/n"}
    assert condition_problems("expect", schema, None) == []
    assert make_rule_validator(schema).is_valid({"title": {"title": {}}}) is True


def test_sound_conditions_pass() -> None:
    schema = {"$defs": {"sev": {"enum": ["SEV1"]}},
              "properties": {"severity": {"$ref": "#/$defs/sev"},
                             "title": {"pattern": "^[a-z]+$"},
                             "postmortem": {"properties": {"status": {"const": "closed"}}}},
              "required": ["severity", "postmortem"],
              "if": {"required": ["resolved_at"]}, "then": {"required": ["caused_by"]}}
    assert condition_problems("expect", schema, "incidents") == []


def test_a_remote_ref_is_never_fetched(tmp_path: Path, httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/schema.json").respond_with_json({"type": "string"})
    url = httpserver.url_for("/schema.json")
    # At load: a usage error, nothing asked.
    err = load_error(tmp_path, {"rules/p.yaml": pack(EACH + f"    expect: {{$ref: '{url}'}}\n")})
    assert "points outside the schema" in str(err)
    # Even a validator built by hand refuses to retrieve it.
    for make in (make_validator, make_rule_validator):
        with pytest.raises(Exception) as info:
            make({"$ref": url}).is_valid("x")
        assert "Unresolvable" in repr(info.value)
    # The fast path does not take it: jsonschema (which refuses) decides.
    assert predicate({"$ref": url}, rule=True) is None
    assert predicate({"$ref": url}) is None
    assert httpserver.log == []


def test_catastrophic_pattern_runs_in_linear_time() -> None:
    """In a child process with a hang guard: a backtracking engine would hang the
    child (killed, the test failed as "hung"), never the suite."""
    out = python_in_child("""
        from guardrails.fastvalid import predicate
        from guardrails.saferegex import compile_pattern
        from guardrails.validation import make_rule_validator

        text = "a" * 100_000 + "b"
        schema = {"properties": {"title": {"pattern": "^(a+)+$"}}}
        pp = {"patternProperties": {"^(a+)+$": {"type": "integer"}}}
        fast = predicate(schema, rule=True)
        print(compile_pattern("^(a+)+$").search(text) is None,
              make_rule_validator(schema).is_valid({"title": text}),
              fast is not None and fast({"title": text}),
              make_rule_validator(pp).is_valid({text: 1}))
    """)
    assert out.split() == ["True", "False", "False", "True"]


def test_each_check_with_catastrophic_pattern_finishes(tmp_path: Path) -> None:
    """The whole check, in a child process with a hang guard (see above)."""
    write(tmp_path, "org/incidents.yaml",
          f"incidents:\n  - {{id: I-1, created_at: '2026-11-01T00:00:00Z', "
          f"title: '{'a' * 30000}b'}}\n")
    project(tmp_path, {"rules/p.yaml": pack(
        EACH + "    expect: {properties: {title: {pattern: '^(a+)+$'}}}\n")})
    result = in_child(["-m", "guardrails", "check", "--now", "2026-11-20", "--no-color"],
                      cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "1 of 1 incidents fail: I-1" in result.stdout


# ---------------------------------------------------------------------------
# thresholds, durations, NaN
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "unit", "needle"), [
    ({"max": 15}, "ratio", "did you mean 0.15?"),
    ({"min": -0.1}, "ratio", "outside 0..1"),
    ({"max": "7d"}, "ratio", "is a duration"),
    ({"max": "0h"}, "seconds", "greater than zero"),
    ({"max": 0}, "seconds", "no duration at all"),
    ({"min": -3}, "count", "negative"),
    ({"min": 5, "max": 2}, "count", "min 5 is above max 2"),
    ({"min": "7d", "max": "1d"}, "seconds", "is above max"),
    ({"min": 9, "max": 3}, None, "is above max"),
])
def test_threshold_problems(values: dict, unit: str | None, needle: str) -> None:
    problems = threshold_problems(values, unit, "m")
    assert len(problems) == 1
    _key, msg, fix = problems[0]
    assert needle in f"{msg} {fix}"


@pytest.mark.parametrize(("values", "unit"), [
    ({"max": 0.15}, "ratio"), ({"min": 0, "max": 1}, "ratio"), ({"max": "36h"}, "seconds"),
    ({"max": 3600}, "seconds"), ({"min": 1, "max": 1}, "count"), ({"min": 2.5}, "per_week"),
])
def test_sound_thresholds(values: dict, unit: str) -> None:
    assert threshold_problems(values, unit, "m") == []


@pytest.mark.parametrize(("text", "needle"), [
    ("0d", "greater than zero"), ("-1d", "positive"), ("1000000w", "100 years"),
    (float("nan"), "finite"), (float("inf"), "finite"), ("3 months", "write e.g."),
])
def test_positive_durations(text: object, needle: str) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)):
        parse_duration(text, positive=True)  # type: ignore[arg-type]


def test_nan_anywhere_in_rules_and_config(tmp_path: Path) -> None:
    err = load_error(
        tmp_path,
        {"rules/p.yaml": pack("  - id: r\n    check: count\n    facts: teams\n    max: .nan\n")},
        CONFIG + "overrides:\n  p::other: {max: .inf}\n")
    got = messages(err)
    assert any(m.startswith("guardrails.yaml:6") and "NaN or infinite" in m for m in got)
    assert any(m.startswith("rules/p.yaml:6") and "NaN or infinite" in m for m in got)


def test_a_focus_override_is_checked_even_when_not_active(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"rules/p.yaml": pack(
        "  - id: r\n    check: metric\n    metric: dora.change_failure_rate\n    max: 0.15\n"
        "    focus:\n      stability: {max: 10}\n")})
    (msg,) = messages(err)
    assert msg.startswith("rules/p.yaml:8:")
    assert "did you mean 0.1?" in msg


# ---------------------------------------------------------------------------
# every error, once; check and validate agree
# ---------------------------------------------------------------------------

MANY = {
    "rules/a.yaml": pack(
        "  - id: a1\n    check: count\n    facts: incident\n    min: 1\n"
        "  - id: a2\n    check: metric\n    metric: dora.change_failure_rate\n    max: 15\n"
        "  - id: a3\n    check: each\n    facts: incidents\n    where: {requird: [title]}\n"
        "    expect: {required: [title]}\n    evidence: '{titel}'\n", "a"),
    "rules/b.yaml": pack("  - id: b1\n    check: cuont\n  - id: b1\n    check: count\n", "b"),
}
MANY_LINES = ["rules/a.yaml:5", "rules/a.yaml:10", "rules/a.yaml:14", "rules/a.yaml:16",
              "rules/b.yaml:4", "rules/b.yaml:5", "guardrails.yaml:5"]
#: b1 given twice, both copies bad of their own: the repeat is an error too, in the
#: same run (b.yaml:5 has two), naming the first copy
TWICE = "rules/b.yaml:5: duplicate rule id 'b::b1' (first defined at rules/b.yaml:3)"


def _times(where: str) -> int:
    return 2 if where == "rules/b.yaml:5" else 1


def test_every_error_is_reported_once(tmp_path: Path) -> None:
    err = load_error(tmp_path, MANY, CONFIG + "windwo: 30d\n")
    got = messages(err)
    assert len(got) == len(MANY_LINES) + 1, got
    for where in MANY_LINES:
        assert sum(m.startswith(where + ":") for m in got) == _times(where), (where, got)
    assert sum(m.startswith(TWICE) for m in got) == 1, got


def test_check_and_validate_report_the_same_errors(tmp_path: Path) -> None:
    project(tmp_path, MANY, CONFIG + "windwo: 30d\n")
    checked = run_cli(["check"])
    validated = run_cli(["validate"])
    assert checked.exit_code == validated.exit_code == 4

    def lines(text: str) -> set[str]:
        return {m.group(0) for m in re.finditer(r"(rules/\w\.yaml|guardrails\.yaml):\d+",
                                                text)}

    # rules/b.yaml:3 is the first copy of b1, which the repeat's error names
    assert lines(checked.output) == lines(validated.output) == {*MANY_LINES, "rules/b.yaml:3"}
    for where in MANY_LINES:
        assert validated.output.count(where + ":") == _times(where)
    assert checked.output.count(TWICE) == validated.output.count(TWICE) == 1


def test_validate_a_missing_file_is_an_error(tmp_path: Path) -> None:
    project(tmp_path, {"rules/p.yaml": pack(
        "  - id: r\n    check: count\n    facts: teams\n    min: 1\n")})
    result = run_cli(["validate", "missing.yaml"])
    assert result.exit_code == 4
    assert "missing.yaml: no such file" in result.output


def test_unknown_waiver_warns_with_line_and_suggestion(tmp_path: Path) -> None:
    cfg = project(tmp_path, {"rules/p.yaml": pack(
        "  - id: team-size\n    check: count\n    facts: teams\n    min: 1\n")},
        CONFIG + "waivers:\n  - {rule: p::team-sise, reason: r, expires: 2030-01-01}\n"
        "  - {rule: incidents::postmortem-exist, reason: r, expires: 2030-01-01}\n")
    session = Session(load_config(cfg, RunOptions()))
    session.configure()
    session.collect()
    assert session.warnings == [
        "guardrails.yaml:6: waiver for p::team-sise names a rule that is not collected "
        "(did you mean 'p::team-size'?)",
        "guardrails.yaml:7: waiver for incidents::postmortem-exist names a rule that is not "
        "collected (did you mean 'incidents::postmortem-exists'?)",
    ]


def test_a_rule_file_that_is_a_list(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"rules/p.yaml": "- id: r\n  check: count\n"})
    assert str(err).startswith("rules/p.yaml:1: a rule file is a mapping")



def test_an_empty_required_list_is_not_told_to_be_left_out(tmp_path: Path) -> None:
    # 'rules:' is required: "or leave the key out" only traded this error for
    # "'rules' is a required property".
    err = load_error(tmp_path, {"rules/p.yaml": "pack: p\nrules: []\n"})
    assert messages(err) == [
        "rules/p.yaml:2:1: invalid rule file: [] should be non-empty at $.rules "
        "(schema path: properties/rules/minItems). Fix: give at least 1 item there"]


def test_a_missing_required_key_is_named_in_the_fix(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"rules/p.yaml": "pack: p\nrules:\n  - {id: a, facts: teams}\n"})
    assert messages(err) == [
        "rules/p.yaml:3:5: invalid rule file: 'check' is a required property at $.rules[0] "
        "(schema path: required). Fix: add 'check' there (its form: `guardrails schema "
        "rules`)"]


def test_a_count_without_a_threshold_is_told_to_give_min_or_max(tmp_path: Path) -> None:
    # the schema's anyOf of two required keys said only "compare it with the fields"
    err = load_error(tmp_path, {"rules/p.yaml": pack("  - {id: a, check: count, facts: teams}\n")})
    (text,) = messages(err)
    assert text.startswith("rules/p.yaml:3:5: invalid rule 'a': "), text
    assert text.endswith("(schema path: anyOf). Fix: give at least one of 'min' or 'max' "
                         "there"), text


@pytest.mark.parametrize(("rule", "fix"), [
    ("severity: critical", "Fix: use one of: error, warning"),
    ("tags: stability", "Fix: write a list, even for one item: [item], or each item on a "
     "'- ' line"),
])
def test_a_wrong_value_is_told_what_to_write(tmp_path: Path, rule: str, fix: str) -> None:
    # both ended "Fix: compare it with the fields in `guardrails schema rules`"
    err = load_error(tmp_path, {"rules/p.yaml": pack(
        f"  - {{id: a, check: count, facts: teams, min: 1, {rule}}}\n")})
    (text,) = messages(err)
    assert text.startswith("rules/p.yaml:3:"), text
    assert text.endswith(fix), text


def test_an_empty_optional_list_may_be_left_out(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"rules/p.yaml": pack(
        "  - {id: pm, check: incidents.postmortem_complete, sections: []}\n")})
    (text,) = messages(err)
    assert text.startswith("rules/p.yaml:3:")
    assert text.endswith("Fix: give at least 1 item there, or leave the key out"), text

# ---------------------------------------------------------------------------
# -k / -m
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("expr", [
    "(" * 5000 + "a" + ")" * 5000,
    "not " * 5000 + "a",
    "(" * 60 + "a" + ")" * 60,
    "not " * 60 + "a",
    "a or " * 2000 + "a",
])
def test_deep_or_long_expressions_are_usage_errors(expr: str) -> None:
    with pytest.raises(UsageError) as info:
        compile_expression(expr, "-k")
    assert str(info.value).startswith("invalid -k expression")
    assert len(str(info.value)) < 400


def test_a_long_flat_expression_is_fine() -> None:
    match = compile_expression(" or ".join(["x"] * 700) + " or a", "-m")
    assert match(lambda name: name == "a") is True
    nested = compile_expression("(" * 50 + "a" + ")" * 50, "-k")
    assert nested(lambda name: name == "a") is True


def test_deep_k_on_the_command_line(tmp_path: Path) -> None:
    project(tmp_path, {"rules/p.yaml": pack(
        "  - id: r\n    check: count\n    facts: teams\n    min: 1\n")})
    result = run_cli(["check", "-k", "(" * 5000 + "p" + ")" * 5000])
    assert result.exit_code == 4
    assert "invalid -k expression" in result.output
    assert "Traceback" not in result.output


def test_an_error_of_the_rule_is_not_repeated_for_each_focus(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"rules/p.yaml": pack(
        EACH + "    expect: {required: [title]}\n    evidence: '{titel}'\n"
        "    focus:\n      stability: {severity: warning}\n      throughput: {enabled: false}\n")},
        CONFIG + "overrides:\n  p::r: {severity: warning}\n")
    (msg,) = messages(err)
    assert msg.startswith("rules/p.yaml:7:")


def test_an_override_min_above_the_rules_max_points_at_the_override(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"rules/p.yaml": pack(
        "  - id: r\n    check: count\n    facts: teams\n    max: 3\n"
        "    focus:\n      stability: {min: 5}\n")})
    (msg,) = messages(err)
    assert msg.startswith("rules/p.yaml:8:")
    assert "min 5 is above max 3" in msg


def test_a_value_of_the_wrong_form_is_told_what_the_field_takes(tmp_path: Path) -> None:
    # a regex alone shows no way out: the field's own description does
    err = load_error(tmp_path, {"rules/p.yaml": "pack: 'a b'\nrules:\n"
                                "  - {id: a, check: count, facts: teams, min: 1}\n"})
    (text,) = messages(err)
    assert text.startswith("rules/p.yaml:1:"), text
    assert text.endswith("Fix: write what this field takes: Pack name: the first half of "
                         "every rule id (pack::rule-id) (`guardrails schema rules`)"), text
