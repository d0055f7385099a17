"""``check --record`` appends to the month file in place, and reads what a crash left.

Real files in a temporary project: the month file keeps its inode (a hard
link sees the new line), a symbolic link, a FIFO or a device in its place is
refused (exit 4, the file named, never a hang), a file without a trailing
newline gets one before the new line, and a torn last line (a run that ended
while appending) is skipped with one warning naming the file and line.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import make_project, run_cli, write

from guardrails import history
from guardrails.errors import UsageError

MONTH = ".guardrails/history/history-2026-11.jsonl"


def _entry(day: int) -> history.Entry:
    return history.Entry(now=datetime(2026, 11, day, tzinfo=UTC), results={
        "people::team-size": {"id": "people::team-size", "outcome": "passed", "value": day}})


def _line(day: int) -> str:
    return json.dumps(_entry(day).to_json(), separators=(",", ":")) + "\n"


def _record(cfg: Path, now: str = "2026-11-20") -> object:
    return run_cli(["check", "-c", str(cfg), "--record", "--now", now, "-qq"])


def test_record_appends_in_place(tmp_path: Path) -> None:
    """The file is appended to, not replaced: same inode, a hard link sees the new
    line, the bytes before it untouched, its mode kept."""
    cfg = make_project(tmp_path)
    month = write(tmp_path, MONTH, _line(1))
    month.chmod(0o640)
    link = tmp_path / "hard-link"
    os.link(month, link)
    inode = month.stat().st_ino
    assert _record(cfg).exit_code == 1  # beta is too big: the run fails, and is recorded
    assert month.stat().st_ino == inode
    assert stat.S_IMODE(month.stat().st_mode) == 0o640
    text = link.read_text()
    assert text.startswith(_line(1)) and text.count("\n") == 2 and text.endswith("\n")
    loaded = history.load(month.parent, tmp_path)
    assert [e.now.day for e in loaded.entries] == [1, 20] and loaded.warnings == []


def test_file_without_trailing_newline_gets_one_first(tmp_path: Path) -> None:
    folder = tmp_path / "h"
    month = write(folder, "history-2026-11.jsonl", _line(1).rstrip("\n"))
    history.append(folder, [_entry(2)])
    assert month.read_text() == _line(1) + _line(2)
    loaded = history.load(folder)
    assert [e.now.day for e in loaded.entries] == [1, 2] and loaded.warnings == []


def test_a_complete_last_line_without_newline_is_read(tmp_path: Path) -> None:
    """A file someone saved without the final newline is whole, not torn."""
    folder = tmp_path / "h"
    write(folder, "history-2026-11.jsonl", _line(1) + _line(2).rstrip("\n"))
    loaded = history.load(folder)
    assert [e.now.day for e in loaded.entries] == [1, 2] and loaded.warnings == []


def test_torn_last_line_is_skipped_with_one_warning(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write(tmp_path, MONTH, _line(1) + _line(2) + _line(3)[:25])
    loaded = history.load(tmp_path / ".guardrails" / "history", tmp_path)
    assert [e.now.day for e in loaded.entries] == [1, 2]
    assert loaded.warnings == [f"{MONTH}:3: torn last line skipped (a run ended while "
                               "appending it; the next --record starts on a new line after it)"]
    res = run_cli(["history", "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert res.stderr.count("warning:") == 1 and f"{MONTH}:3: torn last line" in res.stderr


def test_torn_line_before_the_last_is_corrupt(tmp_path: Path) -> None:
    """Once appended after, the torn line is a corrupt line like any other: skipped
    with its own warning, the entries around it read."""
    folder = tmp_path / "h"
    write(folder, "history-2026-11.jsonl", _line(1) + _line(2)[:25])
    history.append(folder, [_entry(3)])
    loaded = history.load(folder)
    assert [e.now.day for e in loaded.entries] == [1, 3]
    (warning,) = loaded.warnings
    assert warning.startswith("history-2026-11.jsonl:2: corrupt history line skipped (")


def _refused(tmp_path: Path, cfg: Path, what: str) -> None:
    res = _record(cfg)
    assert res.exit_code == 4, res.output
    assert "Traceback" not in res.output
    month = str(tmp_path / MONTH)
    assert f"{month}: the history file is {what}, not a regular file" in res.stderr
    assert "remove it (the next --record creates the file anew)" in res.stderr


def test_symbolic_link_is_refused(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    target = write(tmp_path, "elsewhere.jsonl", _line(1))
    month = tmp_path / MONTH
    month.parent.mkdir(parents=True)
    month.symlink_to(target)
    _refused(tmp_path, cfg, "a symbolic link")
    assert target.read_text() == _line(1)
    with pytest.raises(UsageError, match="a symbolic link, not a regular file"):
        history._open_append(month)  # on the descriptor too, whatever was checked before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    """A FIFO would block an open for writing until a reader came (O_NONBLOCK), and
    is refused by what the descriptor is, not by its name."""
    cfg = make_project(tmp_path)
    month = tmp_path / MONTH
    month.parent.mkdir(parents=True)
    os.mkfifo(month)
    _refused(tmp_path, cfg, "a FIFO (named pipe)")
    with pytest.raises(UsageError, match=r"a FIFO \(named pipe\), not a regular file"):
        history._open_append(month)


def test_device_is_refused(tmp_path: Path) -> None:
    """A device in the file's place (made with mknod where allowed, else /dev/null
    itself as the path) is refused on its descriptor."""
    path = tmp_path / "history-2026-11.jsonl"
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    except (OSError, AttributeError):
        path = Path(os.devnull)
    if not stat.S_ISCHR(os.stat(path).st_mode):
        pytest.skip("no character device to try")
    with pytest.raises(UsageError, match="a device, not a regular file"):
        history._open_append(path)
