"""The files source's parsed records, remembered across runs by their file's bytes.

Gathering the org data was the largest single phase of ``guardrails check``
on the example org (~32 ms of ~170 ms of CPU: YAML over a dozen files,
postmortem front matter and sections, CSV, JSON Lines) and, at 100,000
facts, ~3 s of a 5-6 s run against a 1.6-1.9 s parse floor. Between two runs
(a pre-commit hook, an engineer re-running ``check``) the files rarely
change, so each data file that loaded without an error is kept here, in
the form its parser gave: the records as parsed (before nulls are dropped,
before validation and normalisation), plus what the source keeps to name a
record's line (CSV and JSON Lines line starts; YAML and JSON are located
from the file's text, which a run reads anyway); for a postmortem its front
matter, sections, section lines and lines. A later run that reads the same
bytes takes the records from here and skips the parser, the schema
engine and the duplicate-id check (which these bytes passed, and ids
normalise alike under any time zone); the same generated normaliser and the
rest of the source then run as without the cache, so every fact, warning,
evidence line and error is the same. (Why not the normalised facts: they hold datetimes,
which marshal cannot keep, so a stored form would need one C call a
timestamp to rebuild them, as the normaliser takes; and they depend on the
config's ``timezone``, which would then be part of the key and of every
error a time zone change must still raise.)

What it saves (benchmarks/RESULTS.md, section "factcache"; CPU, paired runs
on a shared 2-core VM): gathering the example org's facts 34 -> 21 ms in
process (with the normalisers kept compiled, files_normalisers.py; the
whole ``check`` 0.88-0.93x of main's CPU, near that machine's noise); at
100,000 facts a whole run 5.8 -> 3.5 s (0.62x), peak memory
311 -> 295 MiB. A cold run, which also writes the cache, costs 1.02x a run
with the cache off, and ~1 MiB of peak (each table's payload goes to a
temporary file at once, not held while its records are checked).

Why our own code: what is kept is one :mod:`marshal` call over what the
parser built (a C call each way, several times faster than JSON and able to
keep shared strings shared), checked the way the house's other caches are
(:mod:`guardrails.packcache`, :mod:`guardrails.verdictcache`,
:mod:`guardrails.sources.gitcache`); a general-purpose cache library would
bring pickle or a database and still need this key and these checks.

Where: ``<cache_dir>/files/`` (``cache_dir`` of the config, else
``$GUARDRAILS_CACHE_DIR``, else ``$XDG_CACHE_HOME/guardrails`` or
``~/.cache/guardrails``): per org data folder, one ``tables-<checksum>.bin``
for every table whose stored form is at most :data:`BUNDLE_MAX` (written once
by :meth:`FactCache.flush`, after loading: a cold run of the example wrote
nine table files before, each a temporary file, a write, a rename and a
prune), a ``KIND-<checksum>.bin`` for each bigger table (written as soon as it
is parsed, as before), and all the postmortems in one file; each family
pruned to the 16 most recently written when one is written (the tables file
and the kinds it holds in one listing of the folder; the folder's own file of
a kind just stored in the tables file, which earlier versions wrote and no run
reads now, is deleted then).
Never inside the org data folder: a ``cache_dir`` there turns this cache off.
``GUARDRAILS_NO_STARTUP_CACHE=1`` turns it off too.

An entry answers only for exactly what it was made from: a BLAKE2b-256
digest of the data file's bytes (not its size or modification time: an edit
that keeps both is seen), its suffix and kind, the cache format, Python's
version, guardrails' version and the size and modification time of every
file of the package (the parsers, the kind tables and the schemas are the
package's files), PyYAML's files (its version and libyaml extension), and
the jiter extension's files. Nothing else of the run enters what is kept:
the time zone, ``--now`` and the source's options act after it.

How a cache file is read back (checked before and after :mod:`marshal`
reads it; any mismatch is a silent miss, and the file is parsed as without
the cache) and written (whole, never through a link) is
:mod:`guardrails.sources.files_cachefile`, with the evidence positions kept
beside a table's records. A ``files`` folder that is a link turns the cache
off; a folder that cannot be written costs only the time the cache would
save. A data file above :data:`MAX_DATA_BYTES` is not kept (its snapshot
would add its size to the run's peak memory while it loads), nor a table
whose stored form would be refused when read (above
:data:`~guardrails.sources.files_cachefile.MAX_CACHE_BYTES`). At a million facts every
file is kept (pull requests 250 MB, stored in ~160 MB): a warm run there
takes 0.72-0.79x a cold one's CPU at a lower peak (benchmarks/RESULTS.md,
"scale, scale5").
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from guardrails.cachefiles import (
    blake2,
    caches_disabled,
    checksum,
    package_files,
)
from guardrails.cacheprune import prune_families
from guardrails.sources.files_cachefile import (
    FORMAT,
    MARSHAL_VERSION,
    Positions,
    fits,
    loads,
    prune_kind,
    read_entry,
    table_shape,
    write_entry,
    write_pending,
)
from guardrails.sources.files_formats import Table
from guardrails.sources.files_postmortemcache import PostmortemEntries
from guardrails.yamlio import decode_text

#: a data file bigger than this is parsed every run and never kept (512 MiB: the
#: 250 MB pull requests of a million facts are kept; its snapshot, ~0.65x its size,
#: goes to disk at once, beside the text and records the load holds anyway)
MAX_DATA_BYTES = 512 << 20
#: a table whose stored form is at most this big is kept in the folder's one tables
#: file (held in memory until :meth:`FactCache.flush`); a bigger one in a file of its own,
#: written beside it at once (each file written costs a cold run a temporary file, a
#: write, a rename and a prune: ~0.5 ms; the example org's nine tables are ~40 KB)
BUNDLE_MAX = 1 << 20
#: tables the one tables file holds at most (one a kind)
_BUNDLE_ENTRIES = 64


def digest(raw: bytes) -> str:
    """What a data file is remembered by: BLAKE2b-256 of its bytes."""
    return blake2(raw, b"guardrails-facts")


@functools.cache
def _context() -> tuple[Any, ...]:
    """What every entry rests on besides its file's bytes (once a process)."""
    from guardrails import __version__
    from guardrails.cachefiles import code_fingerprint
    from guardrails.configcache import yaml_files

    # jiter reads JSON Lines: its files, found without importing it.
    engine = package_files("jiter")
    # PyYAML by its files (version, libyaml extension), not imported: a warm run needs none
    return (FORMAT, sys.version, __version__, code_fingerprint(),
            checksum("\n".join(yaml_files()).encode()), checksum("\n".join(engine).encode()))


class Stored:
    """A table on its way to the cache: its file, header and (once taken) the
    temporary file beside it that holds its payload until the load is clean."""

    __slots__ = ("blob", "file", "head", "tmp")

    def __init__(self, file: Path, head: dict[str, Any]) -> None:
        self.file = file
        self.head = head
        self.tmp: Path | None = None
        self.blob: bytes | None = None  # a small table's payload, for the tables file


class FactCache(PostmortemEntries):
    """The stored records of one org data folder's files (see the module's docstring;
    the postmortems are
    :class:`~guardrails.sources.files_postmortemcache.PostmortemEntries`)."""

    @property
    def max_data_bytes(self) -> int:
        """:data:`MAX_DATA_BYTES`, for the postmortems' part."""
        return MAX_DATA_BYTES

    def __init__(self, folder: Path, data_folder: Path) -> None:
        self.folder = folder
        self._name = checksum(f"{data_folder}\0{sys.version}".encode("utf-8", "surrogateescape"))
        self._ctx = list(_context())
        super().__init__()
        # the small tables: kind -> (entry, payload), stored (read on the first lookup)
        # and kept by this run (written by flush)
        self._tb_stored: dict[str, tuple[list[Any], bytes]] | None = None
        self._tb_new: dict[str, tuple[list[Any], bytes] | None] = {}
        self._tb_exit = False

    @classmethod
    def open(cls, cache_dir: Path | None, data_folder: Path) -> FactCache | None:
        """The cache of ``data_folder`` (resolved) under ``cache_dir``, or None when
        caches are off, no folder is known, or it lies inside the data folder."""
        if cache_dir is None or caches_disabled():
            return None
        try:
            where = Path(cache_dir).resolve()
        except (OSError, RuntimeError):
            return None
        if where.is_relative_to(data_folder):
            return None  # never write inside the data folder
        if os.path.islink(where / "files"):
            return None  # nor into the place a link there names
        return cls(where / "files", data_folder)

    def _file(self, kind: str) -> Path:
        return self.folder / f"{kind}-{self._name}.bin"

    # --- tabular files: one entry a kind -----------------------------------------

    def table(self, kind: str, suffix: str, raw: bytes,
              display: str) -> tuple[Table | None, Stored | None]:
        """``(table, None)`` stored for a file of exactly these bytes (shown as
        ``display``), else ``(None, pending)``: what :meth:`snapshot` and :meth:`store`
        complete (None when the file is too big to keep)."""
        if len(raw) > MAX_DATA_BYTES:
            return None, None
        entry = [kind, suffix, digest(raw)]
        file = self._file(kind)
        head = {"format": FORMAT, "context": self._ctx, "entry": entry}
        small = self._tables().get(kind)
        payload: bytes | memoryview | None = (
            small[1] if small is not None and small[0] == entry
            else read_entry(file, entry, self._ctx))
        if payload is not None:
            value = loads(payload)
            if table_shape(value, len(payload)):
                records, columns, starts, prefix, nulls, single, has_text = value
                # YAML and JSON records are located from the text (on demand).
                text = decode_text(raw, display) if has_text else None
                return Table(display, records, columns=columns,
                             starts=range(*starts) if type(starts) is tuple else starts,
                             text=text, prefix=prefix, nulls=nulls, single=single,
                             positions_store=Positions(file.with_suffix(".pos"), head)
                             if has_text else None), None
        return None, Stored(file, head)

    def snapshot(self, pending: Stored, table: Table) -> Stored | None:
        """``pending`` with the stored form of a table just parsed (taken before
        anything changes its records), or None when it cannot be kept.

        Written at once to a temporary file beside the cache file, which
        :meth:`store` renames over it once every record passed and
        :meth:`discard` removes otherwise: the payload (~16 MB for 100,000
        pull requests) is not held in memory while the records are validated
        and normalised (it was +13 MiB of the 100k run's peak).
        """
        starts: Any = table.starts
        if isinstance(starts, range):
            starts = (starts.start, starts.stop)
        elif starts is not None:
            starts = list(starts)
        try:
            blob = marshal.dumps((table.records, table.columns, starts, table.prefix,
                                  table.nulls, table.single, table.text is not None),
                                 MARSHAL_VERSION)
        except (ValueError, RecursionError):  # a type marshal cannot keep
            return None
        if not fits(blob):  # would never be read back
            return None
        if len(blob) <= BUNDLE_MAX:
            pending.blob = blob  # for the one tables file (flush)
            return pending
        try:
            pending.tmp = write_pending(pending.file, pending.head, blob)
        except (OSError, ValueError, TypeError):
            return None
        return pending

    def store(self, pending: Stored) -> None:
        """Keep a file that loaded without an error. Never raises."""
        kind = pending.head["entry"][0]
        if pending.blob is not None:
            self._tb_new[kind] = (pending.head["entry"], pending.blob)
            pending.blob = None
            if not self._tb_exit:  # flush() after gathering; at exit for any other path
                self._tb_exit = True
                atexit.register(self.flush)
        elif pending.tmp is not None:
            try:
                os.replace(pending.tmp, pending.file)
            except OSError:
                self.discard(pending)
            else:
                prune_kind(pending.file)
                self._tb_new[kind] = None  # a big table: out of the tables file
            pending.tmp = None

    def discard(self, pending: Stored | None) -> None:
        """Forget a table whose file had an error (or whose load was interrupted)."""
        if pending is not None:
            pending.blob = None
        if pending is not None and pending.tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(pending.tmp)
            pending.tmp = None

    # --- small tables: one file for the folder -----------------------------------------

    def _tables(self) -> dict[str, tuple[list[Any], bytes]]:
        """The small tables stored for this folder: kind -> (entry, payload)."""
        if self._tb_stored is None:
            self._tb_stored = {}
            payload = read_entry(self._file("tables"), ["tables"], self._ctx)
            value = loads(payload) if payload is not None else None
            if (type(value) is dict and len(value) <= _BUNDLE_ENTRIES and all(
                    type(k) is str and type(v) is tuple and len(v) == 2
                    and type(v[0]) is list and type(v[1]) is bytes
                    for k, v in value.items())):
                self._tb_stored = value
        return self._tb_stored

    def _flush_tables(self) -> None:
        """Write the small tables this run kept, with those stored for kinds it did
        not read again (``-k`` reads only some), as one file. Never raises."""
        if not self._tb_new:
            return
        new = self._tb_new
        merged = {**self._tables(), **new}
        self._tb_stored, self._tb_new = None, {}
        tables = {k: v for k, v in merged.items() if v is not None}
        if not tables or len(tables) > _BUNDLE_ENTRIES:
            with contextlib.suppress(OSError):
                os.unlink(self._file("tables"))
            return
        try:
            payload = marshal.dumps(tables, MARSHAL_VERSION)
        except (ValueError, RecursionError):
            return
        if fits(payload):
            write_entry(self._file("tables"),
                        {"format": FORMAT, "context": self._ctx, "entry": ["tables"]},
                        payload)
            # One listing tidies the tables files and each kind's own files (from
            # other folders, or a big table's: those kinds' own files are not
            # written when they fit in here), and deletes this folder's own file
            # of each kind this run stored here (an earlier version wrote one a
            # kind; a table that was big once): no run reads it while it fits here.
            mine = {self._file(kind).name for kind, v in new.items() if v is not None}
            prune_families(self.folder, [("tables-", ".bin"), *(
                (f"{kind}-", ".bin") for kind in sorted(tables))], retired=mine.__contains__)

    def flush(self) -> None:
        """Write the small tables this run kept (one file) and the postmortems
        (:meth:`flush_postmortems`). Called after loading (and at exit); a second
        call writes only what is new since the first. Never raises."""
        self._flush_tables()
        self.flush_postmortems()
