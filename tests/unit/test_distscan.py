"""guardrails.distscan finds what importlib.metadata finds, or steps aside.

Compared on this interpreter's own sys.path (every group of every installed
distribution) and on folders of made-up distributions; the layouts it does
not read (a zip on sys.path, two distributions of one name in a folder, a
folded header, an entry-point line without ``=``) return None, so the caller
asks importlib.metadata.
"""

from __future__ import annotations

import importlib.metadata as md
import sys
import zipfile
from pathlib import Path

import pytest

from guardrails import distscan, installed


def _by_importlib(group: str) -> list[tuple[str, str, str | None, str | None]]:
    out = []
    for ep in md.entry_points(group=group):
        meta = ep.dist.metadata if ep.dist is not None else None
        # a header asked with `in` first: a missing one's meta[...] is None on 3.11 and
        # 3.12, deprecated on 3.13 (a KeyError to come)
        name = meta["Name"] if meta and "Name" in meta else None
        version = meta["Version"] if meta and "Version" in meta else None
        out.append((ep.name, ep.value, name, version))
    return sorted(out, key=repr)


def _mine(group: str) -> list[tuple[str, str, str | None, str | None]] | None:
    got = distscan.scan(group)
    return None if got is None else sorted(got[0], key=repr)


@pytest.mark.parametrize("group", ["guardrails", "console_scripts", "pytest11",
                                   "distutils.commands", "no-such-group"])
def test_this_interpreter_s_entry_points(group: str) -> None:
    assert _mine(group) == _by_importlib(group)


def test_pluggy_s_version_and_the_cached_pair() -> None:
    got = distscan.scan("guardrails")
    assert got is not None and got[1] == md.version("pluggy")
    assert installed._scan_plainly() == (installed._scan(), installed._pluggy_version())


def _dist(site: Path, folder: str, metadata: str | None, entry_points: str | None,
          meta_file: str = "METADATA") -> None:
    info = site / folder
    info.mkdir(parents=True)
    if metadata is not None:
        (info / meta_file).write_text(metadata, encoding="utf-8")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


EPS = "# comment\n\n[console_scripts]\nx = a:b\n[guardrails]\n one =  pkg.one:hook \ntwo=pkg.two\n"


def test_made_up_distributions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "Alpha_Plugin-1.0.dist-info", "Metadata-Version: 2.1\nName: alpha.plugin\n"
          "Version: 1.0\nSummary: x\n\nbody: not a header\n", EPS)
    # the same distribution later on sys.path: shadowed, as importlib.metadata does
    _dist(second, "alpha_plugin-2.0.dist-info", "Name: alpha-plugin\nVersion: 2.0\n",
          "[guardrails]\nold = pkg.old\n")
    _dist(second, "beta-0.1.egg-info", None, "[guardrails]\nbeta = beta.plugin\n",
          meta_file="PKG-INFO")
    (second / "beta-0.1.egg-info" / "PKG-INFO").write_text("Name: beta\nVersion: 0.1\n")
    _dist(second, "gamma-3.dist-info", "", "[guardrails]\ngamma = g\n")  # empty METADATA
    (second / "gamma-3.dist-info" / "PKG-INFO").write_text("Name:  Gamma \nVersion:\t3\n")
    _dist(second, "delta-1.dist-info", "Name: delta\n", "[other]\nd = d\n")
    (second / "old.egg-info").write_text("Name: old\nVersion: 0\n")  # an old egg-info file
    monkeypatch.setattr(sys, "path", [str(first), str(second)])
    for group in ("guardrails", "console_scripts", "other", "nothing"):
        assert _mine(group) == _by_importlib(group), group
    # installed's own importlib reading, headers missing (gamma's METADATA is empty)
    # included: no DeprecationWarning on 3.13
    assert sorted(installed._scan(), key=repr) == sorted(
        ((n, v.split(":", 1)[0], d, ver) for n, v, d, ver in _by_importlib("guardrails")),
        key=repr)


def _read_plainly(group: str = "guardrails") -> list[tuple[str, str, str | None, str | None]]:
    """What distscan read, which importlib.metadata reads too and is not nothing: the
    layout a step-aside test starts from is one it does read, so its None says the
    odd part was seen (a distscan that failed on everything returned None as well,
    and those tests passed with it)."""
    got = _mine(group)
    assert got is not None and got == _by_importlib(group) and got
    return got


@pytest.mark.parametrize(("metadata", "entry_points"), [
    ("Name: folded\n  more\nVersion: 1\n", "[guardrails]\nf = f\n"),  # email joins it
    ("Name: x\nVersion: 1\n", "[guardrails]\nno equals sign\n"),  # importlib.metadata fails
    ("\ufeffName: bom\nVersion: 1\n", "[guardrails]\nb = b\n"),  # email: no headers
])
def test_what_it_does_not_read_is_left_to_importlib(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metadata: str,
        entry_points: str) -> None:
    monkeypatch.setattr(sys, "path", [str(tmp_path / "plain"), str(tmp_path / "odd")])
    _dist(tmp_path / "plain", "plain-1.dist-info", "Name: plain\nVersion: 1\n",
          "[guardrails]\np = p\n")
    _read_plainly()
    _dist(tmp_path / "odd", "odd-1.dist-info", metadata, entry_points)
    assert distscan.scan("guardrails") is None


def test_a_zip_or_two_of_one_name_is_left_to_importlib(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _dist(site, "twice-1.dist-info", "Name: twice\nVersion: 1\n", "[guardrails]\nt = t\n")
    monkeypatch.setattr(sys, "path", [str(site)])
    _read_plainly()
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("z-1.dist-info/METADATA", "Name: z\nVersion: 1\n")
    monkeypatch.setattr(sys, "path", [str(site), str(archive)])
    assert distscan.scan("guardrails") is None
    _dist(site, "Twice-2.dist-info", "Name: twice\n", None)
    monkeypatch.setattr(sys, "path", [str(site)])
    assert distscan.scan("guardrails") is None


def test_another_finder_listing_distributions_is_left_to_importlib(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Finder:
        @staticmethod
        def find_spec(*_args: object) -> None:
            return None

        @staticmethod
        def find_distributions(*_args: object) -> list[object]:
            return []

    _dist(tmp_path, "plain-1.dist-info", "Name: plain\nVersion: 1\n", "[guardrails]\np = p\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    _read_plainly()
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder])
    assert distscan.scan("guardrails") is None
