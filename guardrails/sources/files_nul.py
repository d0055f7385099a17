"""NUL characters in org data files: refused with the file and line.

No export writes a NUL: one in a CSV file is a UTF-16 file read as UTF-8 (a
NUL after every ASCII letter) or binary damage, one escaped in JSON or YAML
text (``"a\\u0000pi"``) is not the id or name it prints as. The config refuses
them too (guardrails/config.py). Imported only when a file's text holds a NUL or
may spell an escaped one (:mod:`guardrails.sources.files_formats` tests that
with a substring search), so a clean file costs nothing here.
"""

from __future__ import annotations

from typing import Any, Protocol

from guardrails.errors import DataFileError
from guardrails.textsafe import quoted
from guardrails.yamlio import PathKey


class Records(Protocol):
    """What is read of a :class:`guardrails.sources.files_formats.Table` (which
    imports this module: a Protocol, not that class, keeps the two apart)."""

    records: list[Any]

    def line(self, index: int, path: PathKey = ()) -> int | None: ...


def refuse_nul(text: str, display: str) -> None:
    """A NUL character is no text an export writes: a UTF-16 file read as UTF-8 (a NUL
    after every ASCII letter) or binary damage. Refused, never read into a cell (or a
    postmortem's text)."""
    before = text[:text.index("\0")]
    # lines end as the CSV reader ends them: \n, \r\n or \r
    line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    raise DataFileError(
        "the file holds a NUL character (\\0)"
        + (", as a UTF-16 file does" if text.count("\0", 0, 200) > 20 else ""),
        file=display, line=line,
        fix="save the file as UTF-8 text, and remove the NUL characters",
    )


def refuse_escaped_nul(table: Records, display: str) -> None:
    """No key or text of a record holds a NUL (as the config's own check, config.py):
    ``"a\\u0000pi"`` is not the service ``api``, yet reads as it on a terminal.

    Called when the text may spell one (:func:`~guardrails.sources.files_formats.spells_nul`).
    """
    for index, rec in enumerate(table.records):
        path = _nul_path(rec)
        if path is None:
            continue
        shown = ".".join(str(p).replace("\0", "\\0") for p in path)
        raise DataFileError(
            (f"field {quoted(shown, 60)}" if path else "the record")
            + " holds a NUL character (an escaped \\0 or \\u0000)",
            file=display, line=table.line(index, path),
            fix="remove the escape: no id, name or text holds a NUL",
        )


def _nul_path(record: Any) -> PathKey | None:
    """The path of the first key or text holding a NUL in ``record``, else None
    (its nesting is bounded by the parsers: 100 levels)."""
    stack: list[tuple[Any, PathKey]] = [(record, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\0" in value:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and "\0" in key:
                    return (*path, key)
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
    return None
