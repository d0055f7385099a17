"""Numbers, lists and help as people read them, wherever text is built.

Floats from arithmetic carry noise (887.7000000000005); Python's str() of a
list shows brackets and quotes. Neither may reach a report, an evidence line
or a table.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from helpers import run_cli

from guardrails import fmt
from guardrails.checks.templates import render_template
from guardrails.model import Evidence, Outcome, Report, Result, Severity

NOISY = 887.7000000000005


@pytest.mark.parametrize(("value", "text"), [
    (NOISY, "887.7"), (1234567.0, "1234567"), (1234567, "1234567"), (0.5, "0.5"),
    (2.0, "2"), (2.345, "2.35"), (-0.0001, "0"), (1e-7, "0"), (12, "12"), (True, "True"),
])
def test_number(value: float, text: str) -> None:
    assert fmt.number(value) == text


@pytest.mark.parametrize(("value", "unit", "text"), [
    (NOISY, "lines", "887.7 lines"), (1234567.0, "lines", "1234567 lines"),
    (3.0, "count", "3"), (0.125, "ratio", "12.5%"), (4.0333, "score", "4.03"),
])
def test_values_in_their_unit(value: float, unit: str, text: str) -> None:
    assert fmt.value(value, unit) == text


def test_evidence_templates_write_lists_and_joined_facts_for_people() -> None:
    view = {"title": "db down", "services": ["api", "web"], "labels": [],
            "postmortem": {"id": "2026-10-07-login.md", "status": "done"},
            "action_items": [{"title": "add alert", "owner": "ann"}, {"owner": "bob"}],
            "impact": 12.300000000000001, "paged": True, "rate": 1e21}
    assert render_template("{title} hit {services}", view) == "db down hit api, web"
    assert render_template("[{labels}] {postmortem} {impact} {paged}", view) == \
        "[-] 2026-10-07-login.md 12.3 true"
    assert render_template("{action_items}", view) == "add alert, owner: bob"
    assert "e+" not in render_template("{rate}", view)
    # !r asks for the Python form on purpose
    assert render_template("{services!r}", view) == "['api', 'web']"
    long = {"ids": [f"id-{i}" for i in range(1000)]}
    assert render_template("{ids}", long).startswith("id-0, id-1, ")
    assert len(render_template("{ids}", long)) <= 500


def _noisy_report() -> Report:
    return Report(now="2026-11-20T00:00:00Z", focus=None, exit_code=1, duration=0.5, results=[
        Result(id="delivery::small-batches", pack="delivery", title="Small batches",
               outcome=Outcome.FAILED, severity=Severity.ERROR, file="rules/delivery.yaml",
               line=3, message=fmt.comparison(NOISY, "lines", {"max": 400.0}, passed=False),
               value=NOISY, unit="lines", threshold={"max": 400.0},
               samples=20, evidence=[Evidence("change/1893", "912 lines")]),
        Result(id="local::big", pack="local", title="Big counts", outcome=Outcome.FAILED,
               severity=Severity.ERROR, file="rules/local.yaml", line=1,
               message=fmt.comparison(1234567.0, None, {"max": 1e6}, passed=False),
               value=1234567.0, unit=None, threshold={"max": 1000000.0}, samples=3),
    ])


def test_excluded_counts_what_a_metric_leaves_out_and_why() -> None:
    """One wording for 'excluded and counted' (METRICS.md), shared by the metrics that
    leave records out: nothing when none was, the reason, the contradictory-data tag."""
    assert fmt.excluded(0, "run", "not finished as of now") == []
    assert fmt.excluded(1, "open incident") == ["1 open incident excluded"]
    assert fmt.excluded(2, "run", "finishing before it started", contradictory=True) == [
        "2 runs finishing before it started excluded (contradictory data)"]


@pytest.mark.parametrize("fmt_name", ["terminal", "json", "junit", "sarif", "github",
                                      "markdown", "html"])
def test_no_float_noise_or_exponent_in_any_format(fmt_name: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    from guardrails.reporters.json import JsonReporter

    with open("report.json", "w", encoding="utf-8") as out:
        JsonReporter(out, options=None).finish(_noisy_report())  # type: ignore[arg-type]
    result = run_cli(["report", "report.json", "--format", fmt_name])
    text = html.unescape(result.output)
    assert "887.7" in text, text
    assert not re.search(r"0000000|\d\.\d{7,}|\de[+-]\d", text), text
    if fmt_name != "json":  # text for people: the big count without ".0" or an exponent
        assert "1234567 > 1000000" in text, text


def test_check_help_lists_every_builtin_format() -> None:
    from guardrails.builtins import BUILTINS

    help_text = " ".join(run_cli(["check", "--help"]).output.split())
    builtin = sorted(f for b in BUILTINS for f in b.formats)
    assert len(builtin) >= 6
    for name in builtin:
        assert re.search(rf"\b{name}\b", help_text.split("--format FORMAT", 1)[1][:200]), name


def _explained(rule_id: str) -> dict[str, str]:
    """``guardrails explain RULE``'s sections (after the head, which ends at the first
    blank line): heading -> its text, lines joined."""
    result = run_cli(["explain", rule_id])
    assert result.exit_code == 0, result.output
    body = result.stdout.split("\n\n", 1)[1]
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in body.splitlines():
        if line and not line.startswith(" "):
            current = sections.setdefault(line, [])
        else:
            current.append(line)
    return {h: "\n".join(lines).strip("\n") for h, lines in sections.items()}


#: where a builtin rule's "Why it matters" says its idea comes from: the two texts
#: the rules are built on (the "Aha Moments" essay on execution, Matt Stratton's talk,
#: which quotes John Allspaw and uses Westrum's model)
SEED_SOURCES = ("Aha Moments", "Stratton", "Allspaw", "Westrum")


def test_explain_of_every_builtin_rule_is_whole_and_names_its_sources() -> None:
    """Every section of every builtin rule's explain is whole (a '#' in a rule file's
    plain text began a YAML comment and cut postmortem-complete's data text at
    '(postmortems/*.md;'), has no blank line inside (a folded `data: >` left one before
    'Fact kinds read'), ends a sentence, and 'Why it matters' names the text its idea
    comes from, never the word seed."""
    from guardrails.rulefile import builtin_rule_ids

    ids = sorted(builtin_rule_ids())
    assert len(ids) >= 18
    for rule_id in ids:
        sections = _explained(rule_id)
        assert list(sections) == ["What it checks", "Why it matters",
                                  "Default and where it comes from", "How to fix a failure",
                                  "Data it needs"], (rule_id, list(sections))
        for heading, text in sections.items():
            where = f"{rule_id}: {heading}: {text!r}"
            assert "\n\n" not in text, where
            # "[now - W, now)" is a half-open interval: opened and closed once
            assert text.count("(") + text.count("[") == text.count(")") + text.count("]"), where
            assert text.rstrip().endswith((".", ".)", '."')), where
            assert "seed" not in text.lower(), where
        why = sections["Why it matters"]
        assert any(name in why for name in SEED_SOURCES), f"{rule_id}: {why!r}"


def test_facts_table_has_no_python_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitrepo import GitRepo

    repo = GitRepo(tmp_path / "repo")
    repo.commit({"CODEOWNERS": "* @alice\n/src/ @org/platform @bob\n", "src/a.py": "a",
                 "docs/x.md": "x"})
    (repo.path / "guardrails.yaml").write_text("rules: []\nsources:\n  git: {path: .}\n")
    monkeypatch.chdir(repo.path)
    out = run_cli(["facts", "codeowners", "--now", "2026-11-20"]).output
    assert "None" not in out and "yes" not in out, out
    row = out.strip().splitlines()[-1].split()
    assert row == ["CODEOWNERS", "CODEOWNERS", "2", "-", "3", "3"], out
    data = json.loads(run_cli(["facts", "codeowners", "--format", "json",
                               "--now", "2026-11-20"]).output)
    assert len(data["codeowners"][0]["entries"]) == 2


def test_focus_revisited_explains_every_way_it_fails() -> None:
    """The check fails on init's placeholder and on a date in the future, and counts
    days in the config's timezone; explain said only 'no older than max_age'."""
    what = " ".join(_explained("goals::focus-revisited")["What it checks"].split())
    assert "placeholder YYYY-MM-DD" in what and "in the future" in what, what
    assert "config's timezone" in what, what


def test_every_option_of_every_command_says_what_it_does() -> None:
    # 'guardrails list --help' showed '-k EXPR', '-m TAGS', '--focus TEXT' and
    # '--format [text|json]' with no word of what they do.
    import click

    from guardrails.cli.main import cli

    ctx = click.Context(cli)
    silent = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                silent.append(f"{name} {'/'.join(param.opts)}")
    assert silent == []
