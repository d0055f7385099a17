"""The :class:`Table` of one org data file and the :class:`Layout` of its kind.

What every reader of :mod:`guardrails.sources.files_formats` and
:mod:`guardrails.sources.files_csv` returns or is told, and what the checks
on a file's records read (:mod:`guardrails.sources.files_tables` checks and
normalises them, :mod:`guardrails.sources.files_fields` reads their names):
a module of its own below all of them, so none imports another in a circle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import Any

from guardrails import yamlio
from guardrails.records import record
from guardrails.yamlio import PathKey, Position


@record
class Table:
    """Records of one data file and where they are in it."""

    display: str
    records: list[Any]
    columns: tuple[str, ...] = ()  # the CSV header
    starts: Sequence[int] | None = None  # first line of each record (CSV, JSON Lines)
    text: str | None = None  # YAML/JSON source, for positions on demand
    prefix: PathKey = ()  # document path of the record list
    positions: dict[PathKey, Position] | None = None
    single: bool = False  # the text is the one record (a postmortem's front matter)
    #: whether a record may hold a null (None): never in CSV (an empty cell is
    #: absent), in JSON Lines only where the text says ``null`` somewhere
    nulls: bool = True
    _json_starts: list[int] | None = field(default=None, repr=False)
    #: where the positions of ``text`` are kept across runs (files_cachefile.Positions)
    positions_store: Any = field(default=None, repr=False, compare=False)
    #: what the plain CSV reader saw of each column (files_csvplain.Column), for a
    #: verdict on every record at once (schemabatch.columns_valid); None otherwise
    cells: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __init__(self, display: str, records: list[Any], columns: tuple[str, ...] = (),
                 starts: Sequence[int] | None = None, text: str | None = None,
                 prefix: PathKey = (), positions: dict[PathKey, Position] | None = None,
                 single: bool = False, nulls: bool = True,
                 _json_starts: list[int] | None = None, positions_store: Any = None,
                 cells: dict[str, Any] | None = None) -> None:
        self.display = display
        self.records = records
        self.columns = columns
        self.starts = starts
        self.text = text
        self.prefix = prefix
        self.positions = positions
        self.single = single
        self.nulls = nulls
        self._json_starts = _json_starts
        self.positions_store = positions_store
        self.cells = cells

    def line(self, index: int, path: PathKey = ()) -> int | None:
        """Line of record ``index`` (or of ``path`` inside it), counted from 1."""
        if self.starts is not None:
            return self.starts[index]
        if self.positions is None:
            store = self.positions_store
            got = store.load() if store is not None else None
            if got is None:
                got = yamlio.positions_of(self.text or "")
                if store is not None:
                    store.keep(got)
            self.positions = got
        where = (*self.prefix, *path) if self.single else (*self.prefix, index, *path)
        loc = yamlio.nearest(self.positions, where)
        if loc is not None:
            return loc[0]
        if self.text is not None and self._json_starts is None:
            from guardrails.sources.files_json import json_item_lines

            self._json_starts = json_item_lines(self.text)
        if self._json_starts and index < len(self._json_starts):
            return self._json_starts[index]
        return None


@record(frozen=True)
class Layout:
    """How a kind's records are spelled in files."""

    what: str  # singular, for messages
    keys: tuple[str, ...]  # mapping keys accepted in YAML/JSON documents
    lists: frozenset[str] = frozenset()  # CSV cells split on whitespace
    integers: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()  # columns a CSV header must have
    #: CSV columns whose values repeat (statuses, services, teams): their
    #: cells are interned, one string object for each distinct value
    shared: frozenset[str] = frozenset()

    def __init__(self, what: str, keys: tuple[str, ...], lists: frozenset[str] = frozenset(),
                 integers: frozenset[str] = frozenset(), numbers: frozenset[str] = frozenset(),
                 required: tuple[str, ...] = (), shared: frozenset[str] = frozenset()) -> None:
        _set = object.__setattr__
        _set(self, "what", what)
        _set(self, "keys", keys)
        _set(self, "lists", lists)
        _set(self, "integers", integers)
        _set(self, "numbers", numbers)
        _set(self, "required", required)
        _set(self, "shared", shared)
