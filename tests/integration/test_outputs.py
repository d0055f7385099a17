"""Outputs, skips, secrets and signals through the real command line.

Reports are written whole or not at all and never over an input; rules
without data are counted and fail under --strict; a token in token_env is
refused unseen; data text cannot steer a terminal; SIGTERM is Ctrl-C.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import HANG_GUARD, check, make_project, run_cli

from guardrails.config import looks_like_token
from guardrails.model import Evidence, Outcome, Report, Result, Severity

NOW = "2026-11-20"
NO_DATA_RULES = """\
pack: deploys
rules:
  - id: some-deploys
    title: Deployments are recorded
    check: count
    facts: deployments
    min: 1
    severity: warning
"""


# ---------------------------------------------------------------------------
# skips and --strict
# ---------------------------------------------------------------------------


def test_rules_without_data_are_counted_in_the_summary_and_json(project: Path) -> None:
    make_project(project, rules={"rules/deploys.yaml": NO_DATA_RULES})
    result = check("-k", "deploys")
    assert result.exit_code == 0, result.output
    assert ("1 of 1 rule skipped: no data — configure sources (--strict makes them fail)"
            in result.stdout.splitlines())
    data = json.loads(check("-k", "deploys", "--format", "json").stdout)
    assert data["summary"]["no_data"] == 1
    assert data["results"][0]["no_data"] is True
    assert Report.from_json(data).no_data_count() == 1  # survives the round trip


@pytest.mark.parametrize("how", ["option", "config"])
def test_strict_fails_a_rule_without_data_even_at_warning(project: Path, how: str) -> None:
    make_project(project, rules={"rules/deploys.yaml": NO_DATA_RULES})
    args = ["-k", "deploys"]
    if how == "option":
        args.append("--strict")
    else:
        (project / "guardrails.yaml").write_text(
            "rules: [rules/]\nsources:\n  files: {path: org}\nstrict: true\n")
    result = check(*args)
    assert result.exit_code == 1, result.output
    assert "FAILED deploys::some-deploys - no data: no deployments data" in result.stdout
    assert "1 of 1 rule failed for lack of data (strict)" in result.stdout


def test_a_baselined_skip_is_not_a_no_data_skip(project: Path) -> None:
    assert check("--write-baseline", "base.json").exit_code == 1
    result = check("--baseline", "base.json", "--strict", "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, result.output  # known failure, not "no data"
    assert "no_data" not in data["summary"]


# ---------------------------------------------------------------------------
# outputs: atomic, never over inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "what"), [
    (["-f", "json", "-o", "guardrails.yaml"], "the config file"),
    (["--junitxml", "rules/people.yaml"], "a rule file"),
    (["-f", "json", "-o", "org/teams.yaml"], "org data folder"),
    (["--write-baseline", "org/new.json"], "org data folder"),
])
def test_an_output_over_an_input_is_refused_before_the_run(
        project: Path, args: list[str], what: str) -> None:
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = check(*args)
    assert result.exit_code == 4, result.output
    assert what in result.stderr
    assert result.stdout == ""  # nothing ran
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_a_baseline_may_be_rewritten_in_place(project: Path) -> None:
    assert check("--write-baseline", "base.json").exit_code == 1
    first = json.loads((project / "base.json").read_text())
    result = check("--baseline", "base.json", "--write-baseline", "base.json")
    assert result.exit_code == 0, result.output  # the known failure is not new
    assert json.loads((project / "base.json").read_text())["version"] == first["version"]
    assert sorted(p.name for p in project.iterdir() if p.name.endswith(".tmp")) == []


def test_a_symlink_out_of_the_root_is_refused(project: Path, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path_factory.mktemp("outside") / "victim.txt"
    outside.write_text("keep me")
    (project / "report.json").symlink_to(outside)
    result = check("-f", "json", "-o", "report.json")
    assert result.exit_code == 4
    assert "symlink" in result.stderr
    assert outside.read_text() == "keep me"


def test_a_report_is_replaced_whole_by_a_good_run(project: Path) -> None:
    (project / "out").mkdir()
    (project / "out" / "r.json").write_text("previous")
    assert check("-f", "json", "-o", "out/r.json").exit_code == 1
    assert json.loads((project / "out" / "r.json").read_text())["version"] == 3
    assert [p.name for p in (project / "out").iterdir()] == ["r.json"]


def test_a_failing_run_keeps_every_previous_report(project: Path) -> None:
    (project / "r.json").write_text("previous json")
    (project / "r.xml").write_text("previous xml")
    # The second output cannot be written: the first must not be replaced either.
    result = check("-f", "json", "-o", "r.json", "-f", "junit", "-o", "/dev/full")
    assert result.exit_code == 4
    assert "cannot write report /dev/full: No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert (project / "r.json").read_text() == "previous json"
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".r.")) == []


# ---------------------------------------------------------------------------
# secrets and escapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["GITHUB_TOKEN", "PAGERDUTY_TOKEN", "GH_TOKEN_2", "_X"])
def test_environment_variable_names_are_accepted(value: str) -> None:
    assert not looks_like_token(value)


@pytest.mark.parametrize("value", [
    "ghp_Zx8fK2mQ7vT4pL9sW3nB6yR1cH5dJ0aE2gU7", "github_pat_11ABC", "glpat-Qw3rTy7uIo9pAs2d",
    "3f9a0c7be21d4e8f9a6b5c4d3e2f1a0b9c8d7e6f", "github_token", "xoxb-123", "sk-abc",
    "AKIAIOSFODNN7EXAMPLE", "ZX8FK2MQ7VT4PL9SW3NB6YR1", "A" * 65, "", "MY TOKEN",
])
def test_token_like_values_are_refused(value: str) -> None:
    assert looks_like_token(value)


def test_a_token_in_token_env_is_refused_unseen(project: Path) -> None:
    token = "ghp_Zx8fK2mQ7vT4pL9sW3nB6yR1cH5dJ0aE2gU7"
    (project / "guardrails.yaml").write_text(
        "rules: [rules/]\nsources:\n  files: {path: org}\n"
        f"  github: {{repo: acme/api, token_env: {token}}}\n")
    for command in (["check"], ["validate"], ["list"]):
        result = run_cli(command)
        assert result.exit_code == 4, result.output
        assert "guardrails.yaml:4" in result.stderr
        assert token not in result.output and token[:10] not in result.output


def _hostile_report() -> Report:
    evil = "mallory\x1b]0;pwned\x07\x1b[2J\r\n::error::forged\ud800<b>x</b>"
    r = Result(id="p::r", pack="p", title="t " + evil, outcome=Outcome.FAILED,
               severity=Severity.ERROR, message="m " + evil, details=["d " + evil],
               evidence=[Evidence("change/1", "by " + evil, url="javascript:" + evil)])
    return Report(now="2026-11-20T00:00:00Z", focus=None, results=[r], exit_code=1)


def _render(fmt: str, report: Report, monkeypatch: pytest.MonkeyPatch) -> str:
    """Render through the reporter classes onto a strict UTF-8 'standard output'."""
    from guardrails.plugin import ReportOptions
    from guardrails.reporters import github, junitxml, markdown, sarif, terminal
    from guardrails.reporters import json as json_rep
    from guardrails.reporters.setup import stdout_stream

    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8", errors="strict"))
    stream = stdout_stream()
    classes = {"terminal": terminal.TerminalReporter, "json": json_rep.JsonReporter,
               "junit": junitxml.JUnitReporter, "sarif": sarif.SarifReporter,
               "github": github.GithubReporter, "markdown": markdown.MarkdownReporter}
    rep = classes[fmt](stream, ReportOptions(verbosity=1, color=True))
    if fmt == "github":
        rep.logreport(report.results[0])
    rep.finish(report)
    stream.flush()
    return raw.getvalue().decode("utf-8")


@pytest.mark.parametrize("fmt", ["terminal", "json", "junit", "sarif", "github", "markdown"])
def test_every_format_renders_hostile_text_inert(fmt: str, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    out = _render(fmt, _hostile_report(), monkeypatch)
    assert "mallory" in out
    assert "\x07" not in out and "\x1b]" not in out and "\x1b[2J" not in out
    if fmt in ("terminal", "github", "markdown"):  # shown to people, line by line
        assert "\r" not in out
        assert "\n::error::forged" not in out
    elif fmt == "junit":
        ET.fromstring(out.split("\n", 1)[1])  # well-formed XML
    else:
        json.loads(out)
    if fmt in ("terminal", "github", "markdown"):
        assert "\\x1b]0;pwned" in out  # shown, not obeyed
    if fmt == "markdown":
        assert "<b>" not in out and "javascript:" not in out


# ---------------------------------------------------------------------------
# closed stdout, signals
# ---------------------------------------------------------------------------


def _guardrails(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from guardrails.cli import main; "
            "sys.exit(main(sys.argv[1:]))", *args]


def test_a_closed_stdout_is_exit_4_without_traceback(project: Path) -> None:
    proc = subprocess.run(_guardrails("check", "--now", NOW), cwd=project,
                          capture_output=True, check=False, preexec_fn=lambda: os.close(1))
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert "standard output is closed" in err and "Traceback" not in err
    files = subprocess.run(_guardrails("check", "--now", NOW, "-f", "json", "-o", "r.json"),
                           cwd=project, stderr=subprocess.PIPE, check=False,
                           preexec_fn=lambda: os.close(1))
    assert files.returncode == 1, files.stderr  # the file is the report; no terminal needed
    assert json.loads((project / "r.json").read_text())["summary"]["failed"] == 1


def _stdout_of(project: Path, *args: str) -> tuple[int, str]:
    proc = subprocess.run(_guardrails(*args), cwd=project, capture_output=True, check=False)
    return proc.returncode, proc.stdout.decode()


@pytest.mark.skipif(not Path("/proc/self/fd/1").exists(), reason="no /proc or /dev/fd here")
@pytest.mark.parametrize("path", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_an_output_that_is_stdout_is_read_as_dash(project: Path, path: str) -> None:
    """``-o /dev/stdout`` (or any name of the file stdout writes to) is ``-o -``: the
    report alone on stdout, no terminal report mixed into it."""
    code, out = _stdout_of(project, "check", "--now", NOW, "-f", "json", "-o", path)
    assert code == 1, out
    assert json.loads(out)["summary"]["failed"] == 1  # JSON from its first byte to its last


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout here")
def test_junitxml_report_and_merge_read_dev_stdout_as_dash(project: Path) -> None:
    code, out = _stdout_of(project, "check", "--now", NOW, "--junitxml", "/dev/stdout")
    assert code == 1 and out.startswith("<?xml"), out[:300]
    ET.fromstring(out)
    code, out = _stdout_of(project, "check", "--now", NOW, "-f", "json", "-o", "r.json")
    assert code == 1, out
    code, out = _stdout_of(project, "report", "r.json", "-f", "json", "-o", "/dev/stdout")
    assert code == 0 and json.loads(out)["summary"]["failed"] == 1, out[:300]
    code, out = _stdout_of(project, "merge", "r.json", "-f", "terminal", "-f", "json",
                           "-o", "/dev/stdout")
    assert code == 4 and out == ""  # stdout is taken, as with '-': two formats for it
    # and for check too
    code, out = _stdout_of(project, "check", "--now", NOW, "-f", "terminal", "-f", "json",
                           "-o", "/dev/stdout")
    assert code == 4 and out == ""


def test_an_output_file_stdout_is_redirected_to_is_stdout(project: Path) -> None:
    """``check -f json -o log >> log``: the report goes where the shell sends stdout,
    after what the file held (it replaced the file, and the terminal report went to
    the replaced one, unseen)."""
    target = project / "log"
    target.write_text("earlier line\n")
    with target.open("ab") as fh:
        proc = subprocess.run(_guardrails("check", "--now", NOW, "-f", "json", "-o",
                                          str(target)), cwd=project, stdout=fh,
                              stderr=subprocess.PIPE, check=False)
    assert proc.returncode == 1, proc.stderr
    earlier, report = target.read_text().split("\n", 1)
    assert earlier == "earlier line"
    assert json.loads(report)["summary"]["failed"] == 1


def test_sigterm_is_an_interrupt_and_leaves_outputs_untouched(
        project: Path, httpserver) -> None:  # type: ignore[no-untyped-def]
    waiting = threading.Event()

    def slow(_request):  # type: ignore[no-untyped-def]
        waiting.set()
        time.sleep(10)

    # The server outlives tests: a prefix of this test's own keeps a late request
    # from an earlier test from starting the clock before this process runs.
    prefix = f"/sigterm-{os.getpid()}-{time.monotonic_ns()}"
    httpserver.expect_request(f"{prefix}/repos/acme/api/pulls").respond_with_handler(slow)
    make_project(project, rules={"rules/c.yaml": (
        "pack: c\nrules:\n  - id: any\n    title: Any change\n    check: count\n"
        "    facts: changes\n    min: 1\n")})
    (project / "guardrails.yaml").write_text(
        "rules: [rules/]\nsources:\n"
        f"  github: {{repo: acme/api, api_url: '{httpserver.url_for(prefix)}'}}\n")
    (project / "report.json").write_text("previous")
    env = {**os.environ, "GUARDRAILS_CACHE_DIR": str(project / ".cache")}
    proc = subprocess.Popen(_guardrails("check", "--now", NOW, "-f", "json", "-o", "report.json"),
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert waiting.wait(HANG_GUARD)  # the run now waits on the source
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 2, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert (project / "report.json").read_text() == "previous"
    assert sorted(p.name for p in project.iterdir() if p.name.endswith(".tmp")) == []
