"""``--write-baseline`` and ``--baseline``: only new failures fail the gate.

Real runs of ``guardrails check`` on a hand-written project: a subject rule
(teams.size), a metric rule over a local metric (the biggest team's size) and
a check that crashes. Every expected subject, value and exit code below is
worked out by hand from the teams file each test writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import make_project, run_cli

RULES = """\
pack: people
rules:
  - id: team-size
    title: Teams have 3 to 8 members
    check: teams.size
    min: 3
    max: 8
  - id: biggest
    title: The biggest team stays under 9
    check: metric
    metric: local.biggest
    max: 8
"""

PLUGIN = '''\
from guardrails.model import Evidence
from guardrails.plugin import Check, Metric, MetricValue, hookimpl


class Boom(Check):
    name = "local.boom"

    def evaluate(self, rule, ctx):
        raise RuntimeError("kaput")


@hookimpl
def guardrails_collect_checks():
    return [Boom()]


def biggest(ctx, rule, start, end):
    teams = ctx.facts("teams")
    top = max(teams, key=lambda t: len(t["members"]))
    return MetricValue(len(top["members"]), samples=len(teams),
                       evidence=[Evidence(f"team/{top['id']}", "the biggest")])


@hookimpl
def guardrails_collect_metrics():
    return [Metric("local.biggest", "count", ("teams",), biggest)]
'''


def teams(**sizes: int) -> str:
    out = ["teams:"]
    for name, n in sizes.items():
        out.append(f"  - id: {name}")
        out.append("    members:")
        out += [f"      - {{handle: {name}{i}}}" for i in range(n)]
    return "\n".join(out) + "\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # alpha 3 members (fine), beta 9 (too big: team-size and biggest fail)
    make_project(tmp_path, rules={"rules/people.yaml": RULES},
                 org={"teams.yaml": teams(alpha=3, beta=9)}, plugins=PLUGIN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_teams(project: Path, **sizes: int) -> None:
    (project / "org" / "teams.yaml").write_text(teams(**sizes))


def results(stdout: str) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(stdout)["results"]}


def test_write_baseline_records_failures_and_exits_as_usual(project: Path) -> None:
    res = run_cli(["check", "-q", "--write-baseline", "gr-baseline.json", "--now", "2026-11-20"])
    assert res.exit_code == 1  # a normal run: beta fails both rules
    data = json.loads((project / "gr-baseline.json").read_text())
    assert data["version"] == 1
    assert data["now"] == "2026-11-20T00:00:00Z"
    assert data["failures"] == [
        {"rule": "people::biggest", "kind": "metric", "value": 9, "unit": "count",
         "threshold": {"max": 8}, "subjects": ["team/beta"]},
        {"rule": "people::team-size", "subjects": ["team/beta"]},
    ]
    assert "wrote gr-baseline.json: 2 failing rules recorded" in res.stderr


def test_known_failures_do_not_fail_and_say_so(project: Path) -> None:
    run_cli(["check", "-q", "--write-baseline", "b.json"])
    before = (project / "b.json").read_bytes()
    res = run_cli(["check", "--baseline", "b.json"])
    assert res.exit_code == 0, res.output
    assert "SKIPPED [1] people::team-size - known in baseline b.json: " in res.stdout
    assert "SKIPPED [1] people::biggest - known in baseline b.json: " in res.stdout
    got = results(run_cli(["check", "--baseline", "b.json", "--format", "json"]).stdout)
    assert got["people::team-size"]["outcome"] == "skipped"
    assert got["people::team-size"]["details"][0] == (
        "known in baseline b.json: all 1 failing subject(s) are baselined")
    assert (project / "b.json").read_bytes() == before  # never rewritten by itself


def test_new_subject_fails_and_only_it_is_shown(project: Path) -> None:
    run_cli(["check", "-q", "--write-baseline", "b.json"])
    set_teams(project, alpha=3, beta=9, gamma=10)  # gamma is new and too big
    res = run_cli(["check", "--baseline", "b.json", "--format", "json"])
    assert res.exit_code == 1
    size = results(res.stdout)["people::team-size"]
    assert size["outcome"] == "failed"
    assert [e["subject"] for e in size["evidence"]] == ["team/gamma"]
    assert "1 subject(s) known in baseline b.json left out; only new ones are shown" in (
        size["details"])


def test_metric_worse_than_baseline_is_a_new_failure(project: Path) -> None:
    run_cli(["check", "-q", "--write-baseline", "b.json"])
    set_teams(project, alpha=3, beta=10)  # biggest 9 -> 10: worse, same subject
    res = run_cli(["check", "--baseline", "b.json", "--format", "json"])
    assert res.exit_code == 1
    got = results(res.stdout)
    assert got["people::biggest"]["outcome"] == "failed"
    assert any("worse than the baseline (b.json): 9 then, 10 now" in d
               for d in got["people::biggest"]["details"])
    # team-size names the same subject (beta), so it stays known
    assert got["people::team-size"]["outcome"] == "skipped"


def test_fixed_failures_are_reported(project: Path) -> None:
    run_cli(["check", "-q", "--write-baseline", "b.json"])
    set_teams(project, alpha=3, beta=8)  # beta fits again: both rules pass
    res = run_cli(["check", "-q", "--baseline", "b.json", "--format", "json"])
    assert res.exit_code == 0
    line = ("2 baseline failures fixed: people::team-size (team/beta), "
            "people::biggest (team/beta) (update b.json with --write-baseline "
            "to lock the gains in)")
    assert line in res.stderr
    assert json.loads(res.stdout)["warnings"] == [line]


def test_errors_are_never_baselined(project: Path) -> None:
    (project / "rules" / "people.yaml").write_text(RULES + "  - id: crashes\n"
                                                   "    check: local.boom\n")
    run_cli(["check", "-q", "--write-baseline", "b.json"])
    recorded = json.loads((project / "b.json").read_text())["failures"]
    assert [e["rule"] for e in recorded] == ["people::biggest", "people::team-size"]
    res = run_cli(["check", "--baseline", "b.json"])
    assert res.exit_code == 1  # the error still fails the gate
    assert "ERROR people::crashes" in res.stdout


def test_a_missing_baseline_is_empty_and_says_so(project: Path) -> None:
    """The first run of a copied CI workflow: no baseline committed yet."""
    res = run_cli(["check", "--baseline", "b.json", "--format", "json"])
    assert res.exit_code == 1, res.output  # every failure is new: the gate fails, not 4
    notice = ("baseline b.json does not exist yet, so every failure counts as new; to gate "
              "only new failures, record today's with 'guardrails check --write-baseline "
              "b.json' and commit that file (docs/ci.md, 'Baselines')")
    assert f"notice: {notice}" in res.stderr
    report = json.loads(res.stdout)
    assert report["warnings"] == [notice]
    assert sorted(report["baseline"]["new"]) == ["people::biggest", "people::team-size"]
    assert report["baseline"]["known"] == []
    assert not (project / "b.json").exists()  # never written by itself


def test_a_missing_baseline_in_a_missing_folder_is_missing_too(project: Path) -> None:
    res = run_cli(["check", "-q", "--baseline", "ci/state/b.json"])
    assert res.exit_code == 1
    assert "baseline ci/state/b.json does not exist yet" in res.stderr


def test_a_missing_baseline_written_in_the_same_run(project: Path) -> None:
    res = run_cli(["check", "-q", "--baseline", "b.json", "--write-baseline", "b.json"])
    assert res.exit_code == 1
    assert "does not exist yet, so every failure counts as new; this run writes it" in (
        res.stderr)
    assert "wrote b.json: 2 failing rules recorded" in res.stderr
    assert run_cli(["check", "-q", "--baseline", "b.json"]).exit_code == 0


def test_a_dangling_symlink_is_not_a_missing_baseline(project: Path) -> None:
    (project / "b.json").symlink_to(project / "gone.json")
    res = run_cli(["check", "--baseline", "b.json"])
    assert res.exit_code == 4
    assert "b.json: baseline file is a symbolic link to nothing" in res.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("{\n  oops", "b.json:2:3: baseline file is not valid JSON"),
    ('{"version": 99, "failures": []}', "baseline file has format version 99"),
])
def test_bad_baseline_is_a_usage_error(project: Path, text: str, message: str) -> None:
    (project / "b.json").write_text(text)
    res = run_cli(["check", "--baseline", "b.json"])
    assert res.exit_code == 4
    assert message in res.stderr
    assert "b.json" in res.stderr
    assert "collected" not in res.stdout  # stopped before the run


def _subprocess(project: Path, *args: str, stdout: Any = subprocess.PIPE
                ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", "import sys; from guardrails.cli import main; "
                           "sys.exit(main(sys.argv[1:]))", *args], cwd=project,
                          stdout=stdout, stderr=subprocess.PIPE, check=False)


BASELINE = [{"rule": "people::biggest", "kind": "metric", "value": 9, "unit": "count",
             "threshold": {"max": 8}, "subjects": ["team/beta"]},
            {"rule": "people::team-size", "subjects": ["team/beta"]}]


def test_write_baseline_dash_is_standard_output_alone(project: Path) -> None:
    """As ``--output -``: the baseline alone on stdout (for a pipe), no terminal report
    mixed into it; it wrote a file named '-'."""
    res = run_cli(["check", "--write-baseline", "-", "--now", "2026-11-20"])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["failures"] == BASELINE
    assert not (project / "-").exists()
    assert "wrote the baseline to standard output: 2 failing rules recorded" in res.stderr
    res = run_cli(["check", "--write-baseline", "./-", "--now", "2026-11-20"])
    assert json.loads((project / "-").read_text())["failures"] == BASELINE  # a file so named


@pytest.mark.skipif(not Path("/proc/self/fd/1").exists(), reason="no /proc or /dev/fd here")
@pytest.mark.parametrize("path", ["/dev/stdout", "/proc/self/fd/1"])
def test_write_baseline_to_stdouts_own_file_is_dash(project: Path, path: str) -> None:
    proc = _subprocess(project, "check", "--now", "2026-11-20", "--write-baseline", path)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["failures"] == BASELINE  # no terminal report before it


def test_write_baseline_to_the_file_stdout_is_redirected_to(project: Path) -> None:
    """``check --write-baseline log >> log``: the baseline goes where the shell sends
    stdout, after what the file held (it replaced the file, and the terminal report
    went to the replaced one, unseen)."""
    target = project / "log"
    target.write_text("earlier line\n")
    with target.open("ab") as fh:
        proc = _subprocess(project, "check", "--now", "2026-11-20", "--write-baseline",
                           str(target), stdout=fh)
    assert proc.returncode == 1, proc.stderr
    earlier, baseline = target.read_text().split("\n", 1)
    assert earlier == "earlier line"
    assert json.loads(baseline)["failures"] == BASELINE


def test_write_baseline_dash_and_a_report_on_stdout_is_a_usage_error(project: Path) -> None:
    res = run_cli(["check", "--write-baseline", "-", "-f", "json", "--now", "2026-11-20"])
    assert res.exit_code == 4 and res.stdout == ""
    assert ("--write-baseline - and the json report would both write to standard output"
            in res.stderr)
    res = run_cli(["check", "--write-baseline", "-", "-f", "json", "-o", "r.json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["failures"] == BASELINE
    assert json.loads((project / "r.json").read_text())["summary"]["failed"] == 2


def _stdin_cli(args: list[str], text: str | bytes) -> Any:
    from click.testing import CliRunner
    from helpers import cli_env

    from guardrails.cli import cli

    return CliRunner().invoke(cli, args, input=text, env=cli_env(), catch_exceptions=False)


def test_baseline_dash_reads_standard_input(project: Path) -> None:
    """``--baseline -``: the baseline piped in, named ``<stdin>`` wherever the run
    names its baseline; a file named '-' is not read."""
    (project / "-").write_text("not json")
    written = json.dumps({"version": 1, "failures": BASELINE})
    res = _stdin_cli(["check", "--baseline", "-", "-f", "json", "--now", "2026-11-20"],
                     written)
    assert res.exit_code == 0, res.output
    got = results(res.stdout)
    assert got["people::team-size"]["details"][0] == (
        "known in baseline <stdin>: all 1 failing subject(s) are baselined")
    assert json.loads(res.stdout)["baseline"]["file"] == "<stdin>"
    assert "does not exist yet" not in res.output


@pytest.mark.parametrize(("text", "message"), [
    ("", "<stdin>:1:1: baseline file is not valid JSON"),
    ("{\n  oops", "<stdin>:2:3: baseline file is not valid JSON"),
    (b"\xff", "<stdin>: baseline file is not UTF-8 text"),
])
def test_bad_baseline_on_standard_input_is_named_stdin(project: Path, text: str | bytes,
                                                       message: str) -> None:
    res = _stdin_cli(["check", "--baseline", "-"], text)
    assert res.exit_code == 4
    assert message in res.stderr and "collected" not in res.stdout


def test_baseline_dash_past_64_mib_is_refused(project: Path, tmp_path: Path) -> None:
    """At most 64 MiB are read from standard input (an endless producer is refused,
    not held in memory); here a file of 64 MiB and one byte (sparse: no disk)."""
    big = tmp_path / "big"
    with big.open("wb") as fh:
        fh.truncate(64 * 2**20 + 1)
    with big.open("rb") as stdin:
        proc = subprocess.run([sys.executable, "-c", "import sys; from guardrails.cli import "
                               "main; sys.exit(main(sys.argv[1:]))", "check", "--baseline", "-"],
                              cwd=project, stdin=stdin, capture_output=True, check=False,
                              timeout=600)  # a hang guard only
    assert proc.returncode == 4, proc.stderr
    assert (b"<stdin>: cannot read baseline file: over the 64 MiB limit for one baseline file"
            in proc.stderr)
    assert b"Traceback" not in proc.stderr


def test_baseline_dash_from_a_terminal_is_refused(project: Path) -> None:
    """A terminal on stdin would wait for typing: refused at once, with the fix."""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-c", "import sys; from guardrails.cli import "
                               "main; sys.exit(main(sys.argv[1:]))", "check", "--baseline", "-"],
                              cwd=project, stdin=follower, capture_output=True, check=False,
                              timeout=600)  # a hang guard only: the bug waits for Ctrl-D
    finally:
        import os

        os.close(follower)
        os.close(leader)
    assert proc.returncode == 4, proc.stderr
    assert (b"<stdin>: --baseline - reads the baseline file from standard input, which is a "
            b"terminal here" in proc.stderr)
    assert b"'--baseline - < FILE'" in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_write_baseline_dash_on_a_full_disk_is_one_line_exit_4(project: Path) -> None:
    with open("/dev/full", "wb") as full:
        proc = _subprocess(project, "check", "-q", "--write-baseline", "-", stdout=full)
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert lines == ["ERROR: --write-baseline -: cannot write the baseline to standard output: "
                     "No space left on device, so it was not recorded. Fix: write it to a file "
                     "with --write-baseline FILE, or check the free space where standard "
                     "output goes"]


def test_write_baseline_dash_to_a_closed_pipe_is_exit_4(project: Path) -> None:
    import os

    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: EPIPE
    try:
        proc = _subprocess(project, "check", "-q", "--write-baseline", "-", stdout=write)
    finally:
        os.close(write)
    assert proc.returncode == 4, proc.stderr
    (line,) = proc.stderr.decode().splitlines()
    assert "--write-baseline -: standard output was closed before the baseline was written" \
        in line
