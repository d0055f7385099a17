"""The console entry point: ``validate FILE...`` without click, everything else through it.

``guardrails validate [-c CONFIG] FILE...`` (the pre-commit hook) is read by
guardrails.entry itself; any other form goes to the click group. Both must
mean the same: the forms read here are those whose meaning is beyond doubt.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from helpers import make_project, modules_after

from guardrails import entry, precommit
from guardrails.model import ExitCode

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "acme"


@pytest.mark.parametrize(("args", "read"), [
    (["validate", "a.yaml"], (["a.yaml"], None)),
    (["validate", "-c", "g.yaml", "a.yaml", "b.csv"], (["a.yaml", "b.csv"], "g.yaml")),
    (["validate", "a.yaml", "--config", "g.yaml"], (["a.yaml"], "g.yaml")),
    (["validate", "--config=g.yaml", "a.yaml"], (["a.yaml"], "g.yaml")),
    (["validate"], None),  # no file: everything, through the session
    (["validate", "--help"], None),
    (["validate", "-h", "a.yaml"], None),
    (["validate", "--", "a.yaml"], None),
    (["validate", "-cg.yaml", "a.yaml"], None),
    (["validate", "-c", "g.yaml", "-c", "h.yaml", "a.yaml"], None),  # click keeps the last
    (["validate", "-c"], None),
    (["validate", "-c", "--help", "a.yaml"], None),
    (["validate", "--config=", "a.yaml"], None),
    (["validate", "-x", "a.yaml"], None),
    (["check", "a.yaml"], None),
    (["-V"], None),
    ([], None),
])
def test_which_command_lines_are_read_without_click(args: list[str], read: object) -> None:
    assert entry.plain_validate(args) == read


def test_words_click_expands_on_windows_are_left_to_click(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "name", "nt")
    assert entry.plain_validate(["validate", "a.yaml"]) == (["a.yaml"], None)
    assert entry.plain_validate(["validate", "org/*.yaml"]) is None
    assert entry.plain_validate(["validate", "-c", "~/g.yaml", "a.yaml"]) is None


def test_a_config_naming_a_folder_is_left_to_click(tmp_path: Path) -> None:
    assert entry.plain_validate(["validate", "-c", str(tmp_path), "a.yaml"]) is None


def test_the_exit_codes_are_the_enum_s() -> None:
    assert (precommit.OK, precommit.USAGE_ERROR) == (ExitCode.OK, ExitCode.USAGE_ERROR)


def test_help_still_goes_to_click(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["validate", "--help"]) == 0
    assert "Usage: guardrails validate" in capsys.readouterr().out


def test_a_bad_data_file_through_the_entry_point(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path, org={"teams.yaml": "teams:\n  - id: a\n    members: 3\n"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    assert entry.main(["validate", "org/teams.yaml"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("org/teams.yaml:3: invalid team") and "Traceback" not in err
    assert entry.main(["validate", "org/nosuch.yaml"]) == 4
    assert "org/nosuch.yaml: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("extra", ["local", "config", "rule-file", "broken-config"])
def test_plugins_rule_files_and_config_errors_take_the_session_s_way(
        extra: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = "rules:\n  - rules/\nsources:\n  files: {path: org}\n"
    named = ["org/teams.yaml"]
    if extra == "local":
        make_project(tmp_path, plugins="# a project plugin\n")
    elif extra == "config":
        make_project(tmp_path, config=config + "plugins: [json]\n")
    elif extra == "rule-file":
        make_project(tmp_path)
        named.append("rules/people.yaml")
    else:
        make_project(tmp_path, config=config + "window: 0d\n")
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    assert precommit._validate_data_only(named, None, err) is None
    assert err.getvalue() == ""
    code = precommit.validate(named, None, err)
    if extra == "broken-config":
        assert code == 4 and "guardrails.yaml:5" in err.getvalue()
    else:
        assert code == 0, err.getvalue()


def test_validating_one_data_file_imports_neither_click_nor_the_session(tmp_path: Path) -> None:
    env = {**os.environ, "GUARDRAILS_PLUGIN_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PRE_COMMIT", None)
    for _ in range(2):  # the first run writes the entry-point cache
        ran = modules_after(["validate", "-c", "guardrails.yaml", "org/teams.yaml"], env,
                            cwd=EXAMPLE)
    mods = ran.modules
    assert ran.code == 0, ran.output
    assert "guardrails.sources.files" in mods  # the file was validated
    unneeded = {"click", "guardrails.session", "guardrails.model", "guardrails.manager",
                "guardrails.collect", "jsonschema", "importlib.metadata", "logging"}
    assert sorted(unneeded & set(mods)) == []


def test_a_broken_pyproject_is_reported_as_the_session_reports_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, config=None)
    (tmp_path / "pyproject.toml").write_text("[tool.guardrails\n")
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    assert precommit._validate_data_only(["org/teams.yaml"], None, err) is None
    assert precommit.validate(["org/teams.yaml"], None, err) == 4
    assert err.getvalue().startswith("pyproject.toml:1:17: invalid TOML")
