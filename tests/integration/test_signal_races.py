"""A second SIGTERM/SIGINT while the first one's interrupt unwinds (``timeout``
sends SIGTERM to the process and again to its process group; people press
Ctrl-C twice): still exit 2, one message, no traceback, outputs untouched, and
the run ends at once instead of waiting out a rate limit (guardrails/exits.py).

The server answers 429 with ``Retry-After: 3600``: the run is waiting out a rate
limit, on the main thread (the listing) or on the worker pool (each pull
request's details), when the first signal lands (an hour: a run that waited it
out would hang, which the 20 s hang guard catches; no clock is read); the second one is sent once
the run has said "interrupted", which is the window the first one's clean-up
and the process's exit run in.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import HANG_GUARD
from werkzeug.wrappers import Request, Response

NOW = "2026-11-20"
RULE = ("pack: c\nrules:\n  - id: small\n    title: Changes stay small\n    check: each\n"
        "    facts: changes\n    expect: {properties: {additions: {maximum: 5}}}\n")


def _pulls(n: int) -> Response:
    return Response(json.dumps([
        {"number": i, "state": "closed", "updated_at": "2026-11-10T00:00:00Z",
         "merged_at": "2026-11-10T00:00:00Z"} for i in range(1, n + 1)]),
        content_type="application/json")


def _until(stream, marker: bytes, seconds: float) -> bytes:  # type: ignore[no-untyped-def]
    """What the run wrote to ``stream`` until ``marker`` (or ``seconds`` passed)."""
    got = b""
    end = time.monotonic() + seconds
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        while marker not in got and time.monotonic() < end:
            if sel.select(timeout=0.05):
                chunk = os.read(stream.fileno(), 4096)
                if not chunk:
                    break
                got += chunk
    return got


@pytest.mark.parametrize(("limited", "signals"), [
    ("listing", ("TERM", "TERM")),   # the main thread waits: timeout(1)'s two SIGTERMs
    ("details", ("TERM", "TERM")),   # the worker pool waits
    ("details", ("INT", "TERM")),    # Ctrl-C, then the CI runner gives up
    ("listing", ("INT", "INT")),     # Ctrl-C twice
])
def test_a_second_signal_while_the_first_unwinds_ends_cleanly(
        tmp_path: Path, httpserver, limited: str,  # type: ignore[no-untyped-def]
        signals: tuple[str, str]) -> None:
    seen = threading.Event()

    def answer(request: Request) -> Response:
        path = request.path.removeprefix(prefix)
        if path == "/repos/acme/api/pulls" and limited == "details":
            return _pulls(6)
        seen.set()
        return Response('{"message": "slow down"}', status=429,
                        headers={"Retry-After": "3600"}, content_type="application/json")

    # A prefix of this test's own: a late request of an earlier run cannot start it.
    prefix = f"/race-{os.getpid()}-{time.monotonic_ns()}"
    httpserver.expect_request(
        __import__("re").compile(f"^{prefix}/.*")).respond_with_handler(answer)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/c.yaml").write_text(RULE)
    (tmp_path / "guardrails.yaml").write_text(
        "rules: [rules/]\nsources:\n"
        f"  github: {{repo: acme/api, api_url: '{httpserver.url_for(prefix)}', "
        "rate_limit_max_wait: 7200, workers: 4}\n")
    (tmp_path / "report.json").write_text("previous")
    env = {**os.environ, "GUARDRAILS_CACHE_DIR": str(tmp_path / ".cache")}
    # The program itself (python -m guardrails), as a CI job runs it.
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardrails", "check", "--now", NOW, "-f", "json",
         "-o", "report.json"], cwd=tmp_path, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env=env)
    try:
        assert seen.wait(HANG_GUARD)  # the run now waits out the rate limit
        time.sleep(0.1)
        proc.send_signal(getattr(signal, "SIG" + signals[0]))
        assert proc.stderr is not None
        err = _until(proc.stderr, b"interrupted", HANG_GUARD)
        proc.send_signal(getattr(signal, "SIG" + signals[1]))  # into the unwinding
        rest = proc.communicate(timeout=HANG_GUARD)[1]
    except (subprocess.TimeoutExpired, AssertionError):
        proc.kill()
        proc.communicate()
        raise
    except ProcessLookupError:  # already gone: nothing to race; the test checks the rest
        rest = proc.communicate(timeout=HANG_GUARD)[1]
    text = (err + rest).decode(errors="replace")
    assert proc.returncode == 2, text
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert text.count("interrupted") == 1, text
    assert (tmp_path / "report.json").read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
