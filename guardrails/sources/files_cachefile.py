"""One file of the files source's cache: its header line and marshal payload.

:mod:`guardrails.sources.files_cache` decides what is kept and when (the key,
the tables, the postmortems); this module holds how one such file is read back
and written, and the checks a payload must pass before a run believes it: the
header line (JSON: format, context, entry, the payload's size and checksum),
then the :mod:`marshal` payload, checked for the exact shape
:class:`~guardrails.sources.files_cache.FactCache` writes and for plain data.
Also :class:`Positions`, the evidence positions kept beside a table's records
in a file of the same form. Kept apart from ``files_cache`` so each holds
one thing (the two were ~540 lines together).

A cache file is input like any other: it is opened without following a
link and without blocking (a FIFO, a folder or a device there is a miss),
refused unread above :data:`MAX_CACHE_BYTES`, and its payload is checked
against the CRC-32 and Adler-32 in its header before :mod:`marshal` reads
it (so a cut-short or damaged file never reaches marshal), then checked for
the exact shape written, every record and front matter for plain data
(scalars, lists and dicts, at most :data:`MAX_DEPTH` deep: no code object, set
or nesting that would crash a reader). marshal builds data and never runs it.
Any mismatch is a silent miss, and the file is parsed as without the cache
(a payload claiming a list or tuple longer than it can hold is one at once:
:func:`guardrails.cachefiles.load_marshal` bounds the memory a load may take). A
file forged whole (checksums and digest right, other records of the right
shape) is believed, as Python believes its ``__pycache__`` (marshal too):
whoever can write the cache folder can change what a run reads, as whoever
can write the data folder can.
Files are written whole through a new temporary file of random name, never
through a link, and ``os.replace`` (:func:`guardrails.cachefiles.write_whole`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import marshal
from pathlib import Path
from typing import Any

from guardrails.cachefiles import (
    checksum,
    load_marshal,
    read_regular,
    write_temp,
    write_whole,
)
from guardrails.cacheprune import prune

#: bump when what is stored, or how it is read, changes
FORMAT = 2  # 2: the small tables of a folder in one file (files_cache.BUNDLE_MAX)
MARSHAL_VERSION = 4  # shared objects (interned cells, YAML aliases) stored once
#: a cache file bigger than this is a miss, never read (nor written)
MAX_CACHE_BYTES = 768 << 20
#: node positions kept for one YAML/JSON file at most (~40 bytes each stored)
MAX_POSITIONS = 200_000
HEAD_BYTES = 16 << 10  # the JSON header line is short; a longer one is foreign
#: nesting a kept value may have (records, front matter); deeper is a miss
MAX_DEPTH = 64
#: what a parser gives and a kept value may hold (a YAML date is never kept: marshal)
_SCALARS = frozenset({str, int, float, bool, type(None)})
_DATA = _SCALARS | {list, dict}
_IS_DICT, _IS_LIST = {dict}.__contains__, {list}.__contains__
_SLICE = 4096


class Positions:
    """The node positions of a YAML or JSON file's text, kept beside its records.

    Evidence naming a record of such a file finds its line by parsing the text
    again with positions
    (:meth:`~guardrails.sources.files_formats.Table.line`), ~2.5 ms for the example org's
    two YAML files; the first warm run that does keeps what it found, under
    the same entry as the records (kind, suffix, digest of the bytes), so the
    next reads it back. At most :data:`MAX_POSITIONS` nodes a file.
    """

    __slots__ = ("file", "head")

    def __init__(self, file: Path, head: dict[str, Any]) -> None:
        self.file = file
        self.head = head

    def load(self) -> dict[Any, tuple[int, int]] | None:
        """The stored positions of exactly this file, or None."""
        payload = read_entry(self.file, self.head["entry"], self.head["context"])
        if payload is None:
            return None
        value = loads(payload)
        if type(value) is not dict or not all(
                type(k) is tuple and type(v) is tuple and len(v) == 2
                and type(v[0]) is int and type(v[1]) is int for k, v in value.items()):
            return None
        return value

    def keep(self, positions: dict[Any, tuple[int, int]]) -> None:
        """Store ``positions`` for later runs. Never raises."""
        if len(positions) > MAX_POSITIONS:
            return
        try:
            blob = marshal.dumps(positions, MARSHAL_VERSION)
        except (ValueError, RecursionError):
            return
        write_entry(self.file, self.head, blob)
        prune_kind(self.file)


def read_entry(file: Path, entry: Any, context: Any) -> memoryview | None:
    """The payload of a cache file written for ``entry`` under ``context`` whose
    bytes match its header's checksum, or None. The header is compared first: a
    stale entry (its data file edited) is not checksummed. A link, FIFO, folder
    or device is never opened for reading nor waited on."""
    data = read_regular(file, MAX_CACHE_BYTES)
    if data is None:
        return None
    end = data.find(b"\n", 0, HEAD_BYTES)
    if end < 0:
        return None
    try:
        head = json.loads(data[:end])
    except (ValueError, RecursionError):
        return None
    payload = memoryview(data)[end + 1:]
    if not (isinstance(head, dict) and head.get("format") == FORMAT
            and head.get("entry") == entry and head.get("context") == context
            and head.get("size") == len(payload) and head.get("payload") == checksum(payload)):
        return None
    return payload


def prune_kind(file: Path) -> None:
    """Keep the :data:`~guardrails.cacheprune.KEEP` most recently written files of
    ``file``'s kind (one per data folder: a CI runner checking out to a new path
    each run would add a set every run), and no temporary file a killed run left.
    Only names this cache makes (``KIND-`` + 16 hex digits + ``.bin`` or, for
    evidence positions, ``.pos``); never raises."""
    prune(file.parent, file.name[:-len(file.suffix) - 16], file.suffix)


def write_entry(file: Path, head: dict[str, Any], payload: bytes) -> None:
    """Write ``head`` (with the payload's size and checksum) and ``payload`` to
    ``file``, whole or not at all; a file that cannot be written is no error."""
    with contextlib.suppress(OSError, ValueError, TypeError):
        write_whole(file, _head_line(head, payload), payload)


def write_pending(file: Path, head: dict[str, Any], payload: bytes) -> Path:
    """Write a cache file's content to a new temporary file beside ``file`` (random
    name, never through a link: :func:`~guardrails.cachefiles.write_temp`), and
    return its path for the caller to put in place."""
    return write_temp(file, _head_line(head, payload), payload)


def _head_line(head: dict[str, Any], payload: bytes) -> bytes:
    """A cache file's first line: ``head`` with the payload's size and checksum."""
    line = json.dumps({**head, "size": len(payload), "payload": checksum(payload)})
    return line.encode("utf-8") + b"\n"


def fits(payload: bytes) -> bool:
    """Whether a file holding ``payload`` would be read back (not above
    :data:`MAX_CACHE_BYTES` with its header line): a bigger one is not written."""
    return len(payload) <= MAX_CACHE_BYTES - HEAD_BYTES


def loads(payload: bytes | memoryview) -> Any:
    """What marshal reads from ``payload``, or None where it cannot (then a miss)."""
    try:
        return load_marshal(payload)
    except (ValueError, EOFError, TypeError, RecursionError, MemoryError):
        # MemoryError: a forged size (a list "of 2**31 items"): load_marshal caps memory
        return None


def _plain(values: list[Any], size: int) -> bool:
    """Every one of ``values``, read from a payload of ``size`` bytes, is plain data
    (scalars, lists, dicts keyed by scalars) nested at most :data:`MAX_DEPTH` deep.

    A level at a time in C loops, a slice of values at a time (the levels' lists
    stay small): a forged value (a code object, a set, a list nested past the
    recursion limit) would crash a reader or reach a report, and every value a
    parser gave and the schema passed is of this shape (a miss costs only the
    parse). Each value marshal reads takes at least a byte of the payload, so
    a walk meeting more values than that met a list or dict more than once (a
    YAML alias, or forged sharing: 80 lists each holding the next twice are
    2**80 paths): it is walked again, each container once.
    """
    got = _walk(values, size)
    return _walk(values, None) is True if got is None else got


def _walk(values: list[Any], budget: int | None) -> bool | None:
    """:func:`_plain`'s walk: None once more than ``budget`` values were met; with
    no budget, a container met again is not walked again."""
    compress, chain = itertools.compress, itertools.chain.from_iterable
    seen: set[int] | None = set() if budget is None else None  # ids: all alive, no reuse
    met = 0
    for at in range(0, len(values), _SLICE):
        level = values[at:at + _SLICE]
        for depth in range(MAX_DEPTH + 1):
            met += len(level)
            if budget is not None and met > budget:
                return None
            kinds = list(map(type, level))
            types = set(kinds)
            if not types <= _DATA:
                return False
            dicts = list(compress(level, map(_IS_DICT, kinds))) if dict in types else []
            lists = list(compress(level, map(_IS_LIST, kinds))) if list in types else []
            if seen is not None and depth:
                dicts, lists = _unseen(dicts, seen), _unseen(lists, seen)
            if not dicts and not lists:
                break
            if not set(map(type, chain(dicts))) <= _SCALARS:
                return False
            level = [*chain(map(dict.values, dicts)), *chain(lists)]
        else:
            return False
    return True


def _unseen(containers: list[Any], seen: set[int]) -> list[Any]:
    """The ``containers`` not in ``seen`` (by identity), now added to it."""
    fresh = set(map(id, containers))
    if len(fresh) == len(containers) and seen.isdisjoint(fresh):
        seen |= fresh  # the usual case, all new and distinct: C loops only
        return containers
    out = []
    for c in containers:
        key = id(c)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def table_shape(value: Any, size: int) -> bool:
    """Exactly what :meth:`FactCache.snapshot` writes."""
    if not (type(value) is tuple and len(value) == 7):
        return False
    records, columns, starts, prefix, nulls, single, has_text = value
    # Every record kept was a valid one, an object (a dict) of plain data: a record
    # holding anything else (a code object, a set, nesting past MAX_DEPTH) is forged.
    if not (type(records) is list and set(map(type, records)) <= {dict}
            and type(columns) is tuple and type(prefix) is tuple
            and type(nulls) is bool and type(single) is bool and type(has_text) is bool
            and set(map(type, columns)) <= {str} and set(map(type, prefix)) <= {str, int}
            and _plain(records, size)):
        return False
    if starts is None:
        return True
    if type(starts) is tuple:
        return (len(starts) == 2 and set(map(type, starts)) <= {int}
                and starts[1] - starts[0] == len(records))
    return type(starts) is list and len(starts) == len(records) and set(map(type, starts)) <= {int}


def postmortem_shape(value: Any, size: int) -> bool:
    """Exactly what the files source keeps of a postmortem."""
    if not (type(value) is tuple and len(value) == 6):
        return False
    front, sections, section_lines, normalized, lines, body_line = value
    return (type(front) is dict and type(sections) is dict and type(section_lines) is dict
            and type(normalized) is dict and type(lines) is list and type(body_line) is int
            and set(map(type, lines)) <= {str}
            and _plain([front, sections, section_lines, normalized], size))
