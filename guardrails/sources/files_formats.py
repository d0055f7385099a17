"""Reading the org data formats (YAML, JSON, JSON Lines, CSV) into records.

Every reader returns a :class:`~guardrails.sources.files_table.Table`
(imported here for the modules that take it from this one): the records, in file order, and a way
to find the line of a record (or of a field inside it) when something about it
is wrong. Line lookups are lazy for YAML and JSON: positions are only computed
from the node tree when an error is raised, so the fast path stays fast.

:class:`RecordCheck` validates records against a shipped JSON Schema. jsonschema
costs about 40 µs a record, too slow for a 100,000-row export, so records are
checked by jsonschema-rs (:mod:`guardrails.fastvalid`), which gives the same
verdict. A record it rejects is handed to jsonschema, which stays the
authority and words the error; a schema :mod:`~guardrails.fastvalid` does not
take is validated by jsonschema alone. The schema file remains the single
source of truth.

The readers avoid work per cell where they can: CSV cells (the CSV reader is
:mod:`guardrails.sources.files_csv`) are stripped by a
C-level ``map``, converted only in the columns that need it, and interned in
the columns whose values repeat; JSON Lines are decoded by jiter (which
refuses duplicate keys without a Python hook per object and shares repeated
strings), with the full decoder (and its messages) only for a line jiter
refuses or might read otherwise than guardrails does (:func:`read_jsonl`).
Neither keeps a whole-file copy beside the text (io.StringIO's is four bytes
a character). At 100k records a kind this took the scale benchmark's peak
memory from 479 to ~340 MiB (benchmarks/RESULTS.md, "loading").
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any

from guardrails import validation, yamlio
from guardrails.errors import DataFileError
from guardrails.fastvalid import every_item, predicate
from guardrails.sources.files_table import Layout, Table
from guardrails.textsafe import excerpt, quoted
from guardrails.verdictcache import schema_key

# ---------------------------------------------------------------------------
# schema checks
# ---------------------------------------------------------------------------


class RecordCheck:
    """Validate records of one kind (or of one ``$defs`` entry) against a schema.

    ``fast`` is jsonschema-rs's verdict (:mod:`guardrails.fastvalid`) when it
    takes the schema, else jsonschema's ``is_valid``; ``first_error`` always
    asks jsonschema.
    """

    def __init__(self, schema_name: str, definition: str | None = None) -> None:
        root = validation.load_schema(schema_name)
        schema = root["$defs"][definition] if definition else root
        self.schema_name = schema_name
        self.definition = definition
        self.schema = schema
        if definition:
            pointer = definition.replace("~", "~0").replace("/", "~1")
            # The definition through a $ref, so its own $refs still resolve.
            engine_schema = {"$defs": root["$defs"], "$ref": f"#/$defs/{pointer}"}
        else:
            engine_schema = root
        self._engine_schema = engine_schema
        fast = predicate(engine_schema, lazy=True)
        self.fast: Callable[[Any], bool] = fast or self.validator.is_valid
        self.compiled = fast is not None
        self.required: tuple[str, ...] = tuple(schema.get("required", ()))

    # every and key are built at their first use: a small file (all of the
    # example's) never asks for every(), and a run without caches never for key;
    # built here they were ~1 ms of the example's run (the schema walked and
    # copied for every_item, its repr hashed).
    @functools.cached_property
    def every(self) -> Callable[[Any], bool]:
        """True when every record of a list is valid, in one call; False when one
        is not or it cannot tell (then ask ``fast`` of each): see fastvalid.every_item."""
        return (every_item(self._engine_schema) if self.compiled else None) or _cannot_tell

    def every_column(self, cells: dict[str, Any]) -> bool:
        """True when every record of a plain CSV table is surely valid, told from what
        its reader saw of each column (guardrails.schemabatch.columns_valid); False
        when one is not or it cannot tell."""
        from guardrails.schemabatch import columns_valid

        return self.compiled and columns_valid(self._engine_schema, cells)

    def every_small(self, records: list[Any]) -> bool:
        """True when every record of a small list is surely valid, checked a column
        at a time (guardrails.schemabatch); False when one is not or it cannot tell."""
        from guardrails.schemabatch import all_valid

        return self.compiled and all_valid(self._engine_schema, records)

    @functools.cached_property
    def key(self) -> str:
        """What a whole file's verdict is remembered by (guardrails.verdictcache)."""
        return f"file:{self.schema_name}:{self.definition}:{schema_key(repr(self.schema))}"

    @functools.cached_property
    def validator(self) -> Any:
        """jsonschema's validator, built when a record needs its verdict or words."""
        validator = validation.validator_for(self.schema_name)
        return validator.evolve(schema=self.schema) if self.definition else validator

    def first_error(self, record: Any) -> Any | None:
        """The most relevant jsonschema error of a record, or None when valid."""
        from jsonschema.exceptions import best_match

        errors = list(self.validator.iter_errors(record))
        if not errors:
            return None
        err = best_match(errors)
        if self.definition:
            # Make the schema path read as it does in `guardrails schema NAME`.
            top = err
            while top.parent is not None:
                top = top.parent
            top.relative_schema_path.extendleft(reversed(("$defs", self.definition)))
        return err


def file_known_valid(check: RecordCheck, suffix: str, text: str | bytes) -> bool:
    """Whether every record of a file of exactly this text was valid under ``check``'s
    schema in an earlier run with this code (then no schema engine is needed).
    ``text`` as bytes: ASCII (read_jsonl_file), the same length as its text."""
    from guardrails import verdictcache

    return (len(text) <= verdictcache.MAX_BYTES and verdictcache.active()
            and verdictcache.known_valid(f"{check.key}:{suffix}", _text(text)))


def remember_file(check: RecordCheck, suffix: str, text: str | bytes) -> None:
    """Keep that every record of a file of this text is valid (the loop found no error)."""
    from guardrails import verdictcache

    # A text over MAX_BYTES is never looked up (file_known_valid): its digest, the
    # encoding and BLAKE2 of a whole file (~50 ms a run of a 100k org's two 20 MB
    # JSON Lines files), kept a verdict no run could read.
    if len(text) <= verdictcache.MAX_BYTES and verdictcache.active():
        verdictcache.remember(f"{check.key}:{suffix}", _text(text))


def _text(text: str | bytes) -> str:
    return text if isinstance(text, str) else text.decode("ascii")


def _cannot_tell(records: Any) -> bool:
    return False


def always_valid(record: Any) -> bool:
    """The verdict on a record of a file known valid."""
    return True


@functools.cache
def record_check(schema_name: str, definition: str | None = None) -> RecordCheck:
    return RecordCheck(schema_name, definition)


def read_table(text: str, display: str, suffix: str, layout: Layout) -> Table:
    """Parse one data file's text according to its suffix."""
    if not text.strip():
        raise _empty(display, layout)
    if suffix == ".csv":
        return read_csv(text, display, layout)
    if suffix == ".jsonl":
        table = read_jsonl(text, display)
    elif suffix == ".json":
        # JSON (and jiter) imported for JSON files only: a YAML-only run or the
        # pre-commit hook on one YAML file never needs them (~1.3 ms a start)
        from guardrails.sources.files_json import load_json

        table = _from_document(load_json(text, display), text, display, layout, allow_list=True)
    else:
        # A small file's positions come with its parse: asked for a record's line
        # (evidence, a warning), the text is not parsed a second time.
        small = len(text) <= POSITIONS_WITH_PARSE
        data, pos = yamlio.load(text, display, positions=small, finite=True)
        table = _from_document(data, text, display, layout, allow_list=False)
        if small:
            table.positions = pos
    # A raw NUL is refused by the JSON and YAML parsers themselves; an escaped one
    # (JSON "\u0000", YAML "\0") is looked for only when the text spells one.
    if spells_nul(text, json=suffix in (".json", ".jsonl")):
        from guardrails.sources.files_nul import refuse_escaped_nul

        refuse_escaped_nul(table, display)
    return table


def _empty(display: str, layout: Layout) -> DataFileError:
    return DataFileError(
        "the file is empty", file=display, line=1,
        fix=f"add {layout.what} records, or delete the file",
    )


#: YAML texts up to this size are parsed with their positions at once (~1.5x the
#: parse of the plainest YAML; a second parse when a line is asked is 2x): a cold
#: run of the example asks lines of 3 of its 5 YAML tables
POSITIONS_WITH_PARSE = 64 << 10

_JSON_NULS = ("\\u0000",)
_YAML_NULS = ("\\0", "\\x00", "\\u0000", "\\U00000000")


def spells_nul(text: str, *, json: bool) -> bool:
    """Whether ``text`` may spell a NUL escape (then its records are searched)."""
    return any(m in text for m in (_JSON_NULS if json else _YAML_NULS))


def _shape(data: Any) -> str:
    """What a document holds, in a data file author's words (not Python's type names)."""
    if data is None:
        return "nothing (only comments or blank lines)"
    if isinstance(data, bool):
        return "true or false"
    if isinstance(data, int | float):
        return "a number"
    return "a list" if isinstance(data, list) else "a text" if isinstance(data, str) else (
        f"a {type(data).__name__}")


def _from_document(
    data: Any, text: str, display: str, layout: Layout, *, allow_list: bool
) -> Table:
    if allow_list and isinstance(data, list):
        return Table(display, data, text=text)
    key = layout.keys[0]
    form = f"{{{json.dumps(key)}: [...]}}" if allow_list else f"`{key}: [...]`"
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in layout.keys:
        found = (f"the keys {excerpt(', '.join(map(repr, data)), 120)}" if isinstance(data, dict)
                 else _shape(data))
        also = f" (or {', '.join(repr(k) for k in layout.keys[1:])})" if layout.keys[1:] else ""
        raise DataFileError(
            f"expected a mapping with the single key {key!r}{also}, found {found}",
            file=display, line=_first_line(text),
            fix=f"write the records as {form}" + (" or as a plain list" if allow_list else ""),
        )
    name, records = next(iter(data.items()))
    if not isinstance(records, list):
        raise DataFileError(
            f"{quoted(name, 40)} must hold a list of {layout.what} records",
            file=display, line=_key_line(text, name), fix=f"write {form}",
        )
    return Table(display, records, text=text, prefix=(name,))


def _first_line(text: str) -> int:
    for n, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return n
    return 1


def _key_line(text: str, key: str) -> int | None:
    loc = yamlio.positions_of(text).get((key,))
    return loc[0] if loc else None


# --- JSON ------------------------------------------------------------------


def read_jsonl(text: str, display: str) -> Table:
    """One JSON value a line; blank lines are allowed (see :func:`files_json.jsonl_records`)."""
    return _jsonl_table(text.encode(), display)


def _jsonl_table(data: bytes, display: str) -> Table:
    from guardrails.sources.files_json import jsonl_records

    records, starts, nulls = jsonl_records(data, display)
    return Table(display, records, starts=_compact(starts), nulls=nulls)


#: what str.strip removes of ASCII text (str.isspace): bytes.strip() keeps \x1c-\x1f
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def read_jsonl_file(raw: bytes, display: str, layout: Layout) -> tuple[Table, str | bytes]:
    """A JSON Lines file's table from its bytes, as :func:`read_table` reads its text,
    and the text (the bytes themselves when they are ASCII) for the verdict cache.

    jiter reads the file's own UTF-8 bytes (a BOM stripped): a text decoded only to be
    encoded again was a 25 MB copy each way, both alive beside the records, at 100,000
    pull requests. Text that is not ASCII is still decoded, once, for the error
    on bytes that are not UTF-8 and for the empty file's test (str.strip's white space).
    """
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw  # utf-8-sig's BOM
    text: str | bytes
    if data.isascii():
        text = data
        empty = not data.strip(_ASCII_SPACE)
    else:
        text = yamlio.decode_text(raw, display)
        empty = not text.strip()
    if empty:
        raise _empty(display, layout)
    table = _jsonl_table(data, display)
    if b"\\u0000" in data:  # spells_nul(text, json=True), in the bytes
        from guardrails.sources.files_nul import refuse_escaped_nul

        refuse_escaped_nul(table, display)
    return table, text


def _compact(starts: Sequence[int]) -> Sequence[int]:
    """``starts`` as a range when the records are on consecutive lines (the usual case).

    A list of 100,000 line numbers holds ~3.5 MiB of int objects; a range none.
    """
    if isinstance(starts, range):
        return starts
    if starts and starts[-1] - starts[0] == len(starts) - 1:
        return range(starts[0], starts[-1] + 1)
    return starts


# --- CSV -------------------------------------------------------------------


def read_csv(text: str, display: str, layout: Layout) -> Table:
    """A CSV file with a header line; empty cells are absent fields
    (:func:`guardrails.sources.files_csv.csv_rows`)."""
    from guardrails.sources.files_csv import csv_rows  # for CSV files only

    records, columns, starts, cells = csv_rows(text, display, layout)
    return Table(display, records, columns=columns, starts=_compact(starts), nulls=False,
                 cells=cells)
