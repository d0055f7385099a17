"""The JSON Lines fast path (jiter) against the full decoder, line by line.

:func:`guardrails.sources.files_json.jsonl_records` decodes a line with
jiter and sends what jiter refuses, or what it might accept although
guardrails does not (a number overflowing to infinity, ``\\u`` escapes, deep
nesting), to ``load_json``: json's decoder with a hook refusing duplicate
keys. These tests hold the two to one verdict: for every line, read_jsonl
gives the value ``load_json`` gives (same types: ``1``, ``1.0`` and
``True`` are told apart), or the same error (message, line, fix).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import yamlio
from guardrails.errors import DataFileError
from guardrails.sources import files_json
from guardrails.sources.files_formats import read_jsonl
from guardrails.sources.files_json import load_json


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, all the way down (and NaN-free)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(map(_same, a, b))
    if type(a) is float:
        return repr(a) == repr(b)  # -0.0 is not 0.0
    return bool(a == b)


def _reference(line: str) -> Any:
    """The slow path's verdict on one line: a value, or the error as a tuple."""
    try:
        return load_json(line, "x.jsonl", line=1)
    except DataFileError as exc:
        return ("error", exc.message, exc.line, exc.fix)


def _fast(line: str) -> Any:
    try:
        return read_jsonl(line, "x.jsonl").records[0]
    except DataFileError as exc:
        return ("error", exc.message, exc.line, exc.fix)


HOSTILE = [
    '{"a": 1, "a": 2}',
    '{"a": 1, "b": {"c": 1, "c": 2}}',  # nested duplicate
    '[{"a": 1}, {"a": 2, "a": 3}]',
    '{"a": 1, "\\u0061": 2}',  # an escaped key naming the same key
    '{"\\u0061": 1, "a": 2}',
    '{"a/": 1, "a\\/": 2}',  # \\/ is /
    '{"a\\"b": 1, "a\\u0022b": 2}',
    '{"": 1, "": 2}',
    '{"a" : 1 , "a" : 2}',
    '{"a": 1, "A": 2}',  # not a duplicate
    '{"a": {"a": 1}}',  # nor is this
    '[{"a": 1}, {"a": 2}]',
    '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', 'NaN',
    '{"a": 1e400}', '{"a": -1E400}', '{"a": 1e+308}', '{"a": 2e308}', '{"a": 1e0400}',
    '{"a": 1.7976931348623157e308}', '{"a": 1.7976931348623159e308}',
    '{"a": 5e-324}', '{"a": 1e-400}', '{"a": -0}', '{"a": -0.0}', '{"a": 1.0}', '{"a": 1E2}',
    '{"a": ' + "9" * 300 + "e99}",  # an overflow with a two-digit exponent
    '{"a": ' + "1" * 400 + "}",  # a long integer json takes
    '{"a": ' + "1" * 4300 + "}",
    '{"a": ' + "1" * 4301 + "}",  # past Python's integer limit
    '{"a": ' + "1" * 400 + ".5}",  # infinite without an exponent
    '{"a": "\\ud800"}', '{"a": "\\udc00"}', '{"a": "\\ud83d\\ude00"}', '{"\\ud800": 1}',
    '{"a": "\\u00e9"}', '{"a": "é"}', '{"a": "\x7f"}',
    '{"a": "x\ty"}', '{"a": "x\x01y"}',  # raw control characters
    '{"a": 1}\r', ' {"a": 1}', '{"a": 1}\t', '{"a": 1} x', '{"a": 1}{"b": 2}',
    '{"a": 1}, {"b": 2}', '{"a": 1}\x0c', '\x0c{"a": 1}', '{"a": 1}\xa0', '\ufeff{"a": 1}',
    '{"a": 1,}', "[1,]", "01", "1.", ".5", "+1", "'a'", '"\\x"', "nul", "tru", "-",
    "true", "false", "null", "[]", "{}", '""', "0", "-1", '"text"',
    "[" * 99 + "]" * 99, "[" * 101 + "]" * 101, "[" * 300 + "]" * 300,
    '{"a": [' * 60 + "1" + "]}" * 60,
    '{"a": {"b": {"c": {"d": 1, "d": 2}}}}',
    '{"id": "c-1", "reviews": [{"user": "x", "state": "APPROVED", "state": "CHANGES"}]}',
    '{"id": 1, "created_at": "2026-10-07T14:30:00Z", "e": "1E999 in a string"}',
]


@pytest.mark.parametrize("line", HOSTILE)
def test_hostile_lines_get_the_full_decoders_verdict(line: str) -> None:
    fast, ref = _fast(line), _reference(line)
    assert _same(fast, ref), (line[:80], fast, ref)


def test_a_duplicate_key_is_refused_on_its_line() -> None:
    text = '{"id": "a"}\n\n{"id": "b", "x": {"k": 1, "k": 2}}\n'
    with pytest.raises(DataFileError) as info:
        read_jsonl(text, "org/pull_requests.jsonl")
    assert info.value.line == 3
    assert info.value.message == "duplicate key 'k' in a JSON object"


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The lines read_jsonl hands to the slow decoder, recorded."""
    calls: list[int | None] = []

    def spy(text: str, display: str, line: int | None = None) -> Any:
        calls.append(line)
        return load_json(text, display, line=line)

    monkeypatch.setattr(files_json, "load_json", spy)
    return calls


def test_clean_lines_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The slow decoder is not called for ordinary records (the point of the fast path)."""
    calls = _spy(monkeypatch)
    text = "\n".join(json.dumps({"id": f"c-{i}", "n": i, "f": i / 3, "e": "e1 E+2",
                                 "r": [{"user": "u", "state": "APPROVED"}]})
                     for i in range(50)) + "\n"
    table = read_jsonl(text, "x.jsonl")
    assert calls == []
    assert [r["n"] for r in table.records] == list(range(50))
    assert table.records[7]["f"] == 7 / 3
    assert list(table.starts or ()) == list(range(1, 51))


def test_only_the_risky_line_goes_the_slow_way(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    text = '{"a": 1}\n{"a": 2.5e300}\n{"a": 3}\n'
    table = read_jsonl(text, "x.jsonl")
    assert calls == [2]
    assert [r["a"] for r in table.records] == [1, 2.5e300, 3]


def test_hex_digests_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """"e" and three digits inside a string (a commit sha) is text, not an exponent;
    a number's exponent after every place a JSON number may stand is still risky."""
    calls = _spy(monkeypatch)
    text = "".join(json.dumps({"id": str(i), "merge_sha": f"c50e3f1b{i}e450972e123",
                               "t": "8e450 x1e999"}) + "\n" for i in range(20))
    assert [r["id"] for r in read_jsonl(text, "x.jsonl").records] == [str(i) for i in range(20)]
    assert calls == []
    risky = ["1e400", "[1e400]", '{"a":1e400}', '{"a": -1.5e999}', '[0,\t2E+308]',
             '{"a":\r-0.0e-500}', "[" + "1" * 450 + "e300]"]
    for line in risky:  # most are refused (infinite); each is the slow decoder's to judge
        assert _same(_fast(line), _reference(line))
    assert calls == [1] * len(risky)  # each went to the slow decoder


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8])
def test_an_exponent_across_a_chunk_boundary_is_found_once(
        monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """The text is scanned a chunk at a time (a copy with digits as "0", "E" as "e"):
    an exponent that starts in one chunk and ends in the next is still seen, once."""
    monkeypatch.setattr(files_json, "_CHUNK", chunk)
    calls = _spy(monkeypatch)
    text = '[1]\n[2E+300]\n[3]\n{"a": 4e-999}\n["5e999"]\n'
    table = read_jsonl(text, "x.jsonl")
    assert calls == [2, 4]
    assert table.records[:3] == [[1], [2e300], [3]]
    assert files_json._slow_lines(text.encode()) == {2, 4}


# --- generated hostile text -------------------------------------------------

_KEYS = st.sampled_from(['"a"', '"\\u0061"', '"b"', '"a/"', '"a\\/"', '""', '"\\""', '"\\u0022"',
                         '"id"', '"é"', '"\\u00e9"', '"\\ud800"', '"A"'])
_NUMBERS = st.sampled_from(["0", "-0", "1", "-1.5", "1e5", "1E+5", "2e308", "1e400", "-1e-400",
                            "1" * 310, "9" * 250 + "e80", "0.1", "1.7976931348623157e308",
                            "12345678901234567890", "01", "1.", "NaN", "Infinity"])
_STRINGS = st.sampled_from(['"x"', '"APPROVED"', '"2026-10-07T14:30:00Z"', '"\\u0041"',
                            '"\\ud83d\\ude00"', '"\\udc00"', '"a\\nb"', '"tab\there"', '"e1E999"',
                            '"8e450"', '"c50e3f1b1e400"'])
_SPACE = st.sampled_from(["", " ", "\t", "  ", "\r", "\x0c"])


def _json_text() -> st.SearchStrategy[str]:
    scalar = st.one_of(_NUMBERS, _STRINGS, st.sampled_from(["true", "false", "null", "nul"]))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(_KEYS, _SPACE, inner).map(lambda t: f"{t[0]}{t[1]}:{t[1]}{t[2]}")
        obj = st.tuples(st.lists(pair, max_size=4), _SPACE,
                        st.sampled_from([",", ", ", ",,"])).map(
            lambda t: "{" + t[1] + (t[2] if t[2] != ",," or not t[0] else ",").join(t[0]) + "}")
        arr = st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]")
        return st.one_of(obj, arr)

    return st.tuples(_SPACE, st.recursive(scalar, extend, max_leaves=12), _SPACE).map(
        lambda t: "".join(t))


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(300), deadline=None)
@given(_json_text())
def test_generated_lines_get_the_full_decoders_verdict(line: str) -> None:
    if not line.strip():
        return
    fast, ref = _fast(line), _reference(line)
    assert _same(fast, ref), (line[:120], fast, ref)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(100), deadline=None)
@given(st.lists(_json_text(), min_size=1, max_size=6))
def test_generated_files_read_as_line_by_line(lines: list[str]) -> None:
    """A whole file: same records and lines as decoding each line alone."""
    text = "\n".join(lines)
    expected: list[Any] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        ref = _reference(line)
        if isinstance(ref, tuple):
            expected = [("error", ref[1], n, ref[3])]
            break
        expected.append((n, ref))
    try:
        table = read_jsonl(text, "x.jsonl")
        got: list[Any] = list(zip(table.starts or [], table.records, strict=True))
    except DataFileError as exc:
        got = [("error", exc.message, exc.line, exc.fix)]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[0] == e[0] and _same(g[1], e[1]) and g[2:] == e[2:], (text[:200], got, expected)


def _risky_lines(data: bytes) -> set[int]:
    """_slow_lines's answer worked out a line at a time with regular expressions."""
    lines: set[int] = set()
    offset = 0
    for n, line in enumerate(data.split(b"\n"), 1):
        if (b"\\u" in line or re.search(rb"[0-9]{210}", line)
                or line.count(b"[") + line.count(b"{") > yamlio.MAX_DEPTH
                or any(files_json._ends_number(data, offset + m.start())
                       for m in re.finditer(rb"(?=[eE][-+]?[0-9]{3})", line))):
            lines.add(n)
        offset += len(line) + 1
    return lines


_RISKY_PIECES = st.sampled_from([b"e", b"E", b"-", b"+", b"0", b"9", b"1", b".", b"[", b"{",
                                 b"]", b"\n", b" ", b":", b",", b'"', b"a", b"\\u",
                                 b"1e400", b"2E-300", b"x9e999", b" 3e+999", b",7E+123", b"0" * 215,
                                 b"[" * 40])


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.lists(_RISKY_PIECES, max_size=80).map(b"".join), st.integers(1, 12))
def test_the_risky_lines_are_found_in_any_chunking(data: bytes, chunk: int) -> None:
    """Exponents (bytes.find of e000, e-000, e+000 in the digits-as-zero copy), digit
    runs, escapes and deep lines: the lines a line-by-line regex search finds,
    wherever the chunks end."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(files_json, "_CHUNK", chunk)
        assert files_json._slow_lines(data) == _risky_lines(data)
