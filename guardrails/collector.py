"""The garbage collector held off while the ``guardrails`` program starts.

Starting ``check`` makes tens of thousands of objects that live until the
process ends (modules, classes, functions, the config, the rules) and frees
few. CPython's collector walks the young objects after every 700 allocations,
and the middle generation every tenth walk: ~6-7 ms of the example org's
``check`` (benchmarks/RESULTS.md, "start-up, boot3"), finding nothing to free.

So the program, and only the program (:func:`guardrails.entry.console`; never
a library caller, pytest or :mod:`guardrails.testing`), pauses the collector
as it starts, and takes it back up where the work that makes and drops data
begins: once a session's rules are collected (:meth:`~guardrails.session.Session.run`,
which then pauses it again while facts are gathered and read, as it always
did), or, for any command but ``check``, as soon as the command is known. On
resume, what start-up made goes to the oldest generation unwalked, so only a
full collection ever looks at it again.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop automatic collections until :func:`resume` (a no-op when already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what start-up made and collect again, if :func:`pause` stopped it."""
    if take_pause():
        enable_unwalked()


def take_pause() -> bool:
    """End :func:`pause`'s hold without turning the collector on: whether it held
    (the caller then owns turning it on, with :func:`enable_unwalked`)."""
    global _paused
    held, _paused = _paused, False
    return held


def enable_unwalked() -> None:
    """Turn the collector on, what was made while it was off left unwalked.

    Everything made meanwhile sits in the youngest generation, so the first
    young collection after :func:`gc.enable` would walk all of it (start-up's
    objects; every fact of a run: 2-3 ms over 7,000 commits, far more at a
    million facts) to free next to nothing. ``freeze`` then ``unfreeze`` moves
    every tracked object to the oldest generation without walking it: later
    full collections still find any garbage there. Skipped when the process
    froze objects of its own (``unfreeze`` would release them too).
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
    gc.enable()


def paused() -> bool:
    """Whether :func:`pause` holds the collector off now."""
    return _paused
