"""The program ends with ``os._exit`` once its command is done (guardrails.entry.console).

Whole processes, as a user runs them: report files complete, exit codes kept,
a plugin's atexit handler run, a reader gone handled as before, and the
interpreter's own shutdown whenever something may want it
(``GUARDRAILS_NORMAL_EXIT``); a live thread waited for first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from guardrails import entry

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "acme" / "guardrails.yaml"
CHECK = ["check", "-c", str(CONFIG), "--now", "2026-11-20", "--no-color"]

# A plugin module (-p exitplugin) that leaves three traces in $MARKS: its atexit
# handler's, a module global's finaliser (run by the interpreter's teardown only)
# and, when EXITPLUGIN_THREAD is set, a non-daemon thread's, written at shutdown.
PLUGIN = '''
import atexit, os, threading
MARKS = os.environ["MARKS"]

def _mark(what, _open=open, _join=os.path.join):  # bound: teardown clears globals
    with _open(_join(MARKS, what), "w") as f:
        f.write(what)

atexit.register(_mark, "atexit")

class _Torn:
    def __del__(self, _mark=_mark):
        _mark("teardown")

_torn = _Torn()
if os.environ.get("EXITPLUGIN_THREAD"):
    # still running when the command ends, however slow the machine: the main
    # thread is "joined" only by the interpreter's shutdown (threading._shutdown)
    threading.Thread(target=lambda: (threading.main_thread().join(), _mark("thread"))).start()
'''


def _run(args: list[str], tmp_path: Path, *, closed_stdout: bool = False,
         **env: str) -> tuple[int, str, str, set[str]]:
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    for old in marks.iterdir():
        old.unlink()
    (tmp_path / "exitplugin.py").write_text(PLUGIN)
    environ = {**os.environ, "PYTHONPATH": str(tmp_path), "MARKS": str(marks),
               "XDG_CACHE_HOME": str(tmp_path / "cache"), **env}
    for name in ("GUARDRAILS_NORMAL_EXIT", "PYTHONDEVMODE", "PYTHONWARNINGS",
                 "PYTHONINSPECT", "COVERAGE_PROCESS_START"):
        if name not in env:
            environ.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "guardrails", *args], cwd=tmp_path,
                            env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    if closed_stdout:  # the reader is gone before the first byte: `| head -0`, deterministic
        proc.stdout.close()
        out, err = b"", proc.stderr.read()
    else:
        out, err = proc.communicate(timeout=120)
    code = proc.wait(timeout=120)
    return code, out.decode(), err.decode(), {p.name for p in marks.iterdir()}


@pytest.mark.parametrize("normal", [False, True])
def test_reports_are_complete_and_atexit_runs(tmp_path: Path, normal: bool) -> None:
    env = {"GUARDRAILS_NORMAL_EXIT": "1"} if normal else {}
    code, out, err, marks = _run(
        [*CHECK, "-p", "exitplugin", "--format", "json", "--output", "r.json",
         "--junitxml", "r.xml", "--format", "sarif", "--output", "r.sarif",
         "--format", "html", "--output", "r.html", "--format", "terminal"], tmp_path, **env)
    assert code == 1, err  # the example org has failing rules
    assert "Traceback" not in err
    assert out.rstrip().endswith("=") and " failed" in out.splitlines()[-1]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["failed"] > 0
    assert ET.parse(tmp_path / "r.xml").getroot().tag in ("testsuites", "testsuite")
    assert json.loads((tmp_path / "r.sarif").read_text())["runs"]
    assert (tmp_path / "r.html").read_text().rstrip().endswith("</html>")
    # the plugin's atexit handler ran either way; the teardown only when asked for
    assert marks == ({"atexit", "teardown"} if normal else {"atexit"})


@pytest.mark.parametrize(("args", "code"), [
    (["--version"], 0),
    ([*CHECK, "-q", "-k", "no-such-rule"], 5),
    (["check", "-c", "no-such-config.yaml"], 4),
])
def test_exit_codes_are_kept(tmp_path: Path, args: list[str], code: int) -> None:
    got, _out, err, _ = _run(args, tmp_path)
    assert got == code, err


def test_a_live_thread_is_waited_for_before_the_atexit_handlers(tmp_path: Path) -> None:
    # The interpreter's order (threads, then atexit), without its teardown: a
    # signal in that teardown met the default action (-15), guardrails.entry.
    code, _out, err, marks = _run([*CHECK, "-q", "-p", "exitplugin"], tmp_path,
                                  EXITPLUGIN_THREAD="1")
    assert code == 1, err
    assert marks == {"atexit", "thread"}
    normal = _run([*CHECK, "-q", "-p", "exitplugin"], tmp_path, EXITPLUGIN_THREAD="1",
                  GUARDRAILS_NORMAL_EXIT="1")
    assert normal[0] == 1 and normal[3] == {"atexit", "teardown", "thread"}


@pytest.mark.parametrize("args", [[*CHECK, "-q"], ["--version"]])
def test_a_reader_gone_ends_as_it_did(tmp_path: Path, args: list[str]) -> None:
    quick = _run(args, tmp_path, closed_stdout=True)
    normal = _run(args, tmp_path, closed_stdout=True, GUARDRAILS_NORMAL_EXIT="1")
    assert quick[0] == normal[0] and quick[2] == normal[2]


def test_what_asks_for_the_normal_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_NORMAL_EXIT", "1")
    assert entry.normal_exit_wanted() == "GUARDRAILS_NORMAL_EXIT"
    monkeypatch.setenv("GUARDRAILS_NORMAL_EXIT", "0")
    assert entry.normal_exit_wanted() != "GUARDRAILS_NORMAL_EXIT"
    monkeypatch.delenv("GUARDRAILS_NORMAL_EXIT")
    monkeypatch.setattr(sys, "warnoptions", ["error"])
    assert entry.normal_exit_wanted() == "development mode or warning options"


def test_main_never_ends_the_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--version"]) == 0  # returned: the test goes on
    assert capsys.readouterr().out.startswith("guardrails ")


def test_a_program_running_ours_inside_itself_goes_on(tmp_path: Path) -> None:
    host = ("import runpy, sys\nsys.argv = ['guardrails', '--version']\n"
            "try:\n    runpy.run_module('guardrails', run_name='__main__')\n"
            "except SystemExit as exc:\n    print('still here', exc.code)\n")
    res = subprocess.run([sys.executable, "-c", host], capture_output=True, text=True,
                         timeout=120, check=False, cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.splitlines()[-1] == "still here 0", res.stderr
