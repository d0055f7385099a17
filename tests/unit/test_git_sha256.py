"""The git source and its history cache on a SHA-256 repository (64-digit commit ids).

A real repository made with ``git init --object-format=sha256``: a cold run
(history read from git and cached), a warm run (read from the cache) and an
incremental run (one new commit on top of the cached head) give the same
facts and the same report as a run without the cache.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from helpers import check_outputs, make_project

from guardrails.plugin import SourceEnv
from guardrails.sources import gitcache
from guardrails.sources.git import GitSource

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _sha256_repo(path: Path) -> GitRepo:
    try:  # GitRepo's git runs isolated from the user's and the system's config
        return GitRepo(path, object_format="sha256")
    except RuntimeError as exc:
        pytest.skip(f"this git cannot make SHA-256 repositories: {str(exc).strip()}")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = _sha256_repo(tmp_path / "repo")
    r.commit({"api/a.py": "1\n", "CODEOWNERS": "* @core\napi/ @api\n"},
             date="2026-10-01T10:00:00Z")
    r.commit({"api/b.py": "2\n"}, author="Bob", email="bob@example.com",
             date="2026-10-02T10:00:00Z")
    r.git("checkout", "-q", "-b", "side")
    r.commit({"web/c.js": "3\n"}, author="Cat", email="cat@example.com",
             date="2026-10-03T10:00:00Z")
    r.git("checkout", "-q", "main")
    r.merge("side", date="2026-10-04T10:00:00Z")
    assert len(r.head()) == 64
    return r


def _gather(path: Path, cache: Path | None) -> tuple[dict[str, Any], GitSource]:
    src = GitSource({}, SourceEnv(root=path, now=NOW, window=timedelta(days=90),
                                  cache_dir=cache))
    got = src.gather({"commits", "modules", "codeowners"})
    return {kind: list(facts) for kind, facts in got.items()}, src


def test_cold_warm_and_incremental_runs_give_the_same_facts(repo: GitRepo,
                                                            tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    want, _ = _gather(repo.path, None)
    assert [len(c["sha"]) for c in want["commits"]] == [64] * len(want["commits"])
    assert {c["author"] for c in want["commits"]} == {"Alice", "Bob", "Cat"}
    cold, src = _gather(repo.path, cache)
    path = gitcache.cache_path(cache, src._cache_key())
    assert cold == want and path.is_file()
    hist = gitcache.load(cache, src._cache_key())
    assert hist is not None and hist["head"] == repo.head()
    warm, src = _gather(repo.path, cache)
    assert warm == want and src.warnings == []

    repo.commit({"web/d.js": "4\n"}, author="Dan", email="dan@example.com",
                date="2026-10-05T10:00:00Z")
    fresh, _ = _gather(repo.path, None)
    incremental, src = _gather(repo.path, cache)
    assert incremental == fresh and src.warnings == []
    assert gitcache.load(cache, src._cache_key())["head"] == repo.head()  # type: ignore[index]
    again, _ = _gather(repo.path, cache)
    assert again == fresh


RULES = """\
pack: owners
rules:
  - id: bus
    title: Every module has an author
    check: teams.bus_factor
    min: 1
    min_commits: 1
  - id: coverage
    title: Every file has an owner
    check: teams.codeowners_coverage
"""


def test_a_check_reports_the_same_cold_warm_and_without_cache(repo: GitRepo,
                                                              tmp_path: Path) -> None:
    config = make_project(repo.path, rules={"rules/owners.yaml": RULES}, config="""\
rules:
  - rules/
sources:
  git: {path: .}
  files: {path: org}
""")
    repo.commit(date="2026-10-06T10:00:00Z", message="project files")

    def run(env: dict[str, str]) -> list[str]:
        return check_outputs(config, tmp_path / "report.json", "-v", env=env)

    want = run({"GUARDRAILS_NO_STARTUP_CACHE": "1"})
    assert "owners::bus PASSED" in want[1] and "git . (1 codeowners, " in want[1], want[1]
    cache = {"GUARDRAILS_CACHE_DIR": str(tmp_path / "cache")}
    assert run(cache) == want  # cold: writes the history
    assert list((tmp_path / "cache" / "git").glob("*.bin"))
    assert run(cache) == want  # warm
