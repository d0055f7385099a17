"""The plain CSV reader (guardrails/sources/files_csvplain.py) against the row loop.

Every text read both ways gives the same records (values, types, key order),
the same start lines, or the same error; the plain reader declines whatever
it does not read exactly as the row loop does.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from helpers import fuzz_examples, read_things, things_layout
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.errors import DataFileError
from guardrails.sources import files_csvplain
from guardrails.sources.files_formats import read_csv

LAYOUT = things_layout()


def read(text: str, plain: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    """(records with their key order, starts, columns) or the error's words and line."""
    with monkeypatch.context() as m:
        if not plain:
            m.setattr(files_csvplain, "plain_records", lambda *args: None)
        return read_things(text, LAYOUT)


def spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What each call of the plain reader answers, from now on."""
    answers: list[Any] = []
    real = files_csvplain.plain_records

    def spied(*args: Any) -> Any:
        answers.append(out := real(*args))
        return out

    monkeypatch.setattr(files_csvplain, "plain_records", spied)
    return answers


def test_a_plain_file_is_read_in_blocks_as_the_row_loop_reads_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_csvplain, "BLOCK_CHARS", 4096)
    rows = [f"t-{i},team-{i % 3},{'a b' if i % 2 else ''},{i},{i / 4}, tail {i} "
            for i in range(1000)]  # ~10 blocks
    for end in ("\n", "\r\n"):
        text = f"id,team,tags,n,x,note{end}" + end.join(rows) + end
        slow = read(text, False, monkeypatch)
        with monkeypatch.context() as m:
            answers = spy(m)
            assert read(text, True, m) == slow
        assert len(answers) == 1 and answers[0] is not None  # read by the plain reader
        assert slow[2] is range
    assert slow[0][1] == [("id", "t-1", str), ("team", "team-1", str), ("tags", ["a", "b"], list),
                          ("n", 1, int), ("x", 0.25, float), ("note", "tail 1", str)]


def test_what_it_declines_goes_to_the_row_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = spy(monkeypatch)
    for text in ('id,n\n"a",1\n', "id,n\r\na,1\n", "id,n\ra,1\r", "id,n\na,1\n\nb,2\n",
                 "id,n\na,1,3\n", "id,n\na,x\n", "id\na\0\n"):
        answers.clear()
        with contextlib.suppress(DataFileError):
            read_csv(text, "things.csv", LAYOUT)
        assert answers in ([], [None])  # never an answer of its own for these
    with pytest.raises(DataFileError, match="is not an integer"):
        read_csv("id,n\na,1\nb,x\n", "things.csv", LAYOUT)


@pytest.mark.parametrize("cell", ["1_000", "\u0663", "\uff15", "1\u00a0000", "\u0663.\u0665",
                                  "1_0.5", "\u22125", "nan", "0x10"])
@pytest.mark.parametrize("column", ["n", "x"])
def test_a_number_cell_is_plain_ascii_or_refused(cell: str, column: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """int() and float() read '1_000', digits of other scripts and full-width ones;
    no spreadsheet writes them, so each is an error naming file, line, column, fix."""
    text = f"id,{column}\na,1\nb,{cell}\n"
    for plain in (True, False):
        out = read(text, plain, monkeypatch)
        assert out[0] == "error" and out[2] == 3, out
        assert f"column '{column}' (cell 2)" in out[1]
        assert "plain ASCII digits" in out[3] and "leave the cell empty" in out[3]
    assert "'_' is not a digit separator" in read("id,n\na,1_0\n", True, monkeypatch)[1]
    assert "outside ASCII" in read("id,n\na,\u0661\n", True, monkeypatch)[1]


@pytest.mark.parametrize(("cell", "n", "x"), [
    ("7", 7, 7), ("-0", 0, 0), ("+5", 5, 5), (" 12 ", 12, 12), ("007", 7, 7),
    ("3.5", None, 3.5), (".5", None, 0.5), ("1E+03", None, 1000.0), ("-2e-1", None, -0.2),
])
def test_plain_ascii_numbers_are_read(cell: str, n: int | None, x: float,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """What a spreadsheet (or a person) writes; white space around any cell is dropped."""
    for plain in (True, False):
        got = read(f"id,x\na,{cell}\n", plain, monkeypatch)
        assert got[0] == [[("id", "a", str), ("x", x, type(x))]]
        got = read(f"id,n\na,{cell}\n", plain, monkeypatch)
        if n is None:
            assert got[0] == "error"
        else:
            assert got[0] == [[("id", "a", str), ("n", n, int)]]


#: cells mostly plain (what the plain reader reads), some with its traps
CELL = st.one_of(
    st.text(alphabet=["a", "1", "-", ".", " ", "e", "0", "_", "\u0663", "\uff15"], max_size=4),
    st.integers(-20, 20).map(str), st.just(""),
    st.text(alphabet=["a", "1", " ", "\t", "\x0b", "\x1c", "\xa0", "\u2028", "é", '"', "\r",
                      "\x00"], max_size=4),
)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    """A header and rows, most as wide as the header (the plain reader's form)."""
    header = draw(st.lists(st.sampled_from(["team", "tags", "n", "x", "note", "", " id "]),
                           max_size=5, unique=True))
    header.insert(draw(st.integers(0, len(header))), "id" if draw(st.integers(0, 9)) else "")
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        width = len(header) if draw(st.integers(0, 5)) else draw(st.integers(0, 7))
        rows.append(",".join(draw(st.lists(CELL, min_size=width, max_size=width))))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join([",".join(header), *rows])
    if rows and draw(st.integers(0, 9)) == 0:  # one line ended otherwise
        text = text.replace(end, "\r\n" if end == "\n" else "\n", 1)
    return text + end if draw(st.booleans()) else text


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(200), deadline=None)
@given(csv_texts(), st.integers(min_value=1, max_value=12))
def test_plain_and_row_loop_agree(text: str, block: int) -> None:
    """Random texts (quotes, carriage returns, odd spaces, wide and narrow rows,
    blank lines, bad numbers, unnamed and repeated columns): one answer."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(files_csvplain, "BLOCK_CHARS", block)
        assert read(text, True, m) == read(text, False, m)
