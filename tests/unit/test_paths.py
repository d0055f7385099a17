"""Files stay inside the root and are regular files (guardrails/paths.py)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from guardrails.errors import DataFileError, UsageError
from guardrails.paths import check_file
from guardrails.textsafe import excerpt, quoted


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "org").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("SECRET\n", encoding="utf-8")
    return r


def refused(path: Path, root: Path, allow: bool = False) -> UsageError:
    with pytest.raises(DataFileError) as info:
        check_file(path, root=root, allow_outside=allow, display="org/x.yaml",
                   error=DataFileError, what="data file")
    assert info.value.file == "org/x.yaml"
    assert "SECRET" not in str(info.value)
    return info.value


def test_regular_file_and_inside_link_are_fine(root: Path) -> None:
    (root / "org" / "teams.yaml").write_text("teams: []\n", encoding="utf-8")
    os.symlink("teams.yaml", root / "org" / "alias.yaml")
    for name in ("teams.yaml", "alias.yaml"):
        check_file(root / "org" / name, root=root, allow_outside=False, display=name)


def test_link_outside_is_refused_unless_allowed(root: Path) -> None:
    link = root / "org" / "x.yaml"
    os.symlink(root.parent / "outside.txt", link)
    err = refused(link, root)
    assert "resolves outside" in err.message and "allow_outside_root" in (err.fix or "")
    check_file(link, root=root, allow_outside=True, display="org/x.yaml")


def test_a_file_in_a_linked_folder_names_the_folder_not_the_file(root: Path) -> None:
    """A plain file reached through a folder that links out of the root: the folder
    is the link, and the message says so (it called the file a symbolic link)."""
    away = root.parent / "away" / "deeper"
    away.mkdir(parents=True)
    (away / "x.yaml").write_text("teams: []\n", encoding="utf-8")
    (root / "org" / "sub").mkdir()
    os.symlink(away, root / "org" / "sub" / "linked")
    err = refused(root / "org" / "sub" / "linked" / "x.yaml", root)
    assert err.message.startswith("the data file is inside a folder that is a symbolic "
                                  "link: org/sub/linked resolves outside"), err.message
    assert "is a symbolic link that" not in err.message
    assert "org/sub/linked" in (err.fix or "") and "allow_outside_root" in (err.fix or "")
    check_file(root / "org" / "sub" / "linked" / "x.yaml", root=root, allow_outside=True,
               display="org/x.yaml")


@pytest.mark.parametrize("target", ["/proc/self/environ", "/dev/zero", "/sys/kernel"])
def test_system_trees_are_refused_even_when_outside_is_allowed(root: Path, target: str) -> None:
    link = root / "org" / "x.yaml"
    os.symlink(target, link)
    err = refused(link, root, allow=True)
    assert "never reads" in err.message


def test_fifo_socket_and_folder_are_refused(root: Path) -> None:
    fifo = root / "org" / "fifo"
    os.mkfifo(fifo)
    assert "FIFO" in refused(fifo, root).message
    sock_path = root / "org" / "s"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        assert "socket" in refused(sock_path, root).message
    os.symlink("../org", root / "org" / "d")
    assert "folder" in refused(root / "org" / "d", root).message


def test_dangling_and_looping_links_are_refused(root: Path) -> None:
    os.symlink("nothing.yaml", root / "org" / "a.yaml")
    os.symlink("b.yaml", root / "org" / "b.yaml")
    for name in ("a.yaml", "b.yaml"):
        assert "link to nothing" in refused(root / "org" / name, root).message


def test_excerpt_is_short_and_escaped() -> None:
    assert excerpt("a\x1b[2Jb\nc") == "a\\x1b[2Jb\\x0ac"
    assert excerpt("x" * 500) == "x" * 80 + "..."
    assert excerpt("\u2028\ud800") == "\\u2028\\ud800"
    assert quoted("it's") == "'it\\'s'"
