"""Turning ``--format``/``--output`` pairs into open reporter objects."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from guardrails.errors import UsageError
from guardrails.plugin import Reporter

if TYPE_CHECKING:
    from guardrails.session import Session


def reporter_types(session: Session) -> dict[str, type[Reporter]]:
    assert session.pm is not None
    out: dict[str, type[Reporter]] = {}
    for group in session.pm.hook.guardrails_report_formats():
        for cls in group or ():
            out[cls.name] = cls
    return out


@contextlib.contextmanager
def open_reporters(session: Session, pairs: list[tuple[str, str | None]]
                   ) -> Iterator[list[Reporter]]:
    from guardrails.session import report_options

    types = reporter_types(session)
    to_stdout = [f for f, o in pairs if o is None]
    if len(to_stdout) > 1:
        raise UsageError(
            f"formats {', '.join(to_stdout)} would all write to standard output",
            fix="give all but one of them an --output FILE",
        )
    for fmt, _ in pairs:
        if fmt not in types:
            raise UsageError(f"unknown format {fmt!r}",
                             fix=f"known formats: {', '.join(sorted(types))}")
    options = report_options(session.options)
    created: list[Path] = []
    with contextlib.ExitStack() as stack:
        reporters: list[Reporter] = []
        for fmt, output in pairs:
            cls = types[fmt]
            if output is None:
                stream = sys.stdout
                opts = options
            else:
                path = Path(output)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    if not path.exists():
                        created.append(path)
                    stream = stack.enter_context(path.open("w", encoding="utf-8", newline="\n"))
                except OSError as exc:
                    raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None
                # Files never get colour codes.
                opts = type(options)(**{**options.__dict__, "color": False})
            reporters.append(cls(stream, opts))
        try:
            yield reporters
        except BaseException:
            # An interrupted or crashed run leaves no half-written report behind.
            stack.close()
            for path in created:
                path.unlink(missing_ok=True)
            raise
