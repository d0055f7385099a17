"""``guardrails validate``: a data file's problems, up to :data:`LIMIT`, not the first alone.

DESIGN.md: ``guardrails validate`` reports "all errors, one run". A run of
``check`` stops a data file at its first bad record (the run cannot go on
without it, and the rest is not read); ``validate`` (guardrails.precommit)
sets :func:`collecting`, and the first bad record of a table then sends the
records after it through the same per-record steps (schema, then the
normaliser's timestamps, dates and order), each problem kept with its line,
then the ids of the records that passed are compared (every id given again,
also in a file whose records all pass). Up to :data:`LIMIT`
problems are shown, in the file's order, then one line says how many more.
A file that does not parse (YAML, JSON, CSV syntax) has one problem, where
the reader stopped. Nothing of this runs until a record is bad: a clean file
costs what it did, and this module is not imported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from guardrails.errors import DataFileError, LoadErrors, UsageError

#: problems shown per data file; the rest are counted in one line
LIMIT = 20
_limit: ContextVar[int] = ContextVar("guardrails_data_file_errors", default=0)


@contextlib.contextmanager
def collecting(limit: int = LIMIT) -> Iterator[None]:
    """Within: a bad data file reports up to ``limit`` problems (one otherwise)."""
    token = _limit.set(limit)
    try:
        yield
    finally:
        _limit.reset(token)


def limit() -> int:
    """How many problems a data file reports here (0: the first alone, as ``check``)."""
    return _limit.get()


def every_problem(
    first: DataFileError, at: int, records: list[Any], clean: list[tuple[int, Any]],
    step: Callable[[Any, int], Any], duplicate: Callable[[Any, int, int], DataFileError],
    display: str,
) -> UsageError:
    """The problems of ``records`` from ``first`` (record ``at``) on, as one error.

    ``clean``: (index, id) of the records before ``at``, all of which passed;
    ``step(record, i)`` checks and normalises one record (its id, or None) or
    raises its DataFileError; ``duplicate(id, first index, index)`` is the error
    of a repeated id.
    """
    problems: list[tuple[int, DataFileError]] = [(at, first)]
    clean = list(clean)
    for i in range(at + 1, len(records)):
        try:
            ident = step(records[i], i)
        except DataFileError as exc:
            problems.append((i, exc))
            continue
        if ident is not None:
            clean.append((i, ident))
    seen: dict[Any, int] = {}
    for i, ident in clean:
        if ident in seen:
            problems.append((i, duplicate(ident, seen[ident], i)))
        else:
            seen[ident] = i
    problems.sort(key=lambda p: p[0])  # stable: a record's own problem before its id's
    return bounded([e for _, e in problems], display)


def bounded(problems: list[DataFileError], display: str, total: int | None = None) -> UsageError:
    """``problems`` (in the file's order, at least one) as one error: the first
    :func:`limit` of them, then one line counting the rest (``total`` problems in
    all, when more than those given)."""
    total = len(problems) if total is None else total
    if total == 1:
        return problems[0]
    from guardrails.fmt import plural

    shown: list[UsageError] = list(problems[:limit()])
    more = total - len(shown)
    if more:
        shown.append(DataFileError(
            f"and {plural(more, 'more problem', 'more problems')} in this file "
            f"(the first {len(shown)} are shown)", file=display,
            fix="correct those above and run 'guardrails validate' again"))
    return LoadErrors(shown)
