"""The one mapping from exceptions to exit codes (pytest's ``wrap_session``).

:func:`exit_code_for` says which code an exception means; :func:`wrap_session`
runs a command body, prints what the user needs to read on stderr, and
returns the code. Every command, the session and the pre-commit entry go
through it, so an exception means the same exit code everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from guardrails.errors import GuardrailsError, LoadErrors, PluginError, UsageError
from guardrails.textsafe import excerpt, printable


class _Interrupts:
    """The handlers one run installs for SIGTERM (and SIGINT, when it has Python's
    own handler) and what they replace.

    The first signal raises KeyboardInterrupt once; every later one is ignored
    while the run unwinds. ``timeout`` sends SIGTERM to the process and again to
    its process group, and people press Ctrl-C twice: a second KeyboardInterrupt
    landing in the first one's clean-up (cancelling the worker pool, printing
    "interrupted", a weakref finaliser, the end of the signal block) escaped as a
    traceback, left rate-limit waits uncancelled (the exit then waited them out)
    or killed the run with the signal's own status instead of exit 2.
    """

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.hit = False

    def take(self) -> None:
        """Install :meth:`terminate` (ValueError outside the main thread)."""
        sig = _signal_module()
        self.previous[sig.SIGTERM] = sig.signal(sig.SIGTERM, self.terminate)
        if sig.getsignal(sig.SIGINT) is sig.default_int_handler:  # a host's own: left alone
            self.previous[sig.SIGINT] = sig.signal(sig.SIGINT, self.terminate)

    def _install(self, handler: Any) -> None:
        sig = _signal_module()
        for signum in self.previous:
            sig.signal(signum, handler)

    def terminate(self, signum: int, _frame: Any) -> None:
        """The first signal of the run: later ones are ignored, then the interrupt."""
        self._install(_signal_module().SIG_IGN)  # first, before anything can run
        self.hit = True
        raise KeyboardInterrupt(f"signal {signum}")

    def restore(self) -> None:
        """Put back what the run replaced (a library caller's process goes on)."""
        sig = _signal_module()
        for signum, handler in self.previous.items():
            sig.signal(signum, handler)

    def end_on_signal(self) -> None:
        """The program's last moments (flushes, atexit handlers, joining threads): a
        signal now ends the process at once with exit 2, never a traceback from an
        atexit handler or the interpreter's shutdown. Caches and reports are
        written beside their file and renamed, so nothing is left half-written."""
        self._install(self.late)

    def late(self, _signum: int, _frame: Any) -> None:
        """A signal after the run's signal block (the program only): exit 2 now."""
        if not self.hit:
            with contextlib.suppress(OSError):
                os.write(2, b"\n!!! interrupted !!!\n")
        with contextlib.suppress(Exception):  # a write in progress: reentrant flush
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        os._exit(2)  # ExitCode.INTERRUPTED


def _signal_module() -> Any:
    """The C module ``_signal``: the ``signal`` module builds three enums at
    import (~0.7 ms of every run's start-up, benchmarks/RESULTS.md); SIG_DFL/SIG_IGN
    come back as plain ints, which it takes back as well."""
    try:
        import _signal as module  # type: ignore[import-not-found]
    except ImportError:  # an interpreter without it: the public module
        import signal as module
    return module


@contextlib.contextmanager
def sigterm_as_interrupt(*, program: bool = False) -> Iterator[None]:
    """For the time of the block, SIGTERM (a CI runner cancelling the job) ends the
    run as Ctrl-C does: exit code 2, "interrupted", every report file left as it
    was (see guardrails.fileio). Outside the main thread signals are left alone.

    The first SIGTERM or SIGINT raises KeyboardInterrupt; more while the run
    unwinds are ignored (see :class:`_Interrupts`). After the block a library
    caller gets its handlers back; ``program`` (the process ends after the
    block) instead makes any later signal end the process at once with exit 2.
    """
    interrupts: _Interrupts | None = _Interrupts()
    try:
        interrupts.take()  # type: ignore[union-attr]
    except ValueError:  # not the main thread
        interrupts = None
    try:
        yield
    finally:
        if interrupts is not None and program:
            interrupts.end_on_signal()
        elif interrupts is not None:
            interrupts.restore()


def _click_exception(exc: BaseException) -> Any:
    """``exc`` when it is one of click's (only ever raised once click is imported)."""
    click = sys.modules.get("click")
    if click is not None and isinstance(exc, click.exceptions.Exit | click.exceptions.Abort
                                        | click.ClickException):
        return exc
    return None


def exit_code_for(exc: BaseException) -> int:
    """The exit code an exception ends a run with."""
    from guardrails.model import ExitCode  # here: --help and --version never need it

    clicked = _click_exception(exc)
    if clicked is not None:
        import click

        if isinstance(clicked, click.exceptions.Exit):  # --help, --version
            return int(clicked.exit_code)
        if isinstance(clicked, click.exceptions.Abort):
            return ExitCode.INTERRUPTED
        # click's own usage errors: 4, not click's 2 (pytest's "interrupted")
        return ExitCode.USAGE_ERROR
    if isinstance(exc, UsageError | PluginError):
        return ExitCode.USAGE_ERROR
    if isinstance(exc, StdoutGone):
        return ExitCode.RULES_FAILED  # 1, as pytest's console_main and click on EPIPE
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.INTERNAL_ERROR


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null so the interpreter's last flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real descriptor (tests)
        pass


def show(exc: BaseException, err: TextIO) -> None:
    """Tell the user what ended the run, as much as they need and no more."""
    clicked = _click_exception(exc)
    if clicked is not None:
        import click

        if isinstance(clicked, click.exceptions.Abort):
            print("\n!!! interrupted !!!", file=err)
        elif isinstance(clicked, click.ClickException):
            clicked.show(file=err)
    elif isinstance(exc, UsageError):
        # Messages may quote an excerpt of a file or a file's name: shown, never obeyed
        # by the terminal; each error on one line (LoadErrors: one line each), so a
        # newline in a name cannot start a line of its own (a CI ::error command).
        text = str(exc) if isinstance(exc, LoadErrors) else printable(str(exc))
        print(f"ERROR: {text}", file=err)
    elif isinstance(exc, StdoutGone):
        # The reader went away (`guardrails facts | head`): stop quietly, as pytest
        # does (its console_main), and git (killed by SIGPIPE, as cat is).
        silence_stdout()
    elif isinstance(exc, PluginError):
        # A plugin that cannot load is a setup problem, named, without our traceback.
        import traceback

        cause = exc.__cause__
        where = ""
        if isinstance(cause, SyntaxError) and cause.filename and cause.lineno:
            # the plugin's own line, not the importer's frame that compiled it
            where = f" ({cause.filename}:{cause.lineno})"
        elif cause is not None and cause.__traceback__ is not None:
            import importlib

            # The innermost frame of the plugin's code. Not the first frame (ours,
            # which caught it), nor importlib's ("<frozen importlib._bootstrap>:241",
            # ".../importlib/__init__.py:126"), which tell a user nothing: a module
            # that is not installed has no line to show.
            machinery = os.path.dirname(importlib.__file__) + os.sep
            frames = [f for f in traceback.extract_tb(cause.__traceback__)[1:]
                      if not f.filename.startswith(("<", machinery))]
            if frames:
                where = f" ({frames[-1].filename}:{frames[-1].lineno})"
        print(printable(f"ERROR: {exc}{where}"), file=err)  # a plugin's name may hold \n
    elif isinstance(exc, KeyboardInterrupt):
        print("\n!!! interrupted !!!", file=err)
    elif isinstance(exc, GuardrailsError):
        import traceback

        print(printable(f"ERROR: {exc}"), file=err)
        traceback.print_exception(exc, file=err)
    else:
        import traceback

        print("INTERNAL ERROR: guardrails crashed; please report this with the traceback:",
              file=err)
        traceback.print_exception(exc, file=err)


class StdoutGone(Exception):
    """Standard output's reader went away (``guardrails list | head -1``): nothing more
    to say to anyone, so a quiet exit 1 (pytest's ``console_main``, click's EPIPE)."""


#: What a failed write to a full or broken standard output raises (``> /dev/full``,
#: a quota, a disk gone); EPIPE is :class:`StdoutGone`.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF})


def stdout_write_error(exc: OSError, *, report: bool = False) -> Exception:
    """What a failed write to standard output means: :class:`StdoutGone` for a reader
    gone (EPIPE), else a usage error in one line (exit 4). Standard output is
    pointed at /dev/null first, so the interpreter's last flush cannot fail again
    with a traceback of its own (``Exception ignored ... OSError``, exit 120)."""
    silence_stdout()
    if isinstance(exc, BrokenPipeError):
        return StdoutGone()
    why = exc.strerror or str(exc)
    if report:
        return UsageError(f"cannot write the report to standard output: {why}",
                          fix="check where standard output goes (a full disk?), or write "
                          "the report to a file with --format FORMAT --output FILE")
    return UsageError(f"cannot write to standard output: {why}",
                      fix="check where standard output goes (a full disk?)")


def _on_stdout(exc: BaseException) -> bool:
    """Whether ``exc`` is a failed write to standard output, wherever it was made
    (click's own ``--help`` and ``--version``, a command's ``echo``, a plugin's
    ``print``): a stream on descriptor 1 in the frame that raised it, else
    standard output failing again when flushed (what could not be written stays
    in its buffer)."""
    if not isinstance(exc, OSError) or exc.filename is not None:
        return False
    if not isinstance(exc, BrokenPipeError) and exc.errno not in _WRITE_ERRNOS:
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None and any(_is_stdout(v) for v in tb.tb_frame.f_locals.values()):
        return True
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError):
        return True
    return False


def _is_stdout(value: Any) -> bool:
    if value is sys.stdout or value is sys.__stdout__:
        return True
    fileno = getattr(value, "fileno", None)
    if not callable(fileno):
        return False
    try:
        return bool(fileno() == 1)
    except Exception:  # a closed file, a stream with no descriptor (io.StringIO)
        return False


def flush_stdout() -> None:
    """Flush standard output, a failure being what it means (:func:`stdout_write_error`)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        raise stdout_write_error(exc) from None


def wrap_session(func: Callable[[], int], err: TextIO | None = None) -> int:
    """Run ``func`` and map exceptions to exit codes, the only place that does.

    Standard output is flushed before the code is returned: a full disk or a
    reader gone is an exit code here, not a traceback at the interpreter's exit."""
    try:
        code = int(func())
        flush_stdout()
        return code
    except (Exception, KeyboardInterrupt) as exc:
        shown = (stdout_write_error(exc) if isinstance(exc, OSError) and _on_stdout(exc)
                 else _path_too_long(exc))
        show(shown, err or sys.stderr)
        return exit_code_for(shown)


def _path_too_long(exc: BaseException) -> BaseException:
    """A path the user gave that the system cannot even look up (over NAME_MAX or
    PATH_MAX), wherever it was first touched: a usage error naming it, not a crash."""
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        name = excerpt(str(exc.filename), 60) if exc.filename is not None else None
        return UsageError("the file name is too long for this system", file=name,
                          fix="give a shorter path (at most 255 bytes a name, 4096 in all)")
    return exc


__all__ = ["StdoutGone", "exit_code_for", "flush_stdout", "show", "silence_stdout",
           "stdout_write_error", "wrap_session"]
