"""A JSON Lines file read from its bytes (files_formats.read_jsonl_file) against its
text (yamlio.decode_text, then read_table): the same records, lines and errors.

jiter reads the file's own bytes (a BOM stripped) rather than a decoded text
encoded again; bytes that are not UTF-8, a BOM, CRLF, blank lines, lines of
white space outside ASCII, bad lines and NUL escapes keep their words and lines.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import yamlio
from guardrails.errors import UsageError
from guardrails.sources.files_formats import Layout, read_jsonl_file, read_table

LAYOUT = Layout(what="thing", keys=("things",))


def _outcome(table: Any) -> Any:
    return (table.records, list(table.starts or ()), table.nulls)


def by_text(raw: bytes) -> Any:
    try:
        text = yamlio.decode_text(raw, "x.jsonl")
        return _outcome(read_table(text, "x.jsonl", ".jsonl", LAYOUT)), text
    except UsageError as exc:  # DataFileError too
        return (type(exc).__name__, exc.message, exc.line, exc.column, exc.fix)


def by_bytes(raw: bytes) -> Any:
    try:
        table, text = read_jsonl_file(raw, "x.jsonl", LAYOUT)
    except UsageError as exc:
        return (type(exc).__name__, exc.message, exc.line, exc.column, exc.fix)
    return _outcome(table), text if isinstance(text, str) else text.decode("ascii")


CASES = [
    b'{"a": 1}\n{"a": 2}\n', b'\xef\xbb\xbf{"a": 1}\n', b'{"a": 1}\r\n{"b": 2}\r\n',
    b'{"a": 1}\n\n  \n{"a": 2}', b"\n\n", b"", b"\x1c\n", b"\x1f \t\n", b"\xef\xbb\xbf",
    b"\xc2\x85\n", b"\xe2\x80\xa8", b'{"a": 1}\n\xc2\xa0\n{"a": 2}\n',
    b'{"a": 1}\n{"a": \xff}\n', b'{"a": "\xe9"}\n', b'{"a": "\xc3\xa9"}\n',
    b'{"a": 1}\n{"a": 1, "a": 2}\n', b'{"a": 1}\n{bad}\n', b'{"a": "\\u0000"}\n',
    b'{"a": null}\n', b'{"a": 1e999}\n', b'\xef\xbb\xbf\xef\xbb\xbf{"a": 1}\n',
    b'{"a": 1}\r\n\r\n{"a": "x\ry"}\n', b'[1]\n2\n"s"\nnull\n',
]


@pytest.mark.parametrize("raw", CASES)
def test_bytes_and_text_read_alike(raw: bytes) -> None:
    assert by_bytes(raw) == by_text(raw)


def test_ascii_bytes_are_their_own_text_and_others_are_decoded() -> None:
    table, text = read_jsonl_file(b'{"a": 1}\n', "x.jsonl", LAYOUT)
    assert text == b'{"a": 1}\n' and table.records == [{"a": 1}]
    table, text = read_jsonl_file(b'\xef\xbb\xbf{"a": "\xc3\xa9"}\n', "x.jsonl", LAYOUT)
    assert text == '{"a": "\xe9"}\n' and table.records == [{"a": "\xe9"}]


PIECES = st.sampled_from([b'{"a": 1}', b'{"b": "\xc3\xa9"}', b"\n", b"\r\n", b" ", b"\x1c",
                          b"\xc2\xa0", b"\xe2\x80\xa8", b"\xff", b"\xc3", b"\xef\xbb\xbf",
                          b"null", b'{"a": 1, "a": 2}', b"[1,", b'"\\u0000"', b"1e400",
                          b'"\\ud800"', b"\t", b"{}", b"\x00"])


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.lists(PIECES, max_size=12).map(b"".join))
def test_random_files_read_alike(raw: bytes) -> None:
    assert by_bytes(raw) == by_text(raw)
