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
import os
import stat
from pathlib import Path
from typing import Any

from guardrails.errors import UsageError

__all__ = ["read_json", "refuse_constant"]


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
        if len(raw) > limit:
            raise UsageError(f"cannot read {noun}: over the {limit // 2**20} MiB limit for "
                             f"one {noun}", file=shown, fix=fix)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        what = (f"{noun} is a symbolic link to nothing" if Path(path).is_symlink()
                else f"{noun} not found")
        raise UsageError(what, file=shown, fix=fix) from None
    except OSError as exc:
        raise UsageError(f"cannot read {noun}: {exc.strerror or exc}", file=shown,
                         fix=fix) from None
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
