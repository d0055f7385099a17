"""Progress of long gathering work: sources report it, the command line draws it.

A source never prints. While it works (years of git history, pages of an
HTTP API) it reports through the :class:`Progress` object on its
:class:`~guardrails.plugin.SourceEnv`::

    with self.env.progress.task("github: pull requests", total=len(prs),
                                unit="pull requests") as task:
        for pr in prs:
            ...
            task.advance()

That is the whole interface: :meth:`Progress.task` opens a task (a label, an
optional total, a unit), :meth:`ProgressTask.advance` counts work done (and
may say which ``fraction`` of the task that is, when the source knows it
better than a count: git history by date), :meth:`ProgressTask.set_total`
gives a total learnt late. Tasks nest; the innermost open one is shown.
Tasks opened on another thread than the run's (HTTP worker threads) are
silent, so a source need not care where it is called from.

The default :class:`Progress` draws nothing (the library, the pytest plugin,
tests). ``guardrails check`` hands the run a :class:`TerminalProgress` on
stderr when stderr is a terminal and ``-q`` is not given, or when
``--progress`` is: on a terminal it redraws one line in place once a task
has run for a second (count, rate, percentage and ETA where known) and
erases it when the task ends; elsewhere (a CI log) it writes one line when a
task ends and one every ten seconds while it runs. The session itself opens
a task per source, so a source that reports nothing still shows which one
is working.
"""

from __future__ import annotations

import contextlib
import os
import time
from _thread import get_ident
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from guardrails.textsafe import printable

if TYPE_CHECKING:
    import threading

SPINNER = "|/-\\"


class ProgressTask:
    """One piece of work a source reports on; this base class records nothing."""

    def advance(self, n: int = 1, *, fraction: float | None = None) -> None:
        """``n`` more units done; ``fraction`` (0..1), when given, is how much of the
        whole task that is (else ``done / total`` when a total is known)."""

    def set_total(self, total: int | None) -> None:
        """The number of units the task will do, when learnt after it began."""

    def close(self) -> None:
        """The task is over (leaving its ``with`` block closes it)."""

    def __enter__(self) -> ProgressTask:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SILENT = ProgressTask()


class Progress:
    """What sources report progress to. This base class shows nothing."""

    def task(self, label: str, *, total: int | None = None, unit: str = "") -> ProgressTask:
        """Open a task: ``label`` names the work (``git: history``), ``total`` the
        units it will do when known, ``unit`` what one is (``commits``)."""
        return _SILENT

    def close(self) -> None:
        """The run is over: stop drawing (idempotent)."""


class _Task(ProgressTask):
    def __init__(self, owner: TerminalProgress, label: str, total: int | None,
                 unit: str, start: float) -> None:
        self.owner = owner
        self.label = printable(label)  # labels may carry data (a repo name): shown inert
        self.total = total
        self.unit = printable(unit)
        self.start = start
        self.done = 0
        self.fraction: float | None = None
        self.closed = False

    def advance(self, n: int = 1, *, fraction: float | None = None) -> None:
        with self.owner.lock:
            self.done += n
            if fraction is not None:
                self.fraction = min(max(float(fraction), 0.0), 1.0)

    def set_total(self, total: int | None) -> None:
        with self.owner.lock:
            self.total = total

    def close(self) -> None:
        self.owner.end(self)


class TerminalProgress(Progress):
    """Draws the innermost open task on a stream (stderr).

    :param live: redraw one line in place (a terminal); else write whole lines.
    :param delay: a task is drawn live once the outermost open one is this old,
        so quick runs show nothing.
    :param interval: seconds between redraws (live) or status lines (lines).
    :param clock: monotonic seconds; tests pass their own and call :meth:`tick`.
    :param ticker: redraw on a background thread; off when a test ticks itself.
    """

    def __init__(self, stream: TextIO, *, live: bool, width: int = 80, delay: float = 1.0,
                 interval: float | None = None, clock: Callable[[], float] = time.monotonic,
                 ticker: bool = True) -> None:
        # here, not at the top: every run imports this module, few draw progress
        import threading

        self.stream = stream
        self.live = live
        self.width = max(20, width)
        self.delay = delay
        self.interval = interval if interval is not None else (0.1 if live else 10.0)
        self.clock = clock
        self.lock = threading.RLock()
        self.stack: list[_Task] = []
        self.frame = 0
        self._shown = False  # a live line is on the screen
        self._last_line = 0.0  # when the last status line was written (lines mode)
        self._thread_id = threading.get_ident()
        self._use_ticker = ticker
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    @classmethod
    def for_stream(cls, stream: TextIO) -> TerminalProgress:
        """Live on a terminal (not ``TERM=dumb``), whole lines elsewhere."""
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        live = tty and os.environ.get("TERM") != "dumb"
        return cls(stream, live=live, width=_width(stream) if live else 80)

    # -- what sources call -------------------------------------------------------
    def task(self, label: str, *, total: int | None = None, unit: str = "") -> ProgressTask:
        if get_ident() != self._thread_id:
            return _SILENT  # worker threads report through the task their caller opened
        with self.lock:
            t = _Task(self, label, total, unit, self.clock())
            self.stack.append(t)
            if len(self.stack) == 1:
                self._last_line = t.start
                self._start_ticker()
        return t

    def end(self, task: _Task) -> None:
        """Close ``task`` (a task may end out of order: a listing left half-read)."""
        with self.lock:
            if task.closed:
                return
            task.closed = True
            if task in self.stack:
                self.stack.remove(task)
            if not self.live:
                self._write_line(self.render(task, final=True))
            idle = not self.stack
            if idle:
                self._clear()
        if idle:
            self._stop_ticker()  # outside the lock: the ticker may be waiting for it

    def close(self) -> None:
        with self.lock:
            left = list(reversed(self.stack))
        for task in left:
            self.end(task)
        self._stop_ticker()

    # -- drawing -------------------------------------------------------------------
    def tick(self) -> None:
        """Redraw if it is time (the ticker thread calls this; tests call it directly)."""
        with self.lock:
            if not self.stack:
                return
            now = self.clock()
            task = self.stack[-1]
            if self.live:
                if now - self.stack[0].start < self.delay:
                    return
                self.frame += 1
                text = self.render(task, now=now)[: self.width - 1]
                self._emit(f"\r{text}\x1b[K")
                self._shown = True
            elif now - self._last_line >= self.interval:
                self._last_line = now
                self._write_line(self.render(task, now=now))

    def render(self, task: _Task, *, now: float | None = None, final: bool = False) -> str:
        """One task as a line: label, count (of total), rate, percentage and ETA."""
        now = self.clock() if now is None else now
        elapsed = max(now - task.start, 0.0)
        parts = [f"{SPINNER[self.frame % len(SPINNER)]} {task.label}" if self.live and
                 not final else task.label]
        if task.done or task.total is not None or (final and task.unit):
            count = f"{task.done:,}" if task.total is None else f"{task.done:,}/{task.total:,}"
            parts.append(f"{count} {task.unit}".rstrip())
        if final:
            parts.append(f"in {elapsed:.1f}s")
            return _join(parts)
        if task.done and elapsed >= 0.5:
            rate = task.done / elapsed
            parts.append(f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s")
        fraction = task.fraction
        if fraction is None and task.total:
            fraction = min(task.done / task.total, 1.0)
        if fraction is not None and 0 < fraction < 1 and elapsed > 0:
            eta = elapsed * (1 - fraction) / fraction
            parts.append(f"{fraction:.0%} ETA {_clock(eta)}")
        else:
            parts.append(_clock(elapsed))
        return _join(parts)

    def _write_line(self, text: str) -> None:
        self._emit(text + "\n")

    def _clear(self) -> None:
        if self._shown:
            self._emit("\r\x1b[K")
            self._shown = False

    def _emit(self, text: str) -> None:
        # stderr gone or full: the progress is not worth failing the run for
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()

    # -- the ticker thread -------------------------------------------------------
    def _start_ticker(self) -> None:
        if not self._use_ticker or (self._ticker is not None and self._ticker.is_alive()):
            return
        import threading

        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._run, args=(self._stop,),
                                        name="guardrails-progress", daemon=True)
        self._ticker.start()

    def _stop_ticker(self) -> None:
        self._stop.set()
        ticker = self._ticker
        import threading

        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(timeout=1.0)
        self._ticker = None

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # drawing must never break a run
                return


#: most columns a line is drawn for: $COLUMNS=1000000000 made every separator line
#: a gigabyte, and a number past an index (10**20) an OverflowError
MAX_COLUMNS = 10_000


def _width(stream: TextIO) -> int:
    """Columns of the terminal: $COLUMNS as shutil reads it, else the stream's own
    (a new pseudo-terminal may say 0), else 80; at most :data:`MAX_COLUMNS`."""
    with contextlib.suppress(ValueError):
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return min(columns, MAX_COLUMNS)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        columns = os.get_terminal_size(stream.fileno()).columns
        if columns > 0:
            return columns
    return 80


def _join(parts: list[Any]) -> str:
    return "  ".join(str(p) for p in parts if p)


def _clock(seconds: float) -> str:
    """``0:07``, ``12:30``, ``1:02:03``."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


__all__ = ["Progress", "ProgressTask", "TerminalProgress"]
