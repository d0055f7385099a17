"""A JSON file another job wrote, read as hostile input: a saved report, a baseline.

``guardrails report FILE`` and ``check --baseline FILE`` read artefacts that came
from elsewhere (a CI job's upload, a colleague's branch), so the file is opened
without blocking and checked on its descriptor (a FIFO would wait for a writer
forever), bounded in size, and
refused whole when ``json`` cannot decode it: NaN and Infinity (not JSON), integers
of thousands of digits, nesting deeper than the recursion limit. Every refusal is
a :class:`~guardrails.errors.UsageError` naming the file and the fix (exit 4).
``guardrails merge`` reads many reports and says which one it skipped instead
(:mod:`guardrails.mergeread`).
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
from pathlib import Path
from typing import Any

from guardrails.errors import UsageError

__all__ = ["STDIN", "decode_json", "finite_number", "read_json", "read_json_stdin",
           "refuse_constant"]

#: how errors name standard input (``--baseline -``)
STDIN = "<stdin>"


def finite_number(value: Any) -> bool:
    """Whether a decoded JSON value is a number ``float()`` makes finite: ``json`` decodes
    an integer of up to 4,300 digits, and ``math.isfinite`` or ``float`` of one past
    1.8e308 raises OverflowError (a history line, a baseline or a report holding one
    ended the run with a traceback). A bool is no number."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    return kind is int and -sys.float_info.max <= value <= sys.float_info.max


def refuse_constant(name: str) -> Any:
    """``json.loads``'s ``parse_constant``: NaN and Infinity are not JSON numbers."""
    raise ValueError(f"{name} is not a JSON number")


def read_json(path: str | Path, *, noun: str, limit: int, fix: str, too_deep: str) -> Any:
    """The decoded JSON of ``path``, which the messages call ``noun`` (``report``).

    ``limit``: the most bytes it may have; ``too_deep``: what a file nested past
    the recursion limit cannot be (``a guardrails report``).
    """
    shown = str(path)
    try:
        # opened without blocking and checked on the descriptor: a FIFO (which would
        # wait for a writer) cannot be swapped in between the check and the read
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                from guardrails.paths import kind_of

                raise UsageError(f"cannot read {noun}: it is {kind_of(st.st_mode)}, not a "
                                 "regular file", file=shown, fix=fix)
            if st.st_size > limit:
                raise UsageError(f"cannot read {noun}: {st.st_size} bytes, over the "
                                 f"{limit // 2**20} MiB limit for one {noun}", file=shown,
                                 fix=fix)
            with os.fdopen(os.dup(fd), "rb") as stream:
                raw = stream.read(limit + 1)
        finally:
            os.close(fd)
    except FileNotFoundError:
        what = (f"{noun} is a symbolic link to nothing" if Path(path).is_symlink()
                else f"{noun} not found")
        raise UsageError(what, file=shown, fix=fix) from None
    except OSError as exc:
        raise UsageError(f"cannot read {noun}: {exc.strerror or exc}", file=shown,
                         fix=fix) from None
    return decode_json(raw, shown=shown, noun=noun, limit=limit, fix=fix, too_deep=too_deep)


def read_json_stdin(*, option: str, noun: str, limit: int, fix: str, too_deep: str) -> Any:
    """The decoded JSON of standard input (``option -``), named :data:`STDIN` in errors.

    A terminal is refused (the run would wait for typing that never comes, or
    for Ctrl-D), and at most ``limit + 1`` bytes are read, so an endless
    producer (``yes |``) is refused past the limit instead of filling memory.
    """
    stream = sys.stdin
    if stream is None or getattr(stream, "closed", False):
        raise UsageError(f"standard input is closed, so {option} - has nothing to read",
                         file=STDIN, fix=fix)
    try:
        tty = stream.isatty()
    except (OSError, ValueError):
        tty = False
    if tty:
        raise UsageError(f"{option} - reads the {noun} from standard input, which is a "
                         "terminal here", file=STDIN,
                         fix=f"pipe or redirect the file in ('{option} - < FILE'), or name "
                         f"it: '{option} FILE'")
    try:
        raw = getattr(stream, "buffer", stream).read(limit + 1)
    except (OSError, ValueError) as exc:  # a host that holds stdin (pytest's capture)
        raise UsageError(f"cannot read {noun} from standard input: {exc}", file=STDIN,
                         fix=fix) from None
    if isinstance(raw, str):  # a text stream without a buffer
        raw = raw.encode("utf-8", "surrogateescape")
    return decode_json(raw, shown=STDIN, noun=noun, limit=limit, fix=fix, too_deep=too_deep)


def decode_json(raw: bytes, *, shown: str, noun: str, limit: int, fix: str,
                too_deep: str) -> Any:
    """``raw`` (at most ``limit`` bytes, else refused) decoded as strict JSON."""
    if len(raw) > limit:
        raise UsageError(f"cannot read {noun}: over the {limit // 2**20} MiB limit for "
                         f"one {noun}", file=shown, fix=fix)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{noun} is not UTF-8 text (byte offset {exc.start})", file=shown,
                         fix=fix) from None
    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{noun} is not valid JSON: {exc.msg}", file=shown, line=exc.lineno,
                         column=exc.colno, fix=fix) from None
    except RecursionError:
        raise UsageError(f"{noun} is nested too deep to be {too_deep}", file=shown,
                         fix=fix) from None
    except ValueError as exc:  # NaN/Infinity, integers of thousands of digits
        raise UsageError(f"{noun} is not valid JSON ({exc})", file=shown, fix=fix) from None
