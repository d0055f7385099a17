"""History and trends: check --record, history --backfill, history, trend.

The backfill's oracle is ``guardrails check --now <point>``: on the example
org, every time-windowed rule's summary at several backfilled points must
equal the JSON report of a real run at that point. The lock is tested with
real processes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import HANG_GUARD, cli_env, console_script, make_project, run_cli, write

from guardrails import history
from guardrails.cli import cli

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example org with 26 weeks backfilled up to 2026-11-20."""
    root = tmp_path_factory.mktemp("acme")
    shutil.copy(ACME / "guardrails.yaml", root / "guardrails.yaml")
    shutil.copytree(ACME / "org", root / "org")
    res = run_cli(["history", "-c", str(root / "guardrails.yaml"), "--now", "2026-11-20",
                   "--backfill", "26w"])
    assert res.exit_code == 0, res.output
    return root


def _entries(root: Path) -> list[history.Entry]:
    loaded = history.load(root / ".guardrails" / "history")
    assert not loaded.warnings
    return loaded.entries


@pytest.mark.parametrize("week", [0, 6, 13, 25])
def test_backfill_equals_check_at_that_point(acme: Path, week: int) -> None:
    entries = _entries(acme)
    assert len(entries) == 26
    assert [e.now for e in entries] == [datetime(2026, 11, 20, tzinfo=UTC) - timedelta(weeks=k)
                                       for k in range(25, -1, -1)]
    entry = entries[-1 - week]
    out = acme / f"report-{week}.json"
    res = run_cli(["check", "-c", str(acme / "guardrails.yaml"), "--now",
                   entry.now.date().isoformat(), "--format", "json", "--output", str(out),
                   "-qq"])
    assert res.exit_code in (0, 1), res.output
    real = {r["id"]: history.summarize(r) for r in json.loads(out.read_text())["results"]}
    assert sorted(entry.results) == sorted(
        rid for rid in real if rid.startswith(("stability::", "delivery::"))
        or rid in ("teams::bus-factor", "culture::westrum-score"))
    for rid, summary in entry.results.items():
        assert summary == real[rid], rid
    # The points are not all alike: the oracle judges values that move.
    assert len({e.results["stability::deployment-frequency"]["value"] for e in entries}) > 10


def test_backfill_again_adds_only_older_points(acme: Path, tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(acme, root)
    res = run_cli(["history", "-c", str(root / "guardrails.yaml"), "--now", "2026-11-20",
                   "--backfill", "4w"])
    assert res.exit_code == 0
    assert "nothing to backfill" in res.output
    assert len(_entries(root)) == 26
    res = run_cli(["history", "-c", str(root / "guardrails.yaml"), "--now", "2026-11-20",
                   "--backfill", "28w"])
    assert res.exit_code == 0, res.output
    assert len(_entries(root)) == 28


def test_history_table_sparkline_and_ascii(acme: Path) -> None:
    cfg = str(acme / "guardrails.yaml")
    res = run_cli(["history", "-c", cfg, "stability::change-failure-rate"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split() == ["rule", "points", "trend", "first", "last", "threshold",
                                "outcome"]
    row = lines[1]
    assert row.startswith("stability::change-failure-rate  26")
    assert "12.5%" in row and "<= 10.0%" in row and row.endswith("failed")
    assert "█" in row
    # One rule: every point listed, oldest first.
    assert "  2026-11-20T00:00:00Z         12.5%  failed" in res.output
    # Not a UTF-8 stdout: the plain ASCII ramp.
    ascii_run = CliRunner(charset="latin-1").invoke(
        cli, ["history", "-c", cfg, "change-failure"], env=cli_env())
    assert ascii_run.exit_code == 0
    assert "#" in ascii_run.output.splitlines()[1]
    assert not any(ch in ascii_run.output for ch in "▁▂▃▄▅▆▇█")


def test_history_json(acme: Path) -> None:
    res = run_cli(["history", "-c", str(acme / "guardrails.yaml"), "lead-time", "--last", "3",
                   "-f", "json"])
    data = json.loads(res.output)
    (s,) = data["series"]
    assert s["id"] == "stability::lead-time" and s["unit"] == "seconds"
    assert [p["now"] for p in s["points"]] == ["2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z",
                                               "2026-11-20T00:00:00Z"]


def test_record_appends_the_report_summary(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    report = tmp_path / "r.json"
    for now in ("2026-10-31", "2026-11-20"):
        res = run_cli(["check", "-c", str(cfg), "--now", now, "--record", "-qq",
                       "--format", "json", "--output", str(report), "--format", "terminal"])
        assert res.exit_code == 1, res.output
    folder = tmp_path / ".guardrails" / "history"
    assert sorted(p.name for p in folder.glob("*.jsonl")) == ["history-2026-10.jsonl",
                                                              "history-2026-11.jsonl"]
    line = json.loads((folder / "history-2026-11.jsonl").read_text())
    assert line["now"] == "2026-11-20T00:00:00Z" and line["origin"] == "check"
    assert line["exit_code"] == 1
    real = {r["id"]: history.summarize(r) for r in json.loads(report.read_text())["results"]}
    assert {r["id"]: r for r in line["results"]} == real
    assert real["people::team-size"]["value"] == 1  # beta has 9 members
    assert "evidence" not in line["results"][0]


def test_history_dir_from_config_and_no_history_exit(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, config="rules:\n  - rules/\nsources:\n  files: {path: org}\n"
                       "history_dir: metrics/log\n")
    res = run_cli(["history", "-c", str(cfg)])
    assert res.exit_code == 5 and "no history yet" in res.output
    res = run_cli(["trend", "-c", str(cfg)])
    assert res.exit_code == 5
    run_cli(["check", "-c", str(cfg), "--record", "--now", "2026-11-20", "-qq"])
    assert (tmp_path / "metrics" / "log" / "history-2026-11.jsonl").is_file()


def test_torn_last_line_then_append(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    folder = tmp_path / ".guardrails" / "history"
    write(tmp_path, ".guardrails/history/history-2026-11.jsonl", '{"format": "guardr')
    res = run_cli(["check", "-c", str(cfg), "--record", "--now", "2026-11-20", "-qq"])
    assert res.exit_code == 1
    loaded = history.load(folder, tmp_path)
    assert len(loaded.entries) == 1
    (warning,) = loaded.warnings
    assert warning.startswith(".guardrails/history/history-2026-11.jsonl:1: corrupt history "
                              "line skipped (")


def _cfr_history(root: Path, values: list[float], threshold: float = 0.15,
                 first_week: int = 0) -> None:
    start = datetime(2026, 10, 2, tzinfo=UTC) + timedelta(weeks=first_week)
    entries = [history.Entry(now=start + timedelta(weeks=i), origin="check", results={
        "stability::change-failure-rate": {
            "id": "stability::change-failure-rate", "outcome": "passed", "value": v,
            "unit": "ratio", "threshold": {"max": threshold}, "samples": 50}})
        for i, v in enumerate(values)]
    history.append(root / ".guardrails" / "history", entries)


def test_trend_warns_before_it_fails(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    # 6% to 12% over 7 weeks, linearly: 3 points of headroom left at 6/7 point a week,
    # so the line reaches 15% 3.5 weeks after the last point (2026-11-20 + 24.5 days).
    _cfr_history(tmp_path, [0.06 + 0.06 * i / 7 for i in range(8)])
    res = run_cli(["trend", "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert ("WARNING  stability::change-failure-rate: change failure rate rose from 6.0% to "
            "12.0% in 7 weeks; at this slope it crosses 15.0% around 2026-12-14") in res.output
    assert res.output.splitlines()[-1] == "== 1 warning =="
    assert run_cli(["trend", "-c", str(cfg), "--strict"]).exit_code == 1
    # Judged on a shorter horizon, the slope does not cross in time; the drift still warns.
    res = run_cli(["trend", "-c", str(cfg), "--horizon", "1w", "-f", "json"])
    (v,) = json.loads(res.output)["results"]
    assert v["outcome"] == "warning" and v["crosses_on"] is None
    assert "67% of its headroom to 15.0% is gone" in v["message"]
    # A laxer fraction and short horizon: no regression.
    res = run_cli(["trend", "-c", str(cfg), "--horizon", "1w", "--fraction", "0.9"])
    assert "PASSED" in res.output and res.exit_code == 0


def test_trend_flat_and_already_failing(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    _cfr_history(tmp_path, [0.05] * 8)
    res = run_cli(["trend", "-c", str(cfg), "--strict"])
    assert res.exit_code == 0
    assert "PASSED   stability::change-failure-rate: change failure rate stayed at 5.0% for " \
           "7 weeks" in res.output
    _cfr_history(tmp_path, [0.20], first_week=8)  # one more week, now over the threshold
    res = run_cli(["trend", "-c", str(cfg), "--strict"])
    assert res.exit_code == 1
    assert "FAILED   stability::change-failure-rate: change failure rate rose from 5.0% to " \
           "20.0% in 7 weeks; already beyond 15.0%" in res.output


CHILD = """\
import sys, time
from pathlib import Path
from guardrails import history
from guardrails.cli import cli
with history.locked(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    Path(sys.argv[3]).write_text("done")
"""


def test_lock_serialises_writers_across_processes(tmp_path: Path) -> None:
    folder = tmp_path / "h"
    folder.mkdir()
    marker = tmp_path / "written-before-release"
    holder = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), "0.6", str(marker)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    entry = history.Entry(now=datetime(2026, 11, 20, tzinfo=UTC), results={})
    history.append(folder, [entry])  # must wait for the other process to let go
    # the holder wrote the marker inside the lock, just before letting go: an
    # append that did not wait returns while it still sleeps, before the marker
    assert marker.exists()
    holder.wait(timeout=HANG_GUARD)
    assert len(history.load(folder).entries) == 1


def test_two_concurrent_record_runs_both_land(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    procs = [subprocess.Popen([str(console_script()), "check", "-c", str(cfg), "--record",
                               "--now", now, "-qq"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
             for now in ("2026-11-19", "2026-11-20")]
    for p in procs:
        _, err = p.communicate(timeout=HANG_GUARD)
        assert p.returncode == 1, err
    entries = _entries(tmp_path)
    assert [e.now.day for e in entries] == [19, 20]


def test_backfill_fast_path_without_subject_waivers(tmp_path: Path) -> None:
    # Without Acme's subject waiver on small-batches, every metric takes its fast
    # table path at every point; the oracle is still check --now.
    text = (ACME / "guardrails.yaml").read_text()
    cut = text.index("waivers:")
    rest = text[cut:].split("\nwindow:", 1)[1]
    (tmp_path / "guardrails.yaml").write_text(text[:cut] + "window:" + rest)
    shutil.copytree(ACME / "org", tmp_path / "org")
    cfg = str(tmp_path / "guardrails.yaml")
    assert run_cli(["history", "-c", cfg, "--now", "2026-11-20", "--backfill", "9w"]).exit_code == 0
    entries = _entries(tmp_path)
    for entry in (entries[0], entries[-1]):
        out = tmp_path / "r.json"
        run_cli(["check", "-c", cfg, "--now", entry.now.date().isoformat(), "--format", "json",
                 "--output", str(out), "-qq"])
        real = {r["id"]: history.summarize(r) for r in json.loads(out.read_text())["results"]}
        if entry is entries[-1]:  # failing, and not waived: the evidence path is not taken
            assert real["delivery::small-batches"]["outcome"] == "failed"
        for rid, summary in entry.results.items():
            assert summary == real[rid], rid
