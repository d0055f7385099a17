"""A plain CSV table found valid by its columns (schemabatch.columns_valid) only where
every record is valid, record by record (jsonschema, the authority, and smallschema).

The plain reader (files_csvplain) tells what it saw of each column; the verdict
reads those few facts instead of the records. A differential test on random
texts for every data schema a CSV file may hold and on random schemas (the
strategies of tests/unit/test_fastvalid.py), and named cases for each reason to
say no.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fastvalid import _conditions
from test_schemabatch import _each_valid

from guardrails import validation
from guardrails.datakinds import BUILTIN as KINDS
from guardrails.errors import DataFileError
from guardrails.schemabatch import columns_valid
from guardrails.sources.files_formats import Layout, read_table, record_check
from guardrails.sources.files_tables import layout_of

#: the kinds a CSV file holds, with the schema's own property names
CSV_KINDS = ["deployments", "ci_runs", "changes", "incidents", "services", "teams"]

#: cells near each schema's boundary: enum words and not, numbers, lists, spaces, empty
CELL = st.one_of(
    st.sampled_from(["", "", "success", "failure", "production", "normal", "rollback",
                     "SEV1", "resolved", "open", "APPROVED", "x", "a b", "2026-01-02",
                     "2026-01-02T03:04:05Z", "7", "-3", "2.5", "1e3", " pad ", "é", "bogus"]),
    st.text(alphabet=["a", "1", " ", "-", "é", "\u2028"], max_size=3),
)


def _table(kind: str, header: list[str], rows: list[list[str]]) -> Any:
    text = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    return read_table(text, f"{kind}.csv", ".csv", layout_of(kind, (kind,)))


@st.composite
def _tables(draw: st.DrawFn, kind: str) -> tuple[list[str], list[list[str]]]:
    schema = validation.load_schema(kind)
    names = sorted(schema.get("properties", {}))
    required = list(schema.get("required", ()))
    header = required + draw(st.lists(st.sampled_from([*names, "stray"]), max_size=4,
                                      unique=True).filter(lambda h: not set(h) & set(required)))
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)),
                         min_size=1, max_size=6))
    return header, rows


@pytest.mark.fuzz
@pytest.mark.parametrize("kind", CSV_KINDS)
@settings(max_examples=fuzz_examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_data_table_found_valid_by_its_columns_is_valid(kind: str,
                                                           data: st.DataObject) -> None:
    header, rows = data.draw(_tables(kind))
    try:
        table = _table(kind, header, rows)
    except DataFileError:  # a number cell that is not one: the reader's words, not ours
        return
    check = record_check(kind)
    if table.cells is not None and check.every_column(table.cells):
        assert _each_valid(check._engine_schema, table.records), (header, rows)


@pytest.mark.fuzz
@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@settings(max_examples=fuzz_examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(schema=_conditions,
       header=st.lists(st.sampled_from(["a", "b", "c", "n", "tags"]), min_size=1, max_size=4,
                       unique=True),
       rows=st.lists(st.lists(st.sampled_from(["", "a", "b", "ab", "1", "2.5", "x y", "é"]),
                              min_size=4, max_size=4), min_size=1, max_size=5))
def test_random_schemas(schema: Any, header: list[str], rows: list[list[str]]) -> None:
    layout = Layout(what="thing", keys=("things",), lists=frozenset({"tags"}),
                    numbers=frozenset({"n"}), shared=frozenset({"a", "n"}))
    text = ",".join(header) + "\n" + "".join(
        ",".join(r[:len(header)]) + "\n" for r in rows)
    try:
        table = read_table(text, "things.csv", ".csv", layout)
    except DataFileError:  # a number cell that is not one: the reader's words, not ours
        return
    if table.cells is not None and columns_valid(schema, table.cells):
        assert _each_valid(schema, table.records), (schema, text)


DEPLOYMENTS = ["id", "service", "finished_at", "status", "changes"]


def test_a_plain_valid_table_is_answered_by_its_columns() -> None:
    table = _table("deployments", [*DEPLOYMENTS, "kind", "stray"],
                   [["d-1", "svc", "2026-01-02T03:04:05Z", "success", "c-1 c-2", "normal", ""],
                    ["d-2", "svc", "2026-01-02T03:04:05Z", "failure", "", "", "x"]])
    assert table.cells is not None
    assert record_check("deployments").every_column(table.cells)


@pytest.mark.parametrize(("header", "row", "why"), [
    (DEPLOYMENTS, ["d-1", "svc", "2026-01-02T03:04:05Z", "bogus", "c-1"], "enum"),
    (DEPLOYMENTS, ["d-1", "", "2026-01-02T03:04:05Z", "success", "c-1"], "required"),
    (DEPLOYMENTS, ["d-1", "svc", "2026-01-02T03:04:05Z", "success\ud800", "c-1"],
     "a lone surrogate"),
])
def test_says_no_where_a_record_is_not_valid(header: list[str], row: list[str],
                                             why: str) -> None:
    table = _table("deployments", header, [row])
    check = record_check("deployments")
    assert not (table.cells is not None and check.every_column(table.cells)), why
    assert not _each_valid(check._engine_schema, table.records)


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"id": {"type": "string", "pattern": "^d"}}},
    {"type": "object", "properties": {"id": {"type": "string", "minLength": 1}}},
    {"type": "object", "additionalProperties": False, "properties": {"id": {}}},
    {"type": "object", "minProperties": 1},
    {"type": "object", "properties": {"tags": {"type": "array", "maxItems": 3}}},
    {"type": "object", "properties": {"n": {"type": "number", "minimum": 0}}},
])
def test_says_no_where_it_cannot_tell(schema: dict[str, Any]) -> None:
    """A keyword reading the values of a column whose values were not kept (ids,
    lists, an unshared number column), or one not read here: the engine's call."""
    layout = Layout(what="thing", keys=("things",), lists=frozenset({"tags"}),
                    numbers=frozenset({"n"}))
    table = read_table("id,tags,n,extra\nd-1,a b,2,x\n", "things.csv", ".csv", layout)
    assert table.cells is not None
    assert not columns_valid(schema, table.cells)


def test_a_row_loop_table_gives_no_columns() -> None:
    """Only the plain reader tells its columns (a quoted cell sends the file to the
    row loop, and the records to the engine)."""
    table = _table("deployments", DEPLOYMENTS,
                   [["d-1", '"svc"', "2026-01-02T03:04:05Z", "success", "c-1"]])
    assert table.cells is None


def test_every_csv_kind_is_in_the_test() -> None:
    """Each kind a CSV file may hold has a schema the differential test draws from."""
    assert {"deployments", "ci_runs"} <= set(CSV_KINDS) <= set(KINDS)
