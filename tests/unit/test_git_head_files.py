"""HEAD read from git's own files (guardrails.sources.githead) against git itself.

In every layout the reader handles, its answers are git's (``rev-parse``);
in every other layout it answers None, and the source asks git as before.
A warm run then gives the facts a run without any cache gives, HEAD moved
or not, and asks git nothing only when the cache holds the very commit the
files name.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo

from guardrails.errors import SourceError
from guardrails.plugin import SourceEnv
from guardrails.sources import githead
from guardrails.sources.git import GitSource

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ALL = {"commits", "modules", "codeowners"}


def _repo(path: Path) -> GitRepo:
    r = GitRepo(path)
    r.commit({"api/a.py": "1\n", "README": "r\n"}, date="2026-01-10T00:00:00Z")
    r.commit({"web/b.js": "2\n"}, author="Bob", email="bob@example.com",
             date="2026-01-11T00:00:00Z")
    return r


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return _repo(tmp_path / "repo")


def _git_says(r: GitRepo, path: Path | None = None) -> tuple[str, Path, Path]:
    """What ``git rev-parse`` answers: HEAD's commit, the index file, the top."""
    where = path or r.path
    out = r.git("-C", str(where), "rev-parse", "--git-path", "index", "--show-toplevel",
                "--verify", "HEAD^{commit}").split("\n")
    return out[2], (where / out[0]).resolve(), Path(out[1])


def _peek(path: Path) -> tuple[str, Path, Path] | None:
    found = githead.peek(path.resolve())
    return None if found is None else (found[0], found[1].resolve(), found[2])


# --- layouts the reader handles: git's answers ----------------------------------


def test_a_branch_in_its_own_file(repo: GitRepo) -> None:
    assert (repo.path / ".git/refs/heads/main").is_file()
    assert _peek(repo.path) == _git_says(repo)


def test_a_branch_only_in_packed_refs_and_then_moved_past_it(repo: GitRepo) -> None:
    repo.git("pack-refs", "--all")
    assert not (repo.path / ".git/refs/heads/main").exists()
    assert _peek(repo.path) == _git_says(repo)
    packed = repo.head()
    repo.commit({"web/c.js": "3\n"}, date="2026-01-12T00:00:00Z")  # a loose file again
    assert _peek(repo.path) == _git_says(repo) and repo.head() != packed


def test_a_detached_head_and_a_branch_name_with_slashes(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "--detach", "HEAD~1")
    assert _peek(repo.path) == _git_says(repo)
    repo.git("checkout", "-q", "-b", "feature/x-1.2_y")
    repo.commit({"x": "x\n"}, date="2026-01-13T00:00:00Z")
    assert _peek(repo.path) == _git_says(repo)


def test_variables_that_leave_the_repository_alone_keep_the_shortcut(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_SSL_CAINFO", "GIT_TERMINAL_PROMPT", "GIT_CONFIG_NOSYSTEM",
                 "GIT_AUTHOR_NAME"):
        monkeypatch.setenv(name, "1")
    assert _peek(repo.path) == _git_says(repo)


# --- layouts it leaves to git -------------------------------------------------


@pytest.mark.parametrize("name", ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
                                  "GIT_COMMON_DIR", "GIT_CONFIG_PARAMETERS",
                                  "GIT_OBJECT_DIRECTORY", "GIT_SHALLOW_FILE",
                                  "GIT_CONFIG_KEY_0"])
def test_a_hooks_variables_keep_the_shortcut_as_git_never_sees_them(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # A commit hook runs with GIT_INDEX_FILE and the like, pointing anywhere: the
    # source leaves them out of every git it runs (gitrun.environment), so what
    # git answers there, and what this reader answers, is the configured repository.
    want = _git_says(repo)
    other = _repo(tmp_path / "other")
    monkeypatch.setenv(name, str(other.path / ".git"))
    assert _peek(repo.path) == want


def test_a_variable_it_does_not_know_asks_git(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_NEW_ONE", str(repo.path / ".git"))  # a newer git's
    assert githead.peek(repo.path) is None


def test_a_linked_worktree_a_subfolder_and_a_linked_git_folder_ask_git(
        repo: GitRepo, tmp_path: Path) -> None:
    repo.git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "other")
    assert (tmp_path / "wt/.git").is_file() and githead.peek(tmp_path / "wt") is None
    assert githead.peek(repo.path / "api") is None  # git would search upward
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".git").symlink_to(repo.path / ".git")
    assert githead.peek(linked) is None


@pytest.mark.parametrize("change", [
    ["config", "core.bare", "true"],
    ["config", "core.worktree", "/elsewhere"],
    ["config", "core.repositoryformatversion", "1"],
    ["config", "extensions.worktreeConfig", "true"],
    ["config", "include.path", "other.cfg"],
    ["config", "core.bare", "true # odd"],
])
def test_a_config_that_may_move_the_repository_asks_git(repo: GitRepo,
                                                        change: list[str]) -> None:
    repo.git(*change)
    assert githead.peek(repo.path) is None


def test_a_missing_or_odd_config_file_asks_git(repo: GitRepo) -> None:
    config = repo.path / ".git/config"
    text = config.read_bytes()
    config.unlink()
    assert githead.peek(repo.path) is None
    config.mkdir()
    assert githead.peek(repo.path) is None
    config.rmdir()
    config.write_bytes(text)
    assert githead.peek(repo.path) is not None


def test_plain_config_reads_only_what_it_understands() -> None:
    plain = (b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
             b"; a comment\n[remote \"origin\"]\n\turl = /x\n[branch \"main\"]\n\tremote = o\n")
    assert githead.plain_config(plain)
    assert githead.plain_config(b"[Core]\n\tBare = no\n")
    for odd in (b"[core] bare = true\n", b"[core]\n\tbare\n", b"[core]\n\tbare = yes\n",
                b"[core.x]\n", b"[remote \"a\\\"b\"]\n", b"[core]\n\tx = a\\\n b\n",
                b"[includeIf \"gitdir:/x\"]\n\tpath = y\n", b"[Extensions]\n\tx = y\n",
                b"[core]\n\tWorkTree = /x\n", b"\xff\n", b"[core]\n\t= 1\n",
                b"[core]\n\trepositoryformatversion = 1\n"):
        assert not githead.plain_config(odd), odd


def test_unborn_and_symbolic_refs_ask_git(tmp_path: Path) -> None:
    empty = GitRepo(tmp_path / "empty")
    assert githead.peek(empty.path) is None  # no commit yet: git says so
    r = _repo(tmp_path / "r")
    r.git("symbolic-ref", "refs/heads/alias", "refs/heads/main")
    r.git("symbolic-ref", "HEAD", "refs/heads/alias")
    assert githead.peek(r.path) is None  # a ref naming a ref
    r.git("symbolic-ref", "HEAD", "refs/heads/main")
    r.git("checkout", "-q", "--orphan", "fresh")
    assert githead.peek(r.path) is None


def test_shallow_links_fifos_and_another_owner_ask_git(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    git = repo.path / ".git"
    (git / "shallow").write_text(repo.head() + "\n")
    assert githead.peek(repo.path) is None
    (git / "shallow").unlink()
    uid = os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: uid + 1)  # git refuses such a repository
    assert githead.peek(repo.path) is None
    monkeypatch.undo()
    head = (git / "HEAD").read_bytes()
    (git / "HEAD.real").write_bytes(head)
    (git / "HEAD").unlink()
    (git / "HEAD").symlink_to(git / "HEAD.real")
    assert githead.peek(repo.path) is None
    (git / "HEAD").unlink()
    (git / "HEAD").write_bytes(head)
    repo.git("pack-refs", "--all")
    (git / "packed-refs").unlink()
    os.mkfifo(git / "packed-refs")  # a FIFO: None at once, never a wait for a writer
    assert githead.peek(repo.path) is None


# --- the source: a claim the cache settles, else git ----------------------------


class Calls:
    """Every git command the source runs, from a wrapper first on PATH."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        real = shutil.which("git")
        folder.mkdir()
        self.log = folder / "log"
        # the subcommand: the first argument after git's own options (-C DIR,
        # -c NAME=VALUE, --no-pager), however many the source passes
        (folder / "git").write_text(
            "#!/bin/sh\n"
            "name() { while [ $# -gt 0 ]; do case \"$1\" in -C|-c) shift 2;; "
            f"--*) shift;; *) echo \"$1\" >> \"{self.log}\"; return;; esac; done; }}\n"
            f'name "$@"\nexec "{real}" "$@"\n')
        (folder / "git").chmod(0o755)
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")

    def take(self) -> list[str]:
        """The subcommands git ran since the last take."""
        text = self.log.read_text() if self.log.exists() else ""
        self.log.write_text("")
        return text.split()


def _gather(path: Path, cache: Path | None) -> dict[str, Any]:
    src = GitSource({}, SourceEnv(root=path, now=NOW, window=timedelta(days=90),
                                  cache_dir=cache))
    return {kind: list(facts) for kind, facts in src.gather(ALL).items()}


def test_head_moved_in_every_way_is_seen(repo: GitRepo, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    calls = Calls(monkeypatch, tmp_path / "wrap")
    _gather(repo.path, cache)
    calls.take()
    assert _gather(repo.path, cache) == _gather(repo.path, None)
    assert calls.take() == ["rev-parse", "log", "ls-files", "ls-tree"]  # the uncached run
    moves = [
        lambda: repo.commit({"web/c.js": "3\n"}, author="Cy", email="cy@example.com",
                            date="2026-01-12T00:00:00Z"),  # a new commit, loose ref
        lambda: repo.git("reset", "-q", "--hard", "HEAD~1"),  # back to an older commit
        lambda: repo.git("pack-refs", "--all"),  # the same commit, now packed: no git
        lambda: repo.git("update-ref", "refs/heads/main", "HEAD~1"),  # moved ...
        lambda: repo.git("pack-refs", "--all"),  # ... and packed
        lambda: repo.git("checkout", "-q", "--detach", "HEAD~0"),  # detached, same commit
    ]
    for n, move in enumerate(moves):
        before = repo.head()
        move()
        calls.take()
        got = _gather(repo.path, cache)
        asked = calls.take()
        assert got == _gather(repo.path, None), n
        assert ("rev-parse" in asked) == (repo.head() != before), (n, asked)
        calls.take()
        assert _gather(repo.path, cache) == got and calls.take() == [], n  # warm again


def test_a_layout_left_to_git_still_uses_the_cache(repo: GitRepo, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    repo.git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "other")
    calls = Calls(monkeypatch, tmp_path / "wrap")
    want = _gather(tmp_path / "wt", None)
    _gather(tmp_path / "wt", cache)
    calls.take()
    assert _gather(tmp_path / "wt", cache) == want
    assert calls.take() == ["rev-parse"]  # git answers, the cache holds the history


def test_a_warm_cache_never_hides_a_shallow_clone_or_a_missing_git(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    _gather(repo.path, cache)
    (repo.path / ".git/shallow").write_text(repo.head() + "\n")
    with pytest.raises(SourceError, match="git fetch --unshallow"):
        _gather(repo.path, cache)
    (repo.path / ".git/shallow").unlink()
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(SourceError, match="git is not installed"):
        _gather(repo.path, cache)
