"""A CODEOWNERS over GitHub's 3 MB fails only the facts that need it.

GitHub does not load such a file, and matching one (a 10 MB file is a few KB
in git's pack) took minutes, so the git source does not read it. What it says
is in the ``codeowners`` facts and in each module's ``owners``/``owner_teams``:
those two kinds fail, with the file's name and size, and every rule on them is
``error`` (never ``passed``); ``commits`` and the rules on them still run.
Real repositories, real git, real check runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gitrepo import GitRepo
from helpers import GIT_RULES, check_report, run_cli, write

from guardrails.errors import SourceError
from guardrails.plugin import SourceEnv
from guardrails.sources.git import GitSource

TOO_BIG = "/a/ @org/t\n" * 300_000  # 3,300,000 bytes
WHY = r"CODEOWNERS is 3300000 bytes, over GitHub's limit of 3 MB"

RULES = GIT_RULES + """\
  - id: owned-modules
    title: Every module has owners
    check: each
    facts: modules
    expect: {properties: {owners: {minProperties: 1}}}
  - id: authors
    title: Every commit has an author
    check: each
    facts: commits
    expect: "fact.author != ''"
"""


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit({"CODEOWNERS": TOO_BIG, "a/x.py": "1\n"}, date="2026-11-01T00:00:00Z")
    r.commit({"a/x.py": "2\n"}, date="2026-11-02T00:00:00Z")
    r.commit({"a/x.py": "3\n"}, author="Bob", email="bob@example.com",
             date="2026-11-03T00:00:00Z")
    return r


def _source(repo: GitRepo, cache_dir: Path | None = None) -> GitSource:
    env = SourceEnv(root=repo.path, now=datetime(2026, 11, 20, tzinfo=UTC),
                    window=timedelta(days=90), cache_dir=cache_dir)
    return GitSource({}, env)


@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "cache"])
def test_the_ownership_kinds_fail_and_the_commits_do_not(repo: GitRepo, tmp_path: Path,
                                                         cached: bool) -> None:
    cache = tmp_path / "cache" if cached else None
    for _ in range(2 if cached else 1):  # with a cache: cold, then warm
        got = _source(repo, cache).gather({"commits", "modules", "codeowners"})
        for kind in ("codeowners", "modules"):
            error = got[kind]
            assert isinstance(error, SourceError), kind
            assert error.message.startswith("CODEOWNERS is 3300000 bytes, over GitHub's")
        assert [c["author"] for c in got["commits"]] == ["Bob", "Alice", "Alice"]
    with pytest.raises(SourceError, match=WHY):
        _source(repo).read_codeowners()


def test_a_check_errs_on_exactly_the_ownership_rules(repo: GitRepo, tmp_path: Path) -> None:
    write(repo.path, "rules/own.yaml", RULES)
    config = write(repo.path, "guardrails.yaml",
                   "rules: [rules/]\nsources:\n  git: {path: .}\ncache_dir: cache\n")
    result, report = check_report(config, tmp_path / "report.json")
    outcomes = {r["id"]: r["outcome"] for r in report["results"]}
    assert outcomes == {"own::bus": "error", "own::coverage": "error",
                        "own::owned-modules": "error", "own::history": "passed",
                        "own::authors": "passed"}
    for r in report["results"]:
        if r["outcome"] == "error":
            assert "CODEOWNERS is 3300000 bytes" in r["message"]
            assert "shrink it" in r["message"]
    # the header counts what was gathered; a warning names what was not, and why
    (source,) = report["sources"]
    assert source["state"] == "ok" and source["counts"] == {"commits": 3}
    assert [w for w in report["warnings"] if "CODEOWNERS" in w] == [
        "git .: no codeowners, modules facts: " + report["results"][0]["message"][
            len("source git: "):]]
    assert result.exit_code == 1


def test_a_run_of_only_the_ownership_rules_shows_the_source_failed(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every kind asked of it failed: the source failed, as if it had raised
    write(repo.path, "rules/own.yaml", RULES)
    write(repo.path, "guardrails.yaml", "rules: [rules/]\nsources:\n  git: {path: .}\n")
    monkeypatch.chdir(repo.path)
    out = tmp_path / "report.json"
    result = run_cli(["check", "--now", "2026-11-20", "--no-color", "-k", "coverage",
                      "--format", "terminal", "--format", "json", "--output", str(out)])
    assert "sources: git . (FAILED: CODEOWNERS is 3300000 bytes" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["sources"][0]["state"] == "failed"
    assert [r["outcome"] for r in report["results"]] == ["error"]
