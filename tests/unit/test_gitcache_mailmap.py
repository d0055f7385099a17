"""The git history cache and .mailmap: names are mapped when git reads the log, so a
cached history must not outlive the .mailmap it was read with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitrepo import GitRepo

from guardrails.plugin import SourceEnv
from guardrails.sources.git import GitSource

NOW = datetime(2026, 2, 1, tzinfo=UTC)
MAILMAP = "Alice <alice@example.com> alice <old@example.com>\n"


def authors(repo: Path, cache: Path) -> list[str]:
    env = SourceEnv(root=repo, now=NOW, window=timedelta(days=90), cache_dir=cache)
    src = GitSource({}, env)
    return sorted(c["author"] for c in src.gather({"commits"})["commits"])


def _repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit({"a.py": "1\n"}, author="alice", email="old@example.com",
             date="2026-01-10T00:00:00Z")
    r.commit({"b.py": "1\n"}, date="2026-01-11T00:00:00Z")
    return r


def test_a_committed_mailmap_maps_the_cached_commits_too(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    cache = tmp_path / "cache"
    assert authors(r.path, cache) == ["Alice", "alice"]
    r.commit({".mailmap": MAILMAP}, date="2026-01-12T00:00:00Z")  # HEAD moves on
    assert authors(r.path, cache) == ["Alice", "Alice", "Alice"]
    assert len(list((cache / "git").iterdir())) == 1  # the same file, rewritten


def test_an_edited_mailmap_in_the_work_tree_is_seen(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    cache = tmp_path / "cache"
    assert authors(r.path, cache) == ["Alice", "alice"]
    (r.path / ".mailmap").write_text(MAILMAP, encoding="utf-8")  # git reads it, uncommitted
    assert authors(r.path, cache) == ["Alice", "Alice"]
    assert authors(r.path, cache) == ["Alice", "Alice"]  # and cached again
    assert authors(tmp_path / "repo", tmp_path / "nocache") == ["Alice", "Alice"]
