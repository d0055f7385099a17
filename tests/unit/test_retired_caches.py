"""Files an earlier release's start-up caches wrote, which no run reads now
(``pack-<stem>-<checksum>.json``: one a builtin pack, before the packs file),
are deleted by whichever start-up cache a run writes, as a new release's first
run writes several. Their deletion used to wait for the packs file, which is
rarely written since the builtin packs' shipped verdict: they stayed."""

from __future__ import annotations

from pathlib import Path

from helpers import check_outputs, make_project

from guardrails import cachefiles, cacheprune


def _retired(folder: Path, start: int, count: int) -> list[Path]:
    files = [folder / f"pack-teams-{i:016x}.json" for i in range(start, start + count)]
    for file in files:
        file.write_text("{}")
    return files


def test_any_start_up_cache_write_deletes_an_older_releases_pack_files(
        tmp_path: Path, startup_cache: Path) -> None:
    config = make_project(tmp_path / "p")
    startup_cache.mkdir(parents=True)
    old = _retired(startup_cache, 1, 3)
    kept = startup_cache / "pack-teams.json"  # not a name a cache of ours made
    kept.write_text("mine")
    cold = check_outputs(config, tmp_path / "r.json")
    written = {p.name.split("-")[0] for p in startup_cache.iterdir()}
    assert "doc" in written, written  # this run wrote the config's parse...
    assert not list(startup_cache.glob("packs-*.json"))  # ...not the packs file
    assert not any(p.exists() for p in old) and kept.read_text() == "mine"
    # a run that only reads its caches deletes nothing, and reports the same
    again = _retired(startup_cache, 10, 2)
    assert check_outputs(config, tmp_path / "r.json") == cold
    assert all(p.exists() for p in again)


def test_the_deletion_is_bounded_a_write(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    many = _retired(folder, 100, cacheprune.RETIRED_MAX + 36)
    cachefiles.write_cache(folder / f"verdicts-{1:016x}.json", b"{}")
    assert sum(p.exists() for p in many) == 36
    cachefiles.write_cache(folder / f"verdicts-{2:016x}.json", b"{}")
    assert not any(p.exists() for p in many)
