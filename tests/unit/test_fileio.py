"""Whole-or-nothing writes (guardrails.fileio)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guardrails.fileio import atomic_write, atomic_writer


def test_replaces_the_file_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")
    target.chmod(0o640)
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_an_interrupted_write_leaves_the_previous_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous\n")
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as fh:
        fh.write("half of a new rep")
        raise KeyboardInterrupt
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_new_file_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "new.xml"
    with atomic_writer(target) as fh:
        fh.write("<a/>")
        assert not target.exists()
    assert target.read_text() == "<a/>"


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    atomic_write(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path, "x")


def test_a_device_is_written_directly_never_replaced() -> None:
    atomic_write("/dev/null", "discarded")
    assert not Path("/dev/null").is_file()  # still the device


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_device_raises_oserror() -> None:
    with pytest.raises(OSError) as info:
        atomic_write("/dev/full", "x" * 10)
    assert info.value.errno == 28


def test_lone_surrogates_are_escaped_not_fatal(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    atomic_write(target, "bad\ud800name")
    assert target.read_text() == "bad\\ud800name"
