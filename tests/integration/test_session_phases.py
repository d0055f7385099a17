"""The session is the only conductor: its finish hooks always run, and the pieces
around it keep to their side of the contract (reporters read the Report only;
the public API is ``guardrails.__all__``)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import make_project, run_cli

import guardrails
from guardrails.config import RunOptions
from guardrails.plugin import Reporter, ReportOptions
from guardrails.session import run

PACKAGE = Path(guardrails.__file__).resolve().parent

RECORDER = """\
import os
from pathlib import Path
from typing import Any

from guardrails import hookimpl


@hookimpl
def guardrails_session_start(session):
    if os.environ.get("INTERRUPT"):
        raise KeyboardInterrupt
    if os.environ.get("CRASH"):
        raise RuntimeError("a bug in a plugin")


@hookimpl
def guardrails_session_finish(report):
    with open("calls.log", "a") as fh:
        fh.write(f"finish {report.exit_code} {len(report.results)}\\n")


@hookimpl
def guardrails_unconfigure(config):
    with open("calls.log", "a") as fh:
        fh.write("unconfigure\\n")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path, plugins=RECORDER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("env", "code"), [({}, 1), ({"INTERRUPT": "1"}, 2),
                                           ({"CRASH": "1"}, 3)])
def test_finish_and_unconfigure_run_however_the_run_ends(project: Path, env: dict[str, str],
                                                          code: int) -> None:
    (project / "out").mkdir()
    (project / "out" / "r.json").write_text("previous")
    res = run_cli(["check", "-f", "json", "-o", "out/r.json"], env=env)
    assert res.exit_code == code, res.output
    log = (project / "calls.log").read_text().splitlines()
    assert log[0].startswith(f"finish {code} ") and log[1:] == ["unconfigure"]
    if code != 1:  # an unfinished run leaves the previous report as it was
        assert (project / "out" / "r.json").read_text() == "previous"
    else:
        assert json.loads((project / "out" / "r.json").read_text())["summary"]["exit_code"] == 1


def test_library_run_gets_reporters_and_baseline_from_its_options(project: Path) -> None:
    run(options=RunOptions(write_baseline="b.json"))
    report = run(options=RunOptions(baseline="b.json", outputs=(("json", "r.json"),)))
    assert report.exit_code == 0 and report.baseline is not None
    saved = json.loads((project / "r.json").read_text())
    assert saved["baseline"]["known"] == report.baseline.known != []


def test_a_reporter_must_implement_finish() -> None:
    class Half(Reporter):
        name = "half"

    with pytest.raises(TypeError, match="finish"):
        Half(sys.stdout, ReportOptions())  # type: ignore[abstract]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "reporters").glob("*.py")) + [
    PACKAGE / "plugin.py", PACKAGE / "hookspec.py", PACKAGE / "baseline.py"],
    ids=lambda p: p.name)
def test_reporters_and_plugin_api_never_import_the_session(path: Path) -> None:
    assert "guardrails.session" not in _imports(path)


def test_public_api_is_curated_and_light() -> None:
    for name in guardrails.__all__:
        assert getattr(guardrails, name) is not None
    with pytest.raises(AttributeError):
        guardrails.session_internals  # noqa: B018
    code = ("import sys, guardrails; "
            "print(sorted(m for m in sys.modules if m.startswith('guardrails')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['guardrails']"  # nothing imported until a name is used


def test_the_example_plugin_imports_only_the_public_api() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "plugin"
    plugin = example / "guardrails_oncall" / "__init__.py"
    ours = {name for name in _imports(plugin) if name.split(".")[0] == "guardrails"}
    assert ours == {"guardrails"}


def test_the_collector_is_on_again_after_a_run_and_nothing_stays_frozen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run pauses the cyclic collector while facts are built and read, then moves
    what it made to the oldest generation (freeze + unfreeze): afterwards the
    collector is on, nothing is left frozen (a library caller's sessions would leak),
    a caller's own frozen objects stay frozen, garbage is still found, and a
    collector the caller turned off stays off."""
    import gc
    import weakref

    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)

    class Node:
        other: Any = None

    def cycle() -> weakref.ref[Node]:
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    # 0 on 3.11 and 3.13; Python 3.12 starts with objects of its own frozen
    interpreters = gc.get_freeze_count()
    assert gc.isenabled()
    try:
        dead = cycle()
        run()
        assert gc.isenabled() and gc.get_freeze_count() == interpreters
        gc.collect()
        assert dead() is None  # moved to the oldest generation, still collected
        keep = [Node() for _ in range(10)]
        gc.freeze()
        frozen = gc.get_freeze_count()
        run()
        # still frozen (a frozen object freed by its count leaves the count: not ==)
        assert gc.isenabled() and gc.get_freeze_count() > frozen // 2
        gc.unfreeze()
        gc.disable()
        run()
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
    assert keep
