"""CEL expressions in rule files: load-time errors with positions, run-time errors, group_by."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_project, run_cli

from guardrails.celrules.parse import MAX_DEPTH, CelSyntaxError, parse
from guardrails.celrules.position import expression_position
from guardrails.celrules.runtime import CelProblem, compile_expression
from guardrails.datakinds import BUILTIN

INCIDENTS = """\
incidents:
  - {id: INC-1, created_at: "2026-11-01T10:00:00Z", severity: SEV1,
     resolved_at: "2026-11-01T12:00:00Z"}
  - {id: INC-2, created_at: "2026-11-02T10:00:00Z", severity: SEV2}
"""


def _rule(root: Path, body: str) -> Path:
    return make_project(root, rules={"rules/r.yaml": "pack: p\nrules:\n" + body},
                        org={"incidents.yaml": INCIDENTS})


def _check(config: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(["check", "-c", str(config), "--now", "2026-11-20", *extra])


def test_unknown_field_points_inside_the_expression(tmp_path: Path) -> None:
    config = _rule(tmp_path, """\
  - id: r
    check: each
    facts: incidents
    expect: 'fact.severty == "SEV1"'
""")
    result = _check(config)
    assert result.exit_code == 4
    # line 6: the quote is column 13, the expression starts at 14, severty 5 further
    assert "rules/r.yaml:6:19:" in result.output
    assert "did you mean 'severity'?" in result.output
    assert "Traceback" not in result.output


def test_type_error_in_a_block_scalar(tmp_path: Path) -> None:
    config = _rule(tmp_path, """\
  - id: r
    check: each
    facts: incidents
    expect: |
      has(fact.resolved_at) &&
        fact.resolved_at < 5
""")
    result = _check(config)
    assert result.exit_code == 4
    assert "rules/r.yaml:8:26:" in result.output  # the '<' on the block's second line
    assert "timestamp" in result.output


@pytest.mark.parametrize(("expr", "words"), [
    ('fact.severity ==', "syntax error"),
    ('fact.severity ==', "ends where a value is expected"),
    ('fact.severity ==', "needs a value on its right"),
    ('fact.severity == > 1', "unexpected '>' where a value is expected"),
    ('fact.severity == > 1', "write a value there"),
    ('fact.created_at > now - duration("5d")', 'duration("120h")'),
    ('nw > fact.created_at', "did you mean 'now'?"),
    ('fact.title.lowerAscii() == "x"', "no function lowerAscii()"),
    ('fact.severity', "gives a string, not true or false"),
    ('fact.created_at - fact.resolved_at > 5', "duration"),
    ('fact.postmortem.statuss == "closed"', "did you mean 'status'?"),
    ('fact.title.matches("(a")', "matches()"),
])
def test_load_time_problems(expr: str, words: str) -> None:
    with pytest.raises(CelProblem) as info:
        compile_expression(expr, "incidents", BUILTIN)
    assert words in f"{info.value} {info.value.fix}"


def test_joined_facts_are_typed_fields() -> None:
    c = compile_expression('fact.deployment.incidents.exists(i, i.severity == "SEV1")',
                           "incidents", BUILTIN)
    assert c.reaches == {"deployments", "incidents"}
    assert compile_expression("fact.team.members.size() > 2", "services", BUILTIN).reaches \
        == {"teams"}


def test_bounds_refuse_hostile_expressions() -> None:
    with pytest.raises(CelSyntaxError, match="deeper"):
        parse("(" * (MAX_DEPTH + 2) + "1" + ")" * (MAX_DEPTH + 2))
    with pytest.raises(CelSyntaxError, match="longer"):
        parse("1 + " * 600 + "1")
    with pytest.raises(CelSyntaxError, match="parts"):
        parse("a||" * 600 + "a")


def test_expression_position_of_quoted_and_plain_scalars() -> None:
    text = "a:\n  b: 'x == ''y'' && z'\n  c: fact.x < 3\n"
    assert expression_position(text, ("a", "c"), 7) == (3, 13)
    # in single quotes, each '' before the character is one more column
    assert expression_position(text, ("a", "b"), 12) == (2, 21)


def test_a_run_time_error_is_that_facts_evidence(tmp_path: Path) -> None:
    config = _rule(tmp_path, """\
  - id: r
    check: each
    facts: incidents
    expect: fact.resolved_at > fact.created_at
""")
    result = _check(config)
    assert result.exit_code == 1
    assert "ERROR p::r" in result.output
    assert "incident/INC-2" in result.output and "no field 'resolved_at'" in result.output
    assert "incident/INC-1" not in result.output


def test_where_and_expect_select_and_judge(tmp_path: Path) -> None:
    config = _rule(tmp_path, """\
  - id: r
    check: each
    facts: incidents
    where: has(fact.resolved_at)
    expect: fact.resolved_at - fact.created_at <= duration("1h")
    evidence: '{id} took from {created_at} to {resolved_at}'
""")
    result = _check(config)
    assert result.exit_code == 1
    assert "1 of 1 incidents fail: INC-1" in result.output
    assert "INC-1 took from 2026-11-01T10:00:00Z to 2026-11-01T12:00:00Z" in result.output


def test_group_by_counts_per_linked_team(tmp_path: Path) -> None:
    config = make_project(tmp_path, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: services-per-team
    check: count
    facts: services
    group_by: team
    min: 1
    max: 1
"""}, org={"teams.yaml": "teams:\n  - {id: a, members: [{handle: x}]}\n"
              "  - {id: b, members: [{handle: y}]}\n  - {id: c, members: [{handle: z}]}\n",
           "services.yaml": "services:\n  - {id: s1, owner: a}\n  - {id: s2, owner: a}\n"
                            "  - {id: s3, owner: b}\n"})
    result = _check(config)
    assert result.exit_code == 1
    assert "2 of 3 teams outside 1..1 services: a (2), c (0)" in result.output


def test_group_by_long_values_alike_in_their_start_stay_apart(tmp_path: Path) -> None:
    # The group's subject is cut to 100 characters: two titles that differ only
    # after that were one group of 2 (failing max 1) until the key held a digest.
    start = "Checkout latency regression after the eu-west-1 failover drill, " * 2
    config = make_project(tmp_path, org={"incidents.yaml": "incidents:\n" + "".join(
        f'  - {{id: INC-{i}, created_at: "2026-11-0{i + 1}T00:00:00Z", '
        f'title: "{start}{card} {extra}"}}\n'
        for i, (card, extra) in enumerate([("visa", "x" * 40), ("amex", "x" * 40),
                                           ("amex", "x" * 40)]))},
        rules={"rules/r.yaml": """\
pack: p
rules:
  - id: unique-titles
    check: count
    facts: incidents
    group_by: title
    max: 1
"""})
    result = _check(config)
    assert result.exit_code == 1, result.output
    assert "FAILED p::unique-titles - 1 of 2 titles above 1 incidents:" in result.output
    assert "... [" in result.output and "] (2)" in result.output


def test_group_by_unknown_field_is_a_load_error(tmp_path: Path) -> None:
    config = _rule(tmp_path, """\
  - id: r
    check: count
    facts: incidents
    group_by: servce
    max: 3
""")
    result = _check(config)
    assert result.exit_code == 4
    assert "did you mean 'service'?" in result.output


ACME = Path(__file__).resolve().parents[2] / "examples" / "acme" / "org"


def _acme(root: Path, rules: str) -> Path:
    import shutil

    shutil.copytree(ACME, root / "org")
    return make_project(root, rules={"rules/r.yaml": "pack: p\nrules:\n" + rules}, org={})


def test_metric_group_by_service_and_team(tmp_path: Path) -> None:
    config = _acme(tmp_path, """\
  - id: cfr
    check: metric
    metric: dora.change_failure_rate
    group_by: service
    max: 0.2
  - id: reviews
    check: metric
    metric: delivery.independent_review_rate
    group_by: team
    min: 0.97
""")
    result = _check(config, "-v")
    assert result.exit_code == 1
    assert "change failure rate outside its bounds in 1 of 8 services: notifications" \
        in result.output
    assert "service/notifications  change failure rate 50.0% > 20.0%" in result.output
    assert "independent review rate outside its bounds in 2 of 6 teams: core-infra, search" \
        in result.output


def test_metric_group_by_unknown_field(tmp_path: Path) -> None:
    config = _acme(tmp_path, """\
  - id: cfr
    check: metric
    metric: dora.change_failure_rate
    group_by: servise
    max: 0.2
""")
    result = _check(config)
    assert result.exit_code == 4
    assert "rules/r.yaml:6" in result.output and "did you mean 'service'?" in result.output


def test_value_within_bounds_reads_like_the_named_check(tmp_path: Path) -> None:
    config = _acme(tmp_path, """\
  - id: size
    check: each
    facts: teams
    value: fact.members.size()
    unit: member
    max: 8
""")
    result = _check(config)
    assert result.exit_code == 1
    assert "1 team outside at most 8 members: core-infra (11)" in result.output
    assert "team/core-infra  11 members (max 8)" in result.output


ITERATIONS = """\
iterations:
  - {team: alpha, name: S1, start: 2026-10-05, end: 2026-10-16, capacity: 0, committed: 0}
  - {team: alpha, name: S2, start: 2026-10-19, end: 2026-10-30, capacity: 0, committed: 5}
  - {team: alpha, name: S3, start: 2026-11-02, end: 2026-11-13, capacity: 10, committed: 5}
"""


def test_value_divided_by_zero_is_an_error_not_a_pass(tmp_path: Path) -> None:
    # 0.0 / 0.0 is NaN, which lies within any min/max: S1 passed "within 1.0" unseen,
    # and 5.0 / 0.0 (infinity) passed a min-only rule.
    config = make_project(tmp_path, org={"iterations.yaml": ITERATIONS}, rules={
        "rules/r.yaml": """\
pack: p
rules:
  - id: load
    check: each
    facts: iterations
    value: double(fact.committed) / double(fact.capacity)
    max: 1.0
  - id: floor
    check: each
    facts: iterations
    value: double(fact.committed) / double(fact.capacity)
    min: 0.1
  - id: whole
    check: expr
    facts: iterations
    value: double(iterations.size()) / double(iterations.filter(i, i.capacity > 100).size())
    min: 0.0
"""})
    result = _check(config)
    assert result.exit_code == 1, result.output
    assert "ERROR p::load - the expression failed on 2 iterations: alpha:S1, alpha:S2" \
        in result.output
    assert "ERROR p::floor - the expression failed on 2 iterations: alpha:S1, alpha:S2" \
        in result.output
    assert "iteration/alpha:S1  value: the value expression gave nan, not a finite number" \
        in result.output
    assert "a double divided by zero gives NaN or infinity" in result.output
    assert "an optional field needs a guard" not in result.output
    assert "ERROR p::whole - value: the value expression gave inf, not a finite number" \
        in result.output


def test_expr_rule_over_whole_kinds(tmp_path: Path) -> None:
    config = _acme(tmp_path, """\
  - id: sev1-share
    check: expr
    facts: [incidents, deployments]
    expect: >
      incidents.filter(i, has(i.severity) && i.severity == "SEV1").size() * 20
      <= deployments.size()
  - id: open-incidents
    check: expr
    facts: incidents
    value: incidents.filter(i, !has(i.resolved_at)).size()
    max: 0
""")
    result = _check(config, "-v")
    assert "p::sev1-share PASSED" in result.output
    assert "incidents.filter(i, !has(i.resolved_at)).size(): 1 > 0" in result.output
    assert result.exit_code == 1


def test_expr_rule_names_are_the_kinds(tmp_path: Path) -> None:
    config = _acme(tmp_path, """\
  - id: typo
    check: expr
    facts: [incidents]
    expect: incidnets.size() > 0
""")
    result = _check(config)
    assert result.exit_code == 4
    assert "rules/r.yaml:6:13:" in result.output and "did you mean 'incidents'?" in result.output


PLUGIN = '''
from guardrails.kinds import FactKind, Link
from guardrails.plugin import hookimpl

@hookimpl
def guardrails_fact_kinds():
    return [FactKind("oncall_shifts", "oncall_shift", schema={
        "type": "object", "properties": {"id": {"type": "string"},
        "team": {"type": "string"}, "hours": {"type": "number"}}},
        links={"owner_team": Link("teams", via="team")})]
'''


def test_a_plugin_kind_declares_its_links(tmp_path: Path) -> None:
    config = make_project(tmp_path, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: shifts
    check: each
    facts: oncall_shifts
    expect: fact.owner_team.members.size() >= 2 && fact.hours <= 12.0
  - id: typo
    check: each
    facts: oncall_shifts
    expect: fact.owner_team.memebrs.size() >= 2
"""}, plugins=PLUGIN)
    result = _check(config)
    assert result.exit_code == 4, result.output
    assert "rules/r.yaml:10:29:" in result.output and "did you mean 'members'?" in result.output


def test_the_runtime_and_the_cel_package_share_one_extension() -> None:
    # The extension panics when initialised twice in a process: a plugin that
    # imports the `cel` package after guardrails loaded the runtime must work.
    import sys

    from guardrails.celrules.runtime import runtime

    module = runtime()
    import cel

    assert cel.compile("1 + 1").execute({}) == 2
    assert sys.modules["cel.cel"] is module


def test_a_bad_pattern_from_the_data_is_named_with_its_own_hint(tmp_path: Path) -> None:
    """The rule became ``error`` with the hint 'an optional field needs a guard', which
    sent the user after has(); the pattern is named, cut and escaped, with the regex
    engine's reason."""
    long_bad = "(" + "x" * 300 + "\\u0007"
    config = make_project(tmp_path, rules={"rules/r.yaml": """\
pack: p
rules:
  - id: r
    check: each
    facts: incidents
    expect: fact.id.matches(fact.title)
"""}, org={"incidents.yaml": f"""\
incidents:
  - {{id: INC-1, created_at: "2026-11-01T10:00:00Z", severity: SEV1, title: "a(b"}}
  - {{id: INC-2, created_at: "2026-11-02T10:00:00Z", severity: SEV2, title: "{long_bad}"}}
"""})
    result = _check(config, "--no-color")
    assert result.exit_code == 1 and "ERROR p::r" in result.output
    assert "an optional field needs a guard" not in result.output
    assert "must be a valid regular expression in RE2 syntax" in result.output
    assert ("incident/INC-1  expect: matches(): the pattern 'a(b' is not a valid regular "
            "expression for the RE2-syntax (Rust regex) engine: unclosed group") in result.output
    [line] = [li for li in result.output.splitlines() if "incident/INC-2" in li]
    assert "the pattern '(" + "x" * 59 + "...' is not a valid" in line
    assert "\x07" not in result.output and len(line) < 300


def test_a_missing_field_beside_a_bad_pattern_keeps_the_guard_hint() -> None:
    from guardrails.celrules.evalerrors import GUARD_HINT, REGEX_HINT, hints

    regex = "matches(): the pattern 'a(' is not a valid regular expression"
    assert hints([regex]) == [REGEX_HINT]
    assert hints([regex, "no field 'x' in this fact"]) == [REGEX_HINT, GUARD_HINT]
    assert hints(["no field 'x' in this fact"]) == [GUARD_HINT]
