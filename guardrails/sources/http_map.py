"""How the HTTP client runs per-item requests side by side.

:meth:`ConcurrencyMixin.map` runs a function over items on at most
``workers`` threads and gives the results in order; the first failure cancels
what has not started, and Ctrl-C cancels the queue, tells running requests to
give up at their next poll and propagates without waiting for slow answers.
Listings read inside ``map`` report through its one progress task.

:class:`ConcurrencyMixin` is one part of :class:`guardrails.sources.http.HttpClient`;
its methods read the client's attributes named in :class:`_Pool`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

from guardrails.progress import ProgressTask
from guardrails.sources.http_settings import HttpSettings

T = TypeVar("T")
R = TypeVar("R")


class _Pool(Protocol):
    """What ``map`` reads of the client it is part of."""

    source: str
    settings: HttpSettings
    _cancelled: threading.Event
    _in_map: int

    def _task(self, what: str | None, unit: str, total: int | None = None) -> ProgressTask: ...
    def _map(self, fn: Callable[[T], R], todo: list[T], task: ProgressTask) -> list[R]: ...


class ConcurrencyMixin:
    """``map``: a function over items on the client's worker threads."""

    def map(self: _Pool, fn: Callable[[T], R], items: Iterable[T], *, label: str) -> list[R]:
        """``fn`` over ``items`` on at most ``workers`` threads, results in order.

        The first failure cancels what has not started and is raised. Ctrl-C
        (KeyboardInterrupt in the calling thread) cancels queued calls at once,
        tells running ones to give up at their next poll, and propagates without
        waiting for slow answers.
        """
        todo = list(items)
        if not todo:
            return []
        with self._task(None, label, total=len(todo)) as task:
            self._in_map += 1
            try:
                return self._map(fn, todo, task)
            finally:
                self._in_map -= 1

    def _map(self: _Pool, fn: Callable[[T], R], todo: list[T], task: ProgressTask) -> list[R]:
        total = len(todo)
        if self.settings.workers <= 1 or total == 1:
            out = []
            for item in todo:
                out.append(fn(item))
                task.advance()
            return out
        pool = ThreadPoolExecutor(max_workers=self.settings.workers,
                                  thread_name_prefix=f"guardrails-{self.source}")
        # Finished calls are handed over through a queue, not concurrent.futures'
        # wait(): wait() takes every pending future's lock one at a time, and an
        # interrupt between two takes leaves locks held for good; the workers then
        # block finishing their calls and the interpreter's exit waits for them
        # forever. A SimpleQueue's get holds nothing an interrupt can strand.
        finished: queue.SimpleQueue[Future[R]] = queue.SimpleQueue()
        futures: list[Future[R]] = []
        try:
            for item in todo:  # inside the try: an interrupt here cancels as well
                future = pool.submit(fn, item)
                futures.append(future)
                future.add_done_callback(finished.put)
            for _ in range(total):
                done = _next(finished)
                task.advance()
                if done.exception() is not None:
                    raise done.exception()  # type: ignore[misc]
        except BaseException as exc:
            # Cancel the queue and do not join the running calls: a slow server
            # must not hold up an error or Ctrl-C. An interrupt also stops the
            # running calls at their next poll; an ordinary failure lets them end.
            if not isinstance(exc, Exception):
                self._cancelled.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return [f.result() for f in futures]


def _next(finished: queue.SimpleQueue[Future[R]]) -> Future[R]:
    """The next finished call; waits in short slices so nothing can hold it for good."""
    while True:
        try:
            return finished.get(timeout=0.2)
        except queue.Empty:
            continue
