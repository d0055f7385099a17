"""Reading and validating one table of the org data folder (``files`` source).

A tabular file (``deployments.csv``, ``teams.yaml``...) or ``reviews.csv`` is
parsed (or taken from the fact cache when a run with this code found these
very bytes valid), its records checked against their kind's schema, nulls
dropped, ids compared, times parsed, all in place: the table's list is the
facts list. Errors name the file, line and field at fault. A postmortem's
front matter is one record checked by :func:`valid_record`. Which files the
folder holds, and whether they are safe to read, is
:mod:`guardrails.sources.files_folder`'s; keeping the results and answering
the Source interface is :class:`guardrails.sources.files.FilesSource`'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import tzinfo
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails import validation, yamlio
from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import DataFileError, LoadErrors, UsageError
from guardrails.sources.files_cache import FactCache, Stored
from guardrails.sources.files_formats import (
    Layout,
    RecordCheck,
    Table,
    always_valid,
    file_known_valid,
    read_jsonl_file,
    read_table,
    record_check,
    remember_file,
)
from guardrails.sources.files_normalise import NESTED, normaliser, set_timestamps
from guardrails.textsafe import excerpt, quoted

if TYPE_CHECKING:
    from guardrails.safeopen import SafeOpener

#: records of a file from which they are first checked in one engine call
#: (fastvalid.every_item); below, the second engine's build costs more than it saves
BATCH_AT = 1_000
REVIEW_LINKS = ("pull_request", "change")


def layout_of(kind: str, keys: tuple[str, ...]) -> Layout:
    """How :func:`read_table` reads a file of ``kind`` (its document ``keys``)."""
    k = KINDS[kind]
    # CSV cells of every schema property but the id, times, numbers and lists are
    # interned: most repeat (a status, a service, a team); one that does not (a
    # title, a sha) costs a lookup and saves nothing.
    unique = {k.id_field, *k.timestamps, *k.dates, *k.lists, *k.integers, *k.numbers}
    check = record_check(kind)
    columns = set(check.schema.get("properties", {})) - unique
    return Layout(
        what=k.singular, keys=keys, lists=frozenset(k.lists), integers=frozenset(k.integers),
        numbers=frozenset(k.numbers), required=check.required, shared=frozenset(columns),
    )


def parse_table(name: str, path: Path, display: str, layout: Callable[[], Layout],
                cache: FactCache | None, opener: SafeOpener | None = None,
                ) -> tuple[Table, str | bytes | None, Stored | None]:
    """The table of a tabular file: ``(table, text, pending)``.

    From the cache (``text`` None) when a run with this code found these very
    bytes valid: no parser, no schema engine. Else parsed from ``text`` (a JSON
    Lines file's bytes when they are ASCII: read_jsonl_file);
    ``pending`` is then what to hand :meth:`FactCache.store` once every record
    passed (taken now, before the records are changed in place). ``opener``:
    what opens the file checked (guardrails.safeopen).
    """
    raw = yamlio.read_bytes(path, display, opener)
    suffix = path.suffix.lower()
    pending = None
    if cache is not None:
        table, pending = cache.table(name, suffix, raw, display)
        if table is not None:
            return table, None, None
    text: str | bytes
    if suffix == ".jsonl":  # jiter reads the bytes (the text only when not ASCII)
        table, text = read_jsonl_file(raw, display, layout())
    else:
        text = yamlio.decode_text(raw, display)
        del raw  # a big file's bytes are not kept beside its text
        table = read_table(text, display, suffix, layout())
    if pending is not None and cache is not None:
        pending = cache.snapshot(pending, table)
    return table, text, pending


def checked_records(kind: str, table: Table, text: str | bytes | None, suffix: str,
                    timezone: tzinfo | None) -> list[dict[str, Any]]:
    """Validate (unless known valid) and normalise ``table``'s records in place;
    ``text`` None: the records came from the cache, found valid to the byte."""
    # No schema at all for records from the cache (loading it is ~0.1 ms a kind).
    check = record_check(kind) if text is not None else NO_CHECK
    # A file this code found valid before, to the byte, needs no schema engine.
    known = text is None or file_known_valid(check, suffix, text)
    fast = always_valid if known else check.fast
    normalise = normaliser(kind, timezone)
    # Nulls are dropped before validation (null means absent); a table
    # that cannot hold one (CSV, JSON Lines without the word) is not searched.
    nested = NESTED.get(kind, ("",))[0] if table.nulls else ""
    nulls = table.nulls
    records = table.records
    if not known and records:
        # One verdict for the whole list (the nulls dropped first): a small
        # table's columns at a time (schemabatch), a big one's in one engine
        # call; a no sends every record through the loop's own check, so the
        # first bad record and its words are the same.
        if nulls:
            for record in records:
                if type(record) is dict and (nested or None in record.values()):
                    drop_nulls(record, nested)
            nulls = False
        # A plain CSV table first by what its reader saw of each column (a few
        # facts a column, no record read: ~90 ms less at 100,000 deployments and CI
        # runs than the engine's call, benchmarks/RESULTS.md "s24-cold100k").
        if (table.cells is not None and check.every_column(table.cells)) or (
                check.every(records) if len(records) >= BATCH_AT
                else check.every_small(records)):
            fast = always_valid
    i, bad = 0, None
    # A parsed file's ids are taken as each record is normalised (a required field of
    # every kind read here, text once normalised), while the record is at hand: a
    # second pass over 100,000 records for them cost ~15-30 ms a kind.
    id_field = KINDS[kind].id_field if text is not None else None
    ids: list[Any] = []
    take = ids.append
    try:
        # Records are validated and normalised in place: the table's list
        # is the facts list, no copy of any record.
        if fast is always_valid and not nulls:
            # Known valid, no null to drop (the cache's records, a file seen
            # before): normalising is all there is (~25 ms less a 320,000-record org).
            if id_field is None:
                for i, record in enumerate(records):
                    normalise(record, table, i)
            else:
                for i, record in enumerate(records):
                    normalise(record, table, i)
                    take(record[id_field])
        else:
            for i, record in enumerate(records):
                if nulls and type(record) is dict and (nested or None in record.values()):
                    drop_nulls(record, nested)
                if not fast(record):
                    raise_schema_error(check, record, table, i)
                normalise(record, table, i)
                if id_field is not None:
                    take(record[id_field])
    except DataFileError as exc:
        bad = exc
        from guardrails.sources import files_allerrors

        if files_allerrors.limit() > 1:  # guardrails validate: the rest of the file too
            raise _every_problem(kind, table, check, fast, normalise, exc, i,
                                 ids if id_field is not None else None) from None
    # Ids are compared once all are text; a duplicate before a bad record
    # is still the first problem reported, as a reader going down the file sees it.
    # Records from the cache come from a load of these very bytes that passed
    # this check (an entry is kept only when every record passed: kept_if_clean),
    # and ids normalise alike under any time zone: not compared again (~15 ms a
    # 100,000-record kind, ~0.76 s a warm run at a million facts).
    if text is not None:
        check_ids(kind, table, len(ids), ids if id_field is not None else None)
    elif bad is not None:
        check_ids(kind, table, i)
    if bad is not None:
        raise bad
    if text is not None and not known:
        remember_file(check, suffix, text)
    return records


def valid_record(
    record: Any, check: RecordCheck, kind: str, table: Table, i: int, timezone: tzinfo | None,
    *, known: bool = False,
) -> dict[str, Any]:
    """Validate one record and return it normalised (in place); ``known``: its
    file was found valid before, to the byte (no schema engine needed)."""
    if type(record) is dict:
        drop_nulls(record, NESTED.get(kind, ("",))[0])
    if not known and not check.fast(record):
        raise_schema_error(check, record, table, i)
    normaliser(kind, timezone)(record, table, i)
    return record  # type: ignore[no-any-return]


def review_rows(table: Table, timezone: tzinfo | None, *,
                known: bool) -> list[tuple[str, int, dict[str, Any]]]:
    """(change id, line, review) of every row of a parsed reviews file (``reviews.csv``,
    or JSON Lines, JSON, YAML records); ``known``: its bytes were found valid before
    (no schema check)."""
    check = NO_CHECK if known else record_check("changes", "review")
    csv = bool(table.columns)
    link = next((c for c in REVIEW_LINKS if c in table.columns), None)
    if csv and link is None:
        raise DataFileError(
            "the header names no column 'pull_request' saying which change a review is of",
            file=table.display, line=1,
            fix="add a 'pull_request' (or 'change') column holding the change id",
        )
    out = []
    for i, record in enumerate(table.records):
        if type(record) is not dict:  # a document's item that is no mapping
            raise_schema_error(record_check("changes", "review"), record, table, i)
            continue
        if not csv:  # each record says which of the two it uses; null means absent
            if table.nulls:
                drop_nulls(record, "")
            link = next((c for c in REVIEW_LINKS if c in record), REVIEW_LINKS[0])
        assert link is not None
        change = record.pop(link, None)
        if change is None:
            raise DataFileError(
                f"the review names no change: the {link!r} cell is empty" if csv else
                "the review names no change: it has no 'pull_request' (or 'change')",
                file=table.display, line=table.line(i), fix="write the change id",
            )
        if not isinstance(change, str):  # ids are text, as every reference (DATA.md)
            change = str(change) if type(change) is int else change
        if not isinstance(change, str):
            raise DataFileError(
                f"the review's {link!r} is a {type(change).__name__}, not a change id",
                file=table.display, line=table.line(i), fix="write the change id")
        if not known and not check.fast(record):
            raise_schema_error(check, record, table, i)
        line = table.line(i)
        set_timestamps(record, ("submitted_at",), timezone, table, i, ())
        out.append((change, line or 0, record))
    return out


@contextlib.contextmanager
def kept_if_clean(cache: FactCache | None, pending: Stored | None) -> Iterator[None]:
    """A parsed file's pending cache entry is kept when the block ends normally
    (every record passed), and dropped on an error or an interrupt."""
    if cache is None or pending is None:
        yield
        return
    try:
        yield
    except BaseException:
        cache.discard(pending)
        raise
    cache.store(pending)


@contextlib.contextmanager
def as_data_error() -> Iterator[None]:
    """Unreadable text and YAML syntax errors (from yamlio) as DataFileError."""
    try:
        yield
    except (DataFileError, LoadErrors):  # LoadErrors: a file's problems (files_allerrors)
        raise
    except UsageError as exc:
        raise DataFileError(
            exc.message, file=exc.file, line=exc.line, column=exc.column, fix=exc.fix
        ) from None


class _NoCheck:
    """The schema check of records a run with this code found valid, to the byte:
    never asked (``known`` is true wherever it is passed)."""

    def fast(self, record: Any) -> bool:
        raise AssertionError("records from the cache need no schema check")


NO_CHECK: Any = _NoCheck()


def drop_nulls(record: dict[str, Any], nested: str) -> None:
    """Remove null fields (null means absent), in place, also in nested items."""
    if None in record.values():
        for key in [k for k, v in record.items() if v is None]:
            del record[key]
    items = record.get(nested)
    if type(items) is list:
        for item in items:
            if type(item) is dict and None in item.values():
                for key in [k for k, v in item.items() if v is None]:
                    del item[key]


def _every_problem(kind: str, table: Table, check: RecordCheck, fast: Callable[[Any], bool],
                   normalise: Any, first: DataFileError, at: int, ids: list[Any] | None
                   ) -> UsageError:
    """The problems from record ``at`` on (files_allerrors), each record's steps as above."""
    from guardrails.sources.files_allerrors import every_problem

    id_field = KINDS[kind].id_field
    nested = NESTED.get(kind, ("",))[0] if table.nulls else ""

    def step(record: Any, i: int) -> Any:
        if table.nulls and type(record) is dict:
            drop_nulls(record, nested)
        if not fast(record):
            raise_schema_error(check, record, table, i)
        normalise(record, table, i)
        return record[id_field] if id_field is not None else None

    if ids is None and id_field is not None:  # known valid before the first problem
        ids = [r[id_field] for r in islice(table.records, at)]
    return every_problem(first, at, table.records, list(enumerate(ids or ())), step,
                         lambda ident, was, i: _duplicate(kind, table, ident, was, i),
                         table.display)


def _duplicate(kind: str, table: Table, ident: Any, first: int, i: int) -> DataFileError:
    return DataFileError(
        f"duplicate {KINDS[kind].singular} id {quoted(ident, 60)} "
        f"(first on line {table.line(first)})",
        file=table.display, line=table.line(i),
        fix="ids must be unique within a kind; remove or rename one",
    )


def check_ids(kind: str, table: Table, upto: int, ids: list[Any] | None = None) -> None:
    """Refuse a repeated id among the first ``upto`` (normalised) records (``ids``:
    theirs, when taken already)."""
    id_field = KINDS[kind].id_field
    if id_field is None:
        return
    if ids is None:
        ids = [r[id_field] for r in islice(table.records, upto)]
    if len(set(ids)) == len(ids):
        return
    from guardrails.sources import files_allerrors

    shown = max(files_allerrors.limit(), 1)  # guardrails validate: each id given again
    found: list[DataFileError] = []
    total = 0
    seen: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if ident in seen:
            total += 1
            if len(found) < shown:  # the rest are counted, not described
                found.append(_duplicate(kind, table, ident, seen[ident], i))
            elif shown == 1:
                break  # check: the first alone
        else:
            seen[ident] = i
    if shown == 1:
        raise found[0]
    raise files_allerrors.bounded(found, table.display, total)


def raise_schema_error(check: RecordCheck, record: Any, table: Table, i: int) -> None:
    err = check.first_error(record)
    if err is None:  # jsonschema is the authority; the fast predicate was stricter
        return
    if len(err.message) > 160:  # jsonschema quotes the whole value: show a short excerpt
        err.message = excerpt(err.message, 160)
    msg, fix = validation.describe_error(err)
    what = check.definition or KINDS[check.schema_name].singular
    raise DataFileError(
        f"invalid {what}: {msg}",
        file=table.display, line=table.line(i, tuple(err.absolute_path)),
        fix=_misspelt_required(err) or fix
        or f"see the fields in `guardrails schema {check.schema_name}`",
    )


def _misspelt_required(err: Any) -> str | None:
    """For a missing required field the record holds under another spelling
    (``Status``, ``stauts``): the rename, as the CSV header's error says it."""
    if err.validator != "required" or not isinstance(err.instance, dict):
        return None
    from guardrails.sources.files_fields import close_field, normalised

    hints = []
    for field in err.validator_value:
        if field in err.instance:
            continue
        key = next((k for k in err.instance if isinstance(k, str) and (
            normalised(k) == field or close_field(normalised(k), (field,)))), None)
        if key is not None:
            hints.append(f"{quoted(key, 40)} to {quoted(field)}")
    return f"rename {', '.join(hints)} (a misspelling?)" if hints else None
