"""Shared fixtures. Helper modules for tests live in tests/helpers.py."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # noqa: F401  (see below)
from helpers import make_project

# PyYAML is imported before any test: pytester (tests/integration/test_pytest_plugin.py)
# takes a snapshot of sys.modules and restores it after each test, so a yaml first
# imported inside one was dropped and imported again later; its C extension
# (yaml._yaml, initialised once a process) kept the first import's node classes,
# and every later YAML file failed "could not determine a constructor for the tag
# None" (those tests, then test_sources_in_session, in one process without xdist).

#: variables that send every git command to one repository, whatever its folder:
#: `git rebase --exec` exports GIT_DIR in a linked worktree (and a git hook runs
#: with some of them), and the tests' git commands in their temporary folders then
#: committed to, and wrote core.bare, user.* and a hostile core.fsmonitor into, the
#: repository holding the checkout (s23-strict2's report). Dropped at import, before
#: any fixture or xdist worker runs git; the tests that need one set it themselves.
GIT_LOCATION_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_SHALLOW_FILE", "GIT_QUARANTINE_PATH",
)
for _name in GIT_LOCATION_VARIABLES:
    os.environ.pop(_name, None)

#: Ctrl-C for the programs the tests start: a suite started in the background of a
#: shell without job control (`cmd &` in a script, nohup, some CI runners) inherits
#: SIGINT ignored, every program it starts too, and Python then installs no
#: KeyboardInterrupt handler: the tests that send SIGINT to a `guardrails` run (the
#: corpus' signal-int-* and http-interrupt-* cases, test_exits_signals,
#: test_signal_races) saw no exit and failed, on an unchanged checkout as well. A
#: Python-level handler here is reset to the default by exec, so each child starts
#: as from a terminal. guardrails itself keeps an ignored SIGINT ignored, as POSIX
#: asks of a program started in the background.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """helpers.make_project's default project in tmp_path, as the working directory
    (people::team-size fails on beta, some-teams passes). A module whose tests need
    another project defines a ``project`` fixture of its own."""
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def _startup_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the install-wide start-up caches (entry points, builtin packs)
    for the whole test run: they depend on the install, not on a test."""
    return tmp_path_factory.mktemp("startup-cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory,
                  _startup_cache: Path) -> None:
    # Reports must not depend on the developer's terminal or CI job.
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    # Each test gets its own cache folder: no test reads another's git or HTTP
    # cache, and nothing is written to the user's ~/.cache.
    cache: Path = tmp_path_factory.mktemp("guardrails-cache")
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", str(cache))
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(_startup_cache))
    monkeypatch.delenv("GUARDRAILS_NO_STARTUP_CACHE", raising=False)


@pytest.fixture
def startup_cache(_isolated_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own start-up cache folder (``GUARDRAILS_PLUGIN_CACHE_DIR``), not yet
    made, with the start-up caches on: for tests that read what a run wrote there."""
    folder = tmp_path / "startup-cache"
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def make_httpserver() -> Iterator[Any]:
    """pytest-httpserver's loopback server, one a test module, answering each request
    on its own thread (tests/httpfakes.py's threaded_httpserver): every ``httpserver``."""
    from httpfakes import threaded_httpserver

    with threaded_httpserver() as server:
        yield server


class _RecordedWaits(threading.Event):
    """An HTTP client's cancel event whose timed waits are written down and end at
    once (still True when cancelled): a rate-limit wait is asserted by the seconds
    the client asked to wait, not by a clock."""

    def __init__(self, waits: list[float]) -> None:
        super().__init__()
        self.waits = waits

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is None:
            return super().wait()
        self.waits.append(timeout)
        return self.is_set()


@pytest.fixture
def rate_limit_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds every HTTP client made in this test waited out a rate limit, in
    order; the waits themselves take no time."""
    from guardrails.sources.http import HttpClient

    waits: list[float] = []
    made = HttpClient.__init__

    def init(self: HttpClient, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        self._cancelled = _RecordedWaits(waits)

    monkeypatch.setattr(HttpClient, "__init__", init)
    return waits
