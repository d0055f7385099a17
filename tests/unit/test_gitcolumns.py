"""gitcolumns.LogColumns: git log's bytes read into columns, against the positional parser.

The fast path (whole blocks of commits in C calls) must give exactly the
columns the token-by-token parser (gitlog.parse_log) gives, whatever the bytes
of names, emails and paths, wherever the output is cut into reads, and hand
over to that parser from the first commit out of the usual shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.facts import is_bot
from guardrails.sources import gitcolumns
from guardrails.sources.gitcolumns import LogColumns
from guardrails.sources.gitlog import parse_log

BOTS = ("[bot]", "dependabot")
# bytes a name, email or path may hold: anything but NUL, the format's own markers
# and git's status letters included, and some that are not UTF-8
_TEXT = st.binary(min_size=0, max_size=6).map(lambda b: b.replace(b"\0", b"")) | st.sampled_from(
    [b"\x01" + b"a" * 40, b"R100", b"C075", b"nA", b"e", b"a1", b"\n", b"\nM", b"dependabot[bot]",
     b"caf\xc3\xa9", b"\xff\xfe", b"M"])
_PATH = _TEXT.filter(bool)
_DATE = st.integers(0, 99_999_999_999).map(lambda n: str(n).encode())
_BAD_DATE = st.sampled_from([b"", b"-5", b"123456789012", b"1e3", b" 12", b"\xd9\xa1"])


@st.composite
def _file(draw: Any) -> list[bytes]:
    status = draw(st.sampled_from([b"M", b"A", b"D", b"T", b"R100", b"R087", b"C100", b"C050"]))
    paths = [draw(_PATH)] + ([draw(_PATH)] if status[:1] in b"RC" else [])
    return [status, *paths]


@st.composite
def _commit(draw: Any, bad_dates: bool) -> bytes:
    sha = draw(st.sampled_from("0123456789abcdef")).encode() * 40
    date = _DATE | _BAD_DATE if bad_dates else _DATE
    head = [b"\x01" + sha, b"n" + draw(_TEXT), b"e" + draw(_TEXT), b"a" + draw(date),
            b"c" + draw(date)]
    files = draw(st.lists(_file(), max_size=4))
    section = b"".join(b"\0".join(f) + b"\0" for f in files)
    return b"\0" + b"\0".join(head) + b"\0\0" + (b"\n" + section if section else b"")


def _reference(out: bytes, since: int | None) -> LogColumns:
    """The columns of the positional parser, commit by commit."""
    ref = LogColumns(lambda a, e: is_bot(a, e, BOTS), since)
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    for c in parse_log(tokens, False):
        if ref._keep(c["author"], c["email"], c["at"]):
            ref.add(c)
    return ref


def _columns(cols: LogColumns) -> dict[str, Any]:
    return {"shas": cols.shas, "authors": cols.authors, "emails": cols.emails,
            "at": list(cols.at), "ct": list(cols.ct), "paths": list(cols.paths),
            "files": list(cols.files), "nfiles": list(cols.nfiles), "renames": cols.renames}


def _read(out: bytes, cuts: list[int], since: int | None,
          block: int) -> tuple[LogColumns, int]:
    """Read ``out`` cut at ``cuts``, parsed ``block`` bytes at a time (many blocks,
    commits cut anywhere); and how often it fell back to token-by-token reading."""
    cols = LogColumns(lambda a, e: is_bot(a, e, BOTS), since)
    slow = 0
    real = cols._slow

    def counted(*args: Any) -> None:
        nonlocal slow
        slow += 1
        real(*args)

    cols._slow = counted  # type: ignore[method-assign]
    points = sorted({0, len(out), *(c % (len(out) + 1) for c in cuts)})
    size = gitcolumns.BLOCK
    gitcolumns.BLOCK = block
    try:
        cols.read(out[a:b] for a, b in zip(points, points[1:], strict=False))
    finally:
        gitcolumns.BLOCK = size
    return cols, slow


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(100), deadline=None)
@given(commits=st.lists(_commit(False), max_size=8), cuts=st.lists(st.integers(0, 10**6),
       max_size=6), block=st.integers(1, 64), since=st.none() | _DATE.map(int))
def test_usual_output_is_read_whole_and_equals_the_positional_parser(
        commits: list[bytes], cuts: list[int], block: int, since: int | None) -> None:
    out = b"".join(commits)
    cols, slow = _read(out, cuts, since, block)
    assert _columns(cols) == _columns(_reference(out, since))
    assert slow == 0  # every commit had the usual shape: no token-by-token reading


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(100), deadline=None)
@given(commits=st.lists(_commit(True), max_size=8), cuts=st.lists(st.integers(0, 10**6),
       max_size=6), block=st.integers(1, 64))
def test_any_output_equals_the_positional_parser(
        commits: list[bytes], cuts: list[int], block: int) -> None:
    out = b"".join(commits)
    cols, _ = _read(out, cuts, None, block)
    assert _columns(cols) == _columns(_reference(out, None))


def _one(sha: str, name: bytes, at: bytes, files: bytes = b"\nM\0a.py\0",
         ct: bytes | None = None) -> bytes:
    return (b"\0\x01" + sha.encode() * 40 + b"\0n" + name + b"\0ex@y\0a" + at + b"\0c"
            + (at if ct is None else ct) + b"\0\0" + files)


def test_a_commit_out_of_shape_hands_the_rest_to_the_positional_parser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks read whole before it stay read; from it on every commit is read token
    by token, its unusable date replaced (with one warning), none dropped."""
    monkeypatch.setattr(gitcolumns, "BLOCK", 1)
    out = (_one("a", b"Ann", b"1700000000") + _one("b", b"Ben", b"1700000000")
           + _one("c", b"Cy", b"", ct=b"1700000005")
           + _one("d", b"Dee", b"1600000000", b"\nR100\0o\0n\0"))
    warnings: list[str] = []
    cols = LogColumns(lambda a, e: False, None, warnings.append)
    cols.read([out[:60], out[60:]])
    assert [s[0] for s in cols.shas] == ["a", "b", "c", "d"]
    # c: its committer date; d: read token by token, a rename like any other
    assert list(cols.at) == [1700000000, 1700000000, 1700000005, 1600000000]
    assert cols.renames == {3: [["o", "n"]]} and list(cols.paths) == ["a.py", "n"]
    assert len(warnings) == 1 and "cccccccccccc" in warnings[0]


def test_a_nul_inside_a_name_never_shifts_a_field() -> None:
    """A name split in two tokens (a NUL git cannot print, but a forged object may
    hold) fails the header's shape: read token by token, as the parser does."""
    out = _one("a", b"An\0n", b"1700000000") + _one("b", b"Ben", b"1700000001")
    cols = LogColumns(lambda a, e: False)
    cols.read([out])
    assert cols.authors == ["An\\0n", "Ben"] and list(cols.at) == [1700000000, 1700000001]


def test_empty_output_and_commits_without_files() -> None:
    cols = LogColumns(lambda a, e: False)
    cols.read([])
    assert len(cols) == 0
    out = _one("a", b"Ann", b"1700000000", b"") + _one("b", b"Ben", b"1700000000", b"")
    cols.read([out])
    assert list(cols.nfiles) == [0, 0] and list(cols.files) == []


def test_bots_and_old_commits_are_left_out_and_renames_renumbered() -> None:
    out = (_one("a", b"dependabot[bot]", b"1700000000")
           + _one("b", b"Ann", b"1700000000", b"\nR100\0old\0new\0")
           + _one("c", b"Ann", b"1500000000", b"\nR100\0x\0y\0")
           + _one("d", b"Ben", b"1690000000", b"\nR100\0p\0q\0"))
    cols = LogColumns(lambda a, e: is_bot(a, e, BOTS), since=1600000000)
    cols.read([out])
    assert [s[0] for s in cols.shas] == ["b", "d"]
    assert cols.renames == {0: [["old", "new"]], 1: [["p", "q"]]}
