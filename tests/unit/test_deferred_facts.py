"""Deferred facts: a warm git run's commits are built on first read, or read as columns."""

from __future__ import annotations

import copy
import json
import marshal
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo

from guardrails.checks.ownership import BusFactorCheck
from guardrails.deferredfacts import DeferredFacts, FactsByKind
from guardrails.errors import SourceError
from guardrails.facts import FactStore
from guardrails.model import Rule
from guardrails.plugin import EvalContext, SourceEnv
from guardrails.sources import gitcache
from guardrails.sources.git import GitSource
from guardrails.sources.gitcache import MAGIC

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _deferred(rows: list[dict[str, Any]], builds: list[int]) -> DeferredFacts:
    def build() -> list[dict[str, Any]]:
        builds.append(1)
        return [dict(r) for r in rows]

    return DeferredFacts(len(rows), build, lambda f: [r[f] for r in rows] if f == "id" else None)


ROWS = [{"id": "a"}, {"id": "b"}]


def test_deferred_facts_build_once_on_first_read() -> None:
    builds: list[int] = []
    d = _deferred(ROWS, builds)
    assert (len(d), bool(d), d.column("id"), d.column("nope")) == (2, True, ["a", "b"], None)
    assert builds == []
    assert d == ROWS and list(d) == ROWS and d[1] == {"id": "b"} and d[:1] == ROWS[:1]
    assert builds == [1]


@pytest.mark.parametrize("read", [
    lambda m: m["commits"], lambda m: m.get("commits"), lambda m: list(m.values()),
    lambda m: list(m.items()), lambda m: dict(m), lambda m: {**m}, lambda m: m | {},
    lambda m: {} | m, lambda m: m.copy(), lambda m: json.dumps(m), lambda m: m.pop("commits"),
    lambda m: copy.deepcopy(m), lambda m: pickle.loads(pickle.dumps(m)),
    lambda m: m.setdefault("commits", []), lambda m: repr(m), lambda m: m == {"commits": ROWS},
])
def test_every_read_of_a_value_builds_it(read: Any) -> None:
    builds: list[int] = []
    by_kind = FactsByKind()
    by_kind.put("commits", _deferred(ROWS, builds))
    # what needs no value builds nothing
    assert "commits" in by_kind and len(by_kind) == 1 and list(by_kind) == ["commits"]
    assert by_kind.count("commits") == 2 and by_kind.deferred("commits") is not None
    assert builds == []
    got = read(by_kind)
    assert builds == [1]
    assert type(dict.__getitem__(by_kind, "commits") if "commits" in by_kind else []) is list
    assert "DeferredFacts" not in repr(got)
    assert by_kind.deferred("commits") is None


def test_store_columns_only_until_the_facts_are_read() -> None:
    builds: list[int] = []
    store = FactStore()
    store.add("commits", _deferred(ROWS, builds), "git")
    assert store.counts() == {"commits": 2} and builds == []
    cols = store.columns("commits")
    assert cols is not None and cols.column("id") == ["a", "b"]
    facts = store.get("commits")
    facts[0]["id"] = "changed by a plugin"
    # read (and maybe changed) by someone: the columns would no longer tell the truth
    assert store.columns("commits") is None
    assert store.get("commits")[0]["id"] == "changed by a plugin" and builds == [1]


def test_store_merges_deferred_facts_with_another_source() -> None:
    store = FactStore()
    store.add("commits", [{"id": "x"}], "other")
    store.add("commits", _deferred(ROWS, []), "git")
    assert store.get("commits") == [{"id": "x"}, *ROWS] and store.columns("commits") is None
    again = FactStore()
    again.add("commits", _deferred(ROWS, []), "git")
    again.add("commits", [{"id": "x"}], "other")
    assert again.get("commits") == [*ROWS, {"id": "x"}]


def test_tally_counts_each_value_per_list_value_or_takes_the_sources() -> None:
    rows = [{"m": ["x", "y"], "a": "A"}, {"m": ["x"], "a": "B"}, {"m": [], "a": "A"},
            {"m": ["x"], "a": "A"}]
    cols = {f: [r[f] for r in rows] for f in ("m", "a")}
    d = DeferredFacts(len(rows), lambda: rows, cols.get)
    assert d.tally("m", "a") == {"x": {"A": 2, "B": 1}, "y": {"A": 1}}
    assert d.tally("m", "nope") is None and d.tally("nope", "a") is None
    ready = DeferredFacts(len(rows), lambda: rows, cols.get,
                          tallies=lambda f, by: {"x": {"Z": 9}} if by == "a" else None)
    assert ready.tally("m", "a") == {"x": {"Z": 9}}


def test_store_columns_raise_a_failed_source() -> None:
    store = FactStore()
    store.fail("commits", SourceError("git", "boom"))
    with pytest.raises(SourceError, match="boom"):
        store.columns("commits")


# --- the git source and the bus factor -------------------------------------------------


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """api: Alice 6, Bob 2, Carol 2 (Feb 2026); web: Alice 4, Bob 3, Carol 3 (Jan 2026),
    one commit committed a day after it was authored; dependabot 3 in api; old history."""
    r = GitRepo(tmp_path_factory.mktemp("deferred") / "repo")
    r.commit({"api/old.py": "o", "web/old.js": "o", "CODEOWNERS": "/api/ @acme/core-team\n"},
             date="2025-05-01T10:00:00Z")
    i = 0
    for name, n in [("Alice", 6), ("Bob", 2), ("Carol", 2)]:
        for _ in range(n):
            i += 1
            r.commit({"api/main.py": f"{i}"}, author=name, email=f"{name.lower()}@example.com",
                     date=f"2026-02-{i:02d}T10:00:00Z")
    for k in range(3):
        r.commit({"api/deps.txt": f"{k}"}, author="dependabot[bot]",
                 email="bot@users.noreply.github.com", date=f"2026-02-{15 + k}T10:00:00Z")
    j = 0
    for name, n in [("Alice", 4), ("Bob", 3), ("Carol", 3)]:
        for _ in range(n):
            j += 1
            r.commit({"web/app.js": f"{j}", "README": f"{j}"}, author=name,
                     email=f"{name.lower()}@example.com", date=f"2026-01-{j:02d}T10:00:00Z")
    r.commit({"web/late.js": "l"}, date="2026-02-21T10:00:00Z",
             committer_date="2026-02-22T10:00:00Z")
    return r


def _gather(path: Path, cache: Path | None, days: int = 365) -> dict[str, Any]:
    env = SourceEnv(root=path, now=NOW, window=timedelta(days=days), cache_dir=cache)
    return GitSource({}, env).gather({"commits", "modules", "codeowners"})


TEAMS = [{"id": "core", "github": "core-team", "members": [{"handle": "alice"}]}]


def _store(got: dict[str, Any]) -> FactStore:
    store = FactStore()
    for kind, facts in got.items():
        store.add(kind, facts, "git")
    store.add("teams", [dict(t) for t in TEAMS], "files")
    return store


def test_warm_run_hands_over_unbuilt_commits_equal_to_the_cold_ones(repo: GitRepo,
                                                                     tmp_path: Path) -> None:
    cold = _gather(repo.path, tmp_path / "cache")
    # a cold run hands over the columns it read from git, unbuilt too
    assert isinstance(cold["commits"], DeferredFacts)
    for days in (365, 90, 30):  # the cached window, and shorter ones cut from it
        want = _gather(repo.path, None, days)
        want["commits"] = list(want["commits"])  # read from git, no cache: built now
        assert len(want["commits"]) == {365: 22, 90: 21, 30: 11}[days]  # bots left out
        warm = _gather(repo.path, tmp_path / "cache", days)
        commits = warm["commits"]
        assert isinstance(commits, DeferredFacts) and commits.facts() is not None
        assert warm["modules"] == want["modules"]
        assert commits == want["commits"] and len(commits) == len(want["commits"])
        for field in ("sha", "author", "email", "files", "modules"):
            assert commits.column(field) == [c[field] for c in want["commits"]]
        for field in ("authored_at", "committed_at"):
            assert list(commits.column(field)) == [int(c[field].timestamp())
                                                   for c in want["commits"]]
        # the cache's counts of each module's authors are those of the facts
        counted = DeferredFacts(len(want["commits"]), lambda w=want: w["commits"],
                                lambda f, w=want: [c[f] for c in w["commits"]])
        assert commits.tally("modules", "author") == counted.tally("modules", "author")
    # the late commit's two dates differ, and both columns say so
    late = _gather(repo.path, tmp_path / "cache")["commits"]
    i = late.column("sha").index(repo.head())
    assert late.column("committed_at")[i] - late.column("authored_at")[i] == 86400
    assert late.column("additions") is None and late.column("nope") is None


@pytest.mark.parametrize("params", [
    {}, {"window": "30d"}, {"min_commits": 3, "min": 3}, {"bots": ["carol"], "min_commits": 5},
    {"window": "400d", "min_commits": 1, "min": 5},
])
def test_bus_factor_from_columns_equals_the_one_from_facts(repo: GitRepo, tmp_path: Path,
                                                           params: dict[str, Any]) -> None:
    _gather(repo.path, tmp_path / "cache")
    rule = Rule(pack="teams", id="bus-factor", title="Bus factor", check="teams.bus_factor",
                params={"min": 2, "min_commits": 10, **params})

    def run(store: FactStore) -> Any:
        ctx = EvalContext(now=NOW, window=timedelta(days=90), focus=None, store=store)
        return BusFactorCheck().evaluate(rule, ctx)

    warm = _store(_gather(repo.path, tmp_path / "cache"))
    assert warm.columns("commits") is not None and warm.columns("modules") is not None
    from_columns = run(warm)
    # the check built no fact
    assert warm.columns("commits") is not None and warm.columns("modules") is not None
    from_facts = run(_store(_gather(repo.path, None)))
    assert from_columns == from_facts
    assert from_facts.evidence or from_facts.measures
    # api's team comes from CODEOWNERS (@acme/core-team -> core), read as columns
    assert ("module/api", "core") in [(m.subject, m.team) for m in from_columns.measures]


def test_bus_factor_reads_the_facts_a_plugin_changed(repo: GitRepo, tmp_path: Path) -> None:
    _gather(repo.path, tmp_path / "cache")
    store = _store(_gather(repo.path, tmp_path / "cache"))
    for c in store.get("commits"):  # a gather_finish hook rewriting authors
        c["author"] = "Zed"
    for m in store.get("modules"):  # and naming every module's team
        m["team"] = "zed-team"
    rule = Rule(pack="teams", id="bus-factor", title="Bus factor", check="teams.bus_factor",
                params={"min": 2, "min_commits": 10})
    ctx = EvalContext(now=NOW, window=timedelta(days=90), focus=None, store=store)
    res = BusFactorCheck().evaluate(rule, ctx)
    assert res.evidence and all("Zed 100%" in e.detail for e in res.evidence)
    assert {e.team for e in res.evidence} == {"zed-team"}


@pytest.mark.parametrize("column", ["files", "modules"])
def test_damage_found_only_when_the_facts_are_built_costs_a_read_not_a_fact(
        repo: GitRepo, tmp_path: Path, column: str) -> None:
    """Files, committer dates and module sets are checked when commit facts are built
    (a warm run that only counts never pays for it): damaged there, the facts come
    from git."""
    cache = tmp_path / "cache"
    want = _gather(repo.path, cache)
    (path,) = (cache / "git").glob("*.bin")
    blob = path.read_bytes()
    # after the magic line: two CRC-32s, the first part's length, the two parts
    body, hot_len = blob[len(MAGIC) + 12:], int.from_bytes(blob[len(MAGIC) + 8:][:4], "big")
    cold = marshal.loads(body[hot_len:])  # the columns only building facts reads
    # a path number past the table, a module set number past the sets
    cold[column] = cold[column][:-4] + (10**6).to_bytes(4, "little")
    path.write_bytes(gitcache.seal(body[:hot_len], marshal.dumps(cold)))
    env = SourceEnv(root=repo.path, now=NOW, window=timedelta(days=365), cache_dir=cache)
    src = GitSource({}, env)
    got = src.gather({"commits", "modules", "codeowners"})
    commits = got["commits"]
    assert isinstance(commits, DeferredFacts) and src.warnings == []
    assert commits.column("author") == [c["author"] for c in want["commits"]]
    assert commits.column(column) is None  # no column from a damaged one
    assert got["modules"] == want["modules"]  # each module's commits: still right
    assert commits.facts() == want["commits"]  # from git
    assert any("ignored the damaged history cache" in w for w in src.warnings)
    again = _gather(repo.path, cache)["commits"]  # written again, whole
    assert again.column(column) == [c[column] for c in want["commits"]]
