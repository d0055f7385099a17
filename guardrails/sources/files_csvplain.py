"""The body of a plain CSV file read a block of lines at a time, in C calls.

:func:`guardrails.sources.files_csv.csv_rows` reads a CSV file a row at
a time: ``csv.reader``, then a dict comprehension that strips each cell and
drops the empty ones, then the shared cells interned and the list, integer
and number cells converted, each a Python step a cell. At 100,000
deployments that loop took longer than ``csv.DictReader`` over the same file
(the scale benchmark's parse floor; benchmarks/RESULTS.md, "scale7"). Most
exports are plainer than CSV allows: no quote, no NUL, every line ended by
``\n`` or every one by ``\r\n``, every row as wide as the header. In such a
text the cells of a line are exactly ``line.split(",")`` (without a quote
csv reads nothing else) and each row is one line, so :func:`plain_records`
splits a block of lines, turns the rows into columns (``zip``), strips,
interns and converts a column at a time (``map``), and builds each record
of exactly the non-empty cells, in column order (the records the row loop
builds): a block of many rows with a function generated for its header
(:mod:`guardrails.sources.files_csvbuild`, one dict display a row), a small
one with ``dict(compress(zip(names, values), cells))``.

It declines (None) rather than decides: anything outside that form (a quote
anywhere, a ``\r`` not ending a line or a mix of line endings, NUL, a line
longer than csv's field size limit, a row of another width, a blank line, an
integer or number that does not convert) sends the whole file to the row
loop, which reads it, or words its first error, as before.
tests/unit/test_csv_plain.py holds the two to the same records, types, key
order and lines (or error) on random texts.

It also tells what it saw of each column (:data:`Column`), from which the
schema check answers for the whole table (guardrails.schemabatch.columns_valid).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from typing import Any

from guardrails.sources.files_csvbuild import FULL, WHEN_CELL, WHEN_VALUE, builder

#: characters of lines turned into records at a time (then up to the next line
#: end): bounds the lines, rows and columns a block makes beside the records
BLOCK_CHARS = 1 << 16
#: rows of a block from which its records are built by a generated function
#: (guardrails.sources.files_csvbuild); below, ``dict(compress(...))`` a row
BUILD_AT = 256
#: what str.strip removes besides the line feed (ASCII: str.isspace); a text
#: holding none of them, and only ASCII, has no cell to strip
_ASCII_SPACE = " \t\x0b\x0c\x1c\x1d\x1e\x1f"

Convert = tuple[str, Callable[[str], Any], str]
#: what the reader saw of a column, for a verdict on the whole table
#: (guardrails.schemabatch.columns_valid): the type of every non-empty value (str,
#: list of text, or None: a number column), its distinct non-empty values when kept
#: (the shared columns: few and interned), whether no cell is empty, whether one is not
Column = tuple[type | None, list[Any] | None, bool, bool]


def plain_records(text: str, columns: tuple[str, ...], convert: list[Convert], shared: list[str],
                  ) -> tuple[list[dict[str, Any]], Sequence[int], dict[str, Column] | None] | None:
    """``(records, start lines, columns seen)`` of the rows after the header line of
    ``text``, as the row loop of ``read_csv`` builds them, or None when ``text`` is not
    plain (see the module's docstring). ``convert``, ``shared``: read_csv's.

    The columns seen (:data:`Column` by name; None for a text holding a lone
    surrogate, or a header naming a column twice) let the schema check answer for
    the whole table from a few facts a column (guardrails.schemabatch.columns_valid)
    instead of reading every record: they cost two C passes over each column's
    cells, and a set update for each shared column."""
    import csv

    if '"' in text or "\0" in text:
        return None
    end = "\n"
    if "\r" in text:  # every line ended by \r\n (a spreadsheet's export), or declined
        returns = text.count("\r")
        if returns != text.count("\r\n") or returns != text.count("\n"):
            return None
        end = "\r\n"
    head = text.find(end)
    if head < 0:
        return None
    limit = csv.field_size_limit()
    width = len(columns)
    names = tuple(name for name in columns if name)  # an unnamed column is dropped
    ascii_text = text.isascii()
    strip = not (ascii_text and not any(c in text for c in _ASCII_SPACE))
    converters = {name: conv for name, conv, _ in convert}
    interned = set(shared)
    plain_values = not converters  # the values are the (stripped, interned) cells
    intern = sys.intern
    # per named column: [distinct cells (shared columns) or None, no cell empty, a cell not]
    seen: dict[str, list[Any]] | None = None
    if len(set(names)) == len(names) and (ascii_text or _encodes(text)):
        seen = {name: [set() if name in interned else None, True, False] for name in names}
    records: list[dict[str, Any]] = []
    pos, stop = head + len(end), len(text)
    if text.endswith(end):
        stop -= len(end)  # the last line's ending
    while pos < stop:
        # A block of whole lines (BLOCK_CHARS, then to the next line end): its lines,
        # rows and columns are all this makes beside the records, whatever the file's size.
        cut = text.find(end, pos + BLOCK_CHARS, stop)
        cut = stop if cut < 0 else cut
        lines = text[pos:cut].split(end)
        pos = cut + len(end)
        if max(map(len, lines)) > limit:
            return None  # csv refuses the field: the row loop words it
        rows = list(map(str.split, lines, repeat(",")))
        del lines
        if set(map(len, rows)) != {width}:
            return None  # a blank line, a row too wide or too narrow: the row loop's
        cells: list[Any] = []
        values: list[Any] = []
        # how each named column's cells are kept (files_csvbuild), for a block of rows
        # enough to pay for compiling a record builder (~25 us a column, once a header)
        how: list[int] | None = [] if len(rows) >= BUILD_AT else None
        for name, column in zip(columns, zip(*rows, strict=True), strict=True):
            if not name:
                continue
            col: Any = tuple(map(str.strip, column)) if strip else column
            if name in interned:
                col = tuple(map(intern, col))
            cells.append(col)
            if seen is not None:
                saw = seen[name]
                if saw[0] is not None:
                    saw[0].update(col)
                if saw[1] and not all(col):
                    saw[1] = False
                if not saw[2] and any(col):
                    saw[2] = True
            conv = converters.get(name)
            if conv is not None:
                try:
                    col = [conv(c) if c else c for c in col]
                except ValueError:
                    return None  # the row loop words it, at its line
            values.append(col)
            if how is not None:
                how.append(FULL if all(cells[-1]) else WHEN_VALUE if conv is None else WHEN_CELL)
        del rows
        build = builder(names, tuple(how)) if how is not None else None
        if build is not None and how is not None:
            # the cells of a converted column that may be empty decide its records (0 is
            # a value), after the values: the builder's rows
            tests = [c for c, h in zip(cells, how, strict=True) if h == WHEN_CELL]
            build(zip(*values, *tests, strict=True), records)
        elif plain_values:
            records.extend([dict(compress(zip(names, r, strict=True), r))
                            for r in zip(*cells, strict=True)])
        else:
            records.extend([dict(compress(zip(names, v, strict=True), c))
                            for v, c in zip(zip(*values, strict=True), zip(*cells, strict=True),
                                            strict=True)])
    found = _columns(seen, converters) if seen is not None else None
    if records and all(records):
        return records, range(2, len(records) + 2), found
    # Rows of empty cells are spreadsheet leftovers, not records.
    starts = [n for n, r in enumerate(records, 2) if r]
    return [r for r in records if r], starts, found


def _encodes(text: str) -> bool:
    """Whether ``text`` holds no lone surrogate (a value schemabatch reads as plain)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _columns(seen: dict[str, list[Any]],
             converters: dict[str, Callable[[str], Any]]) -> dict[str, Column]:
    """The :data:`Column` of each named column from what the blocks saw."""
    out: dict[str, Column] = {}
    for name, (distinct, full, some) in seen.items():
        conv = converters.get(name)
        values = None
        if distinct is not None:
            distinct.discard("")
            # each cell converted once already, in its block: no error here
            values = list(distinct) if conv is None else [conv(c) for c in distinct]
        out[name] = (str if conv is None else list if conv is str.split else None,
                     values, full, some)
    return out
