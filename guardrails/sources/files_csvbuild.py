"""Generated record builders for the plain CSV reader: one dict display a row.

:func:`guardrails.sources.files_csvplain.plain_records` turns a block of
rows into records, each the row's non-empty cells under their column names,
in column order. ``dict(compress(zip(names, row), row))`` does that with a
zip, a compress and a dict() call a row, each pair a tuple: ~2.5 us a row of
8 columns. A function made for the header does it in one dict display a row
(the columns that are never empty in the block), then one test and store for
each column that may be empty: ~1.2 us (100,000 deployments: ~250 against
~120 ms in the same process; benchmarks/RESULTS.md, "s28-loading").

The generated text holds placeholder names only (``_v3``, ``_k3``, ``_c3``)
and indexes into the tuple of column names, never a name from the file: the
names are the function's default values, bound by :func:`exec` from that
tuple, so a header holding quotes, line breaks, braces or ``__import__``
cannot become code. A function is compiled once for each distinct header and
pattern of columns that may be empty, for up to :data:`MAX_BUILDERS` of them
a process; past that, and for headers wider than :data:`MAX_WIDTH` (compiling
costs ~25 us a column: ~0.5 s for 10,000), :func:`builder` answers None and
the caller builds its records with ``compress`` as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: the distinct (header, pattern) functions kept a process; then None
MAX_BUILDERS = 256
#: columns of the widest header a function is made for
MAX_WIDTH = 256

#: how a column's cell is kept: always (never empty in the block), when its value
#: is not empty (the value is the cell), or when its cell (an extra item of the
#: row, after the values) is not empty (a converted value: 0 is a value)
FULL, WHEN_VALUE, WHEN_CELL = 0, 1, 2

Builder = Callable[[Iterable[tuple[Any, ...]], list[dict[str, Any]]], None]
_BUILDERS: dict[tuple[tuple[str, ...], tuple[int, ...]], Builder] = {}


def builder(names: tuple[str, ...], how: tuple[int, ...]) -> Builder | None:
    """The function appending to a list the record of each row of values (one a name
    in ``names``, then the cell of each ``WHEN_CELL`` column, in column order), or
    None (see the module's docstring). ``how``: FULL, WHEN_VALUE or WHEN_CELL a name."""
    key = (names, how)
    made = _BUILDERS.get(key)
    if made is not None or not names or len(names) > MAX_WIDTH:
        return made
    if len(_BUILDERS) >= MAX_BUILDERS:
        return None
    namespace: dict[str, Any] = {"_K": names}
    exec(compile(_source(how), "<csv record builder>", "exec"), namespace)  # noqa: S102 - placeholders only
    made = _BUILDERS[key] = namespace["_records"]
    return made


def _source(how: tuple[int, ...]) -> str:
    """The text of ``_records`` for a header of ``len(how)`` names: placeholders only."""
    n = len(how)
    keys = ", ".join(f"_k{i}=_K[{i}]" for i in range(n))
    cells = [f"_c{i}" for i in range(n) if how[i] == WHEN_CELL]
    target = ", ".join([f"_v{i}" for i in range(n)] + cells) + ","
    full = 0  # the columns before the first that may be empty: one display
    while full < n and how[full] == FULL:
        full += 1
    lines = [
        f"def _records(_rows, _out, {keys}):",
        " _append = _out.append",
        f" for {target} in _rows:",
        "  _r = {" + ", ".join(f"_k{i}: _v{i}" for i in range(full)) + "}",
    ]
    for i in range(full, n):
        if how[i] == FULL:
            lines.append(f"  _r[_k{i}] = _v{i}")
        else:
            lines.append(f"  if {'_c' if how[i] == WHEN_CELL else '_v'}{i}:")
            lines.append(f"   _r[_k{i}] = _v{i}")
    lines.append("  _append(_r)")
    return "\n".join(lines) + "\n"
