"""Normalising the files source's records: one generated function per fact kind.

A record of the org data folder becomes a fact in place: timestamps become
aware UTC datetimes, dates become dates, ids and references become text (so
``caused_by: 17`` in YAML joins ``id`` 17 of a CSV file), a deployment gets
its default environment, and a record whose dates contradict each other is
refused. What a kind needs is known when the source starts (its
:class:`~guardrails.datakinds.FactKind` and the tables below), so
:func:`normaliser` writes one straight-line Python function per kind
and the loop over 100,000 records calls it once a record. The functions'
text is also written into :mod:`guardrails.sources.files_normalisers`
(``python -m guardrails.sources.files_normalise``), so that Python's
bytecode cache keeps them compiled: compiling them was ~2.5 ms of every run
on the example org; a kind whose text there is not today's is compiled at
run time.

Why generated: the generic normaliser walked, for every record, every
step of a chain (timestamps, dates, references, deployment defaults,
order checks, nested items), most of them empty for the kind, each with a
loop and a call. Normalising the 320,000 deployments, CI runs, pull
requests and incidents of benchmarks/bench_scale.py's 100k org (CPU in
process, 3 pairs): the generic chain 0.40-0.57 s, the generated functions
0.25-0.30 s; see benchmarks/RESULTS.md, "loading (issue 15, target 3)". The
generated text holds names only as ``repr`` literals of the builtin kind
tables (never data), and every error still goes through :func:`when` and
:func:`contradiction`, so messages (file, line, fix) are those of before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import DataFileError
from guardrails.sources.files_formats import Table
from guardrails.textsafe import quoted
from guardrails.timeutil import NaiveTimestamp, iso, parse_date_or_timestamp, parse_timestamp

# Fields holding ids, made strings so joins work across formats.
REFS: dict[str, tuple[str, ...]] = {
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
# Counts the schema types "integer", made int: JSON Schema's integer admits 12.0 (what
# pandas writes for an integer column with a gap), and a float count was taken for an
# absent one (small-batches left such a change out of its percentile, unseen).
INTEGERS: dict[str, tuple[str, ...]] = {
    "changes": ("additions", "deletions"),
}
# kind -> (earlier, later): a record whose later field is before its earlier
# one contradicts itself (METRICS.md) and is refused. Equal is fine: an
# incident resolved the moment it opened is a 0 s sample.
ORDER: dict[str, tuple[tuple[str, str, str], ...]] = {
    "incidents": (("created_at", "resolved_at", "resolved before it was created"),),
    "deployments": (("started_at", "finished_at", "finished before it started"),),
    "ci_runs": (("started_at", "finished_at", "finished before it started"),),
    "iterations": (("start", "end", "ends before it starts"),),
}
TS, DATE = "timestamp", "date"
# kind -> (list field, {item field: timestamp|date}, item id fields)
NESTED: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "teams": ("members", {}, ("handle",)),
    "changes": ("reviews", {"submitted_at": TS}, ("user",)),
    "postmortems": ("action_items", {"due": DATE}, ()),
    "goals": ("key_results", {"due": DATE}, ()),
}

Normalise = Callable[[dict[str, Any], Table, int], None]


def ref(value: Any) -> Any:
    """An id as text: the schema admits integers (1.0 included) where ids go."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else value


def _timestamp_lines(target: str, name: str, where: str, indent: str) -> list[str]:
    """Code making ``target[name]`` an aware UTC datetime (``where``: the path prefix).

    The common ``2026-10-07T14:30:00Z`` (or ``+02:00``) takes one C call:
    Python 3.11's ``fromisoformat`` reads ``Z`` itself. Whatever it does not
    read as an aware time (no offset, spaces, ``z``, not a string) goes to
    :func:`guardrails.timeutil.parse_timestamp`, for its verdict and its
    exact messages. So does an offset not written ``+HH:MM`` with minutes
    00..59: ``fromisoformat`` reads ``+02:75`` as ``+03:15`` (it refuses only
    24 hours or more), which ``parse_timestamp`` refuses. A sign 6 characters
    from the end of a text ``fromisoformat`` read as aware is a ``+HH:MM``
    offset (its other forms are 3, 5, 7 or 9 and more characters long), so two
    character looks tell it: ~800 instructions of the ~6,500 an aware non-UTC
    time costs here, none for a UTC one (benchmarks/RESULTS.md, "s26-edges").
    """
    key = repr(name)
    return [line.replace("@", indent) for line in (
        f"@if {key} in {target}:",
        f"@    v = {target}[{key}]",
        "@    dt = None",
        "@    if type(v) is str:",
        "@        try:",
        "@            dt = fromiso(v)",
        "@        except ValueError:",
        "@            pass",
        "@    if dt is not None and dt.tzinfo is UTC:",
        f"@        {target}[{key}] = dt",
        "@    elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999",
        "@          and v[-6] in '+-' and v[-2] < '6'):",
        f"@        {target}[{key}] = dt.astimezone(UTC)",  # else to_utc may overflow
        "@    else:",
        f"@        {target}[{key}] = when(v, {key}, TS, tz, table, i, ({where}{key},))",
    )]


def _source(kind: str) -> str:
    """The text of kind's normalising function (names only from the tables above)."""
    k = KINDS[kind]
    body: list[str] = []
    for name in k.timestamps:
        body += _timestamp_lines("record", name, "", "    ")
    for name in k.dates:
        key = repr(name)
        body += [f"    if {key} in record:",
                 f"        record[{key}] = when(record[{key}], {key}, DATE, tz, table, i, "
                 f"({key},))"]
    for name in REFS.get(kind, ()):
        key = repr(name)
        body += [f"    if {key} in record and type(record[{key}]) is not str:",
                 f"        record[{key}] = ref(record[{key}])"]
    for name in INTEGERS.get(kind, ()):
        key = repr(name)
        body += [f"    if {key} in record and type(record[{key}]) is float:",
                 f"        record[{key}] = int(record[{key}])"]
    if kind == "deployments":
        body += ["    if 'environment' not in record:",
                 "        record['environment'] = 'production'",
                 "    changes = record.get('changes')",
                 "    if changes:",
                 "        for j, change in enumerate(changes):",
                 "            if type(change) is not str:",
                 "                changes[j] = ref(change)"]
    for early, late, verb in ORDER.get(kind, ()):
        e, la = repr(early), repr(late)
        body += [f"    if {e} in record and {la} in record and record[{la}] < record[{e}]:",
                 f"        contradiction(record, table, i, {e}, {la}, {verb!r}, KIND)"]
    nested = NESTED.get(kind)
    if nested is not None:
        list_field, times, ids = nested
        lf = repr(list_field)
        inner: list[str] = []
        for name, how in times.items():
            if how == TS:
                inner += _timestamp_lines("item", name, f"{lf}, j, ", "            ")
            else:
                key = repr(name)
                inner += [f"            if {key} in item:",
                          f"                item[{key}] = when(item[{key}], {key}, DATE, tz, "
                          f"table, i, ({lf}, j, {key}))"]
        for name in ids:
            key = repr(name)
            inner += [f"            if {key} in item and type(item[{key}]) is not str:",
                      f"                item[{key}] = ref(item[{key}])"]
        if inner:
            body += [f"    items = record.get({lf})",
                     "    if items:",
                     "        for j, item in enumerate(items):"] + inner
    return "def normalise(record, table, i):\n" + "\n".join(body or ["    pass"]) + "\n"


#: what a generated function may name besides the record, table and index
_NAMES = ("tz", "UTC", "fromiso", "when", "ref", "contradiction", "TS", "DATE", "KIND")


@functools.cache
def normaliser(kind: str, tz: tzinfo | None) -> Normalise:
    """The normalising function of ``kind`` (errors name the record's line).

    Taken from :mod:`guardrails.sources.files_normalisers`, the same text
    written into a module of the package (so Python's bytecode cache keeps
    it compiled: compiling the ten kinds' functions was ~2.5 ms of every
    run), when that module's copy is this kind's text to the character;
    else compiled here, once a process.
    """
    source = _source(kind)
    values: dict[str, Any] = {
        "UTC": UTC, "fromiso": datetime.fromisoformat, "when": when, "ref": ref,
        "contradiction": contradiction, "TS": TS, "DATE": DATE, "tz": tz, "KIND": kind,
    }
    from guardrails.sources import files_normalisers as generated

    if generated.SOURCES.get(kind) == _checksum(source):
        made: Normalise = getattr(generated, kind)(*(values[n] for n in _NAMES))
        return made
    exec(compile(source, f"<normalise {kind}>", "exec"), values)  # noqa: S102
    fn: Normalise = values["normalise"]
    return fn


def _checksum(source: str) -> str:
    from guardrails.cachefiles import checksum

    return checksum(source.encode("utf-8"))


def module_text() -> str:
    """The text of :mod:`guardrails.sources.files_normalisers`: each builtin kind's
    function of :func:`_source`, inside a function that binds the names it uses."""
    kinds = sorted(REFS)
    out = ['"""The files source\'s normalising functions: GENERATED, do not edit.',
           "",
           "Written by ``python -m guardrails.sources.files_normalise`` from the tables",
           "of guardrails/sources/files_normalise.py (which uses a function only while",
           "its text here is the text it would compile: see ``normaliser``), so that",
           "Python's bytecode cache keeps them compiled.",
           '"""',
           "# mypy: ignore-errors",
           "# ruff: noqa",
           "",
           "SOURCES = {"]
    out += [f"    {kind!r}: {_checksum(_source(kind))!r}," for kind in kinds]
    out += ["}"]
    for kind in kinds:
        body = "".join(f"    {line}\n" if line else "\n"
                       for line in _source(kind).splitlines())
        out += ["", "", f"def {kind}({', '.join(_NAMES)}):", body + "    return normalise"]
    return "\n".join(out) + "\n"


def set_timestamps(
    obj: dict[str, Any], names: tuple[str, ...], tz: tzinfo | None, table: Table, i: int,
    where: tuple[Any, ...],
) -> None:
    """Make the fields ``names`` of ``obj`` aware UTC datetimes, in place (as generated above)."""
    for name in names:
        if name not in obj:
            continue
        value = obj[name]
        if type(value) is str:
            try:
                dt = datetime.fromisoformat(value)
            except ValueError:
                dt = None
            if dt is not None:
                zone = dt.tzinfo
                if zone is UTC:
                    obj[name] = dt
                    continue
                if (zone is not None and 1 < dt.year < 9999  # else to_utc may overflow
                        and value[-6] in "+-" and value[-2] < "6"):
                    obj[name] = dt.astimezone(UTC)
                    continue
        obj[name] = when(value, name, TS, tz, table, i, (*where, name))


def contradiction(record: dict[str, Any], table: Table, i: int,
                  early: str, late: str, verb: str, kind: str) -> None:
    """Refuse a record whose ``late`` field is before its ``early`` one."""
    k = KINDS[kind]
    ident = record.get(k.id_field) if k.id_field else None
    what = f"{k.singular} {quoted(ident, 40)}" if ident is not None else f"the {k.singular}"
    raise DataFileError(
        f"{what} {verb}: {late} {iso(record[late])} is before {early} {iso(record[early])}",
        file=table.display, line=table.line(i, (late,)),
        fix=f"correct {early} or {late} (a record whose dates contradict each other "
        "is bad data, not a sample)",
    )


def when(
    value: Any, name: str, how: str, tz: tzinfo | None, table: Table, i: int,
    path: tuple[Any, ...],
) -> datetime | date:
    """``value`` as a timestamp (``how`` TS) or date, or a DataFileError naming its line."""
    try:
        if how == TS:
            return parse_timestamp(value, tz)
        return parse_date_or_timestamp(value, tz)
    except NaiveTimestamp:
        raise DataFileError(
            f"{name}: the timestamp {quoted(value, 60)} has no UTC offset",
            file=table.display, line=table.line(i, path),
            fix="add 'Z' or an offset such as '+02:00', or set 'timezone:' in guardrails.yaml",
        ) from None
    except ValueError as exc:
        example = "2026-10-07T14:30:00Z" if how == TS else "2026-11-30"
        raise DataFileError(
            f"{name}: {exc}", file=table.display, line=table.line(i, path),
            fix=f"write e.g. {example}",
        ) from None


if __name__ == "__main__":  # python -m guardrails.sources.files_normalise: regenerate
    from pathlib import Path

    Path(__file__).with_name("files_normalisers.py").write_text(module_text(), "utf-8")
