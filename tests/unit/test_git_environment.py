"""The git source reads the repository its config names, whatever ``GIT_*``
variables the run inherits: a git hook runs with several (pre-commit sets
GIT_INDEX_FILE, ``git rebase --exec`` exports GIT_DIR), and git would follow
them to another repository. Real repositories, real git, a real check run."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gitrepo import GitRepo
from helpers import GIT_RULES, check_outputs, write

from guardrails.plugin import SourceEnv
from guardrails.sources import gitrun
from guardrails.sources.git import GitSource


def _repo(path: Path, author: str, folder: str, owner: str) -> GitRepo:
    repo = GitRepo(path)
    email = f"{author.lower()}@example.com"
    repo.commit({"CODEOWNERS": f"/{folder}/ {owner}\n"}, author=author, email=email,
                date="2026-11-01T00:00:00Z")
    for day in (2, 3, 4):
        repo.commit({f"{folder}/x.py": f"{day}\n"}, author=author, email=email,
                    date=f"2026-11-0{day}T00:00:00Z")
    return repo


def _moved(other: GitRepo) -> dict[str, str | None]:
    """What a hook running in ``other`` would hand down (and a bit more)."""
    git = other.path / ".git"
    return {
        "GIT_DIR": str(git), "GIT_WORK_TREE": str(other.path),
        "GIT_INDEX_FILE": str(git / "index"), "GIT_COMMON_DIR": str(git),
        "GIT_OBJECT_DIRECTORY": str(git / "objects"),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(git / "objects"),
        "GIT_CONFIG_PARAMETERS": "'log.mailmap'='false'",
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.bare", "GIT_CONFIG_VALUE_0": "true",
        "GIT_NAMESPACE": "elsewhere",
    }


@pytest.fixture
def two(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    """The configured repository (Alice's module ``a``, owned by @acme/a) and another
    one (Bob's ``b``, owned by @acme/b), with the project's files in the first."""
    ours = _repo(tmp_path / "ours", "Alice", "a", "@acme/a")
    other = _repo(tmp_path / "other", "Bob", "b", "@acme/b")
    write(ours.path, "rules/own.yaml", GIT_RULES)
    return ours, other


def test_the_variables_do_move_git(two: tuple[GitRepo, GitRepo]) -> None:
    # the premise: plain git, run in our folder with them, reads the other repository
    ours, other = two
    env = {**os.environ, **{k: v for k, v in _moved(other).items() if v is not None}}
    proc = subprocess.run(["git", "-C", str(ours.path), "log", "--format=%an"], env=env,
                          capture_output=True, text=True, check=True)
    assert set(proc.stdout.split()) == {"Bob"}


@pytest.mark.parametrize("spawn", [True, False], ids=["posix_spawn", "subprocess"])
def test_a_check_run_inside_a_hook_reads_the_configured_repository(
        two: tuple[GitRepo, GitRepo], monkeypatch: pytest.MonkeyPatch, spawn: bool) -> None:
    ours, other = two
    if not spawn:
        monkeypatch.setattr(gitrun, "spawn_ok", lambda: False)
    config = ours.path / "guardrails.yaml"

    def outputs(cache: str, env: dict[str, str | None] | None = None) -> list[str]:
        config.write_text(f"rules: [rules/]\nsources:\n  git: {{path: .}}\ncache_dir: {cache}\n",
                          encoding="utf-8")
        return check_outputs(config, ours.path / "report.json", env=env)

    plain = outputs("plain")
    assert "module/a" in plain[2] and "Alice" in plain[2] and "@acme/a" not in plain[2]
    assert "module/b" not in plain[2] and "Bob" not in plain[2]
    moved = _moved(other)
    assert outputs("hooked", moved) == plain  # cold: every git command the run makes
    assert outputs("hooked", moved) == plain  # warm: HEAD, the cached history
    ours.commit({"a/y.py": "y\n"}, date="2026-11-05T00:00:00Z")
    plain = outputs("plain")
    assert outputs("hooked", moved) == plain  # HEAD moved on: merge-base, log OLD..HEAD


def test_lead_time_through_git_reads_the_configured_repository(
        two: tuple[GitRepo, GitRepo], monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails.sources.gitship import commit_deployments

    ours, other = two
    first = ours.git("rev-list", "--max-parents=0", "HEAD").strip()
    deployments = [{"sha": first}, {"sha": ours.head()}]
    want = commit_deployments(ours.path, deployments)
    assert len(want) == 3
    for name, value in _moved(other).items():
        monkeypatch.setenv(name, str(value))
    assert commit_deployments(ours.path, deployments) == want


def test_how_git_finds_the_repository_and_reads_a_path_is_its_own(
        two: tuple[GitRepo, GitRepo], monkeypatch: pytest.MonkeyPatch) -> None:
    # The config names a folder inside the work tree: git finds the repository above
    # it, whatever GIT_CEILING_DIRECTORIES (which would stop that search) says; the
    # CODEOWNERS places are plain paths, whatever GIT_*_PATHSPECS say.
    ours, _ = two
    env = SourceEnv(root=ours.path, now=datetime(2026, 11, 20, tzinfo=UTC),
                    window=timedelta(days=90))
    want = GitSource({"path": "a"}, env).gather({"commits", "codeowners"})
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(ours.path))
    monkeypatch.setenv("GIT_DISCOVERY_ACROSS_FILESYSTEM", "0")
    monkeypatch.setenv("GIT_ICASE_PATHSPECS", "1")
    monkeypatch.setenv("GIT_GLOB_PATHSPECS", "1")
    assert GitSource({"path": "a"}, env).gather({"commits", "codeowners"}) == want


def test_every_variable_git_calls_local_is_left_out() -> None:
    # git's own list of the variables that describe one repository: a newer git may
    # add some, and this names them
    git = shutil.which("git")
    assert git is not None
    listed = subprocess.run([git, "rev-parse", "--local-env-vars"], capture_output=True,
                            text=True, check=True).stdout.split()
    assert "GIT_DIR" in listed
    assert set(listed) <= gitrun.MOVING


def test_only_the_moving_variables_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_DIR", "GIT_CONFIG_KEY_3", "GIT_CONFIG_VALUE_3", "GIT_INDEX_FILE"):
        monkeypatch.setenv(name, "x")
    for name in ("GIT_SSL_CAINFO", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_TRACE",
                 "GIT_AUTHOR_NAME", "HOME_GIT_DIR", "GIT_CONFIG_KEYS"):
        monkeypatch.setenv(name, "kept")
    env = gitrun.environment({"GIT_FLUSH": "0"})
    assert not {"GIT_DIR", "GIT_CONFIG_KEY_3", "GIT_CONFIG_VALUE_3", "GIT_INDEX_FILE"} & set(env)
    assert {k for k, v in env.items() if v == "kept"} == {
        "GIT_SSL_CAINFO", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_TRACE",
        "GIT_AUTHOR_NAME", "HOME_GIT_DIR", "GIT_CONFIG_KEYS"}
    assert env["GIT_FLUSH"] == "0" and env["LC_ALL"] == "C"
