"""The ``files`` source: the org data folder described in DATA.md.

Configured as ``sources: {files: {path: org/}}``; the path is relative to the
directory holding the config. Files it reads (every one optional)::

    teams.yaml  services.yaml  goals.yaml        (.yaml, .yml or .json)
    deployments.*  incidents.*  pull_requests.*  ci_runs.*  iterations.*
    surveys/westrum.*                            (.csv, .jsonl, .json, .yaml, .yml)
    reviews.csv                                  reviews of pull requests (or .jsonl,
                                                 .json, .yaml, .yml)
    postmortems/*.md                             YAML front matter + ## sections

Choices made here, beyond DATA.md:

- ``pull_requests`` yield the kind ``changes``; a YAML file may use the key
  ``pull_requests:`` or ``changes:``, and ``surveys/westrum.yaml`` the key
  ``survey_answers:`` or ``answers:``.
- ``reviews.csv`` (or any tabular format, the YAML/JSON key ``reviews:``)
  holds one review a row: ``pull_request`` (or ``change``) names the change
  id, then ``user``, ``state`` and ``submitted_at``. It is found and checked
  as every data file is (one of its formats, a safe path, its field names);
  its rows are appended to the change's ``reviews``; a row naming no known
  change is a warning.
- ``null`` in JSON/YAML means absent, as an empty CSV cell does.
- Ids and references (``id``, ``service``, ``owner``, ``team``, ``caused_by``,
  ``remediates``, ``incident``, a deployment's ``changes``...) become strings,
  so ``caused_by: 17`` in YAML joins ``id`` 17 of a CSV file.
- ``postmortems/README.md`` and files starting with ``_`` (templates) are not
  postmortems.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from guardrails import yamlio
from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import UsageError
from guardrails.safeopen import SafeOpener
from guardrails.sourcebase import Source, SourceEnv, hookimpl
from guardrails.sources.files_cache import FactCache
from guardrails.sources.files_entries import ENTRIES, REVIEWS, entry_of
from guardrails.sources.files_fields import known_fields, stray_fields
from guardrails.sources.files_folder import FolderFinding
from guardrails.sources.files_formats import Layout, Table, record_check
from guardrails.sources.files_index import RecordRows
from guardrails.sources.files_postmortems import read_postmortem
from guardrails.sources.files_tables import (
    REVIEW_LINKS,
    as_data_error,
    checked_records,
    kept_if_clean,
    layout_of,
    parse_table,
    review_rows,
)
from guardrails.textsafe import excerpt

_SETTLE_AT = 50_000  # facts loaded from which validate() ends with one full gc.collect()


class FilesSource(FolderFinding, Source):
    """Facts from the org data folder: every file present is validated.

    Finding the files and their safety is :class:`FolderFinding`'s
    (guardrails.sources.files_folder); reading one table is
    guardrails.sources.files_tables's, one postmortem
    guardrails.sources.files_postmortems's.
    """

    name: ClassVar[str] = "files"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {
                "type": "string", "default": "org",
                "description": "The org data folder, relative to the directory of the config.",
            },
            "skip": {
                "type": "array", "items": {"type": "string"},
                "description": "Kinds (plural names) whose files are not read, because "
                               "another source provides them (e.g. a code host's "
                               "deployments).",
            },
        },
        "additionalProperties": False,
    }

    def __init__(self, options: Mapping[str, Any], env: SourceEnv) -> None:
        super().__init__(options, env)
        self.path = str(self.options.get("path", "org"))
        self._folder: Path | None = None
        self._files: dict[str, list[Path]] | None = None
        self._facts: dict[str, list[dict[str, Any]]] = {}
        self._tables: dict[str, Table] = {}
        self._index: dict[str, RecordRows] = {}
        self._plain: set[Path] = set()  # postmortem files scandir saw as plain files
        self._nested: list[Path] = []  # the reviews file (_discover)
        self._strays_warned = False  # _warn_strays ran (once an instance)
        self.stray_warnings: dict[Path, str] = {}  # _warn_strays's, by the file's path
        self._safe: dict[Path, bool] = {}  # folder -> folder_is_safe (see _readable)
        self._cache: FactCache | None = None
        self._cache_opened = False

    # --- the Source interface ---------------------------------------------

    def provides(self) -> set[str]:
        if self._files is None:  # asked before (or without) a validation
            kinds = self._kinds_present()
            if kinds is not None:
                return kinds
        return set(self._discover())

    def validate(self) -> None:
        """Parse and validate every data file present, keeping the results."""
        for kind in self._discover():
            self._load(kind)
        reviews = self._reviews_file()
        if reviews is not None and "changes" not in self._facts:
            with as_data_error(), self._opener() as opener:
                # reviews without pull requests: still checked
                self._reviews(self._fact_cache(), opener, reviews)
        self._flush_cache()
        if gc.isenabled() and sum(map(len, self._facts.values())) >= _SETTLE_AT:
            # Loading ran with the collector paused, so every object it made
            # is in the youngest generation, and each of the run's later
            # middle-generation collections walks all of them again (nine
            # walks of ~4M objects at 100k facts). One full collection now
            # moves them to the oldest generation, which only a full
            # collection walks, and that waits until the heap grows by a
            # quarter. Small data skips it (a full collection of the
            # interpreter's own objects costs more than it saves). With the
            # collector off, whoever turned it off moves them when turning
            # it back on (Session.run's collector.enable_unwalked: freeze + unfreeze,
            # no walk); a collection here walked ~4M objects for nothing
            # (0.15-0.3 s of CPU at 100k facts).
            gc.collect()

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        present = self._discover()
        gathered = {k: list(self._load(k)) for k in sorted(kinds) if k in present}
        self._flush_cache()
        return gathered

    def _flush_cache(self) -> None:
        """Write what the fact cache kept of this load: the small tables in one file
        (guardrails.sources.files_cache), once, not a file a kind."""
        if self._cache is not None:
            self._cache.flush()

    def locate(self, kind: str, fact: Mapping[str, Any],
               field: str | None = None) -> tuple[str, int | None] | None:
        """(file, line) of a fact this source read (of its ``field`` when given).

        Used for warnings about the fact (a dangling reference) and for the
        location of evidence naming it (the row of ``deployment/dep-5560``).
        The file is shown as the user names it (relative to the config's
        folder); the line is None when unknown (a postmortem as a whole).
        The record index is built on the first question, so a clean run
        pays nothing.
        """
        if kind == "postmortems":
            file = fact.get("file")
            if not isinstance(file, str):
                return None
            lines = fact.get("lines") or []
            for n, text in enumerate(lines[: fact.get("body_line") or len(lines)], 1):
                if field and text.startswith(f"{field}:"):
                    return file, n
            return file, None
        table = self._tables.get(kind)
        if table is None:
            return None
        index = self._index.get(kind)
        if index is None:
            index = self._index[kind] = RecordRows(table.records)
        i = index.row(fact)
        if i is None:
            return None
        return table.display, table.line(i, (field,) if field else ())

    def describe(self) -> str:
        shown = self.env.display(self._root())
        return f"files {shown.rstrip('/')}/"


    # --- loading ------------------------------------------------------------

    def _fact_cache(self) -> FactCache | None:
        """The records remembered from earlier runs (guardrails.sources.files_cache)."""
        if not self._cache_opened:
            self._cache_opened = True
            self._cache = FactCache.open(self.env.cache_dir, self._root())
        return self._cache

    def _load(self, kind: str) -> list[dict[str, Any]]:
        if kind in self._facts:
            return self._facts[kind]
        paths = self._discover()[kind]
        cache = self._fact_cache()
        # The collector paused: reading makes a container per record and frees none.
        with as_data_error(), yamlio.gc_paused(), self._opener() as opener:
            if kind == "postmortems":
                shown = self.env.display(paths[0].parent)
                folder = "" if shown == "." else shown + os.sep
                facts = [self._postmortem(p, folder, cache, opener) for p in paths]
                if cache is not None:
                    cache.flush_postmortems()
            else:
                facts = self._tabular(kind, paths[0], cache, opener)
                if kind == "changes":
                    self._attach_reviews(facts, opener)
        self._facts[kind] = facts
        return facts

    def _tabular(self, kind: str, path: Path, cache: FactCache | None,
                 opener: SafeOpener) -> list[dict[str, Any]]:
        entry = next(e for e in ENTRIES if e.kind == kind)
        suffix = path.suffix.lower()
        table, text, pending = parse_table(kind, path, self.env.display(path),
                                           lambda: layout_of(kind, entry.keys), cache, opener)
        with kept_if_clean(cache, pending):
            records = checked_records(kind, table, text, suffix, self.env.timezone)
            # Once a file, on cached records too: a warm run warns as the cold one did.
            self.warnings.extend(stray_fields(table, known_fields(record_check(kind).schema),
                                              KINDS[kind].singular))
            self._tables[kind] = table
            return records

    # --- reviews.csv ----------------------------------------------------------

    def _reviews(self, cache: FactCache | None, opener: SafeOpener, path: Path,
                 ) -> list[tuple[str, int, dict[str, Any]]]:
        """(change id, line, review) of every row of the reviews file at ``path``."""
        table, text, pending = parse_table(
            REVIEWS, path, self.env.display(path),
            lambda: Layout(what="review", keys=("reviews",),
                           required=record_check("changes", "review").required),
            cache, opener)
        with kept_if_clean(cache, pending):
            rows = review_rows(table, self.env.timezone, known=text is None)
            self.warnings.extend(stray_fields(
                table, known_fields(record_check("changes", "review").schema), "review",
                REVIEW_LINKS))
            return rows

    def _attach_reviews(self, changes: list[dict[str, Any]], opener: SafeOpener) -> None:
        path = self._reviews_file()
        if path is None:
            return
        by_id = {c["id"]: c for c in changes}
        for change, line, review in self._reviews(self._fact_cache(), opener, path):
            target = by_id.get(change)
            if target is None:
                self.warnings.append(
                    f"{self.env.display(path)}:{line}: "
                    f"review of change {excerpt(change, 60)}, which is not in the data"
                )
                continue
            target.setdefault("reviews", []).append(review)

    # --- postmortems ------------------------------------------------------------

    def _postmortem(self, path: Path, folder: str | None, cache: FactCache | None,
                    opener: SafeOpener) -> dict[str, Any]:
        # The folder's display prefix is worked out once: resolving each file's
        # path costs a stat a path component. A symlink may lead elsewhere.
        plain = path in self._plain or not path.is_symlink()
        display = (folder + path.name if folder is not None and plain
                   else self.env.display(path))
        return read_postmortem(path, display, self.env.timezone, cache, opener)


def validate_file(source: FilesSource, path: Path) -> bool:
    """Validate one data file of the folder as :meth:`FilesSource.validate` would.

    For ``guardrails validate FILE``: the checks that can fail on this file
    and no other file's (its kind's schema and shape, ids unique in it, dates
    in order, a safe path; a postmortem alone; the reviews file alone), plus
    the one check across files that names it: two files holding its kind.
    Raises the error the whole-folder validation raises for the file (a
    :class:`DataFileError`; a :class:`UsageError` for two files of one kind).
    Returns False for a file that feeds no kind (not data, or a
    kind in ``skip``), which the folder's validation does not read either.
    """
    kinds = source.feeds(path)
    if not kinds:
        return False
    folder = source._root()
    kind = next(iter(kinds))
    if kind == "postmortems":
        if kind in (source.options.get("skip") or ()):
            return False
        pm_path = folder / "postmortems" / path.name
        if source._readable(pm_path):
            shown = source.env.display(pm_path.parent)
            with as_data_error(), yamlio.gc_paused(), source._opener() as opener:
                source._postmortem(pm_path, "" if shown == "." else shown + os.sep, None,
                                   opener)
        return True
    entry = entry_of(source._relative(path) or "")
    assert entry is not None  # feeds() found it
    # The reviews are read even when "changes" is skipped, as validate() does.
    if entry.into is None and kind in (source.options.get("skip") or ()):
        return False
    paths = [folder / f"{entry.stem}{s}" for s in entry.suffixes]
    paths = [p for p in paths if source._readable(p)]
    if len(paths) > 1:
        shown = " and ".join(source.env.display(p) for p in paths)
        raise UsageError(
            f"two files hold {entry.kind}: {shown}", file=source.env.display(paths[0]),
            fix="keep one of them (the data of a kind lives in one file)",
        )
    if paths:
        with as_data_error(), yamlio.gc_paused(), source._opener() as opener:
            if entry.into is not None:
                source._reviews(None, opener, paths[0])
            else:
                source._tabular(kind, paths[0], None, opener)
    return True


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    return [FilesSource]
