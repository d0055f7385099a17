"""``guardrails check`` read without click: the same values, the same run.

guardrails.checkcmd.plain_check reads the command lines whose meaning is
beyond doubt and returns None for every other; for the lines it reads, the
values must be exactly those click gives the ``check`` command. Hypothesis
draws command lines from check's own words (and from words click refuses or
reads differently) and compares with click's parse of the same line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
import pytest
from helpers import mask_timing, modules_after, run_cli, without_timings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import entry
from guardrails.checkcmd import plain_check
from guardrails.cli.check import command as check_command

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "acme" / "guardrails.yaml"
FOLDER = str(REPO / "examples")  # a folder: click.Path(dir_okay=False) refuses it
MISSING = "no-such-file.yaml"


def click_values(args: list[str]) -> dict[str, Any] | None:
    """What click gives ``check`` for ``args`` (after ``check``), or None when it refuses."""
    try:
        ctx = check_command.make_context("check", list(args))
    except (click.exceptions.Exit, click.ClickException):
        return None
    return {**ctx.params, "pairs": ctx.meta["guardrails.outputs"]}


WORDS = ["-x", "--exitfirst", "--strict", "--offline", "--no-color", "--record", "--progress",
         "--no-progress", "--verbose", "--quiet", "-q", "-qq", "-qqq", "-v", "-vv", "-qv",
         "--example", "--color", "--help", "-h", "--", "-", "", "--nosuch", "-Z"]
VALUED = ["-c", "--config", "-k", "-m", "--focus", "--maxfail", "-f", "--format", "-o",
          "--output", "--junitxml", "--now", "--group-by", "--baseline", "--write-baseline",
          "-p"]
VALUES = ["x.yaml", "2026-11-20", "json", "team", "other", "3", "03", "+3", "-1", "1_0", " 2",
          "-x", "", "a=b", "no:files", FOLDER, MISSING, str(EXAMPLE), "out.json"]
word = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(VALUES),  # paths, or a value standing alone
    st.tuples(st.sampled_from(VALUED), st.sampled_from(VALUES)).map(list),
    st.tuples(st.sampled_from([v for v in VALUED if v.startswith("--")]),
              st.sampled_from(VALUES)).map(lambda p: f"{p[0]}={p[1]}"),
    st.tuples(st.sampled_from(["-c", "-f", "-o", "-k"]), st.sampled_from(VALUES)).map(
        lambda p: p[0] + p[1]),
)


def _flat(words: list[Any]) -> list[str]:
    return [w for x in words for w in (x if isinstance(x, list) else [x])]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(word, max_size=7).map(_flat))
def test_what_is_read_without_click_is_what_click_reads(args: list[str]) -> None:
    got = plain_check(["check", *args])
    if got is not None:
        assert got == click_values(args), args


@pytest.mark.parametrize("args", [
    ["-c", str(EXAMPLE), "--now", "2026-11-20", "-q", "--no-color"],  # benchmarks/run.py's
    [],
    ["-qq", "--strict", "-k", "stability and not lead", "-m", "dora"],
    ["--config=guardrails.yaml", "--now=2026-11-20", "-x", "--maxfail", "3"],
    ["-f", "json", "-o", "report.json", "-f", "terminal", "--junitxml", "g.xml"],
    ["-p", "no:source-git", "-p", "mymod", "--group-by", "team", "rules/"],
    ["--baseline", "base.json", "--write-baseline", "new.json", "--offline", "-v"],
])
def test_the_usual_command_lines_are_read(args: list[str]) -> None:
    got = plain_check(["check", *args])
    assert got is not None and got == click_values(args)


@pytest.mark.parametrize("args", [
    ["--help"], ["-h"], ["--example"], ["-c", FOLDER], ["-c"], ["-q", "-q"],
    ["-c", "a.yaml", "-c", "b.yaml"], ["--maxfail", "+3"], ["--group-by", "owner"],
    ["-o", "x.json"], ["-cguardrails.yaml"], ["--", "x"], ["-k", "-x"], ["--nosuch"],
    ["--maxfail", "9" * 5000],  # int() refuses over 4,300 digits: it was a traceback
])
def test_the_others_go_to_click(args: list[str]) -> None:
    assert plain_check(["check", *args]) is None


def test_not_check_and_shell_completion_go_to_click(monkeypatch: pytest.MonkeyPatch) -> None:
    assert plain_check(["validate", "a.yaml"]) is None
    assert plain_check(["-V"]) is None and plain_check([]) is None
    monkeypatch.setenv("_GUARDRAILS_COMPLETE", "bash_complete")
    assert plain_check(["check"]) is None


def test_words_click_expands_on_windows_go_to_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "name", "nt")
    assert plain_check(["check", "-q"]) is not None
    for word in ("rules/*.yaml", "~/g.yaml", "$HOME/g.yaml", "%USERPROFILE%", "r[12].yaml"):
        assert plain_check(["check", "-c", word]) is None, word


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads every file")
def test_an_unreadable_config_is_left_to_click(tmp_path: Path) -> None:
    locked = tmp_path / "g.yaml"
    locked.write_text("rules: []\n")
    locked.chmod(0)
    assert plain_check(["check", "-c", str(locked)]) is None


@pytest.mark.parametrize("args", [
    ["-q", "--no-color"],
    ["-v", "--no-color", "-k", "stability"],
    ["-qq", "--no-color", "--strict"],
    ["--no-color", "--now", "20-11-2026"],  # a usage error: exit 4, the same words
    ["--no-color", "-c", MISSING],
])
def test_the_run_is_the_click_command_s(args: list[str], capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the entry point (no click) and through the click group: same output,
    same exit code."""
    monkeypatch.chdir(EXAMPLE.parent)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    line = ["check", "--now", "2026-11-20", *args] if "--now" not in args else ["check", *args]
    assert plain_check(line) is not None
    code = entry.main(line)
    out, err = capsys.readouterr()
    by_click = run_cli(line, env={"COLUMNS": "80"})
    assert code == by_click.exit_code
    assert mask_timing(out) == mask_timing(by_click.stdout)
    assert err == by_click.stderr


def test_report_files_are_the_click_command_s(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE.parent)
    line = ["check", "--now", "2026-11-20", "-q", "--no-color", "-f", "json", "-o"]
    assert entry.main([*line, str(tmp_path / "plain.json")]) == 1
    assert run_cli([*line, str(tmp_path / "click.json")]).exit_code == 1
    plain, clicked = (json.loads((tmp_path / f"{n}.json").read_text())
                      for n in ("plain", "click"))
    assert without_timings(plain) == without_timings(clicked)


def test_the_program_s_check_imports_no_click(tmp_path: Path) -> None:
    env = {**os.environ, "GUARDRAILS_PLUGIN_CACHE_DIR": str(tmp_path / "cache"),
           "GUARDRAILS_CACHE_DIR": str(tmp_path / "project")}
    ran = modules_after(["check", "-c", str(EXAMPLE), "--now", "2026-11-20", "-q",
                         "--no-color"], env)
    assert ran.code == 1, ran.output
    mods = ran.modules
    assert "click" not in mods and "guardrails.cli" not in mods
    assert "guardrails.reporters.terminal" in mods
