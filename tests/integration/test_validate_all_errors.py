"""``guardrails validate`` reports a data file's problems, up to 20, not the first alone.

DESIGN.md: "validate config, rule and data files (all errors, one run)". It
stopped each data file at its first bad record, so a file with five bad rows
took five commits to learn of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_project, run_cli

HEADER = "id,started_at,finished_at\n"
GOOD = "r-{n},2026-11-01T10:00:00Z,2026-11-01T10:05:00Z\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _ci_runs(project: Path, rows: list[str]) -> Path:
    path = project / "org" / "ci_runs.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_every_problem_of_a_file_with_its_line(project: Path) -> None:
    _ci_runs(project, [
        GOOD.format(n=1),                                       # line 2
        "r-2,yesterday,2026-11-01T10:05:00Z\n",                 # 3: not a timestamp
        GOOD.format(n=3),                                       # 4
        "r-4,2026-11-01T10:00:00+02:75,2026-11-01T10:05:00Z\n",  # 5: offset out of range
        "r-5,2026-11-01T10:00:00Z,2026-11-01T09:00:00Z\n",      # 6: finished before started
        GOOD.format(n=1),                                       # 7: duplicate of line 2
    ])
    for args in (["validate", "org/ci_runs.csv"], ["validate"]):  # named, and all files
        res = run_cli(args)
        assert res.exit_code == 4, res.output
        lines = [li for li in res.stderr.splitlines() if li.startswith("org/ci_runs.csv:")]
        assert [li.split(":")[1] for li in lines] == ["3", "5", "6", "7"], res.stderr
        assert "started_at: not an ISO 8601 timestamp: 'yesterday'" in lines[0]
        assert "the UTC offset +02:75" in lines[1]
        assert "finished before it started" in lines[2]
        assert "duplicate ci_run id 'r-1' (first on line 2)" in lines[3]
        assert all("Fix: " in li for li in lines)


def test_problems_are_bounded_with_a_count_of_the_rest(project: Path) -> None:
    _ci_runs(project, [GOOD.format(n=0)]
             + [f"r-{n},bad{n},2026-11-01T10:05:00Z\n" for n in range(1, 31)])
    res = run_cli(["validate", "org/ci_runs.csv"])
    assert res.exit_code == 4
    lines = [li for li in res.stderr.splitlines() if li.startswith("org/ci_runs.csv")]
    assert len(lines) == 21
    assert [li.split(":")[1] for li in lines[:20]] == [str(n) for n in range(3, 23)]
    assert lines[20].startswith("org/ci_runs.csv: and 10 more problems in this file "
                                "(the first 20 are shown)")


def test_check_still_stops_a_file_at_its_first_problem(project: Path) -> None:
    _ci_runs(project, ["r-1,bad1,2026-11-01T10:05:00Z\n", "r-2,bad2,2026-11-01T10:05:00Z\n"])
    res = run_cli(["check", "--now", "2026-11-20"])
    assert res.exit_code == 4
    assert "bad1" in res.output and "bad2" not in res.output


def test_every_id_given_again_in_a_file_of_good_records(project: Path) -> None:
    # Each record passes alone, so no record's problem sends the file through the
    # per-record steps: the ids alone were compared, and only the first repeat shown.
    _ci_runs(project, [GOOD.format(n=n % 3) for n in range(30)])  # lines 2..31
    res = run_cli(["validate", "org/ci_runs.csv"])
    assert res.exit_code == 4, res.output
    lines = [li for li in res.stderr.splitlines() if li.startswith("org/ci_runs.csv")]
    assert [li.split(":")[1] for li in lines[:20]] == [str(n) for n in range(5, 25)]
    assert "duplicate ci_run id 'r-0' (first on line 2)" in lines[0]
    assert "duplicate ci_run id 'r-1' (first on line 3)" in lines[1]
    assert lines[20].startswith("org/ci_runs.csv: and 7 more problems in this file "
                                "(the first 20 are shown)")
    assert len(lines) == 21
    _ci_runs(project, [GOOD.format(n=1), GOOD.format(n=2), GOOD.format(n=1)])
    lines = run_cli(["validate", "org/ci_runs.csv"]).stderr.splitlines()
    assert [li.split(":")[1] for li in lines if li.startswith("org/")] == ["4"]  # one: no count
    res = run_cli(["check", "--now", "2026-11-20"])  # check: the first alone, as ever
    assert res.exit_code == 4 and res.output.count("duplicate ci_run id") == 1, res.output
