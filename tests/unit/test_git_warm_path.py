"""The warm git run's shortcuts tell what the plain per-item code tells, and the
run leaves ``logging`` unexecuted (benchmarks/RESULTS.md, "git source, gitwarm4")."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from gitrepo import GitRepo
from helpers import fuzz_examples, modules_after
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.facts import bots_by_name, is_bot
from guardrails.sources.gitmodules import ModuleMap

NAMES = st.lists(st.one_of(
    st.text(max_size=12),
    st.sampled_from(["dependabot[bot]", "Release Bot ", "ci bot\t", "Robot", "BOT", "bot",
                     "İ bot", "abbot", "x [BOT]\x85", "pre-commit-ci[bot]", "Bottle"]),
), max_size=30)


@given(NAMES)
@settings(max_examples=fuzz_examples(200), deadline=None)
def test_bots_by_name_is_is_bot_by_name(names: list[str]) -> None:
    assert bots_by_name(names) == [a for a in names if is_bot(a, "", ())]


PATH = st.lists(st.sampled_from(["", "a", "b", "a/b", "src", "x.py", "a.b", " "]),
                min_size=1, max_size=4).map("/".join)


@given(st.lists(PATH, max_size=30), st.integers(1, 3),
       st.none() | st.dictionaries(PATH, st.sampled_from(["m1", "m2", "(root)"]), max_size=4))
@settings(max_examples=fuzz_examples(200), deadline=None)
def test_count_files_is_module_of_path_by_path(paths: list[str], depth: int,
                                               prefixes: dict[str, str] | None) -> None:
    want = Counter(map(ModuleMap(depth, prefixes).module_of, paths))
    assert ModuleMap(depth, prefixes).count_files(paths) == want


def test_a_warm_git_check_leaves_logging_unexecuted(tmp_path: Path) -> None:
    # As the program runs (guardrails.entry.console defers logging's code): a warm git
    # run logs nothing, so it must not execute logging (~10 ms: traceback, threading...).
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"src/a.py": "1", "README": "r"})
    repo.commit({"src/a.py": "2"}, author="Bob", email="bob@example.com")
    (tmp_path / "guardrails.yaml").write_text(
        "rules:\n  - builtin:teams\nsources:\n  git: {path: repo}\n"
        f"cache_dir: {tmp_path / 'cache'}\n", "utf-8")
    args = ["check", "-c", str(tmp_path / "guardrails.yaml"), "--now", "2026-01-10", "-q"]
    env = {**os.environ, "GUARDRAILS_PLUGIN_CACHE_DIR": str(tmp_path / "plugins")}
    for _ in range(2):  # cold: the history cache is written; then warm
        ran = modules_after(args, env, defer_logging=True)
        assert ran.code in (0, 1), ran.output
    logging_deferred, mods = ran.logging_deferred, ran.modules
    assert "guardrails.sources.gitcache" in mods  # the warm path ran
    assert "guardrails.sources.gitcolumns" not in mods  # ... and read no log
    assert "select" not in mods  # ... nor ran git at all: HEAD from git's files (githead)
    # ... nor imported the runner: git's path is looked up apart (githead.which), gitwarm7
    assert "guardrails.sources.gitrun" not in mods
    # ... nor the judging of a CODEOWNERS file, which this repository has none of
    assert "guardrails.checks.codeowners_coverage" not in mods
    assert logging_deferred is True
    assert not {"traceback", "textwrap", "threading"} & set(mods)


def test_counting_reads_only_the_first_part_and_a_rewrite_keeps_the_second(
        tmp_path: Path) -> None:
    """What the bus factor reads of a warm run's commits (authors, emails, author
    dates, each module's commits and authors counted) is in the cache file's first
    part; the second (shas, files, committer dates...) is unmarshalled only when
    facts are built, and a run that rewrites the file without reading it (the
    tracked files listed again) writes it back as it was: facts still right."""
    from datetime import UTC, datetime, timedelta

    from guardrails.plugin import SourceEnv
    from guardrails.sources import gitcache, githistory
    from guardrails.sources.git import GitSource

    repo = GitRepo(tmp_path / "repo")
    repo.commit({"src/a.py": "1", "README": "r"}, date="2026-01-02T00:00:00Z")
    repo.commit({"src/a.py": "2"}, author="Bob", email="bob@example.com",
                date="2026-01-03T00:00:00Z")
    cache = tmp_path / "cache"

    def gather(cache_dir: Path | None) -> GitSource:
        src = GitSource({}, SourceEnv(root=repo.path, now=datetime(2026, 1, 10, tzinfo=UTC),
                                      window=timedelta(days=90), cache_dir=cache_dir))
        src.got = src.gather({"commits", "modules", "codeowners"})  # type: ignore[attr-defined]
        return src

    want = {k: list(v) for k, v in gather(None).got.items()}  # type: ignore[attr-defined]
    key = gather(cache)._cache_key()
    data = gitcache.load(cache, key)
    assert data is not None and gitcache.check.cold_pending(data)
    commits = githistory.deferred_commit_facts(data, 0, lambda why: [])
    assert sorted(commits.column("author") or []) == ["Alice", "Bob"]
    assert commits.column("email") is not None and commits.bounds("authored_at")
    assert commits.positions("modules") and commits.tally("modules", "author")
    assert gitcache.check.cold_pending(data)  # counted without the second part
    assert len(commits.column("sha") or []) == 2 and not gitcache.check.cold_pending(data)
    repo.write({"src/b.py": "new"})
    repo.git("add", "src/b.py")  # the index moves: the first part is written again
    again = gather(cache)
    assert {k: list(v) for k, v in again.got.items()} != want  # one more tracked file
    third = gather(cache)
    assert {k: list(v) for k, v in third.got.items()} == {
        k: list(v) for k, v in gather(None).got.items()}
    assert again.warnings == third.warnings == []


def test_a_cache_file_replaced_before_its_second_part_is_read_costs_a_read(
        tmp_path: Path) -> None:
    """The second part is read from the file when facts are first built: replaced
    meanwhile (another run wrote it), it is not mixed with the first part read
    before; the facts come from git."""
    from datetime import UTC, datetime, timedelta

    from guardrails.plugin import SourceEnv
    from guardrails.sources.git import GitSource

    repo = GitRepo(tmp_path / "repo")
    repo.commit({"src/a.py": "1"}, date="2026-01-02T00:00:00Z")
    repo.commit({"src/a.py": "2"}, author="Bob", email="bob@example.com",
                date="2026-01-03T00:00:00Z")

    def source(cache_dir: Path | None) -> GitSource:
        return GitSource({}, SourceEnv(root=repo.path, now=datetime(2026, 1, 10, tzinfo=UTC),
                                       window=timedelta(days=90), cache_dir=cache_dir))

    want = list(source(None).gather({"commits"})["commits"])
    cache = tmp_path / "cache"
    source(cache).gather({"commits"})
    warm = source(cache)
    commits = warm.gather({"commits"})["commits"]  # the first part read, facts unbuilt
    (path,) = (cache / "git").glob("*.bin")
    copy = path.with_name("copy")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # the same bytes, another file
    assert list(commits) == want
    assert any("replaced" in w for w in warm.warnings), warm.warnings
