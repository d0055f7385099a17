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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any, ClassVar

from guardrails import validation, yamlio
from guardrails.errors import DataFileError, UsageError
from guardrails.facts import KINDS
from guardrails.plugin import Source, SourceEnv, hookimpl
from guardrails.sources import postmortem
from guardrails.sources.files_formats import Layout, RecordCheck, Table, read_table, record_check
from guardrails.timeutil import NaiveTimestamp, parse_date_or_timestamp, parse_timestamp

_TABULAR = (".csv", ".jsonl", ".json", ".yaml", ".yml")
_DOCUMENT = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class _Entry:
    kind: str  # plural fact kind
    stem: str  # file path inside the folder, without suffix
    suffixes: tuple[str, ...]
    keys: tuple[str, ...]  # accepted mapping keys of YAML/JSON documents


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
REVIEW_LINKS = ("pull_request", "change")

# Fields holding ids, made strings so joins work across formats.
_REFS: dict[str, tuple[str, ...]] = {
    "teams": ("id", "parent"),
    "services": ("id", "owner"),
    "deployments": ("id", "service", "remediates"),
    "incidents": ("id", "service", "caused_by"),
    "changes": ("id",),
    "ci_runs": ("id",),
    "iterations": ("team",),
    "goals": ("id", "team"),
    "postmortems": ("incident",),
    "survey_answers": ("team",),
}
_TS, _DATE = "timestamp", "date"
# The line of a path inside the record being read (None when unknown).
_LineOf = Callable[[tuple[Any, ...]], int | None]
# kind -> (list field, {item field: timestamp|date}, item id fields)
_NESTED: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "teams": ("members", {}, ("handle",)),
    "changes": ("reviews", {"submitted_at": _TS}, ("user",)),
    "postmortems": ("action_items", {"due": _DATE}, ()),
    "goals": ("key_results", {"due": _DATE}, ()),
}


def _layout(kind: str, keys: tuple[str, ...]) -> Layout:
    k = KINDS[kind]
    return Layout(
        what=k.singular, keys=keys, lists=frozenset(k.lists), integers=frozenset(k.integers),
        numbers=frozenset(k.numbers), required=record_check(kind).required,
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
        },
        "additionalProperties": False,
    }

    def __init__(self, options: Mapping[str, Any], env: SourceEnv) -> None:
        super().__init__(options, env)
        self.path = str(self.options.get("path", "org"))
        self._folder: Path | None = None
        self._files: dict[str, list[Path]] | None = None
        self._facts: dict[str, list[dict[str, Any]]] = {}

    # --- the Source interface ---------------------------------------------

    def provides(self) -> set[str]:
        return set(self._discover())

    def validate(self) -> None:
        """Parse and validate every data file present, keeping the results."""
        for kind in self._discover():
            self._load(kind)
        if (self._root() / REVIEWS_FILE).is_file() and "changes" not in self._facts:
            with _as_data_error():
                self._reviews()  # reviews without pull requests: still checked

    def gather(self, kinds: set[str]) -> dict[str, list[dict[str, Any]]]:
        present = self._discover()
        return {k: list(self._load(k)) for k in sorted(kinds) if k in present}

    def describe(self) -> str:
        shown = self.env.display(self._root())
        return f"files {shown.rstrip('/')}/"

    # --- where the files are ------------------------------------------------

    def _root(self) -> Path:
        if self._folder is not None:
            return self._folder
        root = self.env.root.resolve()
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
            paths = [p for p in paths if p.is_file()]
            if len(paths) > 1:
                shown = " and ".join(self.env.display(p) for p in paths)
                raise UsageError(
                    f"two files hold {entry.kind}: {shown}",
                    file=self.env.display(paths[0]),
                    fix="keep one of them (the data of a kind lives in one file)",
                )
            if paths:
                found[entry.kind] = paths
        pm_dir = folder / "postmortems"
        if pm_dir.is_dir():
            pms = sorted(
                p for p in pm_dir.glob("*.md")
                if p.is_file() and p.name.lower() != "readme.md"
                and not p.name.startswith(("_", "."))
            )
            if pms:
                found["postmortems"] = pms
        self._files = found
        return found

    # --- loading ------------------------------------------------------------

    def _load(self, kind: str) -> list[dict[str, Any]]:
        if kind in self._facts:
            return self._facts[kind]
        paths = self._discover()[kind]
        with _as_data_error():
            if kind == "postmortems":
                facts = [self._postmortem(p) for p in paths]
            else:
                facts = self._tabular(kind, paths[0])
                if kind == "changes":
                    self._attach_reviews(facts)
        self._facts[kind] = facts
        return facts

    def _read(self, path: Path, layout: Layout) -> Table:
        display = self.env.display(path)
        return read_table(yamlio.read_text(path, display), display, path.suffix.lower(), layout)

    def _tabular(self, kind: str, path: Path) -> list[dict[str, Any]]:
        entry = next(e for e in ENTRIES if e.kind == kind)
        table = self._read(path, _layout(kind, entry.keys))
        check = record_check(kind)
        id_field = KINDS[kind].id_field
        seen: dict[str, int] = {}
        out = []
        for i, record in enumerate(table.records):
            record = self._valid(record, check, kind, table, i)
            if id_field is not None:
                ident = record[id_field]
                if ident in seen:
                    first = table.line(seen[ident])
                    raise DataFileError(
                        f"duplicate {KINDS[kind].singular} id {ident!r} (first on line {first})",
                        file=table.display, line=table.line(i),
                        fix="ids must be unique within a kind; remove or rename one",
                    )
                seen[ident] = i
            out.append(record)
        return out

    def _valid(
        self, record: Any, check: RecordCheck, kind: str, table: Table, i: int
    ) -> dict[str, Any]:
        """Validate one record and return it normalised."""
        record = _drop_nulls(record, _NESTED.get(kind, ("",))[0])
        if not check.fast(record):
            _raise_schema_error(check, record, table, i)
        self._normalise(record, kind, lambda path: table.line(i, path), table.display)
        return record

    def _normalise(
        self, record: dict[str, Any], kind: str, line: _LineOf, display: str
    ) -> None:
        k = KINDS[kind]
        tz = self.env.timezone
        for name in k.timestamps:
            if name in record:
                record[name] = _when(record[name], name, _TS, tz, display, line, (name,))
        for name in k.dates:
            if name in record:
                record[name] = _when(record[name], name, _DATE, tz, display, line, (name,))
        for name in _REFS.get(kind, ()):
            if name in record:
                record[name] = _ref(record[name])
        if kind == "deployments":
            record.setdefault("environment", "production")
            if "changes" in record:
                record["changes"] = [_ref(c) for c in record["changes"]]
        nested = _NESTED.get(kind)
        if nested and nested[0] in record:
            list_field, times, ids = nested
            for j, item in enumerate(record[list_field]):
                for name, how in times.items():
                    if name in item:
                        path = (list_field, j, name)
                        item[name] = _when(item[name], name, how, tz, display, line, path)
                for name in ids:
                    if name in item:
                        item[name] = _ref(item[name])

    # --- reviews.csv ----------------------------------------------------------

    def _reviews(self) -> list[tuple[str, int, dict[str, Any]]]:
        """(change id, line, review) of every row of reviews.csv."""
        path = self._root() / REVIEWS_FILE
        layout = Layout(what="review", keys=("reviews",),
                        required=record_check("changes", "review").required)
        table = self._read(path, layout)
        link = next((c for c in REVIEW_LINKS if c in table.columns), None)
        if link is None:
            raise DataFileError(
                "the header names no column 'pull_request' saying which change a review is of",
                file=table.display, line=1,
                fix="add a 'pull_request' (or 'change') column holding the change id",
            )
        check = record_check("changes", "review")
        out = []
        for i, record in enumerate(table.records):
            change = record.pop(link, None)
            if change is None:
                raise DataFileError(
                    f"the review names no change: the {link!r} cell is empty",
                    file=table.display, line=table.line(i), fix="write the change id",
                )
            if not check.fast(record):
                _raise_schema_error(check, record, table, i)
            line = table.line(i)
            tz = self.env.timezone
            if "submitted_at" in record:
                record["submitted_at"] = _when(
                    record["submitted_at"], "submitted_at", _TS, tz, table.display,
                    lambda path, line=line: line, ("submitted_at",),
                )
            out.append((change, line or 0, record))
        return out

    def _attach_reviews(self, changes: list[dict[str, Any]]) -> None:
        if not (self._root() / REVIEWS_FILE).is_file():
            return
        by_id = {c["id"]: c for c in changes}
        for change, line, review in self._reviews():
            target = by_id.get(change)
            if target is None:
                self.warnings.append(
                    f"{self.env.display(self._root() / REVIEWS_FILE)}:{line}: "
                    f"review of change {change}, which is not in the data"
                )
                continue
            target.setdefault("reviews", []).append(review)

    # --- postmortems ------------------------------------------------------------

    def _postmortem(self, path: Path) -> dict[str, Any]:
        display = self.env.display(path)
        doc = postmortem.parse(yamlio.read_text(path, display), display)
        # One record at index 0: its positions are those of the front matter.
        positions = {(0, *path): pos for path, pos in doc.positions.items()}
        table = Table(display, [doc.front], positions=positions)
        front = self._valid(doc.front, record_check("postmortems"), "postmortems", table, 0)
        fact = dict(front)
        fact.update(
            id=path.name,
            file=display,
            sections=doc.sections,
            section_lines=doc.section_lines,
            sections_normalized=postmortem.normalize_sections(doc.sections),
            lines=doc.lines,
            body_line=doc.body_line,
        )
        return fact


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


def _ref(value: Any) -> Any:
    """An id as text: the schema admits integers (1.0 included) where ids go."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else value


def _drop_nulls(record: Any, nested: str) -> Any:
    if not isinstance(record, dict):
        return record
    if None in record.values():
        record = {k: v for k, v in record.items() if v is not None}
    items = record.get(nested)
    if isinstance(items, list):
        record[nested] = [
            {k: v for k, v in item.items() if v is not None} if isinstance(item, dict) else item
            for item in items
        ]
    return record


def _raise_schema_error(check: RecordCheck, record: Any, table: Table, i: int) -> None:
    err = check.first_error(record)
    if err is None:  # jsonschema is the authority; the fast predicate was stricter
        return
    msg, fix = validation.describe_error(err)
    what = check.definition or KINDS[check.schema_name].singular
    raise DataFileError(
        f"invalid {what}: {msg}",
        file=table.display, line=table.line(i, tuple(err.absolute_path)),
        fix=fix or f"see the fields in `guardrails schema {check.schema_name}`",
    )


def _when(
    value: Any, name: str, how: str, tz: tzinfo | None, display: str, line: _LineOf,
    path: tuple[Any, ...],
) -> Any:
    try:
        if how == _TS:
            return parse_timestamp(value, tz)
        return parse_date_or_timestamp(value, tz)
    except NaiveTimestamp:
        raise DataFileError(
            f"{name}: the timestamp {value!r} has no UTC offset",
            file=display, line=line(path),
            fix="add 'Z' or an offset such as '+02:00', or set 'timezone:' in guardrails.yaml",
        ) from None
    except ValueError as exc:
        example = "2026-10-07T14:30:00Z" if how == _TS else "2026-11-30"
        raise DataFileError(
            f"{name}: {exc}", file=display, line=line(path), fix=f"write e.g. {example}"
        ) from None


@hookimpl
def guardrails_gather_sources() -> list[type[Source]]:
    return [FilesSource]
