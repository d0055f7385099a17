"""The generated CSV record builders (guardrails/sources/files_csvbuild.py).

A block of a plain CSV file read with a generated builder gives the records
``dict(compress(...))`` gave (values, types, key order), the same lines and
the same errors as the row loop; a header's names are data, never code.
"""

from __future__ import annotations

from itertools import compress
from pathlib import Path
from typing import Any

import pytest
from helpers import fuzz_examples, read_things, things_layout
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.sources import files_csvbuild, files_csvplain
from guardrails.sources.files_csvbuild import FULL, WHEN_CELL, WHEN_VALUE, builder
from guardrails.sources.files_formats import read_table

LAYOUT = things_layout()

HOSTILE = ["a'b", 'q"q', "line\nbreak", "{brace}", "}", "{", "__import__('os').system('x')",
           "\\", "'''", '"""', "#", "_k0", "_v1", "_K", "_r", "_append", "", " ", "é\u2028",
           "\x00", "\r", ")", "lambda: 0"]


def read(text: str, way: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """(records with their key order and types, starts, columns) or the error's words:
    ``way`` is "built" (a builder for every block), "compress" (none) or "rows"
    (the row loop)."""
    with monkeypatch.context() as m:
        m.setattr(files_csvplain, "BUILD_AT", 1 if way == "built" else 10**9)
        m.setattr(files_csvbuild, "_BUILDERS", {})  # "built" builds: no earlier test's cap
        if way == "rows":
            m.setattr(files_csvplain, "plain_records", lambda *args: None)
        return read_things(text, LAYOUT)


def compressed(names: tuple[str, ...], values: list[tuple[Any, ...]],
               cells: list[tuple[Any, ...]]) -> list[list[tuple[str, Any]]]:
    return [list(dict(compress(zip(names, v, strict=True), c)).items())
            for v, c in zip(values, cells, strict=True)]


def built(names: tuple[str, ...], how: tuple[int, ...], values: list[tuple[Any, ...]],
          cells: list[tuple[Any, ...]]) -> list[list[tuple[str, Any]]]:
    # A cache of its own a call: the process' cap (MAX_BUILDERS, 256) is reached after
    # 256 headers, and a fuzz run makes more (GUARDRAILS_FUZZ_SCALE=3: 600), after
    # which builder() rightly answers None (the caller's compress)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(files_csvbuild, "_BUILDERS", {})
        make = builder(names, how)
    assert make is not None
    extra = [[c[i] for i in range(len(names)) if how[i] == WHEN_CELL] for c in cells]
    out: list[dict[str, Any]] = []
    make((tuple(v) + tuple(e) for v, e in zip(values, extra, strict=True)), out)
    return [list(r.items()) for r in out]


def test_hostile_names_are_keys_not_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    names = tuple(HOSTILE)
    for how in ((FULL,) * len(names), (WHEN_VALUE,) * len(names),
                tuple((FULL, WHEN_VALUE, WHEN_CELL)[i % 3] for i in range(len(names)))):
        cells = [tuple(f"c{r}-{i}" if (r + i) % 4 else "" for i in range(len(names)))
                 for r in range(6)]
        if FULL in how:  # a FULL column is never empty in its block
            cells = [tuple(c or "f" if how[i] == FULL else c for i, c in enumerate(row))
                     for row in cells]
        values = [tuple(0 if how[i] == WHEN_CELL and c else c for i, c in enumerate(row))
                  for row in cells]
        assert built(names, how, values, cells) == compressed(names, values, cells)
        assert all(n not in files_csvbuild._source(how) for n in names
                   if len(n) > 2 and not n.startswith("_"))
    assert list(tmp_path.iterdir()) == []  # nothing ran


def test_duplicate_and_empty_names_agree_with_compress() -> None:
    names = ("a", "", "a", "b", "", "b")
    rows = [("1", "2", "", "4", "5", ""), ("", "", "3", "", "", "6"),
            ("1", "2", "3", "4", "5", "6")]
    for how in ((WHEN_VALUE,) * 6, (WHEN_CELL,) * 6):
        assert built(names, how, rows, rows) == compressed(names, rows, rows)


def test_widths_and_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = tuple(f"c{i}" for i in range(10_000))
    assert builder(wide, (FULL,) * len(wide)) is None  # past MAX_WIDTH: compress
    assert builder((), ()) is None
    at_most = wide[:files_csvbuild.MAX_WIDTH]
    assert builder(at_most, (WHEN_VALUE,) * len(at_most)) is not None
    monkeypatch.setattr(files_csvbuild, "_BUILDERS", {})
    monkeypatch.setattr(files_csvbuild, "MAX_BUILDERS", 2)
    first = builder(("a",), (FULL,))
    assert first is not None and builder(("a",), (FULL,)) is first  # compiled once
    assert builder(("b",), (FULL,)) is not None
    assert builder(("c",), (FULL,)) is None  # the cap: the caller's compress
    assert builder(("a",), (FULL,)) is first


@pytest.mark.parametrize("width", [10_000, 300])
def test_a_wide_file_reads_the_same_every_way(width: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    header = ["id", *(f"col{i}" for i in range(width - 1))]
    rows = [",".join([f"r{r}", *(str(i * r) if (i + r) % 3 else "" for i in range(width - 1))])
            for r in range(3)]
    text = "\n".join([",".join(header), *rows]) + "\n"
    got = read(text, "built", monkeypatch)
    assert got[0] != "error" and len(got[0]) == 3
    assert got == read(text, "compress", monkeypatch) == read(text, "rows", monkeypatch)


def test_a_large_block_uses_a_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    """At BUILD_AT rows (the default), as in a real file: the same records."""
    rows = [f"t-{i},team-{i % 3},{'a b' if i % 2 else ''},{i % 7 - 3 if i % 5 else ''},"
            f"{i / 4},{'' if i % 11 else 'note'}" for i in range(2000)]
    text = "id,team,tags,n,x,note\n" + "\n".join(rows) + "\n"
    calls: list[Any] = []
    real = files_csvbuild.builder

    def spied(*args: Any) -> Any:
        calls.append(made := real(*args))
        return made

    with monkeypatch.context() as m:
        m.setattr(files_csvplain, "builder", spied)
        table = read_table(text, "things.csv", ".csv", LAYOUT)
    assert calls and all(c is not None for c in calls)
    got = [[(k, v, type(v)) for k, v in r.items()] for r in table.records]
    assert got == read(text, "compress", monkeypatch)[0] == read(text, "rows", monkeypatch)[0]
    assert got[3] == [("id", "t-3", str), ("team", "team-0", str), ("tags", ["a", "b"], list),
                      ("n", 0, int), ("x", 0.75, float)]  # 0 kept: its cell is "0"


CELL = st.one_of(st.sampled_from(["", "0", "1", "-0", " 2 ", "a", "a b", "0.0", "x", "1_0"]),
                 st.text(alphabet=["a", "0", " ", "\t", "\u2028", "é"], max_size=3))
NAME = st.one_of(st.sampled_from(["id", "team", "tags", "n", "x", "note", "", " id "]),
                 st.text(alphabet=["{", "}", "'", "_", "k", "0", "(", " ", "é", "\\"],
                         max_size=4))


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    header = draw(st.lists(NAME, max_size=6))
    header.insert(draw(st.integers(0, len(header))), "id")
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        width = len(header) if draw(st.integers(0, 7)) else draw(st.integers(0, 8))
        rows.append(",".join(draw(st.lists(CELL, min_size=width, max_size=width))))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join([",".join(header), *rows])
    return text + end if draw(st.booleans()) else text


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(300), deadline=None)
@given(csv_texts(), st.integers(min_value=1, max_value=12))
def test_built_compressed_and_row_loop_agree(text: str, block: int) -> None:
    """Random texts (repeated, unnamed and odd names, empty cells, zeros, bad numbers,
    rows of other widths): the same records, lines and errors all three ways."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(files_csvplain, "BLOCK_CHARS", block)
        assert read(text, "built", m) == read(text, "compress", m) == read(text, "rows", m)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(200), deadline=None)
@given(st.lists(st.text(max_size=6), min_size=1, max_size=12), st.data())
def test_any_names_any_rows(names: list[str], data: st.DataObject) -> None:
    """Any names (duplicates too) and any cells: the builder's records are compress's."""
    n = len(names)
    how = tuple(data.draw(st.lists(st.sampled_from([FULL, WHEN_VALUE, WHEN_CELL]),
                                   min_size=n, max_size=n)))
    cells = data.draw(st.lists(st.tuples(*(st.sampled_from(["a", "b"]) if h == FULL
                                          else st.sampled_from(["", "a", "0"]) for h in how)),
                               max_size=5))
    values = [tuple(int(c) if how[i] == WHEN_CELL and c == "0" else c for i, c in enumerate(row))
              for row in cells]
    assert built(tuple(names), how, values, cells) == compressed(tuple(names), values, cells)
