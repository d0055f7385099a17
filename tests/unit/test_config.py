"""guardrails.yaml / [tool.guardrails]: finding, validating, waivers, paths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers import write

from guardrails.config import RunOptions, Waiver, find_config, load_config
from guardrails.errors import ConfigError


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config_error(root: Path, text: str, name: str = "guardrails.yaml") -> ConfigError:
    path = write(root, name, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


# ---------------------------------------------------------------------------
# finding the config
# ---------------------------------------------------------------------------


def test_find_config_walks_upwards(tmp_path: Path) -> None:
    cfg = write(tmp_path, "repo/guardrails.yaml", "rules: []\n")
    deep = tmp_path / "repo" / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find_config(deep) == cfg.resolve()
    assert find_config(tmp_path / "repo") == cfg.resolve()


def test_find_config_accepts_yml(tmp_path: Path) -> None:
    cfg = write(tmp_path, "guardrails.yml", "rules: []\n")
    assert find_config(tmp_path) == cfg.resolve()


def test_find_config_takes_pyproject_only_with_a_guardrails_table(tmp_path: Path) -> None:
    outer = write(tmp_path, "pyproject.toml", "[tool.guardrails]\nrules = ['builtin:teams']\n")
    write(tmp_path, "inner/pyproject.toml", "[project]\nname = 'x'\n")
    # inner has a pyproject without [tool.guardrails]: the search goes on upwards
    assert find_config(tmp_path / "inner") == outer.resolve()


def test_guardrails_yaml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.guardrails]\nrules = []\n")
    cfg = write(tmp_path, "guardrails.yaml", "rules: []\n")
    assert find_config(tmp_path) == cfg.resolve()


def test_nearest_config_wins(tmp_path: Path) -> None:
    write(tmp_path, "guardrails.yaml", "rules: []\n")
    inner = write(tmp_path, "sub/guardrails.yaml", "rules: []\n")
    assert find_config(tmp_path / "sub") == inner.resolve()


def test_no_config_anywhere(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_config(tmp_path / "a" / "b") is None


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------


def test_load_yaml_config(in_tmp: Path) -> None:
    path = write(in_tmp, "guardrails.yaml", """\
        focus:
          current: throughput
          reviewed_on: 2026-10-02
        rules:
          - builtin:teams
        window: 30d
        timezone: +02:00
        """)
    cfg = load_config(path)
    assert cfg.path == path.resolve()
    assert cfg.root == in_tmp.resolve()
    assert cfg.display_path == "guardrails.yaml"
    assert cfg.focus == "throughput"
    assert cfg.focus_reviewed_on == date(2026, 10, 2)
    assert cfg.rule_specs == ["builtin:teams"]
    assert cfg.window == timedelta(days=30)
    assert cfg.timezone.utcoffset(None) == timedelta(hours=2)
    assert cfg.line_of("rules", 0) == 5
    assert cfg.line_of("focus", "reviewed_on") == 3


def test_defaults(in_tmp: Path) -> None:
    cfg = load_config(write(in_tmp, "guardrails.yaml", "rules: []\n"))
    assert cfg.window == timedelta(days=90)
    assert cfg.focus is None
    assert cfg.timezone is None
    assert cfg.waivers == []
    assert cfg.allow_outside_root is False


def test_focus_from_the_command_line_wins(in_tmp: Path) -> None:
    path = write(in_tmp, "guardrails.yaml", "focus: {current: stability}\n")
    assert load_config(path, RunOptions(focus="throughput")).focus == "throughput"


def test_pyproject_table(in_tmp: Path) -> None:
    path = write(in_tmp, "pyproject.toml", """\
        [project]
        name = "acme"

        [tool.guardrails]
        rules = ["builtin:teams", "rules/"]
        window = "30d"

        [tool.guardrails.focus]
        current = "stability"
        reviewed_on = "2026-10-02"
        """)
    cfg = load_config(path)
    assert cfg.rule_specs == ["builtin:teams", "rules/"]
    assert cfg.window == timedelta(days=30)
    assert cfg.focus == "stability"
    assert cfg.focus_reviewed_on == date(2026, 10, 2)


def test_pyproject_without_table_given_explicitly(in_tmp: Path) -> None:
    err = config_error(in_tmp, "[project]\nname = 'x'\n", "pyproject.toml")
    assert err.file == "pyproject.toml"
    assert "no [tool.guardrails] table" in err.message


def test_pyproject_invalid_toml(in_tmp: Path) -> None:
    err = config_error(in_tmp, "[tool.guardrails\n", "pyproject.toml")
    assert "invalid TOML" in err.message


def test_pyproject_validation_error_names_the_schema_path(in_tmp: Path) -> None:
    err = config_error(in_tmp, "[tool.guardrails]\nrules = []\nwindow = '30 days'\n",
                       "pyproject.toml")
    assert err.file == "pyproject.toml"
    assert "$.window" in err.message and "schema path: properties/window/pattern" in err.message


def test_pyproject_validation_error_names_the_line(in_tmp: Path) -> None:
    err = config_error(in_tmp, "[tool.guardrails]\nrules = []\nwindow = '30 days'\n",
                       "pyproject.toml")
    assert err.line == 3


def test_pyproject_misspelled_key_in_a_subtable_names_its_line(in_tmp: Path) -> None:
    err = config_error(in_tmp, "[project]\nname = 'x'\n\n[tool.guardrails]\nrules = []\n\n"
                       "[tool.guardrails.focus]\ncurrent = 'stability'\n"
                       "reviewd_on = '2026-10-01'\n", "pyproject.toml")
    assert (err.file, err.line) == ("pyproject.toml", 9)
    assert err.fix == "did you mean 'reviewed_on' instead of 'reviewd_on'?"


def test_config_not_found(in_tmp: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found") as info:
        load_config(in_tmp / "missing.yaml")
    assert "guardrails init" in (info.value.fix or "")


@pytest.mark.parametrize("text", ["", "# nothing yet\n"])
def test_empty_config(in_tmp: Path, text: str) -> None:
    err = config_error(in_tmp, text)
    assert err.file == "guardrails.yaml"
    assert "empty" in err.message


# ---------------------------------------------------------------------------
# validation errors: file, line, schema path, suggestions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("rules: [builtin:teams]\nwindow: 5\n", "write a duration"),
        ("rules: [builtin:teams]\nwaivers:\n  - {rule: a::b, reason: r, expires: soon}\n",
         "YYYY-MM-DD"),
        ("rules: builtin:teams\n", "write a list, even for one item: [item]"),
    ],
)
def test_config_schema_violation_names_a_fix(in_tmp: Path, text: str, fix: str) -> None:
    """DESIGN: a usage error names file, line and fix; a schema's own words name no fix."""
    err = config_error(in_tmp, text)
    assert err.fix and fix in err.fix, str(err)


def test_wrong_type_names_file_line_and_schema_path(in_tmp: Path) -> None:
    err = config_error(in_tmp, "focus: {current: stability}\nrules: builtin:teams\n")
    assert (err.file, err.line, err.column) == ("guardrails.yaml", 2, 1)
    assert "'builtin:teams' is not of type 'array'" in err.message
    assert "$.rules" in err.message
    assert "schema path: properties/rules/type" in err.message
    assert str(err).startswith("guardrails.yaml:2:1: invalid config: ")


def test_misspelled_top_level_key_gets_a_suggestion(in_tmp: Path) -> None:
    err = config_error(in_tmp, "rules: []\nwindwo: 30d\n")
    assert "'windwo' was unexpected" in err.message
    assert err.fix == "did you mean 'window' instead of 'windwo'?"


def test_misspelled_nested_key_gets_a_suggestion(in_tmp: Path) -> None:
    err = config_error(in_tmp, "focus:\n  current: stability\n  reviewd_on: 2026-10-01\n")
    assert "schema path: properties/focus/additionalProperties" in err.message
    assert err.fix == "did you mean 'reviewed_on' instead of 'reviewd_on'?"


def test_misspelled_nested_key_points_at_its_line(in_tmp: Path) -> None:
    err = config_error(in_tmp, "focus:\n  current: stability\n  reviewd_on: 2026-10-01\n")
    assert (err.line, err.column) == (3, 3)


def test_unknown_key_without_a_close_match_lists_allowed_keys(in_tmp: Path) -> None:
    err = config_error(in_tmp, "rules: []\nzzz: 1\n")
    assert err.fix is not None and err.fix.startswith("allowed keys: ")
    assert "window" in err.fix and "waivers" in err.fix


@pytest.mark.parametrize(
    ("text", "line", "column", "where"),
    [
        # Feb 30th does not exist: the schema's date format catches it.
        ("focus:\n  current: stability\n  reviewed_on: 2026-02-30\n", 3, 3,
         "$.focus.reviewed_on"),
        ("rules: []\nwindow: 90 days\n", 2, 1, "$.window"),
        ("waivers:\n  - rule: teams::x\n    reason: r\n    expires: 2026-13-01\n", 4, 5,
         "$.waivers[0].expires"),
        ("waivers:\n  - rule: teams-x\n    reason: r\n    expires: 2026-12-01\n", 2, 5,
         "$.waivers[0].rule"),
        ("waivers:\n  - rule: teams::x\n    expires: 2026-12-01\n", 2, 5, "$.waivers[0]"),
    ],
)
def test_bad_values(in_tmp: Path, text: str, line: int, column: int, where: str) -> None:
    err = config_error(in_tmp, text)
    assert (err.file, err.line, err.column) == ("guardrails.yaml", line, column)
    assert f" at {where} " in err.message


def test_unknown_timezone(in_tmp: Path) -> None:
    err = config_error(in_tmp, "rules: []\ntimezone: Mars/Olympus\n")
    assert (err.file, err.line) == ("guardrails.yaml", 2)
    assert "timezone" in err.message and "Mars/Olympus" in err.message


def test_duplicate_key_in_config(in_tmp: Path) -> None:
    from guardrails.errors import UsageError

    path = write(in_tmp, "guardrails.yaml", "rules: []\nwindow: 30d\nwindow: 60d\n")
    with pytest.raises(UsageError) as info:
        load_config(path)
    assert (info.value.file, info.value.line) == ("guardrails.yaml", 3)


# ---------------------------------------------------------------------------
# waivers
# ---------------------------------------------------------------------------

WAIVERS = """\
rules: []
waivers:
  - rule: teams::two-pizza-teams
    subject: team/platform
    reason: splitting the team in Q1
    expires: 2027-01-31
  - rule: stability::lead-time
    reason: migration
    expires: 2026-11-30
"""


def test_waivers_are_parsed_with_their_lines(in_tmp: Path) -> None:
    waivers = load_config(write(in_tmp, "guardrails.yaml", WAIVERS)).waivers
    assert waivers == [
        Waiver("teams::two-pizza-teams", "splitting the team in Q1", date(2027, 1, 31),
               "team/platform", line=3),
        Waiver("stability::lead-time", "migration", date(2026, 11, 30), None, line=7),
    ]


def test_waiver_expiry_day_is_inclusive(in_tmp: Path) -> None:
    w = load_config(write(in_tmp, "guardrails.yaml", WAIVERS)).waivers[1]  # expires 11-30
    assert w.active(datetime(2026, 11, 29, 12, tzinfo=UTC))
    assert w.active(datetime(2026, 11, 30, 0, tzinfo=UTC))
    assert w.active(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    assert not w.active(datetime(2026, 12, 1, 0, tzinfo=UTC))


def test_waiver_expiry_day_is_a_day_in_the_config_timezone(in_tmp: Path) -> None:
    # expires 2026-11-30: in +05:30 that day ends at 2026-11-30T18:30Z, in -08:00
    # at 2026-12-01T08:00Z (METRICS.md: a date names the whole day in `timezone:`)
    from guardrails.timeutil import parse_timezone

    w = load_config(write(in_tmp, "guardrails.yaml", WAIVERS)).waivers[1]
    east, west = parse_timezone("+05:30"), parse_timezone("-08:00")
    assert w.active(datetime(2026, 11, 30, 18, 29, 59, tzinfo=UTC), east)
    assert not w.active(datetime(2026, 11, 30, 18, 30, tzinfo=UTC), east)
    assert w.active(datetime(2026, 12, 1, 7, 59, 59, tzinfo=UTC), west)
    assert not w.active(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), west)


def test_waiver_json(in_tmp: Path) -> None:
    first, second = load_config(write(in_tmp, "guardrails.yaml", WAIVERS)).waivers
    assert first.to_json() == {"reason": "splitting the team in Q1", "expires": "2027-01-31",
                               "subject": "team/platform"}
    assert second.to_json() == {"reason": "migration", "expires": "2026-11-30"}


def test_waiver_subject_must_be_kind_slash_id(in_tmp: Path) -> None:
    err = config_error(in_tmp, "waivers:\n  - rule: a::b\n    subject: platform\n"
                       "    reason: r\n    expires: 2026-12-01\n")
    assert err.line == 3
    assert "$.waivers[0].subject" in err.message


# ---------------------------------------------------------------------------
# paths outside the config's folder
# ---------------------------------------------------------------------------


def test_paths_outside_the_root_are_refused(in_tmp: Path) -> None:
    project = in_tmp / "project"
    cfg = load_config(write(project, "guardrails.yaml", "rules:\n  - rules/\n  - ../shared/\n"))
    assert cfg.resolve_inside("rules/", "rules", 0) == (project / "rules").resolve()
    with pytest.raises(ConfigError) as info:
        cfg.resolve_inside("../shared/", "rules", 1)
    err = info.value
    assert err.line == 3
    assert "outside the folder holding the config" in err.message
    assert "allow_outside_root: true" in (err.fix or "")


def test_paths_outside_the_root_allowed_when_configured(in_tmp: Path) -> None:
    project = in_tmp / "project"
    cfg = load_config(write(project, "guardrails.yaml",
                            "rules:\n  - ../shared/\nallow_outside_root: true\n"))
    assert cfg.resolve_inside("../shared/", "rules", 0) == (in_tmp / "shared").resolve()


def test_sneaky_relative_path_that_comes_back_inside_is_fine(in_tmp: Path) -> None:
    project = in_tmp / "project"
    cfg = load_config(write(project, "guardrails.yaml", "rules: []\n"))
    assert cfg.resolve_inside("../project/rules", "rules") == (project / "rules").resolve()


def test_no_home_folder_means_no_project_cache_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A container run under an arbitrary uid: $HOME unset and no password entry, so
    # Path.home() raises RuntimeError (was a traceback, exit 3, for every check).
    from guardrails.testing import GuardrailsTester

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    for name in ("HOME", "XDG_CACHE_HOME", "GUARDRAILS_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    project = GuardrailsTester(tmp_path)
    project.write_config("rules: [builtin:teams]\nsources:\n  files: {path: org}\n")
    project.write("org/teams.yaml",
                  "teams:\n  - {id: core, name: Core, members: [{handle: ann}]}\n")
    assert load_config(tmp_path / "guardrails.yaml").cache_dir is None
    result = project.run("check", "--now", "2026-11-20")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "teams::two-pizza-teams" in result.stdout


@pytest.mark.parametrize(("value", "token"), [
    ("GITHUB_TOKEN", False),
    ("GITHUB_TOKEN\n", True),  # "$" of re.match would let the final newline by
    ("ghp_abc", True),
    ("github_token", True),
])
def test_looks_like_token_takes_only_a_whole_variable_name(value: str, token: bool) -> None:
    from guardrails.config import looks_like_token

    assert looks_like_token(value) is token


def test_relative_xdg_cache_home_is_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # XDG Base Directory spec: a relative path in XDG_CACHE_HOME is invalid and
    # ignored; honouring it wrote a cache folder into the folder the run started in.
    from guardrails import cachefiles

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GUARDRAILS_CACHE_DIR", raising=False)
    monkeypatch.delenv("GUARDRAILS_PLUGIN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    cfg = load_config(write(tmp_path / "project", "guardrails.yaml", "rules: []\n"))
    assert cfg.cache_dir == home / ".cache" / "guardrails"
    assert cachefiles.cache_dir() == home / ".cache" / "guardrails"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cfg.cache_dir == tmp_path / "xdg" / "guardrails"
    assert cachefiles.cache_dir() == tmp_path / "xdg" / "guardrails"


@pytest.mark.parametrize("text", [
    "rules: []\nwindow: .nan\n",
    "rules: []\nwaivers:\n  - {rule: a::b, reason: r, expires: .inf}\n",
])
def test_a_nan_in_the_config_is_one_error_not_two(in_tmp: Path, text: str) -> None:
    # "each mistake listed once": it was also "nan is not of type 'string'" at the same place
    from guardrails.errors import LoadErrors, UsageError

    with pytest.raises(UsageError) as info:
        load_config(write(in_tmp, "guardrails.yaml", text))
    err = info.value
    errors = err.errors if isinstance(err, LoadErrors) else [err]
    assert [e.message.split(" is ")[-1] for e in errors] == ["NaN or infinite"]
