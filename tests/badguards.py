"""The hostile-input corpus's fake server and its load-independent guards.

No case judges speed (no timed assertions, CONTRIBUTING.md). What a case
once bounded with a wall clock it now bounds with what the time would have
been spent on:

* ``held_at_exit: [path glob]``: when the run ended, the server was still
  holding back an answer to such a request (a ``delay`` or ``drip`` route),
  so the run did not wait for it (an interrupt, a deadline);
* ``signal: {name: INT, on_request: path glob}``: the signal is sent once
  such a request reached the server, not after a guessed number of seconds;
* ``max_rss_mb: n``: the run's peak resident memory (the child's own
  ``ru_maxrss``, so a subprocess run) stays under ``n`` MiB (a bomb that
  inflates);
* ``regex_steps: n``: every regex of the root's CODEOWNERS matcher, run over
  every file of the root by :mod:`regexsteps` (``re``'s order, counted),
  takes at most ``n`` steps a path (a pattern that backtracks);
* ``rate_limit_wait_at_most: s``: the seconds the HTTP client asked to wait
  out rate limits, in all (recorded by the ``rate_limit_waits`` fixture; the
  waits take no time).

A subprocess case's ``timeout`` is a hang guard only: past it the run is
reported as hung, whatever the machine's load made of its speed.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import HANG_GUARD

#: seconds to wait for the request a signal waits for: a hang guard
ON_REQUEST_LIMIT = HANG_GUARD

#: the child's command: guardrails' main, then its peak memory written to the file
#: named by GUARDRAILS_TEST_RSS_FILE (ru_maxrss: KiB on Linux)
CHILD = (
    "import os, sys\n"
    "from guardrails.cli import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "finally:\n"
    "    out = os.environ.get('GUARDRAILS_TEST_RSS_FILE')\n"
    "    if out:\n"
    "        import resource\n"
    "        with open(out, 'w') as f:\n"
    "            f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    "sys.exit(code)\n"
)


@dataclass
class Served:
    """What the corpus's HTTP server was asked and what it still holds back."""

    #: set when the case's run is over: held answers are then sent at once
    release: threading.Event = field(default_factory=threading.Event)
    started: Counter[str] = field(default_factory=Counter)
    finished: Counter[str] = field(default_factory=Counter)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def begin(self, path: str) -> None:
        with self.arrived:
            self.started[path] += 1
            self.arrived.notify_all()

    def end(self, path: str) -> None:
        with self.arrived:
            self.finished[path] += 1

    def wait_for(self, pattern: str) -> bool:
        """Whether a request matching ``pattern`` came within :data:`ON_REQUEST_LIMIT`."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self.count(pattern) > 0, ON_REQUEST_LIMIT)

    def count(self, pattern: str) -> int:
        return sum(n for p, n in self.started.items() if fnmatch.fnmatchcase(p, pattern))

    def held(self, pattern: str) -> int:
        """Requests matching ``pattern`` begun and not answered whole."""
        with self.arrived:
            return sum(n - self.finished[p] for p, n in self.started.items()
                       if fnmatch.fnmatchcase(p, pattern))


def install_http(httpserver: Any, routes: list[dict[str, Any]], served: Served) -> None:
    """The case's routes on pytest-httpserver; ``delay`` and ``drip`` wait on
    ``served.release``, so a held answer costs nothing once the run is over."""
    from werkzeug.wrappers import Request, Response

    def handler_for(route: dict[str, Any]):  # type: ignore[no-untyped-def]
        def handle(request: Request) -> Response:
            served.begin(request.path)
            if route.get("delay"):
                served.release.wait(float(route["delay"]))
            headers = dict(route.get("headers") or {})
            status = int(route.get("status", 200))
            if route.get("gzip_bytes"):
                body = gzip.compress(b"[" + b" " * int(route["gzip_bytes"]) + b"]", 9)
                headers.setdefault("Content-Encoding", "gzip")
                headers.setdefault("Content-Type", "application/json")
            elif "json" in route:
                body = json.dumps(route["json"]).encode()
                headers.setdefault("Content-Type", "application/json; charset=utf-8")
            elif "body_pieces" in route:  # a huge JSON body from a few pieces
                body = "".join(str(text) * int(times)
                               for text, times in route["body_pieces"]).encode()
                headers.setdefault("Content-Type", "application/json; charset=utf-8")
            elif "body_hex" in route:
                body = bytes.fromhex("".join(str(route["body_hex"]).split()))
            else:
                body = str(route.get("body", "")).encode("utf-8", "surrogatepass")
            if route.get("drip"):
                interval = float(route["drip"])

                def drip() -> Iterator[bytes]:
                    for i in range(len(body)):
                        yield body[i:i + 1]
                        served.release.wait(interval)
                    served.end(request.path)  # not reached when the client went away

                return Response(drip(), status=status, headers=headers,
                                direct_passthrough=True)
            served.end(request.path)
            return Response(body, status=status, headers=headers)

        return handle

    for route in routes:
        kwargs: dict[str, Any] = {}
        if route.get("query") is not None:
            kwargs["query_string"] = route["query"]
        httpserver.expect_request(route["path"], method=route.get("method", "GET"),
                                  **kwargs).respond_with_handler(handler_for(route))


def server_problems(spec: dict[str, Any], served: Served | None) -> list[str]:
    """``held_at_exit``, read when the run ended."""
    problems = []
    for pattern in spec.get("held_at_exit") or []:
        if served is None or not served.held(str(pattern)):
            problems.append(f"the run waited for the answer to {pattern}: none was still "
                            "held back when it ended")
    return problems


def regex_step_problems(root: Path, budget: int) -> list[str]:
    """The root's CODEOWNERS matcher over every file of the root, in counted steps."""
    import regexsteps

    from guardrails.sources import codeowners

    owners = codeowners.parse((root / "CODEOWNERS").read_text(encoding="utf-8"))
    paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(root).parts)
    problems = []
    for rx in owners._matcher():
        for path in paths:
            try:
                regexsteps.run(rx.pattern, path, budget)
            except regexsteps.OverBudget:
                problems.append(f"the CODEOWNERS matcher took more than {budget} steps on "
                                f"{path[:60]}{'...' if len(path) > 60 else ''}")
    return problems


def rss_problem(spec: dict[str, Any], rss_file: Path) -> list[str]:
    """``max_rss_mb``: the child's peak memory, as it wrote it."""
    most = spec.get("max_rss_mb")
    if most is None:
        return []
    try:
        peak_mb = int(rss_file.read_text()) / 1024
    except (OSError, ValueError):
        return ["the run wrote no peak memory (it died before its end)"]
    if peak_mb > float(most):
        return [f"the run's peak memory was {peak_mb:.0f} MiB, at most {most} MiB"]
    return []


def wait_problems(spec: dict[str, Any], waits: list[float] | None) -> list[str]:
    """``rate_limit_wait_at_most``: the seconds asked to wait out rate limits, in all
    (an in-process run: the ``rate_limit_waits`` fixture records them)."""
    most = spec.get("rate_limit_wait_at_most")
    if most is None:
        return []
    assert waits is not None, "rate_limit_wait_at_most needs the rate_limit_waits fixture"
    if sum(waits) > float(most):
        return [f"the HTTP client asked to wait {sum(waits):g}s for rate limits "
                f"({len(waits)} waits), at most {most}s"]
    return []


def note_peak(pid: int, rss_file: Path) -> None:
    """A hung child's peak memory so far (its VmHWM), read before it is killed, so
    ``max_rss_mb`` still judges a run that the hang guard ends."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            rss_file.write_text(line.split()[1])  # kB, as ru_maxrss
