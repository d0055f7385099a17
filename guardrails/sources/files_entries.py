"""Which file of the org data folder holds which kind (``files`` source).

The table of data files (:data:`ENTRIES`: each kind's path stem, suffixes and
the keys a YAML or JSON document may hold it under; ``reviews.*`` holds rows of
the changes' records) and the names it gives. It is only names: finding the
files on disk and refusing unsafe ones is
:mod:`guardrails.sources.files_folder`'s, reading one is
:mod:`guardrails.sources.files`'s, and both read this table.
"""

from __future__ import annotations

from guardrails.records import record as record_class

TABULAR = (".csv", ".jsonl", ".json", ".yaml", ".yml")
DOCUMENT = (".yaml", ".yml", ".json")


@record_class(frozen=True)
class _Entry:
    """A data file a folder may hold: its fact kind, path stem, suffixes and keys."""

    kind: str  # plural fact kind (or, with ``into``, the list of that kind's records)
    stem: str  # file path inside the folder, without suffix
    suffixes: tuple[str, ...]
    keys: tuple[str, ...]  # accepted mapping keys of YAML/JSON documents
    into: str | None = None  # the fact kind whose records hold its rows (reviews: changes)

    def __init__(self, kind: str, stem: str, suffixes: tuple[str, ...],
                 keys: tuple[str, ...], into: str | None = None) -> None:
        _set = object.__setattr__
        _set(self, "kind", kind)
        _set(self, "stem", stem)
        _set(self, "suffixes", suffixes)
        _set(self, "keys", keys)
        _set(self, "into", into)

    @property
    def feeds(self) -> str:
        """The fact kind a file of this entry feeds."""
        return self.into or self.kind


#: the entry whose rows are no kind of their own: each is appended to its change's reviews
REVIEWS = "reviews"
ENTRIES = (
    _Entry("teams", "teams", DOCUMENT, ("teams",)),
    _Entry("services", "services", DOCUMENT, ("services",)),
    _Entry("goals", "goals", DOCUMENT, ("goals",)),
    _Entry("iterations", "iterations", TABULAR, ("iterations",)),
    _Entry("deployments", "deployments", TABULAR, ("deployments",)),
    _Entry("incidents", "incidents", TABULAR, ("incidents",)),
    _Entry("changes", "pull_requests", TABULAR, ("pull_requests", "changes")),
    _Entry("ci_runs", "ci_runs", TABULAR, ("ci_runs",)),
    _Entry("survey_answers", "surveys/westrum", TABULAR, ("survey_answers", "answers")),
    # one review a row, appended to its change's reviews (guardrails.sources.files)
    _Entry("reviews", "reviews", TABULAR, ("reviews",), into="changes"),
)


#: the names of the data files, by the folder they sit in ("" or "surveys/")
WANTED = {sub: frozenset(f"{e.stem[len(sub):]}{s}" for e in ENTRIES
                         if e.stem.startswith(sub) and "/" not in e.stem[len(sub):]
                         for s in e.suffixes)
          for sub in ("", "surveys/")}


def entry_of(rel: str) -> _Entry | None:
    """The entry of the data file at ``rel`` (a path inside the folder), or None."""
    stem, dot, suffix = rel.rpartition(".")
    for entry in ENTRIES:
        if dot and stem == entry.stem and f".{suffix}" in entry.suffixes:
            return entry
    return None
