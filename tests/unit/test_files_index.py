"""RecordRows answers what the ``{id(record): row}`` dict it replaced answered."""

from __future__ import annotations

import random

from guardrails.sources.files_index import RecordRows


def _as_dict(records: list[object]) -> dict[int, int]:
    return {id(r): i for i, r in enumerate(records)}


def test_every_record_finds_its_row() -> None:
    records: list[object] = [{"id": f"dep-{i}"} for i in range(500)]
    random.Random(7).shuffle(records)
    rows = RecordRows(records)
    expected = _as_dict(records)
    for r in records:
        assert rows.row(r) == expected[id(r)]


def test_an_equal_but_different_object_is_not_found() -> None:
    records = [{"id": "a"}, {"id": "b"}]
    rows = RecordRows(records)
    assert rows.row({"id": "a"}) is None
    assert rows.row(records[1]) == 1


def test_an_aliased_record_answers_its_last_row_as_the_dict_did() -> None:
    shared = {"id": "x"}
    records = [{"id": "a"}, shared, {"id": "b"}, shared, shared, {"id": "c"}]
    rows = RecordRows(records)
    assert rows.row(shared) == _as_dict(records)[id(shared)] == 4
    assert [rows.row(r) for r in records[:3]] == [0, 4, 2]


def test_no_records() -> None:
    assert RecordRows([]).row({}) is None
