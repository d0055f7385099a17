"""The progress display: what sources report and what the terminal shows of it.

A fake clock drives :class:`TerminalProgress` and the test calls ``tick()``
itself, so every frame below is exact: no real time is measured.
"""

from __future__ import annotations

import io
import threading

from guardrails.progress import Progress, ProgressTask, TerminalProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def live(width: int = 80) -> tuple[TerminalProgress, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    return TerminalProgress(out, live=True, width=width, clock=clock, ticker=False), out, clock


def lines() -> tuple[TerminalProgress, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    return TerminalProgress(out, live=False, clock=clock, ticker=False), out, clock


def take(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def test_the_default_progress_draws_nothing_and_accepts_everything() -> None:
    with Progress().task("git: history", total=3, unit="commits") as task:
        assert isinstance(task, ProgressTask)
        task.advance(2, fraction=0.5)
        task.set_total(None)
    Progress().close()


def test_a_quick_task_shows_nothing_on_a_terminal() -> None:
    progress, out, clock = live()
    with progress.task("git: history", unit="commits") as task:
        task.advance(500)
        clock.now += 0.9
        progress.tick()
    assert out.getvalue() == ""


def test_a_long_task_is_drawn_in_place_and_erased_when_done() -> None:
    progress, out, clock = live()
    with progress.task("git: history", unit="commits") as task:
        clock.now += 1.0
        progress.tick()
        assert take(out) == "\r/ git: history  0:01\x1b[K"
        task.advance(1000, fraction=0.25)
        clock.now += 1.0  # 2 s in: 1000 commits, a quarter of the window
        progress.tick()
        assert take(out) == "\r- git: history  1,000 commits  500/s  25% ETA 0:06\x1b[K"
        task.advance(3000, fraction=0.5)
        clock.now += 2.0
        progress.tick()
        assert take(out) == "\r\\ git: history  4,000 commits  1,000/s  50% ETA 0:04\x1b[K"
    assert take(out) == "\r\x1b[K"  # the line is gone; the report goes on from here


def test_a_total_gives_the_count_of_it_and_an_eta() -> None:
    progress, out, clock = live()
    with progress.task("github", total=400, unit="pull requests") as task:
        clock.now += 10.0
        task.advance(100)
        progress.tick()
        assert take(out) == (
            "\r/ github  100/400 pull requests  10/s  25% ETA 0:30\x1b[K")
        task.set_total(200)
        clock.now += 3590.0
        progress.tick()
        assert take(out) == "\r- github  100/200 pull requests  0.0/s  50% ETA 1:00:00\x1b[K"


def test_the_innermost_open_task_is_shown_and_the_delay_counts_from_the_first() -> None:
    progress, out, clock = live()
    with progress.task("git .", unit="facts"):
        clock.now += 0.8
        with progress.task("git: history", unit="commits") as inner:
            clock.now += 0.3  # the inner task is young, the run has waited 1.1 s
            inner.advance(7)
            progress.tick()
            assert take(out) == "\r/ git: history  7 commits  0:00\x1b[K"
        progress.tick()
        assert take(out) == "\r- git .  0:01\x1b[K"
    assert take(out) == "\r\x1b[K"


def test_a_line_never_wraps_and_data_in_labels_is_inert() -> None:
    progress, out, clock = live(width=30)
    with progress.task("github: \x1b]8;;evil\x07repo/with/a/long/name", unit="pages"):
        clock.now += 1
        progress.tick()
    drawn = take(out)
    first = drawn.split("\x1b[K")[0]
    assert first == "\r/ github: \\x1b]8;;evil\\x07rep"
    assert len(first) == 1 + 29  # \r and one column short of the width


def test_lines_mode_writes_a_line_per_finished_task_and_a_status_now_and_then() -> None:
    progress, out, clock = lines()
    with progress.task("git .", unit="facts") as outer:
        with progress.task("git: history", unit="commits") as task:
            clock.now += 4
            task.advance(40)
            progress.tick()
            assert take(out) == ""  # not yet ten seconds
            clock.now += 6
            progress.tick()
            assert take(out) == "git: history  40 commits  4.0/s  0:10\n"
            clock.now += 2
        assert take(out) == "git: history  40 commits  in 12.0s\n"
        outer.advance(52)
    assert take(out) == "git .  52 facts  in 12.0s\n"


def test_a_task_may_end_out_of_order() -> None:
    progress, out, clock = lines()
    listing = progress.task("github: changes", unit="pages")
    other = progress.task("github", total=2, unit="pull requests")
    listing.close()  # a listing read halfway, its generator dropped later
    listing.close()  # twice is harmless
    assert take(out) == "github: changes  0 pages  in 0.0s\n"
    other.advance(2)
    other.close()
    assert take(out) == "github  2/2 pull requests  in 0.0s\n"
    progress.close()
    assert take(out) == ""


def test_close_ends_what_is_left_open() -> None:
    progress, out, _ = lines()
    progress.task("a", unit="x")
    progress.task("b", unit="y")
    progress.close()
    assert take(out) == "b  0 y  in 0.0s\na  0 x  in 0.0s\n"


def test_tasks_opened_on_worker_threads_are_silent() -> None:
    progress, out, clock = lines()
    got: list[ProgressTask] = []
    worker = threading.Thread(target=lambda: got.append(progress.task("w", unit="pages")))
    worker.start()
    worker.join()
    (task,) = got
    task.advance(3)
    task.close()
    assert type(task) is ProgressTask  # silent: nothing was written for it
    progress.close()
    assert take(out) == ""


def test_advance_from_worker_threads_is_counted() -> None:
    progress, out, _ = lines()
    with progress.task("github", total=400, unit="items") as task:
        workers = [threading.Thread(target=lambda: [task.advance() for _ in range(100)])
                   for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert take(out) == "github  400/400 items  in 0.0s\n"


def test_the_ticker_thread_draws_while_the_source_is_silent() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out, live=True, delay=0.0, interval=0.01)
    drawn = threading.Event()
    with progress.task("pagerduty: incidents", unit="pages"):
        # A source waiting on one slow answer reports nothing; the ticker still draws.
        for _ in range(500):
            if "pagerduty: incidents" in out.getvalue():
                drawn.set()
                break
            threading.Event().wait(0.01)
    assert drawn.is_set()
    assert out.getvalue().endswith("\r\x1b[K")
    assert progress._ticker is None  # stopped with the last task


def test_a_stream_that_fails_never_breaks_the_run() -> None:
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    progress = TerminalProgress(Full(), live=False, ticker=False)
    with progress.task("git: history", unit="commits") as task:
        task.advance()
    progress.close()


def test_for_stream_is_live_on_a_terminal_only() -> None:
    assert TerminalProgress.for_stream(io.StringIO()).live is False


def test_columns_from_the_environment_are_capped(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # $COLUMNS is input: 10**9 drew gigabyte lines, 10**20 raised OverflowError
    from guardrails.progress import MAX_COLUMNS, _width
    from guardrails.reporters.terminal import terminal_columns

    for value, want in (("1000000000", MAX_COLUMNS), ("99999999999999999999", MAX_COLUMNS),
                        ("132", 132)):
        monkeypatch.setenv("COLUMNS", value)
        assert terminal_columns() == want
        assert _width(io.StringIO()) == want
