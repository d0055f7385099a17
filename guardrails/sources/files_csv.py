"""Reading CSV org data files: a header line, one record a row, cells as text.

Split from :mod:`guardrails.sources.files_formats`, whose ``read_csv`` makes
a :class:`~guardrails.sources.files_table.Table` of what :func:`csv_rows`
reads: what a spreadsheet writes and what it must not be taken for. Empty
cells are absent fields; number columns hold plain ASCII numbers only; a row
of the wrong width is an error naming its line; a plain text (no quoted line
breaks) is read a block of lines at a time in C calls
(:mod:`guardrails.sources.files_csvplain`).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from guardrails import yamlio
from guardrails.errors import DataFileError
from guardrails.sources.files_table import Layout
from guardrails.textsafe import excerpt, quoted

if TYPE_CHECKING:
    import csv



# int() and float() read more than a spreadsheet writes: '1_000' (1000), digits
# of any script ('٣', full-width '５'), NaN and infinity. A cell a person or a
# mistaken export wrote so is refused rather than read as a number nobody
# meant. Cells are stripped before (as every cell is), so a plain ASCII cell
# without '_' holds exactly the sign, digits, point and exponent int() and
# float() read. Two C calls a cell: the plain reader converts 100,000s of them.


def _to_int(cell: str) -> int:
    if len(cell) > yamlio.MAX_INT_DIGITS or not cell.isascii() or "_" in cell:
        raise ValueError(cell)
    return int(cell)


def _to_number(cell: str) -> int | float:
    if len(cell) > yamlio.MAX_INT_DIGITS or not cell.isascii() or "_" in cell:
        raise ValueError(cell)
    try:
        return int(cell)
    except ValueError:
        value = float(cell)
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def _number_error(name: str, index: int, cell: str, expected: str, display: str,
                  line: int) -> DataFileError:
    """Why ``cell`` of column ``name`` (the ``index``-th, from 1) is not ``expected``."""
    what = f"column {quoted(name, 40)} (cell {index}): {quoted(cell, 40)} is not {expected}"
    example = "3.5" if expected == "a number" else "1000"
    if len(cell) > yamlio.MAX_INT_DIGITS:
        what += f" of at most {yamlio.MAX_INT_DIGITS} characters"
    elif not cell.isascii():
        what += (" (it holds a character outside ASCII: digits of another script, "
                 "full-width digits or a look-alike sign)")
    elif "_" in cell:
        what += " ('_' is not a digit separator in a data file)"
    return DataFileError(
        what, file=display, line=line,
        fix=f"write {expected} in plain ASCII digits, without '_' or other separators "
        f"(e.g. {example}), or leave the cell empty",
    )


def csv_rows(text: str, display: str, layout: Layout) -> tuple[
        list[dict[str, Any]], tuple[str, ...], Sequence[int], dict[str, Any] | None]:
    """A CSV file with a header line: its records (empty cells are absent fields), its
    columns, the line each record starts on, and what the plain reader saw of each
    column (files_csvplain.Column; None when the row loop read it)."""
    import csv  # here: a warm run reads its tables from the org data cache

    if "\0" in text:  # one scan of the text in C, not a test a cell
        from guardrails.sources.files_nul import refuse_nul

        refuse_nul(text, display)
    reader = csv.reader(_csv_lines(text), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise _csv_error(exc, text, display, 1) from None
    columns = tuple(h.strip() for h in header)
    _check_header(columns, display, layout)
    convert: list[tuple[str, Callable[[str], Any], str]] = []
    for name in columns:
        if name in layout.lists:
            convert.append((name, str.split, ""))
        elif name in layout.integers:
            convert.append((name, _to_int, "an integer"))
        elif name in layout.numbers:
            convert.append((name, _to_number, "a number"))
    width = len(columns)
    unnamed = "" in columns
    # Shared cells interned: 100,000 deployments name 200 services and a few
    # statuses; one object for each value saves ~50 bytes a cell (~20 MiB).
    shared = [name for name in columns if name in layout.shared and name not in layout.lists]
    if reader.line_num == 1:  # a plain text's rows in C calls a block at a time
        from guardrails.sources.files_csvplain import plain_records

        plain = plain_records(text, columns, convert, shared)
        if plain is not None:
            return plain[0], columns, plain[1], plain[2]
    intern = sys.intern
    strip = str.strip
    records: list[dict[str, Any]] = []
    starts: list[int] = []
    last = reader.line_num
    try:
        for row in reader:
            start, last = last + 1, reader.line_num
            if len(row) != width and (len(row) < width and any(map(strip, row))
                                      or any(map(strip, row[width:]))):
                # A short row is a misaligned file (a lost comma: its cells would sit
                # under the wrong columns without a word) or a spreadsheet that left
                # off trailing empty cells; the two cannot be told apart, so it is an
                # error with the fix. A value past the header's last column has no
                # column and would be lost. Empty cells past it (trailing commas), a
                # blank line and a line of spaces hold nothing and are skipped.
                raise _width_error(len(row), width, display, start)
            record = {n: v for n, v in zip(columns, map(strip, row), strict=False) if v}
            if unnamed:
                record.pop("", None)
            for name in shared:
                if name in record:
                    record[name] = intern(record[name])
            for name, conv, expected in convert:
                if name in record:
                    try:
                        record[name] = conv(record[name])
                    except ValueError:
                        raise _number_error(name, columns.index(name) + 1, record[name],
                                            expected, display, start) from None
            if record:  # rows of empty cells are spreadsheet leftovers, not records
                records.append(record)
                starts.append(start)
    except csv.Error as exc:
        raise _csv_error(exc, text, display, last + 1) from None
    return records, columns, starts, None


def _width_error(cells: int, width: int, display: str, line: int) -> DataFileError:
    if cells > width:
        return DataFileError(
            f"the row has {cells} cells but the header (line 1) names {width} columns, "
            "and a cell past the last column holds a value",
            file=display, line=line,
            fix="quote cells that contain commas, or add the missing column names",
        )
    return DataFileError(
        f"the row has {cells} cells but the header (line 1) names {width} columns: "
        "its cells may sit under the wrong columns",
        file=display, line=line,
        fix=f"write all {width} cells, an empty cell (,,) for a field that is absent "
        "(a spreadsheet that leaves off a row's trailing empty cells: add the commas); "
        "quote a cell that holds a line break",
    )


#: a CSV line with its ending (\n, \r\n or \r): compiled for the first text with a \r
_CSV_LINE = r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+"


def _csv_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as ``io.StringIO(text, newline="")`` yields them, one at a time.

    StringIO copies its text at four bytes a character (27 MiB for a 7 MiB
    deployments.csv, 275 MiB at a million rows), alive while the file is read.
    A line ends after \\n, \\r\\n or \\r, its ending kept (csv reads quoted
    line breaks from it); the reader's line_num counts these lines.
    """
    if "\r" in text:
        for m in re.finditer(_CSV_LINE, text):
            yield m.group()
        return
    # A block of whole lines at a time, split in C: str.splitlines also ends a line
    # at \v, \f, \x1c-\x1e, \x85, \u2028 and \u2029, which csv does not, so a block
    # holding one (more lines than line feeds) is split at each \n in Python instead.
    # One generator step a line was ~0.3 us of a 100,000-row file's ~0.5 s.
    find, pos, end = text.find, 0, len(text)
    while pos < end:
        stop = find("\n", pos + _CSV_BLOCK) + 1 or end
        block = text[pos:stop]
        lines = block.splitlines(True)
        if len(lines) == block.count("\n") + (block[-1] != "\n"):
            yield from lines
        else:
            at = pos
            while at < stop:
                nl = find("\n", at, stop) + 1 or stop
                yield text[at:nl]
                at = nl
        pos = stop


#: characters of CSV text split into lines at a time (then up to the next line feed)
_CSV_BLOCK = 1 << 16


def _check_header(columns: tuple[str, ...], display: str, layout: Layout) -> None:
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise DataFileError(
                f"the header names column {quoted(name, 40)} twice", file=display, line=1,
                fix="rename or remove one of them",
            )
        seen.add(name)
    missing = [r for r in layout.required if r not in seen]
    if missing:
        from guardrails.sources.files_fields import close_field, normalised

        hints = [f"{quoted(c, 40)} to {quoted(m)}" for m in missing
                 if (c := next((c for c in columns if c and (
                     normalised(c) == m or close_field(normalised(c), (m,)))), None))]
        raise DataFileError(
            f"the header lacks the required column(s) {', '.join(map(repr, missing))} "
            f"(it has {excerpt(', '.join(repr(c) for c in columns if c), 120) or 'none'})",
            file=display, line=1,
            fix=(f"rename {', '.join(hints)} (a misspelling?), or " if hints else "")
            + f"add the column(s) to line 1; every {layout.what} needs them",
        )


def _csv_error(exc: csv.Error, text: str, display: str, start: int) -> DataFileError:
    opening = _unterminated_quote(text, start)
    if opening is not None:
        return DataFileError(
            "a quoted cell opened here is never closed", file=display, line=opening,
            fix='add the closing " (write "" for a quote inside a quoted cell)',
        )
    return DataFileError(
        f"invalid CSV: {exc}", file=display, line=start,
        fix='a quoted cell must be quoted as a whole; write "" for a quote inside it',
    )


def _unterminated_quote(text: str, start: int) -> int | None:
    """The line of a quote opened at or after line ``start`` that never closes."""
    pos = 0
    for _ in range(start - 1):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return None
    line = start
    at_field_start = True
    in_quote = False
    opened = 0
    n = len(text)
    while pos < n:
        ch = text[pos]
        if in_quote:
            if ch == '"':
                if pos + 1 < n and text[pos + 1] == '"':
                    pos += 1
                else:
                    in_quote = False
        elif ch == '"' and at_field_start:
            in_quote, opened = True, line
        if ch == "\n":
            line += 1
        at_field_start = not in_quote and ch in ",\n"
        pos += 1
    return opened if in_quote else None
