"""The terminal report: pytest's shape, deterministic for a fixed --now, colours on demand.

The project: rules/ops.yaml (time to restore over a 30-day window, and a
count of deployments there is no data for) and rules/people.yaml (team size,
team count). With --now 2026-11-20 the window is [2026-10-21, 2026-11-20) and
the three incidents were restored in 10h, 20h and 30h: median 20h > 12h.
"""

from __future__ import annotations

import platform
from pathlib import Path

import pluggy
import pytest
from helpers import COLUMNS, make_project, mask_timing, run_cli, sep

from guardrails import __version__

OPS_RULES = """\
pack: ops
rules:
  - id: restore
    title: Incidents are restored within 12 hours
    check: metric
    metric: dora.time_to_restore
    max: 12h
    window: 30d
  - id: deploys
    title: Somebody deploys
    check: count
    facts: deployments
    min: 1
"""

INCIDENTS = """\
incidents:
  - {id: INC-1, severity: SEV2, service: api, created_at: 2026-11-01T00:00:00Z,
     resolved_at: 2026-11-01T10:00:00Z}
  - {id: INC-2, severity: SEV2, service: api, created_at: 2026-11-02T00:00:00Z,
     resolved_at: 2026-11-02T20:00:00Z}
  - {id: INC-3, severity: SEV2, service: api, created_at: 2026-11-03T00:00:00Z,
     resolved_at: 2026-11-04T06:00:00Z}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from helpers import PEOPLE_RULES, TEAMS_YAML

    monkeypatch.chdir(tmp_path)
    make_project(tmp_path, rules={"rules/ops.yaml": OPS_RULES, "rules/people.yaml": PEOPLE_RULES},
                 org={"teams.yaml": TEAMS_YAML, "incidents.yaml": INCIDENTS})
    return tmp_path


def check(*args: str, env: dict[str, str | None] | None = None) -> str:
    result = run_cli(["check", "--now", "2026-11-20", *args], env)
    assert result.exit_code == 1, result.output
    return result.stdout


def progress(prefix: str, pct: str) -> str:
    """A progress line: text left, percentage right, 80 columns in all."""
    return prefix + " " * (COLUMNS - len(prefix) - len(pct)) + pct


def test_whole_report(project: Path) -> None:
    expected = "\n".join([
        sep("=", "guardrails session starts"),
        f"guardrails {__version__}, python {platform.python_version()}, "
        f"pluggy {pluggy.__version__}",
        f"rootdir: {project.resolve()}, config: guardrails.yaml, focus: (none declared)",
        "sources: files org/ (3 incidents, 2 teams)",
        "collected 4 rules",
        "",
        progress("rules/ops.yaml Fs", "[ 50%]"),
        progress("rules/people.yaml F.", "[100%]"),
        "",
        sep("=", "FAILURES"),
        sep("_", "ops::restore"),
        "time to restore 20h > 12h",
        "window 2026-10-21 .. 2026-11-20 (30 days)",
        "3 resolved incidents created in window",
        "  incident/INC-3  restored in 30h (SEV2, api, opened 2026-11-03)",
        "  incident/INC-2  restored in 20h (SEV2, api, opened 2026-11-02)",
        "  incident/INC-1  restored in 10h (SEV2, api, opened 2026-11-01)",
        "how to fix: guardrails explain ops::restore",
        sep("_", "people::team-size"),
        "1 team outside 3..8 members: beta (9)",
        "  team/beta  9 members (max 8)",
        "how to fix: guardrails explain people::team-size",
        sep("=", "short rule summary info"),
        "FAILED ops::restore - time to restore 20h > 12h",
        "FAILED people::team-size - 1 team outside 3..8 members: beta (9)",
        "SKIPPED [1] ops::deploys - no deployments data",
        "1 of 4 rules skipped: no data — configure sources (--strict makes them fail)",
        sep("=", "2 failed, 1 passed, 1 skipped in X.XXs"),
        "",
    ])
    assert mask_timing(check()) == expected


def test_two_runs_are_byte_identical_but_for_the_timing(project: Path) -> None:
    first, second = check(), check()
    assert mask_timing(first) == mask_timing(second)
    assert first.splitlines()[-1].endswith("=")


def test_verbose_prints_one_line_per_rule(project: Path) -> None:
    lines = check("-v").splitlines()
    start = lines.index("collected 4 rules") + 2
    assert lines[start:start + 5] == [
        progress("ops::restore FAILED  time to restore 20h > 12h", "[ 25%]"),
        progress("ops::deploys SKIPPED  no deployments data", "[ 50%]"),
        progress("people::team-size FAILED  1 team outside 3..8 members: beta (9)", "[ 75%]"),
        progress("people::some-teams PASSED  2 teams selected: 2 >= 1", "[100%]"),
        "",
    ]


def test_quiet_prints_only_the_summary(project: Path) -> None:
    out = mask_timing(check("-q"))
    assert out.splitlines() == [
        sep("=", "short rule summary info"),
        "FAILED ops::restore - time to restore 20h > 12h",
        "FAILED people::team-size - 1 team outside 3..8 members: beta (9)",
        "SKIPPED [1] ops::deploys - no deployments data",
        "1 of 4 rules skipped: no data — configure sources (--strict makes them fail)",
        sep("=", "2 failed, 1 passed, 1 skipped in X.XXs"),
    ]
    assert mask_timing(check("-qq")) == "2 failed, 1 passed, 1 skipped in X.XXs\n"


def test_evidence_is_capped_unless_verbose(project: Path) -> None:
    many = "teams:\n" + "".join(f"  - {{id: t{i}, members: []}}\n" for i in range(1, 8))
    (project / "org" / "teams.yaml").write_text(many)
    lines = check().splitlines()
    block = lines[lines.index(sep("_", "people::team-size")):]
    # 7 teams of 0 members, under min 3: five shown, then how many more
    assert block[1] == ("7 teams outside 3..8 members: t1 (0), t2 (0), t3 (0), t4 (0), "
                        "t5 (0), t6 (0), t7 (0)")
    assert block[2:8] == [
        "  team/t1  0 members (min 3)", "  team/t2  0 members (min 3)",
        "  team/t3  0 members (min 3)", "  team/t4  0 members (min 3)",
        "  team/t5  0 members (min 3)", "  ... 2 more (-v to show all)",
    ]
    verbose = check("-v").splitlines()
    # -v: every item, and the row of the data file the record was read from
    assert "  team/t7  0 members (min 3)  (org/teams.yaml:8)" in verbose
    assert "  ... 2 more (-v to show all)" not in verbose


def test_group_by_team(project: Path) -> None:
    lines = check("--group-by", "team").splitlines()
    block = lines[lines.index(sep("_", "people::team-size")):]
    assert block[1:4] == ["1 team outside 3..8 members: beta (9)", "  team beta:",
                          "    team/beta  9 members (max 8)"]


def test_waived_and_warning_letters_and_summary(project: Path) -> None:
    (project / "guardrails.yaml").write_text(
        "rules: [rules/]\nsources:\n  files: {path: org}\n"
        "overrides:\n  ops::restore: {severity: warning}\n"
        "waivers:\n  - rule: people::team-size\n    subject: team/beta\n"
        "    reason: splitting beta\n    expires: 2026-12-31\n")
    result = run_cli(["check", "--now", "2026-11-20"])
    assert result.exit_code == 0  # a warning and a waiver do not fail the run
    lines = mask_timing(result.stdout).splitlines()
    assert progress("rules/ops.yaml Ws", "[ 50%]") in lines
    assert progress("rules/people.yaml w.", "[100%]") in lines
    assert "severity: warning (does not fail the run without --strict)" in lines
    summary = lines[lines.index(sep("=", "short rule summary info")) + 1:]
    assert summary == [
        "FAILED ops::restore - time to restore 20h > 12h (warning)",
        'WAIVED people::team-size - until 2026-12-31: "splitting beta" (team/beta)',
        "SKIPPED [1] ops::deploys - no deployments data",
        "1 of 4 rules skipped: no data — configure sources (--strict makes them fail)",
        sep("=", "1 failed, 1 passed, 1 skipped, 1 waived in X.XXs"),
    ]


def test_error_block(project: Path) -> None:
    (project / "rules" / "broken.yaml").write_text(
        "pack: broken\nrules:\n  - id: crash\n    check: local.crash\n")
    (project / "guardrails_plugins.py").write_text(
        "from guardrails.plugin import Check, hookimpl\n\n\n"
        "class Crash(Check):\n    name = 'local.crash'\n\n"
        "    def evaluate(self, rule, ctx):\n        raise ValueError('bad value')\n\n\n"
        "@hookimpl\ndef guardrails_collect_checks():\n    return [Crash()]\n")
    lines = mask_timing(check()).splitlines()
    assert progress("rules/broken.yaml E", "[ 20%]") in lines
    block = lines[lines.index(sep("_", "broken::crash")):]
    assert block[1:3] == ["check local.crash crashed: ValueError: bad value",
                          "  (-v shows the traceback)"]
    assert "ERROR broken::crash - check local.crash crashed: ValueError: bad value" in lines
    assert lines[-1] == sep("=", "2 failed, 1 passed, 1 skipped, 1 error in X.XXs")
    verbose = check("-v")
    assert "Traceback (most recent call last)" in verbose


# ---------------------------------------------------------------------------
# colours
# ---------------------------------------------------------------------------

ESC = "\x1b["


def test_piped_output_has_no_colour(project: Path) -> None:
    assert ESC not in check()


def test_force_color_turns_colours_on(project: Path) -> None:
    out = check(env={"FORCE_COLOR": "1"})
    assert ESC in out
    assert "\x1b[31mF\x1b[0m" in out  # a red F on the progress line
    assert "\x1b[32m.\x1b[0m" in out  # a green dot
    # with the escapes removed, the text is the plain report
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert mask_timing(plain) == mask_timing(check())


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ((), {"NO_COLOR": "1", "FORCE_COLOR": "1"}),
        (("--no-color",), {"FORCE_COLOR": "1"}),
        (("--no-color",), {}),
    ],
)
def test_no_color_wins(project: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    assert ESC not in check(*args, env=env)
