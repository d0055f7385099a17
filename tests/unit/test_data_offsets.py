"""A data timestamp's UTC offset, one table through every input format.

Python's ``datetime.fromisoformat`` refuses an offset of 24 hours or more but
reads ``+02:75`` as ``+03:15`` and ``+02:00:75`` as ``+02:01:15``; the files
source's fast path took that reading. Every path (the generated normaliser,
nested items, :func:`guardrails.timeutil.parse_timestamp`) must give the same
verdict for each row below.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from guardrails.errors import DataFileError
from guardrails.sourcebase import SourceEnv
from guardrails.sources.files import FilesSource
from guardrails.timeutil import parse_timestamp


def make_env(root: Path) -> SourceEnv:
    # here, not imported from test_files_source: a test module is no package to
    # import from (`python -P -m pytest`, as CI runs the installed wheel, has no
    # `tests` on sys.path)
    return SourceEnv(root=root, now=datetime(2026, 11, 1, tzinfo=UTC),
                     window=timedelta(days=90))


OUT = "out of range"
# offset -> its length as a timedelta, or OUT (refused, naming the offset)
TABLE: dict[str, timedelta | str] = {
    "Z": timedelta(0),
    "+00:00": timedelta(0),
    "-00:00": timedelta(0),  # RFC 3339's "offset unknown": read as UTC, as Python does
    "+02:00": timedelta(hours=2),
    "-05:30": timedelta(hours=-5, minutes=-30),
    "+0530": timedelta(hours=5, minutes=30),
    "+02": timedelta(hours=2),
    "+23:59": timedelta(hours=23, minutes=59),
    "-23:59": -timedelta(hours=23, minutes=59),
    "+02:00:30": timedelta(hours=2, seconds=30),  # seconds in range: Python reads them
    "+02:00:30.5": timedelta(hours=2, seconds=30.5),
    "+02:75": OUT,
    "-02:75": OUT,
    "+0275": OUT,
    "+00:60": OUT,
    "+22:99": OUT,
    "+24:00": OUT,
    "-25:00": OUT,
    "+99": OUT,
    "+02:00:75": OUT,
    "+020075": OUT,
    "+02:75:00": OUT,
}
LOCAL = "2026-10-01T10:00:00"
FORMATS = ["csv", "jsonl", "json", "yaml"]


def _write(root: Path, fmt: str, stamp: str) -> None:
    record = {"id": "INC-1", "created_at": stamp}
    text = {
        "csv": f"id,created_at\nINC-1,{stamp}\n",
        "jsonl": json.dumps(record) + "\n",
        "json": json.dumps([record]),
        "yaml": yaml.safe_dump({"incidents": [record]}),
    }[fmt]
    (root / "org").mkdir()
    (root / "org" / f"incidents.{fmt}").write_text(text, encoding="utf-8")


def _read(root: Path) -> datetime:
    [incident] = FilesSource({"path": "org"}, make_env(root)).gather({"incidents"})["incidents"]
    value: datetime = incident["created_at"]
    return value


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("offset", "expected"), list(TABLE.items()))
def test_an_offset_reads_alike_in_every_format(tmp_path: Path, fmt: str, offset: str,
                                               expected: timedelta | str) -> None:
    stamp = LOCAL + offset
    _write(tmp_path, fmt, stamp)
    if isinstance(expected, timedelta):
        instant = datetime(2026, 10, 1, 10, tzinfo=UTC) - expected
        assert _read(tmp_path) == instant == parse_timestamp(stamp)
        assert _read(tmp_path).tzinfo is UTC
        return
    with pytest.raises(DataFileError) as info:
        _read(tmp_path)
    err = info.value
    assert err.file == f"org/incidents.{fmt}"
    assert err.line == (2 if fmt in ("csv", "yaml") else 1)
    assert err.message.startswith(f"created_at: the UTC offset {offset} of ")
    assert "is out of range: an offset runs from -23:59 to +23:59" in err.message
    with pytest.raises(ValueError, match="is out of range"):
        parse_timestamp(stamp)


def test_nested_review_times_are_held_to_the_same_offsets(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "pull_requests.jsonl").write_text(json.dumps({
        "id": 5, "author": "alice",
        "reviews": [{"user": "bob", "state": "APPROVED", "submitted_at": LOCAL + "+02:75"}],
    }) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="submitted_at: the UTC offset \\+02:75 of"):
        FilesSource({"path": "org"}, make_env(tmp_path)).gather({"changes"})


def test_python_itself_reads_what_the_table_refuses() -> None:
    """Why the check is ours: fromisoformat takes these rows without a word."""
    for offset in ("+02:75", "+0275", "+22:99", "+02:00:75", "+02:75:00"):
        assert datetime.fromisoformat(LOCAL + offset).utcoffset() is not None
