"""The ``files`` source: the org data folder described in DATA.md.

Configured as ``sources: {files: {path: org/}}``; the path is relative to the
directory holding the config. Files it reads (every one optional)::

    teams.yaml  services.yaml  goals.yaml        (.yaml, .yml or .json)
    deployments.*  incidents.*  pull_requests.*  ci_runs.*  iterations.*
    surveys/westrum.*                            (.csv, .jsonl, .json, .yaml, .yml)
    reviews.csv                                  reviews of pull requests
    postmortems/*.md                             YAML front matter + ## sections

Choices made here, beyond DATA.md:

- ``pull_requests`` yield the kind ``changes``; a YAML file may use the key
  ``pull_requests:`` or ``changes:``, and ``surveys/westrum.yaml`` the key
  ``survey_answers:`` or ``answers:``.
- ``reviews.csv`` holds one review a row: ``pull_request`` (or ``change``)
  names the change id, then ``user``, ``state`` and ``submitted_at``. Its rows
  are appended to the change's ``reviews``; a row naming no known change is a
  warning.
- ``null`` in JSON/YAML means absent, as an empty CSV cell does.
- Ids and references (``id``, ``service``, ``owner``, ``team``, ``caused_by``,
  ``remediates``, ``incident``, a deployment's ``changes``...) become strings,
  so ``caused_by: 17`` in YAML joins ``id`` 17 of a CSV file.
- ``postmortems/README.md`` and files starting with ``_`` (templates) are not
  postmortems.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from guardrails import validation, yamlio
from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import DataFileError, UsageError
from guardrails.paths import check_file, folder_is_safe
from guardrails.records import record as record_class
from guardrails.sections import normalize_sections
from guardrails.sourcebase import Source, SourceEnv, hookimpl
from guardrails.sources import postmortem
from guardrails.sources.files_cache import FactCache, Stored, digest
from guardrails.sources.files_formats import (
    Layout,
    RecordCheck,
    Table,
    always_valid,
    file_known_valid,
    read_table,
    record_check,
    remember_file,
)
from guardrails.sources.files_index import RecordRows
from guardrails.sources.files_normalise import NESTED, normaliser, set_timestamps
from guardrails.textsafe import excerpt, quoted

_TABULAR = (".csv", ".jsonl", ".json", ".yaml", ".yml")
_DOCUMENT = (".yaml", ".yml", ".json")


@record_class(frozen=True)
class _Entry:
    kind: str  # plural fact kind
    stem: str  # file path inside the folder, without suffix
    suffixes: tuple[str, ...]
    keys: tuple[str, ...]  # accepted mapping keys of YAML/JSON documents

    def __init__(self, kind: str, stem: str, suffixes: tuple[str, ...],
                 keys: tuple[str, ...]) -> None:
        _set = object.__setattr__
        _set(self, "kind", kind)
        _set(self, "stem", stem)
        _set(self, "suffixes", suffixes)
        _set(self, "keys", keys)


ENTRIES = (
    _Entry("teams", "teams", _DOCUMENT, ("teams",)),
    _Entry("services", "services", _DOCUMENT, ("services",)),
    _Entry("goals", "goals", _DOCUMENT, ("goals",)),
    _Entry("iterations", "iterations", _TABULAR, ("iterations",)),
    _Entry("deployments", "deployments", _TABULAR, ("deployments",)),
    _Entry("incidents", "incidents", _TABULAR, ("incidents",)),
    _Entry("changes", "pull_requests", _TABULAR, ("pull_requests", "changes")),
    _Entry("ci_runs", "ci_runs", _TABULAR, ("ci_runs",)),
    _Entry("survey_answers", "surveys/westrum", _TABULAR, ("survey_answers", "answers")),
)
REVIEWS_FILE = "reviews.csv"
#: records of a file from which they are first checked in one engine call
#: (fastvalid.every_item); below, the second engine's build costs more than it saves
_BATCH_AT = 1_000
_SETTLE_AT = 50_000  # facts loaded from which validate() ends with one full gc.collect()
REVIEW_LINKS = ("pull_request", "change")

def _layout(kind: str, keys: tuple[str, ...]) -> Layout:
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


class FilesSource(Source):
    """Facts from the org data folder: every file present is validated."""

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
        self._safe: dict[Path, bool] = {}  # folder -> folder_is_safe (see _readable)
        self._cache: FactCache | None = None
        self._cache_opened = False

    # --- the Source interface ---------------------------------------------

    def provides(self) -> set[str]:
        return set(self._discover())

    def validate(self) -> None:
        """Parse and validate every data file present, keeping the results."""
        for kind in self._discover():
            self._load(kind)
        if self._readable(self._root() / REVIEWS_FILE) and "changes" not in self._facts:
            with _as_data_error():
                self._reviews(self._fact_cache())  # reviews without pull requests: still checked
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
        return {k: list(self._load(k)) for k in sorted(kinds) if k in present}

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

    def feeds(self, path: Path) -> set[str]:
        """The kind a data file of the folder holds (``reviews.csv`` feeds ``changes``)."""
        folder = (self.env.root / self.path).resolve()
        try:
            # The parent resolved, not the name: a link's own name says what it holds.
            rel = (path.parent.resolve() / path.name).relative_to(folder).as_posix()
        except ValueError:
            return set()
        if rel == REVIEWS_FILE:
            return {"changes"}
        head, _, name = rel.rpartition("/")
        if head == "postmortems" and name.endswith(".md"):
            is_postmortem = name.lower() != "readme.md" and not name.startswith(("_", "."))
            return {"postmortems"} if is_postmortem else set()
        stem, dot, suffix = rel.rpartition(".")
        for entry in ENTRIES:
            if dot and stem == entry.stem and f".{suffix}" in entry.suffixes:
                return {entry.kind}
        return set()

    # --- where the files are ------------------------------------------------

    def _root(self) -> Path:
        if self._folder is not None:
            return self._folder
        root = self.env.real_root()
        folder = (self.env.root / self.path).resolve()
        if not self.env.allow_outside_root and not folder.is_relative_to(root):
            raise UsageError(
                f"sources.files.path {self.path!r} resolves to {folder}, "
                f"outside the directory holding the config ({root})",
                fix="move the org data folder under that directory, "
                "or set 'allow_outside_root: true' in guardrails.yaml",
            )
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise UsageError(
                f"the org data folder {self.path!r} of sources.files.path {what} "
                f"(looked for {folder})",
                fix="run 'guardrails init' to scaffold one, "
                "or set sources.files.path in guardrails.yaml to your data folder",
            )
        self._folder = folder
        return folder

    def _discover(self) -> dict[str, list[Path]]:
        if self._files is not None:
            return self._files
        folder = self._root()
        found: dict[str, list[Path]] = {}
        for entry in ENTRIES:
            paths = [folder / f"{entry.stem}{s}" for s in entry.suffixes]
            paths = [p for p in paths if self._readable(p)]
            if len(paths) > 1:
                shown = " and ".join(self.env.display(p) for p in paths)
                raise UsageError(
                    f"two files hold {entry.kind}: {shown}",
                    file=self.env.display(paths[0]),
                    fix="keep one of them (the data of a kind lives in one file)",
                )
            if paths:
                found[entry.kind] = paths
        self._warn_strays(folder)
        pm_dir = folder / "postmortems"
        if pm_dir.is_dir():
            pms = self._postmortem_files(pm_dir)
            if pms:
                found["postmortems"] = pms
        for kind in self.options.get("skip") or ():
            found.pop(str(kind), None)
        self._files = found
        return found

    def _warn_strays(self, folder: Path) -> None:
        """Warn of a file that looks like data but is no file this source reads.

        A misspelt or mis-cased name (``deploymnets.csv``, ``Teams.yaml``) and a
        folder named as a data file would otherwise read as "no deployments data",
        a skip the user takes for missing data rather than a typo. One listing of
        the folder (and of ``surveys/``); names far from every data file (a
        ``notes.yaml`` kept there) are left alone.
        """
        names = {f"{e.stem}{s}": e.kind for e in ENTRIES for s in e.suffixes}
        names[REVIEWS_FILE] = "changes"
        for sub in ("", "surveys/"):
            try:
                with os.scandir(folder / sub) as it:
                    found = sorted((e.name, e.is_dir()) for e in islice(it, 10_000))
            except OSError:
                continue
            stems = sorted({n[len(sub):].rpartition(".")[0] for n in names
                            if n.startswith(sub) and "/" not in n[len(sub):]})
            for name, is_dir in found:
                stem, dot, suffix = name.rpartition(".")
                if not dot or f".{suffix.lower()}" not in _TABULAR or name.startswith("."):
                    continue
                shown = self.env.display(folder / sub / name)
                if sub + name in names:
                    if is_dir:
                        self.warnings.append(f"{shown} is a folder, not a data file: no "
                                             f"{names[sub + name]} are read from it")
                    continue
                import difflib  # only for a stray file

                close = difflib.get_close_matches(stem.lower(), stems, n=1, cutoff=0.75)
                if close:
                    meant = sub + close[0] + "." + suffix.lower()
                    if meant not in names:
                        meant = next(n for n in names if n.startswith(sub + close[0] + "."))
                    self.warnings.append(
                        f"{shown} is not a data file guardrails reads (did you mean "
                        f"{meant}?): none of its records are read")

    def _postmortem_files(self, pm_dir: Path) -> list[Path]:
        """The postmortem files of ``pm_dir``, sorted by name, each checked readable.

        One ``scandir``: a plain regular file (the usual case) needs no
        ``realpath`` of its own once the folder is known to be safe
        (:func:`guardrails.paths.folder_is_safe`); links and anything else
        take the full :meth:`_readable` check.
        """
        safe = self._safe_folder(pm_dir)
        with os.scandir(pm_dir) as it:
            entries = sorted((e for e in it if e.name.endswith(".md")
                              and e.name.lower() != "readme.md"
                              and not e.name.startswith(("_", "."))), key=lambda e: e.name)
        out = []
        for e in entries:
            path = pm_dir / e.name
            plain = e.is_file(follow_symlinks=False)
            if plain:
                self._plain.add(path)  # no lstat of its own later (see _postmortem)
            if safe and plain or self._readable(path):
                out.append(path)
        return out

    def _shown(self, path: Path) -> str:
        """A path as the user names it: relative to the root, links not followed."""
        try:
            return str(path.relative_to(self.env.real_root()))
        except ValueError:
            return str(path)

    def _readable(self, path: Path) -> bool:
        """Whether ``path`` is there to read: absent is False, unsafe is an error.

        A symbolic link out of the root, to ``/proc``, a device, a FIFO or a
        socket is refused by name (see :mod:`guardrails.paths`); a folder
        where a file is expected is not a data file.
        """
        try:
            mode = os.lstat(path).st_mode
        except (OSError, ValueError):
            return False  # as os.path.lexists says
        # A plain regular file of a safe folder passes check_file without a realpath of
        # its own (paths.folder_is_safe): its folder resolved once, not its every part.
        if stat.S_ISREG(mode) and self._safe_folder(path.parent):
            return True
        if stat.S_ISDIR(mode):
            return False
        check_file(path, root=self.env.root, allow_outside=self.env.allow_outside_root,
                   display=self._shown(path), error=DataFileError, what="data file",
                   real_root=self.env.real_root())
        return True

    def _safe_folder(self, folder: Path) -> bool:
        """:func:`guardrails.paths.folder_is_safe` of ``folder``, once a folder."""
        known = self._safe.get(folder)
        if known is None:
            known = self._safe[folder] = folder_is_safe(
                folder, root=self.env.root, allow_outside=self.env.allow_outside_root,
                real_root=self.env.real_root())
        return known

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
        with _as_data_error(), yamlio.gc_paused():
            if kind == "postmortems":
                shown = self.env.display(paths[0].parent)
                folder = "" if shown == "." else shown + os.sep
                facts = [self._postmortem(p, folder, cache) for p in paths]
                if cache is not None:
                    cache.flush()
            else:
                facts = self._tabular(kind, paths[0], cache)
                if kind == "changes":
                    self._attach_reviews(facts)
        self._facts[kind] = facts
        return facts

    def _parse(self, name: str, path: Path, layout: Callable[[], Layout],
               cache: FactCache | None) -> tuple[Table, str | None, Stored | None]:
        """The table of a tabular file: ``(table, text, pending)``.

        From the cache (``text`` None) when a run with this code found these very
        bytes valid: no parser, no schema engine. Else parsed from ``text``;
        ``pending`` is then what to hand :meth:`FactCache.store` once every record
        passed (taken now, before the records are changed in place).
        """
        display = self.env.display(path)
        raw = yamlio.read_bytes(path, display)
        suffix = path.suffix.lower()
        pending = None
        if cache is not None:
            table, pending = cache.table(name, suffix, raw, display)
            if table is not None:
                return table, None, None
        text = yamlio.decode_text(raw, display)
        del raw  # a big file's bytes are not kept beside its text
        table = read_table(text, display, suffix, layout())
        if pending is not None and cache is not None:
            pending = cache.snapshot(pending, table)
        return table, text, pending

    def _tabular(self, kind: str, path: Path, cache: FactCache | None = None,
                 ) -> list[dict[str, Any]]:
        entry = next(e for e in ENTRIES if e.kind == kind)
        suffix = path.suffix.lower()
        table, text, pending = self._parse(kind, path, lambda: _layout(kind, entry.keys), cache)
        with _kept_if_clean(cache, pending):
            return self._checked(kind, table, text, suffix)

    def _checked(self, kind: str, table: Table, text: str | None,
                 suffix: str) -> list[dict[str, Any]]:
        """Validate (unless known valid) and normalise ``table``'s records in place;
        ``text`` None: the records came from the cache, found valid to the byte."""
        # No schema at all for records from the cache (loading it is ~0.1 ms a kind).
        check = record_check(kind) if text is not None else _NO_CHECK
        # A file this code found valid before, to the byte, needs no schema engine.
        known = text is None or file_known_valid(check, suffix, text)
        fast = always_valid if known else check.fast
        normalise = normaliser(kind, self.env.timezone)
        # Nulls are dropped before validation (null means absent); a table
        # that cannot hold one (CSV, JSON Lines without the word) is not searched.
        nested = NESTED.get(kind, ("",))[0] if table.nulls else ""
        nulls = table.nulls
        records = table.records
        if not known and len(records) >= _BATCH_AT:
            # One engine call for the whole list (the nulls dropped first); a no
            # sends every record through the loop's own check, so the first bad
            # record and its words are the same.
            if nulls:
                for record in records:
                    if type(record) is dict and (nested or None in record.values()):
                        _drop_nulls(record, nested)
                nulls = False
            if check.every(records):
                fast = always_valid
        i, bad = 0, None
        try:
            # Records are validated and normalised in place: the table's list
            # is the facts list, no copy of any record.
            if fast is always_valid and not nulls:
                # Known valid, no null to drop (the cache's records, a file seen
                # before): normalising is all there is (~25 ms less a 320,000-record org).
                for i, record in enumerate(records):
                    normalise(record, table, i)
            else:
                for i, record in enumerate(records):
                    if nulls and type(record) is dict and (nested or None in record.values()):
                        _drop_nulls(record, nested)
                    if not fast(record):
                        _raise_schema_error(check, record, table, i)
                    normalise(record, table, i)
        except DataFileError as exc:
            bad = exc
        # Ids are compared once all are text; a duplicate before a bad record
        # is still the first problem reported, as a reader going down the file sees it.
        # Records from the cache come from a load of these very bytes that passed
        # this check (an entry is kept only when every record passed: _kept_if_clean),
        # and ids normalise alike under any time zone: not compared again (~15 ms a
        # 100,000-record kind, ~0.76 s a warm run at a million facts).
        if text is not None or bad is not None:
            _check_ids(kind, table, i if bad is not None else len(records))
        if bad is not None:
            raise bad
        if text is not None and not known:
            remember_file(check, suffix, text)
        self._tables[kind] = table
        return records

    def _valid(
        self, record: Any, check: RecordCheck, kind: str, table: Table, i: int,
        *, known: bool = False,
    ) -> dict[str, Any]:
        """Validate one record and return it normalised (in place); ``known``: its
        file was found valid before, to the byte (no schema engine needed)."""
        if type(record) is dict:
            _drop_nulls(record, NESTED.get(kind, ("",))[0])
        if not known and not check.fast(record):
            _raise_schema_error(check, record, table, i)
        normaliser(kind, self.env.timezone)(record, table, i)
        return record  # type: ignore[no-any-return]

    # --- reviews.csv ----------------------------------------------------------

    def _reviews(self, cache: FactCache | None = None) -> list[tuple[str, int, dict[str, Any]]]:
        """(change id, line, review) of every row of reviews.csv."""
        path = self._root() / REVIEWS_FILE
        table, text, pending = self._parse(
            "reviews", path, lambda: Layout(what="review", keys=("reviews",),
                                            required=record_check("changes", "review").required),
            cache)
        with _kept_if_clean(cache, pending):
            return self._review_rows(table, known=text is None)

    def _review_rows(self, table: Table, *,
                     known: bool) -> list[tuple[str, int, dict[str, Any]]]:
        check = _NO_CHECK if known else record_check("changes", "review")
        link = next((c for c in REVIEW_LINKS if c in table.columns), None)
        if link is None:
            raise DataFileError(
                "the header names no column 'pull_request' saying which change a review is of",
                file=table.display, line=1,
                fix="add a 'pull_request' (or 'change') column holding the change id",
            )
        out = []
        for i, record in enumerate(table.records):
            change = record.pop(link, None)
            if change is None:
                raise DataFileError(
                    f"the review names no change: the {link!r} cell is empty",
                    file=table.display, line=table.line(i), fix="write the change id",
                )
            if not known and not check.fast(record):
                _raise_schema_error(check, record, table, i)
            line = table.line(i)
            set_timestamps(record, ("submitted_at",), self.env.timezone, table, i, ())
            out.append((change, line or 0, record))
        return out

    def _attach_reviews(self, changes: list[dict[str, Any]]) -> None:
        if not self._readable(self._root() / REVIEWS_FILE):
            return
        by_id = {c["id"]: c for c in changes}
        for change, line, review in self._reviews(self._fact_cache()):
            target = by_id.get(change)
            if target is None:
                self.warnings.append(
                    f"{self.env.display(self._root() / REVIEWS_FILE)}:{line}: "
                    f"review of change {excerpt(change, 60)}, which is not in the data"
                )
                continue
            target.setdefault("reviews", []).append(review)

    # --- postmortems ------------------------------------------------------------

    def _postmortem(self, path: Path, folder: str | None = None,
                    cache: FactCache | None = None) -> dict[str, Any]:
        # The folder's display prefix is worked out once: resolving each file's
        # path costs a stat a path component. A symlink may lead elsewhere.
        plain = path in self._plain or not path.is_symlink()
        display = (folder + path.name if folder is not None and plain
                   else self.env.display(path))
        raw = yamlio.read_bytes(path, display)
        key = digest(raw) if cache is not None else ""
        stored = cache.postmortem(key) if cache is not None else None
        check = _NO_CHECK
        blob = None
        if stored is not None:  # parsed from these very bytes by a run that found it valid
            front, sections, section_lines, normalized, lines, body_line = stored
            known = True
        else:
            text = yamlio.decode_text(raw, display)
            doc = postmortem.parse(text, display, positions=False)
            front, sections, section_lines = doc.front, doc.sections, doc.section_lines
            normalized, lines, body_line = (normalize_sections(doc.sections), doc.lines,
                                            doc.body_line)
            if cache is not None:  # taken before validation changes the front matter
                blob = cache.snapshot_postmortem(
                    (front, sections, section_lines, normalized, lines, body_line), len(raw))
            check = record_check("postmortems")
            known = file_known_valid(check, ".md", text)
        # Front matter positions only when an error needs them: the YAML text
        # again, after a blank line for the opening '---' so lines match the file.
        table = Table(display, [front], text=postmortem.front_text(lines, body_line),
                      single=True)
        front = self._valid(front, check, "postmortems", table, 0, known=known)
        if stored is None and not known:
            remember_file(check, ".md", text)
        if blob is not None and cache is not None:
            cache.keep_postmortem(key, blob)
        front.update(
            id=path.name,
            file=display,
            sections=sections,
            section_lines=section_lines,
            sections_normalized=normalized,
            lines=lines,
            body_line=body_line,
        )
        return front


def validate_file(source: FilesSource, path: Path) -> bool:
    """Validate one data file of the folder as :meth:`FilesSource.validate` would.

    For ``guardrails validate FILE``: the checks that can fail on this file
    and no other file's (its kind's schema and shape, ids unique in it, dates
    in order, a safe path; a postmortem alone; ``reviews.csv`` alone), plus
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
    if path.name == REVIEWS_FILE and path.parent.resolve() == folder:
        # Read even when "changes" is skipped, as validate() does.
        if source._readable(folder / REVIEWS_FILE):
            with _as_data_error():
                source._reviews()
        return True
    kind = next(iter(kinds))
    if kind in (source.options.get("skip") or ()):
        return False
    if kind == "postmortems":
        pm_path = folder / "postmortems" / path.name
        if source._readable(pm_path):
            shown = source.env.display(pm_path.parent)
            with _as_data_error(), yamlio.gc_paused():
                source._postmortem(pm_path, "" if shown == "." else shown + os.sep)
        return True
    entry = next(e for e in ENTRIES if e.kind == kind)
    paths = [folder / f"{entry.stem}{s}" for s in entry.suffixes]
    paths = [p for p in paths if source._readable(p)]
    if len(paths) > 1:
        shown = " and ".join(source.env.display(p) for p in paths)
        raise UsageError(
            f"two files hold {entry.kind}: {shown}", file=source.env.display(paths[0]),
            fix="keep one of them (the data of a kind lives in one file)",
        )
    if paths:
        with _as_data_error(), yamlio.gc_paused():
            source._tabular(kind, paths[0])
    return True


@contextlib.contextmanager
def _kept_if_clean(cache: FactCache | None, pending: Stored | None) -> Iterator[None]:
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
def _as_data_error() -> Iterator[None]:
    """Unreadable text and YAML syntax errors (from yamlio) as DataFileError."""
    try:
        yield
    except DataFileError:
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


_NO_CHECK: Any = _NoCheck()


def _drop_nulls(record: dict[str, Any], nested: str) -> None:
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


def _check_ids(kind: str, table: Table, upto: int) -> None:
    """Refuse a repeated id among the first ``upto`` (normalised) records."""
    id_field = KINDS[kind].id_field
    if id_field is None:
        return
    ids = [r[id_field] for r in islice(table.records, upto)]
    if len(set(ids)) == len(ids):
        return
    seen: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if ident in seen:
            raise DataFileError(
                f"duplicate {KINDS[kind].singular} id {quoted(ident, 60)} "
                f"(first on line {table.line(seen[ident])})",
                file=table.display, line=table.line(i),
                fix="ids must be unique within a kind; remove or rename one",
            )
        seen[ident] = i


def _raise_schema_error(check: RecordCheck, record: Any, table: Table, i: int) -> None:
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
        fix=fix or f"see the fields in `guardrails schema {check.schema_name}`",
    )


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    return [FilesSource]
