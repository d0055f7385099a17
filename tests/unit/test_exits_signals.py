"""guardrails.exits.sigterm_as_interrupt: the first SIGTERM/SIGINT of a run raises
KeyboardInterrupt once, later ones are ignored while it unwinds; after the block a
library caller gets its handlers back and the program ends on a signal with exit 2.

Real signals sent to a child interpreter (only the main thread may take them).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, check=False,  # a hang guard only
                          cwd=tempfile.gettempdir())  # the installed package, not ./guardrails


def test_the_first_signal_interrupts_and_later_ones_are_ignored_while_it_unwinds() -> None:
    proc = _run("""
        import os, signal, time
        from guardrails.exits import sigterm_as_interrupt
        before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
        with sigterm_as_interrupt():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            except KeyboardInterrupt as exc:
                print("first:", exc)
                # the clean-up of the first one: more signals must not raise
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                print("unwound")
        after = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
        print("restored:", after == before)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["first: signal 15", "unwound", "restored: True"]
    assert "Traceback" not in proc.stderr


def test_a_signal_after_the_programs_block_ends_it_with_exit_2_not_a_traceback() -> None:
    # The window after the run's block: flushes, atexit handlers (the caches'
    # writes), the interpreter joining threads. SIGINT used to raise in an atexit
    # handler ("Exception ignored ... Traceback"), SIGTERM to kill with -15.
    for name in ("SIGINT", "SIGTERM"):
        proc = _run(f"""
            import atexit, os, signal, time
            from guardrails.exits import sigterm_as_interrupt
            def late():
                os.kill(os.getpid(), signal.{name})
                time.sleep(5)
                print("not reached")
            atexit.register(late)
            with sigterm_as_interrupt(program=True):
                print("ran")
        """)
        assert proc.returncode == 2, (name, proc.stderr)
        assert proc.stdout == "ran\n"
        assert proc.stderr.count("interrupted") == 1 and "Traceback" not in proc.stderr


def test_a_hosts_own_sigint_handler_is_left_alone() -> None:
    proc = _run("""
        import os, signal, time
        from guardrails.exits import sigterm_as_interrupt
        def mine(signum, frame):
            print("host handler")
        signal.signal(signal.SIGINT, mine)
        with sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        print(signal.getsignal(signal.SIGINT) is mine)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "host handler\nTrue\n"
