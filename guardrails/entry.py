"""The console entry point (``guardrails``, ``python -m guardrails``).

It answers two cases itself, with plain arguments: the pre-commit hook's
``guardrails validate [-c CONFIG] FILE...``, run on every commit, where
importing click would cost about a third of the time (benchmarks/RESULTS.md,
"start-up"), and ``guardrails check`` with the options a job or an engineer
types (:func:`guardrails.checkcmd.plain_check` says which), where click is
about a tenth ("start-up, boot5"). Every other command line, ``--help`` and
any form not read here included, goes to the click group
(:func:`guardrails.cli.main.main`), which reads these the same way.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def plain_validate(args: list[str]) -> tuple[list[str], str | None] | None:
    """(FILES, CONFIG) of ``validate ARGS`` when click would read them so, else None.

    Only forms whose meaning is beyond doubt are read: file names not starting
    with ``-``, and ``-c X``, ``--config X`` or ``--config=X`` at most once,
    X naming no folder (click's ``dir_okay=False`` refuses one, in its own
    words). No file named, ``--``, ``-h`` or any other option: click's.
    """
    if args[:1] != ["validate"]:
        return None
    if os.name == "nt" and any(c in word for word in args for c in "~$%*?["):
        return None  # click expands ~, variables and wildcards in Windows arguments
    files: list[str] = []
    config: str | None = None
    it = iter(args[1:])
    for arg in it:
        if arg in ("-c", "--config") or arg.startswith("--config="):
            value = arg.partition("=")[2] if "=" in arg else next(it, None)
            if config is not None or not value or value.startswith("-"):
                return None
            config = value
        elif arg.startswith("-"):
            return None
        else:
            files.append(arg)
    if not files or (config is not None and os.path.isdir(config)):
        return None
    return files, config


def main(argv: list[str] | None = None) -> int:
    """Run ``guardrails ARGV`` (default: the process's arguments); return the exit code."""
    return _run(argv, exiting=False)


def console() -> int:
    """The process's entry point (the ``guardrails`` script, ``python -m guardrails``).

    As :func:`main`, for a process that ends when this returns, and usually ends
    here: once the command is done, standard output and error are flushed,
    threads that are not daemons are waited for (as the shutdown would:
    :func:`_threads_waited_for`), the atexit handlers run (plugins', the caches'
    writes, logging's) and the process exits with the command's code at once
    (``os._exit``), skipping the interpreter's teardown of every module and
    object, ~3-4 ms of CPU of an example ``check`` that nothing reads
    (benchmarks/RESULTS.md, "start-up, boot4"). Every report file is closed by
    then (the reporters' ExitStack). The normal shutdown happens instead, and
    this returns the code, whenever something may want it
    (:func:`normal_exit_wanted`), or when the caller is not the program's own
    top level (a program running ours inside itself through ``runpy``).
    """
    try:
        code = _run(None, exiting=True)
    except KeyboardInterrupt as exc:
        # The one interrupt of the run (later signals are ignored, see
        # guardrails.exits) landing after the command's own wrap_session returned,
        # in the few instructions before its signal block ends: still exit 2.
        from guardrails.exits import exit_code_for, show

        show(exc, sys.stderr)
        code = exit_code_for(exc)
    if _the_program(sys._getframe(1)):
        _end_now(code)
    return code


def _the_program(caller: Any) -> bool:
    """Whether ``caller`` (console()'s) is the process's own program, nothing above it.

    The console script's top level, or ``python -m guardrails``'s (under runpy
    only); not a program that runs ours inside itself (``runpy.run_module``
    from its own code, a test harness calling :func:`console`): it goes on.
    """
    main = sys.modules.get("__main__")
    if main is None or caller.f_code.co_name != "<module>" or caller.f_globals is not vars(main):
        return False
    frame = caller.f_back
    while frame is not None:
        if frame.f_code.co_filename not in ("<frozen runpy>", _RUNPY):
            return False
        frame = frame.f_back
    return True


_RUNPY = os.path.join(os.path.dirname(os.__file__), "runpy.py")


def normal_exit_wanted() -> str | None:
    """Why this process must end through the interpreter's shutdown, or None.

    ``GUARDRAILS_NORMAL_EXIT`` set (not empty, not ``0``); Python's
    development mode, warning options (``-W``: ResourceWarnings show at
    teardown), ``-i``/``PYTHONINSPECT``; a tracer, a profiler or coverage
    (their results are written as the interpreter ends).
    """
    if os.environ.get("GUARDRAILS_NORMAL_EXIT", "0") not in ("", "0"):
        return "GUARDRAILS_NORMAL_EXIT"
    if sys.flags.dev_mode or sys.warnoptions:
        return "development mode or warning options"
    if sys.flags.inspect or os.environ.get("PYTHONINSPECT"):
        return "interactive inspection"
    if sys.gettrace() is not None or sys.getprofile() is not None or "coverage" in sys.modules:
        return "a tracer, profiler or coverage"
    return None


def _threads_waited_for() -> bool:
    """Wait for the threads that are not daemons, as the interpreter's shutdown does
    first (``threading._shutdown``: the threading module's exit hooks, which tell
    idle pool workers to stop, then a join of every such thread); False when
    that cannot be done here and the interpreter's own shutdown must.

    A run interrupted while HTTP workers wait out a rate limit leaves them to
    wind down. The interpreter's shutdown used to do that, and then, after the
    atexit handlers, its signal teardown put back the default action for
    SIGTERM and SIGINT while the modules were torn down: a second signal
    (``timeout``'s to the process group, a CI runner giving up) landing there
    killed the process with -15 instead of exit 2. Waited for here, a signal
    keeps ending the run with exit 2 (guardrails.exits) until ``os._exit``.
    """
    threading = sys.modules.get("threading")  # never imported: no thread of its making
    if threading is None:
        return True
    main = threading.main_thread()
    if not any(t is not main and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return True
    shutdown = getattr(threading, "_shutdown", None)  # every CPython since 3.4
    if shutdown is None or threading.current_thread() is not main:
        return False
    shutdown()
    return True


def _end_now(code: int) -> None:
    """Exit with ``code`` now, as the shutdown would, when nothing wants the shutdown.

    Returns (the interpreter then ends as ever) when :func:`normal_exit_wanted`
    names a reason, or when flushing standard output or error fails (a reader
    gone, a closed stream): the interpreter's own last flush then reports it
    and sets the exit code, as it always did.
    """
    if normal_exit_wanted() is not None:
        return
    if not _flushed() or not _threads_waited_for():
        return
    import atexit

    atexit._run_exitfuncs()  # the handlers' order and error reports, as at shutdown
    if _flushed():  # a handler may have written
        os._exit(int(code))


def _flushed() -> bool:
    """Flush the standard streams (the current and the original ones); False on failure."""
    try:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


def _check(values: dict[str, Any], *, program: bool) -> int:
    """``check`` with the values :func:`guardrails.checkcmd.plain_check` read, as the
    click group runs it (:func:`guardrails.cli.main.main`): SIGTERM as Ctrl-C for the
    time of the run, every exception through ``wrap_session``; the program's own
    run ends with the objects left frozen, as the group's ``console()`` does."""
    from guardrails.checkcmd import run
    from guardrails.exits import sigterm_as_interrupt

    with sigterm_as_interrupt(program=program):
        code = run(**values)  # run's body goes through wrap_session itself
    if program:
        import gc

        gc.freeze()
    return code


def _run(argv: list[str] | None, *, exiting: bool) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    plain = plain_validate(args)
    if plain is None:
        if exiting and argv is None:
            from guardrails import collector

            collector.pause()  # start-up makes objects for good: see guardrails/collector.py
            # Only the program: a library caller's logging is its own (guardrails/deferred.py).
            from guardrails.deferred import defer_logging

            defer_logging()
        from guardrails.checkcmd import plain_check

        values = plain_check(args)
        if values is not None:
            return _check(values, program=exiting and argv is None)
        from guardrails.cli.main import console as group_console
        from guardrails.cli.main import main as group_main

        # the process's own arguments and exit: the group's console() (gc.freeze at exit)
        return group_console() if exiting and argv is None else group_main(argv)
    import gc

    from guardrails.exits import sigterm_as_interrupt

    # The collector paused, as guardrails.yamlio.gc_paused does for parsing: the
    # imports and the files read make objects by the ten thousand and free few,
    # so a collection walks them for nothing (about 4 ms of this command's CPU).
    was_on = gc.isenabled()
    gc.disable()
    try:
        from guardrails.exits import wrap_session
        from guardrails.precommit import validate

        with sigterm_as_interrupt(program=exiting):
            return wrap_session(lambda: validate(plain[0], plain[1], sys.stderr))
    finally:
        if exiting:
            # The interpreter's exit collects garbage over every object left, and
            # finds none worth the walk: frozen, they are skipped (about a tenth
            # of this command's CPU). The process ends here, so nothing else
            # runs with the collector off.
            gc.freeze()
        elif was_on:
            gc.enable()
