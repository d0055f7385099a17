"""Cache writes never go through a symbolic link, nor out of the cache folder.

Every cache guardrails keeps (entry points, packs, verdicts, CEL types, the
files source's records, the git history, HTTP answers) is written through a
new temporary file beside its final name, then ``os.replace``. The temporary
file used to have a name known in advance (``.NAME.<pid>.tmp``) and was
opened following links, so a link planted there (by a repository checked out
into the cache folder, say) made guardrails write the cache over the link's
target. Here links are planted at that old name, at the final name and in
place of a cache's own folder, and the file they point at must stay as it
was; the cache is still written (or, for a linked folder, quietly not kept).
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gitrepo import GitRepo
from helpers import check_outputs, make_project

from guardrails import cachefiles
from guardrails.plugin import SourceEnv
from guardrails.sources import gitcache
from guardrails.sources.git import GitSource
from guardrails.sources.http_cache import CacheEntry, ResponseCache

SECRET = b"the user's own file, outside every cache\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "outside" / "precious.txt"
    target.parent.mkdir()
    target.write_bytes(SECRET)
    return target


def _untouched(outside: Path) -> None:
    assert outside.read_bytes() == SECRET
    assert sorted(p.name for p in outside.parent.iterdir()) == ["precious.txt"]


def test_a_link_at_the_old_temporary_name_is_never_written_through(
        tmp_path: Path, outside: Path) -> None:
    file = tmp_path / "cache" / "pack-people-0123456789abcdef.json"
    file.parent.mkdir()
    planted = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    planted.symlink_to(outside)
    cachefiles.write_whole(file, b"head\n", b"payload")
    _untouched(outside)
    assert file.read_bytes() == b"head\npayload"
    assert planted.is_symlink()  # left as it was: never opened
    assert [p.name for p in file.parent.iterdir() if p.name.endswith(".tmp")] == [planted.name]


def test_a_link_at_the_final_name_is_replaced_not_followed(
        tmp_path: Path, outside: Path) -> None:
    file = tmp_path / "cache" / "verdicts-0123456789abcdef.json"
    file.parent.mkdir()
    file.symlink_to(outside)
    cachefiles.store_json_cache(file, {"format": 1}, b'{"a": 1}')
    _untouched(outside)
    assert not file.is_symlink()
    assert cachefiles.load_json_cache(file, 1 << 20, {"format": 1}) == {"a": 1}


def test_a_taken_temporary_name_is_passed_over(
        tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "cache" / "entry-points-0123456789abcdef.json"
    file.parent.mkdir()
    draws = iter([b"\x01" * 8, b"\x01" * 8, b"\x02" * 8])
    monkeypatch.setattr(cachefiles.os, "urandom", lambda n: next(draws))
    (file.parent / f".{file.name}.{'01' * 8}.tmp").symlink_to(outside)
    cachefiles.write_whole(file, b"data")
    _untouched(outside)
    assert file.read_bytes() == b"data"


def test_when_every_name_is_taken_nothing_is_written(
        tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "cache" / "entry-points-0123456789abcdef.json"
    file.parent.mkdir()
    monkeypatch.setattr(cachefiles.os, "urandom", lambda n: b"\x01" * n)
    (file.parent / f".{file.name}.{'01' * 8}.tmp").symlink_to(outside)
    with pytest.raises(FileExistsError):
        cachefiles.write_whole(file, b"data")
    _untouched(outside)
    assert not file.exists()


def test_a_cache_subfolder_that_is_a_link_is_not_written_into(
        tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    (root / "git").symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(OSError, match="symbolic link"):
        cachefiles.write_whole(root / "git" / "0123456789abcdef.bin", b"x", root=root)
    _untouched(outside)


def test_the_cache_folder_itself_may_be_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "chosen").symlink_to(real, target_is_directory=True)
    root = tmp_path / "chosen"
    cachefiles.write_whole(root / "git" / "0123456789abcdef.bin", b"x", root=root)
    assert (real / "git" / "0123456789abcdef.bin").read_bytes() == b"x"


# --- each cache, as a run uses it ---------------------------------------------------------

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _git_source(path: Path, cache: Path) -> GitSource:
    return GitSource({}, SourceEnv(root=path, now=NOW, window=timedelta(days=90),
                                   cache_dir=cache))


def test_the_git_history_cache(tmp_path: Path, outside: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"a.py": "1"}, date="2026-01-10T00:00:00Z")
    cache = tmp_path / "cache"
    src = _git_source(repo.path, cache)
    path = gitcache.cache_path(cache, src._cache_key())
    path.parent.mkdir(parents=True)
    path.symlink_to(outside)
    path.with_name(f".{path.name}.{os.getpid()}.tmp").symlink_to(outside)
    commits = src.gather({"commits"})["commits"]
    _untouched(outside)
    assert path.is_file() and not path.is_symlink()  # replaced: the next run is a hit
    assert _git_source(repo.path, cache).gather({"commits"})["commits"] == commits

    linked = tmp_path / "linked"
    (linked / "git").parent.mkdir()
    (linked / "git").symlink_to(outside.parent, target_is_directory=True)
    again = _git_source(repo.path, linked)
    assert again.gather({"commits"})["commits"] == commits  # read from git, nothing kept
    _untouched(outside)


def test_the_http_cache(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "cache"
    cache = ResponseCache(root / "http" / "github", base=root)
    entry = CacheEntry(url="https://api.example.com/x", body="[]",
                       content_type="application/json", etag='"1"')
    path = cache.path_for(entry.url)
    path.parent.mkdir(parents=True)
    path.symlink_to(outside)
    assert cache.load(entry.url) is None  # a link is no entry (and is removed)
    assert not path.exists() and not path.is_symlink()
    path.symlink_to(outside)
    cache.save(entry)
    _untouched(outside)
    assert not path.is_symlink() and cache.load(entry.url) == entry

    (root / "http").rename(tmp_path / "old-http")
    (root / "http").symlink_to(outside.parent, target_is_directory=True)
    cache.save(entry)  # logged, not raised, and nothing written there
    _untouched(outside)


def _run(config: Path, env: dict[str, str]) -> list[str]:
    return check_outputs(config, config.parent / "report.json", env=env)


def test_a_check_with_links_at_every_cache_file_writes_none_through_them(
        tmp_path: Path, outside: Path) -> None:
    config = make_project(tmp_path / "project")
    caches = tmp_path / "caches"
    env = {"GUARDRAILS_CACHE_DIR": str(caches / "run"),
           "GUARDRAILS_PLUGIN_CACHE_DIR": str(caches / "startup")}
    want = _run(config, {"GUARDRAILS_NO_STARTUP_CACHE": "1"})
    assert _run(config, env) == want  # cold: every cache written
    written = [p for p in caches.rglob("*") if p.is_file()]
    assert any(p.parent.name == "files" for p in written)
    for p in written:  # each replaced by a link to the user's file, and its old temp name too
        p.unlink()
        p.symlink_to(outside)
        p.with_name(f".{p.name}.{os.getpid()}.tmp").symlink_to(outside)
    assert _run(config, env) == want  # every cache a miss, and written again
    _untouched(outside)
    assert all(not p.is_symlink() for p in written if p.exists())

    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "files").symlink_to(outside.parent, target_is_directory=True)
    assert _run(config, {**env, "GUARDRAILS_CACHE_DIR": str(linked)}) == want
    _untouched(outside)


def test_caches_and_the_folders_made_for_them_are_the_owners_alone(tmp_path: Path) -> None:
    """Under the usual umask (022) a cache file was 0o644 and every folder made for it
    0o755, ``~/.cache`` included: HTTP answers read with a token (a private
    repository's pull requests), the org's records and its people's e-mails were
    readable by every account on the machine."""
    config = make_project(tmp_path / "project")
    home_cache = tmp_path / "home" / ".cache"  # missing: the run makes it
    env = {"GUARDRAILS_CACHE_DIR": str(home_cache / "guardrails" / "run"),
           "GUARDRAILS_PLUGIN_CACHE_DIR": str(home_cache / "guardrails" / "startup")}
    umask = os.umask(0o022)
    try:
        _run(config, env)
        http = ResponseCache(home_cache / "guardrails" / "run" / "http" / "github",
                             base=home_cache / "guardrails" / "run")
        http.save(CacheEntry(url="https://api.example.com/x", body="[]",
                             content_type="application/json", etag='"1"'))
    finally:
        os.umask(umask)
    made = [home_cache, *home_cache.rglob("*")]
    files = [p for p in made if p.is_file()]
    assert {p.relative_to(home_cache).parts[2] if p.parent.name != "startup" else "startup"
            for p in files} >= {"files", "http", "startup"}
    modes = {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in made}
    assert modes == {name: oct(0o600) if (tmp_path / name).is_file() else oct(0o700)
                     for name in modes}


def test_an_existing_cache_folder_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)  # the user's choice
    cachefiles.write_whole(shared / "sub" / "x.bin", b"x")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "sub").stat().st_mode) == 0o700
