"""Field names of a data file that are no field of its kind: a misspelling or a slip.

A record keeps fields its kind does not name (exports carry extra columns,
and a rule's ``where``/``expect`` may read them), so a misspelt field is
simply absent for every check that needs it: ``stauts`` instead of
``status`` reads as "no status", and the rule skips or passes without a
word. :func:`stray_fields` looks at each tabular file's field names once
(the CSV header; for YAML, JSON and JSON Lines the union of every record's
keys, one C call: ~5 ms at 20,000 records) and:

- refuses (exit 4) a name that *is* a field of the kind once case and
  separators are set aside (``Status``, ``finished-at``, ``finishedAt``,
  ``Finished At``) when the file holds no field of the right name: nobody
  means anything else by it, and the data would be read as lacking it;
- warns of a name close to a field (``stauts``, ``servce``, ``finshed_at``,
  or ``Status`` beside ``status`` in other records: :func:`close_field`, at
  most one slip per four letters), once per file and name, with the file, the
  line of the header or of the first record holding it, and "did you mean";
- leaves alone a name far from every field (an export's ``triggered_by``),
  as ``_warn_strays`` leaves a ``notes.yaml`` alone: warning of every
  extra column would make a warning of every run, and warnings nobody reads.

Why a close spelling is a warning and not an error: a close name can be an
export's own, different column (a ratio cannot tell ``started`` from a slip
of ``started_at``), and an error would stop a gate on good data with no way
out but renaming the export's columns; a misspelt *required* field is an
error already (the field is missing), and the normalised match above covers
the spellings that cannot mean anything else.

Closeness is an edit distance, not :mod:`difflib`: a run whose files hold an
export's extra columns (the example org's) looks at them on every run, and
difflib's import is kept off a plain check's start-up
(tests/unit/test_startup.py); a distance also says "one letter left out"
where a ratio says "0.75", and keeps ``created_at`` (4 slips) from reading as
a slip of ``started_at``. Nested items (a team's
members, a change's reviews inside its record) are not looked at.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any

from guardrails.errors import DataFileError
from guardrails.sources.files_table import Table
from guardrails.textsafe import quoted

#: letters of a field's name per slip (a letter left out, added or changed, or two
#: swapped) an unknown name may differ by and still be taken for a misspelling of it
LETTERS_PER_SLIP = 4
#: the characters of a name already in the fields' own spelling (``finished_at``)
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def normalised(name: str) -> str:
    """``name`` in the fields' own spelling: ``Finished At`` -> ``finished_at``."""
    if _PLAIN.issuperset(name):  # no capital, space, "-" or ".": nothing to change
        return name
    # compiled on the first name to change (re's cache keeps them): most files'
    # names are plain, and the two compiles cost ~0.5M instructions a run
    camel = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
    separators = re.compile(r"[\s\-.]+")
    return separators.sub("_", camel.sub("_", name.strip())).lower()


def names_of(table: Table) -> set[Any]:
    """The field names the file writes: its CSV header, or every record's keys."""
    if table.columns:
        return {c for c in table.columns if c}
    records = table.records
    if len(records) == 1:
        return set(records[0])
    return set().union(*records)


def stray_fields(table: Table, known: Collection[str], singular: str,
                 extra_known: Iterable[str] = ()) -> list[str]:
    """Warnings about ``table``'s misspelt field names (see the module's docstring);
    raises DataFileError for a name that is a field of the kind written otherwise.

    ``known``: the kind's field names; ``extra_known``: other names the file may
    hold (reviews.csv's link column).
    """
    names = names_of(table)
    # A YAML key may be a number, a boolean or null (``1: x``): no field, named as written.
    unknown = sorted(names.difference(known, extra_known), key=str)
    if not unknown:
        return []
    by_norm = {normalised(k): k for k in set(known) - names}
    fields = sorted(known)
    what = "column" if table.columns else "field"
    a = "an" if singular[:1] in "aeiou" else "a"
    warnings = []
    for name in unknown:
        meant = by_norm.get(normalised(str(name)))
        if meant is not None:
            raise DataFileError(
                f"{what} {quoted(name, 40)} is not {a} {singular} field, but {quoted(meant)} "
                f"is: as written, every {singular} lacks {quoted(meant)}",
                file=table.display, line=_line_of(table, name),
                fix=f"rename {quoted(name, 40)} to {quoted(meant)} (field names are "
                "lower case, words joined by '_')",
            )
        close = close_field(normalised(str(name)), fields)
        if close:
            line = _line_of(table, name)
            warnings.append(
                f"{table.display}{f':{line}' if line else ''}: {what} {quoted(name, 40)} is "
                f"not {a} {singular} field: no builtin check reads it (it is kept for your "
                f"own rules); did you mean {quoted(close)}?"
            )
    return warnings


def close_field(name: str, fields: Iterable[str]) -> str | None:
    """The field of ``fields`` ``name`` is the fewest slips (:func:`slips`) from, the
    first of equals in their order, allowing one slip per :data:`LETTERS_PER_SLIP`
    letters of the field: none for a field of fewer (``id``, ``sha``: ``ids`` is
    as likely an export's own column as a slip)."""
    best: tuple[int, str] | None = None
    for field in fields:
        limit = len(field) // LETTERS_PER_SLIP
        if not limit or abs(len(field) - len(name)) > limit:
            continue
        d = slips(name, field, limit)
        if d <= limit and (best is None or d < best[0]):
            best = (d, field)
    return best[1] if best else None


def slips(a: str, b: str, limit: int) -> int:
    """Edits from ``a`` to ``b``: a letter left out, added or changed, or two neighbours
    swapped (the optimal string alignment distance); past ``limit``, ``limit + 1``."""
    before = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], before[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        before, prev = prev, cur
    return min(prev[-1], limit + 1)


def _line_of(table: Table, name: Any) -> int | None:
    """The header's line, or the line of the first record holding ``name``."""
    if table.columns:
        return 1
    i = next((i for i, r in enumerate(table.records) if name in r), None)
    if i is None:
        return None
    return table.line(i, (name,))


def known_fields(schema: dict[str, Any]) -> frozenset[str]:
    """The field names a record schema declares."""
    return frozenset(schema.get("properties", {}))
