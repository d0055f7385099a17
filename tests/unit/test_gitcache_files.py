"""The git history cache's folder: odd files at its paths, and how many files it keeps."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo

from guardrails.plugin import SourceEnv
from guardrails.sources import gitcache, gitcachedir
from guardrails.sources.git import GitSource

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    r = GitRepo(tmp_path_factory.mktemp("gitcache") / "repo")
    r.commit({"api/a.py": "1"}, date="2026-01-10T00:00:00Z")
    r.commit({"web/b.js": "2"}, author="Bob", email="bob@example.com",
             date="2026-01-11T00:00:00Z")
    return r


def _source(path: Path, cache: Path) -> GitSource:
    env = SourceEnv(root=path, now=NOW, window=timedelta(days=90), cache_dir=cache)
    return GitSource({}, env)


def _gather_within(src: GitSource, seconds: float = 30) -> dict[str, Any]:
    """gather() in a thread: a run that blocks fails the test instead of hanging it."""
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.update(src.gather({"commits", "modules"})),
                         daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "gather blocked"
    return out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_at_the_cache_path_is_a_miss_never_a_wait(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    src = _source(repo.path, cache)
    path = gitcache.cache_path(cache, src._cache_key())
    path.parent.mkdir(parents=True)
    os.mkfifo(path)  # nobody will ever write to it: opening it to read would block
    got = _gather_within(src)
    assert [c["author"] for c in got["commits"]] == ["Bob", "Alice"]
    assert any("not a regular file" in w for w in src.warnings)
    assert path.is_file()  # replaced by the history: the next run is a hit
    again = _source(repo.path, cache)
    assert _gather_within(again)["commits"] == got["commits"] and again.warnings == []
    assert gitcache.load(cache, src._cache_key()) is not None


def test_a_folder_at_the_cache_path_is_a_miss(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    src = _source(repo.path, cache)
    gitcache.cache_path(cache, src._cache_key()).mkdir(parents=True)
    assert len(_gather_within(src)["commits"]) == 2  # read from git; nothing kept


def _fake(folder: Path, i: int, age: float) -> Path:
    p = folder / f"{i:016x}.bin"
    p.write_bytes(b"old")
    os.utime(p, (time.time() - age, time.time() - age))
    return p


def test_the_cache_folder_keeps_the_most_recent_histories(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    folder = cache / "git"
    folder.mkdir(parents=True)
    fakes = [_fake(folder, i, age=1000 * (i + 1)) for i in range(gitcachedir.KEEP + 4)]
    mine = folder / "notes.txt"  # not a name the cache makes: never removed
    mine.write_text("mine")
    stale, fresh = folder / ".00000000000000aa.bin.42.tmp", folder / ".00000000000000bb.bin.43.tmp"
    for p in (stale, fresh):
        p.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    src = _source(repo.path, cache)
    _gather_within(src)  # a miss: writes its history, then prunes
    path = gitcache.cache_path(cache, src._cache_key())
    left = sorted(p.name for p in folder.glob("*.bin"))
    assert len(left) == gitcachedir.KEEP and path.name in left
    # the newest fakes stay (the oldest went first)
    assert left == sorted([path.name, *(p.name for p in fakes[:gitcachedir.KEEP - 1])])
    assert mine.exists() and fresh.exists() and not stale.exists()


def test_a_cache_read_counts_as_recent_use(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    src = _source(repo.path, cache)
    _gather_within(src)
    path = gitcache.cache_path(cache, src._cache_key())
    os.utime(path, (1, 1))
    _gather_within(_source(repo.path, cache))  # a hit
    assert path.stat().st_mtime > time.time() - 600
    # so it outlives histories written after it was last written, but before it was read
    for i in range(gitcachedir.KEEP):
        _fake(cache / "git", i, age=300 + i)
    gitcachedir.prune(cache / "git")
    assert path.exists() and len(list((cache / "git").glob("*.bin"))) == gitcachedir.KEEP


def test_pruning_removes_only_the_exact_names_it_makes(tmp_path: Path) -> None:
    folder = tmp_path / "git"
    folder.mkdir()
    for i in range(gitcachedir.KEEP):
        _fake(folder, i, age=10 + i)
    # Oldest of all, and named like a history but for a final newline (a regular
    # expression's "$" matches before one): not ours, never removed.
    near = [folder / f"{0xff:016x}.bin\n", folder / f".{0xfe:016x}.bin.7.tmp\n"]
    for p in near:
        p.write_bytes(b"mine")
        os.utime(p, (time.time() - 9000, time.time() - 9000))
    gitcachedir.prune(folder)
    assert all(p.exists() for p in near)
    assert len(list(folder.glob("*.bin"))) == gitcachedir.KEEP
