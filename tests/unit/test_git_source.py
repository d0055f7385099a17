"""The git source against real repositories built with the git CLI."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo

from guardrails.errors import ConfigError, SourceError
from guardrails.plugin import SourceEnv
from guardrails.sources import gitcache
from guardrails.sources.git import GitSource
from guardrails.sources.gitcache import MAGIC
from guardrails.sources.gitcachecheck import COLD

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class GitCalls:
    """Every git invocation, logged by a wrapper script put first on PATH.

    The cache tests observe what the source asked git (no ``git log`` on a
    hit, a ``base..head`` range when incremental) from outside the product.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        real = shutil.which("git")
        assert real is not None
        folder.mkdir()
        self.log = folder / "calls.log"
        wrapper = folder / "git"
        wrapper.write_text(f'#!/bin/sh\nprintf "%s\\037" "$@" >> "{self.log}"\n'
                           f'printf "\\n" >> "{self.log}"\nexec "{real}" "$@"\n')
        wrapper.chmod(0o755)
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")

    def take(self) -> list[list[str]]:
        """The argv (after git's own options) of every call the source made since the last
        take (the test's own git calls, without the source's options, are left out)."""
        text = self.log.read_text() if self.log.exists() else ""
        self.log.write_text("")
        out = []
        for line in text.splitlines():
            args = line.split("\x1f")[:-1]
            if "log.showSignature=false" not in args:
                continue
            out.append(args[args.index("log.showSignature=false") + 1:])
        return out

    def commands(self) -> list[str]:
        return [argv[0] for argv in self.take()]


@pytest.fixture
def git_calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> GitCalls:
    return GitCalls(monkeypatch, tmp_path / "git-wrapper")


def source(root: Path, cache_dir: Path | None = None, window_days: int = 90,
           **options: object) -> GitSource:
    env = SourceEnv(root=root, now=NOW, window=timedelta(days=window_days), cache_dir=cache_dir)
    return GitSource(options, env)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """History (newest last), by hand:

    1. 2025-10-01 Alice  api/a.py               (outside a 90d window: before 2025-12-01)
    2. 2026-01-10 Alice  api/a.py, README        (mailmap: "alice <old@example.com>")
    3. 2026-01-11 Bob    web/app/main.js
    4. 2026-01-12 dependabot[bot] api/a.py      (bot: excluded)
    5. 2026-01-13 Renovate Bot <bot@renovateapp.com> web/x  (bot: excluded)
    6. branch "feature": 2026-01-14 Carol web/app/b.js, then a merge (excluded)
    7. 2026-01-20 Bob    rename api/a.py -> core/a.py
    """
    r = GitRepo(tmp_path / "repo")
    r.commit({".mailmap": "Alice <alice@example.com> alice <old@example.com>\n"},
             date="2025-09-01T00:00:00Z")
    r.commit({"api/a.py": "1\n"}, date="2025-10-01T00:00:00Z")
    r.commit({"api/a.py": "1\n2\n", "README": "r\n"}, author="alice", email="old@example.com",
             date="2026-01-10T00:00:00Z")
    r.commit({"web/app/main.js": "m\n"}, author="Bob", email="bob@example.com",
             date="2026-01-11T00:00:00Z")
    r.commit({"api/a.py": "1\n2\n3\n"}, author="dependabot[bot]",
             email="49699333+dependabot[bot]@users.noreply.github.com",
             date="2026-01-12T00:00:00Z")
    r.commit({"web/x": "x\n"}, author="Renovate Bot", email="bot@renovateapp.com",
             date="2026-01-13T00:00:00Z")
    r.git("checkout", "-q", "-b", "feature")
    r.commit({"web/app/b.js": "b\n"}, author="Carol", email="carol@example.com",
             date="2026-01-14T00:00:00Z")
    r.git("checkout", "-q", "main")
    r.merge("feature", date="2026-01-15T00:00:00Z")
    r.rename("api/a.py", "core/a.py", author="Bob", email="bob@example.com",
             date="2026-01-20T00:00:00Z")
    return r


def test_commits_apply_mailmap_and_exclude_bots_merges_and_old_history(repo: GitRepo) -> None:
    commits = source(repo.path).gather({"commits"})["commits"]
    got = [(c["author"], c["email"], c["authored_at"].date().isoformat(), sorted(c["files"]))
           for c in commits]
    assert sorted(got, key=lambda g: g[2]) == [
        ("Alice", "alice@example.com", "2026-01-10", ["README", "api/a.py"]),
        ("Bob", "bob@example.com", "2026-01-11", ["web/app/main.js"]),
        ("Carol", "carol@example.com", "2026-01-14", ["web/app/b.js"]),
        ("Bob", "bob@example.com", "2026-01-20", ["core/a.py"]),
    ]
    assert all(c["authored_at"].tzinfo is UTC for c in commits)
    assert "additions" not in commits[0]


def test_history_option_reads_further_back(repo: GitRepo) -> None:
    commits = source(repo.path, history="365d").gather({"commits"})["commits"]
    assert len(commits) == 6  # the 4 above + 2025-10-01 + the .mailmap commit


def test_custom_bot_patterns_replace_the_defaults(repo: GitRepo) -> None:
    commits = source(repo.path, bots=["carol"]).gather({"commits"})["commits"]
    authors = sorted(c["author"] for c in commits)
    # Carol by the pattern; "dependabot[bot]" and "Renovate Bot" by their names, which
    # mark a bot whatever the patterns (facts.is_bot; the patterns are tested there).
    assert authors == ["Alice", "Bob", "Bob"]


def test_modules_follow_renames_and_count_authors(repo: GitRepo) -> None:
    got = source(repo.path).gather({"commits", "modules"})
    by_sha = {c["authored_at"].date().isoformat(): c["modules"] for c in got["commits"]}
    # api/a.py became core/a.py: Alice's earlier commit counts for "core".
    assert by_sha["2026-01-10"] == ["(root)", "core"]
    assert by_sha["2026-01-20"] == ["core"]
    mods = {m["id"]: m for m in got["modules"]}
    assert set(mods) == {"(root)", "core", "web"}
    assert mods["core"]["authors"] == {"Alice": 1, "Bob": 1}
    assert mods["web"]["authors"] == {"Bob": 1, "Carol": 1}
    assert mods["web"]["files"] == 3  # web/app/main.js, web/app/b.js, web/x at HEAD
    assert mods["(root)"]["paths"] == [] and mods["web"]["paths"] == ["web"]


def test_a_path_inside_the_repository_sees_the_whole_repository(repo: GitRepo) -> None:
    """A config in a folder of a monorepo (``git: {path: .}`` there): the tracked files
    were listed from that folder, relative to it, while the log names files from
    the top, so every module of the log was "no longer at HEAD" (no files) and the
    folder's own files formed modules no commit touched."""
    whole = {m["id"]: m for m in source(repo.path).gather({"modules"})["modules"]}
    inner = {m["id"]: m for m in source(repo.path / "web").gather({"modules"})["modules"]}
    assert inner == whole
    assert inner["web"]["files"] == 3 and inner["core"]["files"] == 1


def test_a_cached_list_of_tracked_files_of_the_earlier_form_is_listed_again(
        repo: GitRepo) -> None:
    """A cache written before the list was read from the top keyed it by the index
    file's 5 numbers: at the same index it must be listed again, not kept."""
    src = source(repo.path / "web")
    src._rev_parse()  # where the index is
    key = src._index_key()
    assert key is not None and len(key) == 6
    stale = {"tracked_key": key[:5], "tracked": ["app/main.js"]}  # from web/, relative
    assert "web/app/main.js" in src._tracked(stale)  # type: ignore[arg-type]
    assert stale["tracked_key"] == key and "app/main.js" not in stale["tracked"]


def test_module_depth_and_explicit_prefixes(repo: GitRepo) -> None:
    mods = {m["id"] for m in source(repo.path, module_depth=2).gather({"modules"})["modules"]}
    assert mods == {"(root)", "core", "web", "web/app"}
    got = source(repo.path, modules=["web/app/", "core"]).gather({"commits", "modules"})
    assert {m["id"] for m in got["modules"]} == {"web/app", "core"}
    # README and web/x fall in no listed module.
    assert sorted(c["modules"] for c in got["commits"]) == [["core"], ["core"], ["web/app"],
                                                            ["web/app"]]


SERVICES = [{"id": "checkout", "owner": "payments", "paths": ["web/app"]},
            {"id": "core-svc", "owner": "platform", "paths": ["core/", "api"]}]


def test_services_as_modules(repo: GitRepo) -> None:
    # The services come from the fact store (env.facts), never from reading files itself.
    src = source(repo.path, modules="services")
    assert src.requires() == {"services"}
    src.env.facts = {"services": SERVICES}.__getitem__
    mods = {m["id"]: m for m in src.gather({"modules"})["modules"]}
    assert set(mods) == {"checkout", "core-svc"}
    assert mods["checkout"]["team"] == "payments"
    assert mods["checkout"]["authors"] == {"Bob": 1, "Carol": 1}
    assert mods["core-svc"]["authors"] == {"Alice": 1, "Bob": 1}
    src = source(repo.path, modules="services")
    src.env.facts = {"services": []}.__getitem__
    with pytest.raises(ConfigError, match="'modules: services' needs services"):
        src.gather({"modules"})


def test_services_as_modules_in_a_run_gathers_services_first(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import run_cli, write

    # git is listed before files: the session still gathers services first
    write(repo.path, "guardrails.yaml", """\
        rules: []
        sources:
          git: {path: ., modules: services}
          files: {path: org}
        """)
    write(repo.path, "org/services.yaml", """\
        services:
          - {id: checkout, owner: payments, paths: [web/app]}
          - {id: core-svc, owner: platform, paths: [core/, api]}
        """)
    monkeypatch.chdir(repo.path)
    res = run_cli(["facts", "modules", "--format", "json", "--now", "2026-03-01"])
    assert res.exit_code == 0, res.output
    mods = {m["id"]: m for m in json.loads(res.stdout)["modules"]}
    assert set(mods) == {"checkout", "core-svc"}
    assert mods["core-svc"]["team"] == "platform"


def test_line_counts_with_numstat(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "r")
    r.commit({"a.txt": "1\n2\n3\n", "b.bin": "\0\1\2"}, date="2026-02-01T00:00:00Z")
    r.commit({"a.txt": "1\nX\n3\n4\n"}, date="2026-02-02T00:00:00Z")
    r.rename("a.txt", "d/a.txt", date="2026-02-03T00:00:00Z")
    commits = source(r.path, line_counts=True).gather({"commits"})["commits"]
    assert [(c["additions"], c["deletions"], c["files"]) for c in commits] == [
        (0, 0, ["d/a.txt"]),
        (2, 1, ["a.txt"]),
        (3, 0, ["a.txt", "b.bin"]),  # binary files have no line counts
    ]


def test_author_date_decides_the_window(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "r")
    # authored before the window, committed (rebased) inside it: out
    r.commit({"a": "1"}, date="2025-11-01T00:00:00Z", committer_date="2026-02-01T00:00:00Z")
    r.commit({"a": "2"}, date="2026-02-02T00:00:00Z")
    commits = source(r.path).gather({"commits"})["commits"]
    assert [c["authored_at"] for c in commits] == [datetime(2026, 2, 2, tzinfo=UTC)]
    assert commits[0]["committed_at"] == datetime(2026, 2, 2, tzinfo=UTC)


def test_cache_hit_reads_no_history(repo: GitRepo, tmp_path: Path,
                                    git_calls: GitCalls) -> None:
    cache = tmp_path / "cache"
    first = source(repo.path, cache)
    want = first.gather({"commits"})["commits"]
    assert git_calls.commands() == ["rev-parse", "log"]  # a miss reads history
    second = source(repo.path, cache)
    again = second.gather({"commits"})["commits"]
    assert again == want
    # no git at all: HEAD read from git's files (githead) and the cache holds it
    assert git_calls.commands() == []
    assert not list((cache / "git").glob(".tmp-*"))


def test_cache_reads_only_new_commits(repo: GitRepo, tmp_path: Path,
                                     git_calls: GitCalls) -> None:
    cache = tmp_path / "cache"
    source(repo.path, cache).gather({"commits"})
    base = repo.head()
    repo.commit({"web/new.js": "n"}, author="Dora", email="dora@example.com",
                date="2026-02-10T00:00:00Z")
    git_calls.take()
    src = source(repo.path, cache)
    commits = src.gather({"commits"})["commits"]
    logs = [argv for argv in git_calls.take() if argv[0] == "log"]
    assert [argv[-2] for argv in logs] == [f"{base}..{repo.head()}"]  # only the new range
    assert [c["author"] for c in commits][:2] == ["Dora", "Bob"]
    assert len(commits) == 5
    # a different config (bots) does not reuse that cache: the whole window is read
    other = source(repo.path, cache, bots=["nobody"])
    other.gather({"commits"})
    logs = [argv for argv in git_calls.take() if argv[0] == "log"]
    assert len(logs) == 1 and ".." not in logs[0][-2]


ALL = {"commits", "modules", "codeowners"}


def test_a_warm_run_asks_git_nothing(repo: GitRepo, tmp_path: Path,
                                           git_calls: GitCalls) -> None:
    cache = tmp_path / "cache"
    repo.commit({".github/CODEOWNERS": "* @acme/core\n/web/ @acme/web\n"},
                date="2026-01-21T00:00:00Z")
    want = source(repo.path).gather(ALL)  # no cache at all
    first = source(repo.path, cache).gather(ALL)
    assert first == want
    assert set(git_calls.commands()) >= {"rev-parse", "log", "ls-files", "ls-tree", "cat-file"}
    again = source(repo.path, cache).gather(ALL)
    assert again == want
    # history, tracked files and CODEOWNERS all from the cache, HEAD from git's files
    assert git_calls.commands() == []
    assert again["codeowners"][0]["files"]["web/x"]["owners"] == ["@acme/web"]


def test_a_changed_index_lists_the_tracked_files_again(repo: GitRepo, tmp_path: Path,
                                                       git_calls: GitCalls) -> None:
    cache = tmp_path / "cache"
    before = source(repo.path, cache).gather(ALL)
    assert {m["id"]: m["files"] for m in before["modules"]}["web"] == 3
    repo.write({"web/new.js": "n\n"})
    repo.git("add", "web/new.js")  # staged, not committed: HEAD is the same
    git_calls.take()
    after = source(repo.path, cache).gather(ALL)
    assert git_calls.commands() == ["ls-files"]  # no git log
    assert {m["id"]: m["files"] for m in after["modules"]}["web"] == 4
    assert after["commits"] == before["commits"]
    assert after == source(repo.path).gather(ALL)


def test_another_module_map_reuses_the_cached_history(repo: GitRepo, tmp_path: Path,
                                                      git_calls: GitCalls) -> None:
    cache = tmp_path / "cache"
    source(repo.path, cache).gather(ALL)
    git_calls.take()
    deeper = source(repo.path, cache, module_depth=2).gather(ALL)
    assert "log" not in git_calls.commands()
    assert deeper == source(repo.path, module_depth=2).gather(ALL)
    assert {"web/app"} <= {m["id"] for m in deeper["modules"]}
    assert source(repo.path, cache).gather(ALL) == source(repo.path).gather(ALL)


def test_a_new_rename_moves_the_cached_commits_to_the_new_module(
        repo: GitRepo, tmp_path: Path, git_calls: GitCalls) -> None:
    cache = tmp_path / "cache"
    source(repo.path, cache).gather(ALL)
    repo.rename("web/app/main.js", "ui/main.js", author="Dora", email="dora@example.com",
                date="2026-02-10T00:00:00Z")
    git_calls.take()
    got = source(repo.path, cache).gather(ALL)
    logs = [argv for argv in git_calls.take() if argv[0] == "log"]
    assert len(logs) == 1 and ".." in logs[0][-2]  # only the new commit read
    assert got == source(repo.path).gather(ALL)
    by_day = {c["authored_at"].date().isoformat(): c["modules"] for c in got["commits"]}
    assert by_day["2026-01-11"] == ["ui"]  # Bob's older commit, under its name at HEAD


def test_another_repositorys_cache_under_this_ones_name_is_not_used(
        repo: GitRepo, tmp_path: Path, git_calls: GitCalls) -> None:
    other = GitRepo(tmp_path / "other")
    other.commit({"x/y.py": "1\n"}, author="Eve", email="eve@example.com",
                 date="2026-02-01T00:00:00Z")
    cache = tmp_path / "cache"
    mine, theirs = source(repo.path, cache), source(other.path, cache)
    theirs.gather(ALL)
    # a clash of file names (or a planted file): the stored key tells them apart
    theirs_file = gitcache.cache_path(cache, theirs._cache_key())
    mine_file = gitcache.cache_path(cache, mine._cache_key())
    mine_file.write_bytes(theirs_file.read_bytes())
    git_calls.take()
    assert mine.gather(ALL) == source(repo.path).gather(ALL)
    assert "log" in git_calls.commands() and mine.warnings == []


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(ConfigError, match="not a git repository"):
        source(tmp_path / "plain").gather({"commits"})


def test_shallow_clone_says_how_to_unshallow(repo: GitRepo, tmp_path: Path) -> None:
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}",
                    str(tmp_path / "shallow")], check=True, capture_output=True)
    with pytest.raises(SourceError, match="git fetch --unshallow"):
        source(tmp_path / "shallow").gather({"commits"})


def test_git_missing_from_path(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo.path))  # a folder without git in it
    with pytest.raises(SourceError, match="git is not installed or not on PATH"):
        source(repo.path).gather({"commits"})


def test_empty_repository_has_no_facts(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "r")
    assert source(r.path).gather({"commits", "modules", "codeowners"}) == {
        "commits": [], "modules": [], "codeowners": []}


def test_a_repository_outside_the_config_folder_is_refused(tmp_path: Path) -> None:
    from guardrails.errors import ConfigError

    repo = GitRepo(tmp_path / "repo")
    repo.commit({"a.txt": "a"})
    root = tmp_path / "config"
    root.mkdir()
    env = SourceEnv(root=root, now=datetime(2026, 11, 20, tzinfo=UTC),
                    window=timedelta(days=90))
    with pytest.raises(ConfigError, match="outside the folder holding the config"):
        GitSource({"path": "../repo"}, env).validate()
    env.allow_outside_root = True
    GitSource({"path": "../repo"}, env).validate()  # allowed when the config says so


# -- hostile repositories (issue 9) -------------------------------------------------


def _raw_commit(r: GitRepo, author: str, committer: str | None = None,
                files: dict[str, str] | None = None) -> str:
    """A commit object written byte for byte, as git itself would refuse to."""
    if files:
        r.write(files)
    r.git("add", "-A")
    tree = r.git("write-tree").strip()
    parent = r.git("rev-parse", "HEAD").strip()
    body = (f"tree {tree}\nparent {parent}\nauthor {author}\n"
            f"committer {committer or author}\n\nraw\n")
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "--literally", "-w", "--stdin"],
                         cwd=r.path, input=body.encode("utf-8", "surrogateescape"),
                         capture_output=True, check=True).stdout.decode().strip()
    r.git("update-ref", "HEAD", sha)
    return sha


T = int(datetime(2026, 2, 20, tzinfo=UTC).timestamp())


def test_control_characters_in_names_and_paths_split_nothing(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit({"a.txt": "a\n"}, date="2026-02-01T00:00:00Z")
    odd = _raw_commit(r, f"Ev\x1f\x1e\x01il <e\x1fvil@example.com> {T} +0000",
                      files={"we\x1eird\nname.txt": "x\n"})
    _raw_commit(r, f"Ann <ann@example.com> {T + 60} +0000", files={"b.txt": "b\n"})
    commits = source(r.path).gather({"commits"})["commits"]
    assert len(commits) == 3
    bad = next(c for c in commits if c["sha"] == odd)
    assert bad["author"] == "Ev\x1f\x1e\x01il" and bad["email"] == "e\x1fvil@example.com"
    assert bad["files"] == ["we\x1eird\nname.txt"]


@pytest.mark.parametrize(("author", "words"), [
    ("Nodate <n@example.com>", "no usable author date"),
    ("Neg <n@example.com> -5000 +0000", "no usable author date"),
    ("Far <f@example.com> 99999999999999 +0000", "no usable author date"),
    ("Huge <h@example.com> 999999999999999999999999999999 +0000", "no usable author date"),
])
def test_an_unusable_author_date_keeps_the_commit_with_a_warning(
        tmp_path: Path, author: str, words: str) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit({"a.txt": "a\n"}, date="2026-02-01T00:00:00Z")
    sha = _raw_commit(r, author, committer=f"Ci <ci@example.com> {T} +0000",
                      files={"b.txt": "b\n"})
    src = source(r.path)
    commits = src.gather({"commits"})["commits"]
    odd = next(c for c in commits if c["sha"] == sha)
    assert odd["authored_at"] == datetime.fromtimestamp(T, UTC)  # the committer date
    assert len(commits) == 2
    assert any(words in w and sha[:12] in w for w in src.warnings)


def test_a_commit_dated_1970_does_not_hide_the_history_behind_it(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit({"a.txt": "a\n"}, date="2026-02-01T00:00:00Z")
    _raw_commit(r, "Zero <z@example.com> 0 +0000", files={"b.txt": "b\n"})
    _raw_commit(r, f"Ann <ann@example.com> {T} +0000", files={"c.txt": "c\n"})
    commits = source(r.path).gather({"commits"})["commits"]
    assert {c["files"][0] for c in commits} == {"a.txt", "c.txt"}


def test_parse_log_keeps_every_field_whatever_the_bytes() -> None:
    from guardrails.sources.gitlog import parse_log

    # a NUL inside a name (git fsck refuses it, hash-object --literally does not)
    # splits it in two tokens: the fields after it still land in place
    tokens = ["", "\x01" + "a" * 40, "nA", "b", "e", "a", "c1", "", "\nM", "p\x1eq",
              "", "", "\x01" + "b" * 40, "nB", "ex@y", "a1700000000", "c1700000000", "",
              "\nR100", "old", "new"]
    warnings: list[str] = []
    out = list(parse_log(tokens, False, warnings.append))
    assert [c["sha"][0] for c in out] == ["a", "b"]
    assert out[0]["author"] == "A\\0b" and out[0]["email"] == "" and out[0]["at"] == 1
    assert out[0]["files"] == ["p\x1eq"]
    assert out[1]["files"] == ["new"] and out[1]["renames"] == [["old", "new"]]
    assert len(warnings) == 1 and "no usable author date" in warnings[0]


def _sealed(data: object) -> bytes:
    """A cache file holding ``data`` with right checksums (damage past the seal): a
    history's columns in the part the cache keeps them in, anything else whole in
    the first part."""
    if not isinstance(data, dict):
        return gitcache.seal(marshal.dumps(data), marshal.dumps({}))
    hot = {k: v for k, v in data.items() if k not in COLD and not k.startswith("_")}
    return gitcache.seal(marshal.dumps(hot), marshal.dumps({k: data.get(k) for k in COLD}))


def _packed(code: str, value: int, n: int) -> bytes:
    """``n`` copies of ``value`` as a packed little-endian column."""
    col = array(code, [value] * n)
    if sys.byteorder != "little":
        col.byteswap()
    return col.tobytes()


def _code() -> object:
    return compile("print('never run')", "x", "exec")


# Each takes the good cache (as data and as bytes) and returns the damaged bytes.
DAMAGE: dict[str, Callable[[dict[str, Any], bytes], bytes]] = {
    "not a cache": lambda d, b: b"{not json",
    "cut short": lambda d, b: b[: len(b) // 2],
    "only the magic line": lambda d, b: MAGIC,
    "a flipped byte": lambda d, b: b[:-3] + bytes([b[-3] ^ 0x20]) + b[-2:],
    "marshal garbage": lambda d, b: _sealed(b"x") [:len(MAGIC) + 4] + b"\xff" * 40,
    "a list": lambda d, b: _sealed([1, 2]),
    "a bad head": lambda d, b: _sealed({**d, "head": "zz"}),
    "a head with a newline after it": lambda d, b: _sealed({**d, "head": d["head"] + "\n"}),
    "a head in capitals": lambda d, b: _sealed({**d, "head": d["head"].upper()}),
    "since as text": lambda d, b: _sealed({**d, "since": "0"}),
    "a sha as a number": lambda d, b: _sealed({**d, "sha": 1}),
    "shas as a list": lambda d, b: _sealed({**d, "sha": [d["head"]] * len(d["author"])}),
    "a sha cut short": lambda d, b: _sealed({**d, "sha": d["sha"][:-1]}),
    "a sha too many": lambda d, b: _sealed({**d, "sha": d["sha"] + d["head"]}),
    "a date past 9999": lambda d, b: _sealed({**d, "at": [10**300] * len(d["at"])}),
    "a packed date past 9999": lambda d, b: _sealed({**d, "at": _packed("q", 2**62, len(d["at"]))}),
    "author date bounds that lie": lambda d, b: _sealed({**d, "at_bounds": [0, 1]}),
    "author date bounds past 9999": lambda d, b: _sealed({**d, "at_bounds": [0, 2**62]}),
    "author date bounds as text": lambda d, b: _sealed({**d, "at_bounds": ["0", "1"]}),
    "a date column cut mid-number": lambda d, b: _sealed({**d, "ct": bytes(d["ct"])[:-3]}),
    "a path number past the table": lambda d, b: _sealed({**d, "files": _packed(
        "I", len(d["paths"]), len(d["files"]))}),
    "file counts that do not add up": lambda d, b: _sealed({**d, "nfiles": _packed(
        "I", 1, len(d["nfiles"]) - 1) + _packed("I", 0, 1)}),
    "a module set holding a number": lambda d, b: _sealed({**d, "modsets": [[1]]}),
    "paths as one string": lambda d, b: _sealed({**d, "paths": "\0".join(d["paths"])}),
    "a module's commit past the end": lambda d, b: _sealed({**d, "modpos": {
        m: _packed("I", len(d["author"]), 1) for m in d["modpos"]}}),
    "module positions as a list": lambda d, b: _sealed({**d, "modpos": [1]}),
    "a module's oldest commit one past the end": lambda d, b: _sealed({**d, "modpos": {
        m: _packed("I", 0, 1) + _packed("I", len(d["author"]), 1) for m in d["modpos"]}}),
    "a module's commit far past the end, then one in it": lambda d, b: _sealed({**d, "modpos": {
        m: _packed("I", 2**24 + 1, 1) + _packed("I", 0, 1) for m in d["modpos"]}}),
    "a module's author past the table": lambda d, b: _sealed({**d, "modauthors": {
        m: _packed("I", len(d["authors"]), 2) for m in d["modauthors"]}}),
    "a module's author just past the table": lambda d, b: _sealed({**d, "modauthors": {
        m: _packed("I", 0, 2) + _packed("I", len(d["authors"]), 1) + _packed("I", 1, 1)
        for m in d["modauthors"]}}),
    "an author with no commits": lambda d, b: _sealed({**d, "modauthors": {
        m: _packed("I", 0, 2) for m in d["modauthors"]}}),
    "module authors cut mid-pair": lambda d, b: _sealed({**d, "modauthors": {
        m: _packed("I", 0, 1) for m in d["modauthors"]}}),
    "authors of other modules": lambda d, b: _sealed({**d, "modauthors": {"elsewhere": _packed(
        "I", 1, 2)}}),
    "an author table of numbers": lambda d, b: _sealed({**d, "authors": [1] * len(
        d["authors"])}),
    "a short column": lambda d, b: _sealed({**d, "modules": d["modules"][1:]}),
    "a code object for files": lambda d, b: _sealed({**d, "files": [[_code()]] * len(d["author"])}),
    "a code object for the history": lambda d, b: _sealed(_code()),
    "a rename that is null": lambda d, b: _sealed({**d, "renames": {0: None}}),
    "a rename past the end": lambda d, b: _sealed({**d, "renames": {10**6: [["a", "b"]]}}),
    "half the line counts": lambda d, b: _sealed({**d, "additions": [0] * len(d["author"])}),
    "tracked files as a dict": lambda d, b: _sealed({**d, "tracked_key": [1],
                                                     "tracked": {"a": 1}}),
}


def test_a_damaged_git_cache_is_ignored_with_a_warning(repo: GitRepo, tmp_path: Path,
                                                       git_calls: GitCalls) -> None:
    # One repository for every kind of damage (a repository per case costs the
    # suite seconds): each is written over the good file, read, and rewritten.
    cache = tmp_path / "cache"
    first = source(repo.path, cache)
    expected = first.gather({"commits", "modules", "codeowners"})
    files = list((cache / "git").glob("*.bin"))
    assert len(files) == 1
    good = gitcache.load(cache, first._cache_key())
    assert good is not None and gitcache.check.rest_problem(good) is None  # both parts
    good_bytes = files[0].read_bytes()
    for damage, make in DAMAGE.items():
        files[0].write_bytes(make(good, good_bytes))
        git_calls.take()
        again = source(repo.path, cache)
        assert again.gather({"commits", "modules", "codeowners"}) == expected, damage
        assert "log" in git_calls.commands(), damage  # a miss: read again
        assert any("ignored the damaged history cache" in w for w in again.warnings), damage
        again_good = gitcache.load(cache, first._cache_key())
        assert again_good is not None and gitcache.check.rest_problem(again_good) is None
        assert again_good == good, damage  # rewritten whole


def test_a_cache_that_lies_about_its_commits_and_files_reads_git_without_a_crash(
        repo: GitRepo, tmp_path: Path) -> None:
    # A forged cache (checksum right, HEAD right) that keeps one commit of several
    # and names a file past its path table: the warm run hands over deferred facts
    # announcing one commit; building them finds the files damaged and reads git,
    # which gives them all. Those are the facts, never an AssertionError.
    cache = tmp_path / "cache"
    first = source(repo.path, cache)
    expected = list(first.gather({"commits"})["commits"])
    assert len(expected) > 1
    good = gitcache.load(cache, first._cache_key())
    assert good is not None and gitcache.check.rest_problem(good) is None
    one = {name: good[name][:1] for name in ("author", "email", "at", "ct", "modules")}
    one["sha"] = good["head"]  # the shas are one string: one commit's is one sha long
    (path,) = (cache / "git").glob("*.bin")
    path.write_bytes(_sealed({**good, **one, "nfiles": _packed("I", 1, 1),
                              "files": _packed("I", len(good["paths"]), 1),
                              "modpos": {m: _packed("I", 0, 1) for m in good["modpos"]},
                              "renames": {}, "additions": None, "deletions": None}))
    assert gitcache.load(cache, first._cache_key()) is not None  # the lie passes the load
    again = source(repo.path, cache)
    got = again.gather({"commits"})["commits"]
    assert list(got) == expected and len(got) == len(expected)
    assert any("ignored the damaged history cache" in w for w in again.warnings)


def test_another_versions_cache_is_a_quiet_miss(repo: GitRepo, tmp_path: Path,
                                                git_calls: GitCalls) -> None:
    cache = tmp_path / "cache"
    expected = source(repo.path, cache).gather({"commits"})["commits"]
    (path,) = (cache / "git").glob("*.bin")
    path.write_bytes(b"guardrails git history v99\n" + path.read_bytes()[len(MAGIC):])
    git_calls.take()
    again = source(repo.path, cache)
    assert again.gather({"commits"})["commits"] == expected
    assert git_calls.commands() == ["rev-parse", "log"] and again.warnings == []


def test_a_deployment_sha_that_is_an_option_never_reaches_git(repo: GitRepo) -> None:
    from guardrails.sources.gitship import commit_deployments

    head = repo.head()
    deployments = [{"sha": head}, {"sha": "--output=/tmp/x"}, {"sha": head}]
    assert commit_deployments(repo.path, deployments) == {}


def test_the_spawn_runner_drains_both_pipes_and_keeps_the_bytes(tmp_path: Path) -> None:
    from guardrails.sources.gitrun import _spawn, spawn_ok

    if not spawn_ok():
        pytest.skip("no posix_spawn here: subprocess runs git")
    # More than a pipe holds on both streams, stderr first: a reader that drained
    # one stream at a time would wait forever; "\r\n" must come back untranslated.
    code = ("import sys; sys.stderr.write('e' * 300000); sys.stderr.flush(); "
            "sys.stdout.write('o\\r\\n' * 100000); sys.exit(3)")
    rc, out, err = _spawn([sys.executable, "-c", code])
    assert (rc, out, err) == (3, "o\r\n" * 100000, "e" * 300000)


def test_which_finds_git_as_shutil_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The source looks git up without importing shutil: same answers as shutil.which
    (order, a non-executable file or a folder named git skipped, an empty entry is the
    working directory, an empty PATH finds nothing, no PATH the system default)."""
    from guardrails.sources.githead import which

    real = shutil.which("git")
    assert real is not None
    plain, folder, exe, cwd = (tmp_path / n for n in ("plain", "folder", "exe", "cwd"))
    for d in (plain, folder / "git", exe, cwd):
        d.mkdir(parents=True)
    (plain / "git").write_text("not executable")
    for d in (exe, cwd):
        (d / "git").write_text("#!/bin/sh\n")
        (d / "git").chmod(0o755)
    monkeypatch.chdir(cwd)
    paths = [os.environ["PATH"], f"{plain}:{folder}:{os.environ['PATH']}",
             f"{plain}:{exe}:{os.environ['PATH']}", f"{plain}::{exe}", f"{exe}:{exe}", "",
             str(plain), None]
    for path in paths:
        if path is None:
            monkeypatch.delenv("PATH")
        else:
            monkeypatch.setenv("PATH", path)
        assert which("git") == shutil.which("git"), path
    monkeypatch.setenv("PATH", f"{plain}::{exe}")
    assert which("git") == "git"  # the empty entry: the working directory's git


def test_the_codeowners_places_are_the_parsers() -> None:
    """The source looks where the CODEOWNERS parser says GitHub looks (kept apart so
    that a run without a CODEOWNERS file never imports the parser)."""
    from guardrails.sources import codeowners, git

    assert git.CODEOWNERS_LOCATIONS == codeowners.LOCATIONS


def test_codeowners_found_from_a_subfolder_and_never_a_folder(tmp_path: Path) -> None:
    """The first CODEOWNERS of GitHub's order that is a file at HEAD, whatever folder
    of the work tree the source reads (paths from the top); a folder of that name
    is no file."""
    r = GitRepo(tmp_path / "repo")
    r.commit({"CODEOWNERS/readme.txt": "a folder\n", "docs/CODEOWNERS": "* @acme/docs\n",
              "sub/a.py": "a\n"}, date="2026-02-01T00:00:00Z")
    src = source(r.path / "sub")
    assert src.read_codeowners() == ("docs/CODEOWNERS", "* @acme/docs\n")
    r.commit({".github/CODEOWNERS": "* @acme/gh\n"}, date="2026-02-02T00:00:00Z")
    assert source(r.path).read_codeowners() == (".github/CODEOWNERS", "* @acme/gh\n")
