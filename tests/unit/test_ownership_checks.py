"""teams.bus_factor and teams.codeowners_coverage on facts from real repositories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.checks.ownership import BusFactorCheck, CodeownersCoverageCheck, bus_factor
from guardrails.facts import FactStore
from guardrails.model import Outcome, Rule
from guardrails.plugin import EvalContext, SourceEnv
from guardrails.sources.git import GitSource

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TEAMS = [
    {"id": "core", "github": "core-team",
     "members": [{"handle": "alice", "email": "alice@example.com"}, {"handle": "bob"}]},
    {"id": "web", "members": [{"handle": "carol", "email": "carol@example.com"}]},
]
CODEOWNERS = """\
*              @acme/web
/api/          @acme/core-team @bob
/docs/         @acme/old-team @ghost
/docs/*.md
/web/legacy/   dave@example.com
[x]            @alice
"""


def _day(month: int, day: int, year: int = 2026) -> str:
    return f"{year}-{month:02d}-{day:02d}T10:00:00Z"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """By hand, for a 90d window ending 2026-03-01 (from 2025-12-01):

    api:  Alice 6, Bob 2, Carol 2 (Feb)       -> 10 commits, 6 >= 10/2: bus factor 1
          + 5 by dependabot[bot] (excluded; with them 6+5 would make it 2)
    web:  Alice 4, Bob 3, Carol 3 (mid-Jan)   -> 4 < 5, 4+3 >= 5: bus factor 2
    docs: Dave 3 in Feb + 10 in 2025-06        -> 3 in window: not evaluated
    """
    r = GitRepo(tmp_path_factory.mktemp("own") / "repo")
    r.commit({"CODEOWNERS": CODEOWNERS, "docs/guide.md": "g", "docs/x.txt": "x",
              "web/legacy/old.js": "o"}, author="Dave", email="dave@example.com",
             date=_day(5, 1, 2025))
    for i in range(10):
        r.commit({"docs/x.txt": f"old {i}"}, author="Dave", email="dave@example.com",
                 date=_day(6, i + 1, 2025))
    people = [("Alice", 6), ("Bob", 2), ("Carol", 2)]
    i = 0
    for name, n in people:
        for _ in range(n):
            i += 1
            r.commit({"api/main.py": f"{i}"}, author=name, email=f"{name.lower()}@example.com",
                     date=_day(2, i))
    for k in range(5):
        r.commit({"api/deps.txt": f"{k}"}, author="dependabot[bot]",
                 email="bot@users.noreply.github.com", date=_day(2, 15 + k))
    j = 0
    for name, n in [("Alice", 4), ("Bob", 3), ("Carol", 3)]:
        for _ in range(n):
            j += 1
            r.commit({"web/app.js": f"{j}"}, author=name, email=f"{name.lower()}@example.com",
                     date=_day(1, j))
    for k in range(3):
        r.commit({"docs/x.txt": f"new {k}"}, author="Dave", email="dave@example.com",
                 date=_day(2, 20 + k))
    return r


def _store(path: Path, teams: list[dict[str, Any]] | None = TEAMS) -> FactStore:
    env = SourceEnv(root=path, now=NOW, window=timedelta(days=90))
    src = GitSource({"history": "365d"}, env)
    store = FactStore()
    for kind, facts in src.gather({"commits", "modules", "codeowners"}).items():
        store.add(kind, facts, "git")
    if teams is not None:
        store.add("teams", [dict(t) for t in teams], "files")
    return store


def _ctx(store: FactStore) -> EvalContext:
    return EvalContext(now=NOW, window=timedelta(days=90), focus=None, store=store)


def _bf_rule(**params: Any) -> Rule:
    return Rule(pack="teams", id="bus-factor", title="Bus factor", check="teams.bus_factor",
                params={"min": 2, "min_commits": 10, **params})


def _cov_rule(**params: Any) -> Rule:
    return Rule(pack="teams", id="codeowners-coverage", title="Coverage",
                check="teams.codeowners_coverage", params=params)


@pytest.mark.parametrize(("counts", "expected"), [
    ({"a": 6, "b": 2, "c": 2}, 1),
    ({"a": 4, "b": 3, "c": 3}, 2),
    ({"a": 1, "b": 1, "c": 1, "d": 1}, 2),
    ({"a": 1, "b": 1, "c": 1}, 2),
    ({"a": 5}, 1),
])
def test_bus_factor_definition(counts: dict[str, int], expected: int) -> None:
    assert bus_factor(counts) == expected


def test_bus_factor_fails_for_the_module_one_person_carries(repo: GitRepo) -> None:
    res = BusFactorCheck().evaluate(_bf_rule(), _ctx(_store(repo.path)))
    assert res.outcome is Outcome.FAILED
    assert (res.value, res.unit, res.threshold, res.samples) == (1, "count", {"max": 0}, 2)
    [ev] = res.evidence
    assert ev.subject == "module/api"
    assert ev.detail == ("bus factor 1 (min 2): Alice 60% (6 of 10), Bob 20% (2 of 10), "
                         "Carol 20% (2 of 10)")
    assert ev.team == "core"  # /api/ is owned by @acme/core-team, whose github slug it is
    assert "1 module with fewer than 10 commits not evaluated: docs" in res.details
    # every active module's bus factor, passing or not, for charts (report version 3)
    assert [(m.subject, m.value, m.team) for m in res.measures] == [
        ("module/api", 1, "core"), ("module/web", 2, "web")]


def test_bus_factor_rule_window_and_bots(repo: GitRepo) -> None:
    store = _store(repo.path)
    # 30 days back from 2026-03-01: only February, so web (January) drops out
    res = BusFactorCheck().evaluate(_bf_rule(window="30d"), _ctx(store))
    assert (res.outcome, res.value, res.samples) == (Outcome.FAILED, 1, 1)
    # without Carol: api Alice 6 / Bob 2 -> 1; web Alice 4 / Bob 3 (7) -> 1
    res = BusFactorCheck().evaluate(_bf_rule(min_commits=5, bots=["carol"]), _ctx(store))
    assert [e.subject for e in res.evidence] == ["module/api", "module/web"]
    res = BusFactorCheck().evaluate(_bf_rule(min=1), _ctx(store))
    assert (res.outcome, res.value) == (Outcome.PASSED, 0)


def test_bus_factor_judges_only_modules_that_exist_at_head(tmp_path: Path) -> None:
    """legacy/: 12 commits by Eve in February, then deleted by Alice: 13 commits, bus
    factor 1, but nothing of it is left at HEAD, so it is named, not failed.
    api/: Alice 4, Bob 3, Carol 3 (bus factor 2), plus 20 by "Release Bot" and 4 by
    "pre-commit-ci[bot]": bots by their names, so api stays at 10 commits."""
    r = GitRepo(tmp_path / "repo")
    for i in range(12):
        r.commit({"legacy/old.py": f"{i}"}, author="Eve", email="eve@example.com",
                 date=_day(2, i + 1))
    for i, who in enumerate(["Alice"] * 4 + ["Bob"] * 3 + ["Carol"] * 3):
        r.commit({"api/main.py": f"{i}"}, author=who, email=f"{who.lower()}@example.com",
                 date=_day(1, i + 1))
    for i in range(20):
        r.commit({"api/version.txt": f"{i}"}, author="Release Bot",
                 email="release@example.com", date=_day(1, i + 5))
    for i in range(4):
        r.commit({"api/.pre-commit-config.yaml": f"{i}"}, author="pre-commit-ci[bot]",
                 email="66853113+pre-commit-ci@users.noreply.github.com", date=_day(2, i + 1))
    r.commit({"legacy/old.py": None}, author="Alice", email="alice@example.com",
             date=_day(2, 25))
    store = _store(r.path)
    assert {m["id"]: m["files"] for m in store.get("modules")} == {"api": 3, "legacy": 0}
    res = BusFactorCheck().evaluate(_bf_rule(), _ctx(store))
    assert (res.outcome, res.value, res.samples) == (Outcome.PASSED, 0, 1)
    assert "1 module no longer at HEAD not evaluated: legacy" in res.details
    # Commits from another source are judged the same way (the check applies the rule too).
    commits = [{"sha": f"{i}", "author": "Nightly Bot", "email": "n@example.com",
                "authored_at": NOW - timedelta(days=1), "modules": ["api"]} for i in range(30)]
    store.add("commits", commits, "other")
    res = BusFactorCheck().evaluate(_bf_rule(), _ctx(store))
    assert (res.outcome, res.value) == (Outcome.PASSED, 0)


def test_authors_per_module_counts_what_the_rule_judges() -> None:
    """Facts from any source: the window is [start, end), bots (the rule's too) and
    commits without modules or date are left out, an author without a name is named
    by email, then '?'; the same person under two emails counts once by name."""
    from guardrails.checks.ownership import _authors_per_module

    start, end = NOW - timedelta(days=10), NOW
    day = NOW - timedelta(days=1)

    def c(author: Any, email: Any, mods: Any, at: Any = day) -> dict[str, Any]:
        return {"author": author, "email": email, "modules": mods, "authored_at": at}

    commits = [
        c("Ann", "ann@example.com", ["api", "web"]), c("Ann", "ann@work.example", ["api"]),
        c(None, "nobody@example.com", ["api"]), c("", "", ["web"]), c(None, None, ["web"]),
        c("Ann", "ann@example.com", ["api"], at=start), c("Ann", "a@example.com", ["api"], at=end),
        c("Ann", "a@example.com", ["api"], at=start - timedelta(seconds=1)),
        c("Ann", "a@example.com", ["api"], at=None), c("Ann", "a@example.com", []),
        c("Ann", "a@example.com", None), c("Nightly Bot", "n@example.com", ["api"]),
        c("Cron", "cron@example.com", ["web"]), {"modules": ["api"]},
    ]
    per = _authors_per_module(commits, start, end, ("CRON",))
    assert per == {"api": {"Ann": 3, "nobody@example.com": 1}, "web": {"Ann": 1, "?": 2}}


_WHO = st.sampled_from([("Ann", "a@x"), ("", "e@x"), ("", ""), ("Bob", ""), ("ci bot", "c@x"),
                         ("dependabot[bot]", "d@x"), ("Ann", "b@x"), ("Robot", "r@x")])


@given(st.lists(st.tuples(_WHO, st.lists(st.sampled_from(["api", "web", "(root)"]),
                                         max_size=2, unique=True),
                          st.integers(-3, 3)), max_size=25),
       st.sampled_from([(), ("ann",), ("@x",)]), st.integers(-4, 4))
@settings(max_examples=fuzz_examples(200), deadline=None)
def test_authors_per_module_from_columns_is_from_facts(
        rows: list[tuple[tuple[str, str], list[str], int]], bots: tuple[str, ...],
        shift: int) -> None:
    """The columns' counts (a warm git run) are the facts' counts, whatever the
    authors: one with no name counts by email only where its commit has a module
    (the cached tallies are taken when every author counted has a name: gitwarm7)."""
    from guardrails.checks.ownership import _authors_per_module, _authors_per_module_columns
    from guardrails.deferredfacts import DeferredFacts
    from guardrails.facts import FactStore

    commits = [{"author": a, "email": e, "modules": mods,
                "authored_at": NOW + timedelta(days=d)} for (a, e), mods, d in rows]
    start, end = NOW + timedelta(days=shift), NOW + timedelta(days=4)

    def column(f: str) -> list[Any]:
        if f == "authored_at":
            return [int(c[f].timestamp()) for c in commits]
        return [c[f] for c in commits]

    store = FactStore()
    store.add("commits", DeferredFacts(len(commits), lambda: commits, column), "git")
    ctx = EvalContext(now=NOW, window=timedelta(days=90), focus=None, store=store)
    got = _authors_per_module_columns(ctx, start, end, bots)
    assert got == _authors_per_module(commits, start, end, bots)


@pytest.mark.parametrize(("name", "email", "bot"), [
    ("Release Bot", "release@example.com", True),
    ("ci bot ", "ci@example.com", True),
    ("pre-commit-ci[bot]", "x@users.noreply.github.com", True),
    ("renovate", "renovate@whitesourcesoftware.com", False),  # a default *pattern*, not a name rule
    ("Talbot", "talbot@example.com", False),
    ("Robot Framework Fan", "r@example.com", False),
    ("Abbot", "abbot@example.com", False),
])
def test_a_name_ending_in_bot_is_a_bot(name: str, email: str, bot: bool) -> None:
    from guardrails.facts import is_bot

    assert is_bot(name, email) is bot
    assert is_bot(name, email, ("renovate",)) is (bot or "renovate" in name)


def test_bus_factor_skips_when_no_module_is_active(repo: GitRepo) -> None:
    res = BusFactorCheck().evaluate(_bf_rule(min_commits=11), _ctx(_store(repo.path)))
    assert res.outcome is Outcome.SKIPPED
    assert "no module has 11 or more commits" in res.message
    res = BusFactorCheck().evaluate(_bf_rule(), _ctx(FactStore()))
    assert res.outcome is Outcome.SKIPPED and "no commits data" in res.message


def test_coverage_reports_unowned_unknown_and_invalid(repo: GitRepo) -> None:
    res = CodeownersCoverageCheck().evaluate(_cov_rule(), _ctx(_store(repo.path)))
    assert res.outcome is Outcome.FAILED
    # tracked: CODEOWNERS, api/deps.txt, api/main.py, docs/guide.md, docs/x.txt,
    # web/app.js, web/legacy/old.js -> docs/guide.md is unowned (ownerless line 4)
    assert res.samples == 7
    subjects = [(e.subject, e.line) for e in res.evidence]
    assert subjects == [
        ("file/docs/guide.md", None),
        ("file/CODEOWNERS", 6),
        ("owner/@acme/old-team", 3),
        ("owner/@ghost", 3),
        ("owner/dave@example.com", 5),
    ]
    assert res.value == 5
    assert "matched by line 4, which has no owners" in res.evidence[0].detail
    assert "not a known team" in res.evidence[2].detail


def test_coverage_without_teams_checks_only_coverage(repo: GitRepo) -> None:
    res = CodeownersCoverageCheck().evaluate(_cov_rule(), _ctx(_store(repo.path, teams=None)))
    assert [e.subject for e in res.evidence] == ["file/docs/guide.md", "file/CODEOWNERS"]
    assert res.value == 2
    assert any("no teams data" in d for d in res.details)


def test_coverage_groups_many_unowned_files(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "r")
    r.commit({"CODEOWNERS": "/owned/ @alice\n", "owned/a": "", "a/1": "", "a/2": "",
              "a/3": "", "a/4": "", "b/1": "", "c/1": ""})
    res = CodeownersCoverageCheck().evaluate(_cov_rule(max_listed=2), _ctx(_store(r.path)))
    # unowned: CODEOWNERS (root), a/1..a/4, b/1, c/1 = 7 files in 4 directories
    assert res.value == 7
    assert [(e.subject, e.detail) for e in res.evidence] == [
        ("file/a/", "4 unowned files: 1, 2, 3, ..."),
        ("file/(root)", "1 unowned file: CODEOWNERS"),
        ("file/...", "2 more unowned files in 2 more directories"),
    ]


def test_coverage_passes_and_skips(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "r")
    r.commit({"README": "r"})
    res = CodeownersCoverageCheck().evaluate(_cov_rule(), _ctx(_store(r.path)))
    assert (res.outcome, res.message) == (Outcome.SKIPPED, "no CODEOWNERS file")
    r.commit({".github/CODEOWNERS": "* @acme/core-team carol@example.com\n"})
    res = CodeownersCoverageCheck().evaluate(_cov_rule(), _ctx(_store(r.path)))
    assert (res.outcome, res.value, res.samples) == (Outcome.PASSED, 0, 2)


def test_a_failed_git_source_makes_both_rules_error_not_skip() -> None:
    from guardrails.errors import SourceError
    from guardrails.runner import run_check

    store = FactStore()
    boom = SourceError("git", "this is a shallow clone; run git fetch --unshallow")
    for kind in ("commits", "modules", "codeowners"):
        store.fail(kind, boom)
    checks = {c.name: c for c in (BusFactorCheck(), CodeownersCoverageCheck())}
    ctx = EvalContext(now=datetime(2026, 11, 20, tzinfo=UTC), window=timedelta(days=90),
                      focus=None, store=store, checks=checks)
    for name in checks:
        result = run_check(Rule(pack="teams", id=name, title=name, check=name, params={}), ctx)
        assert result.outcome is Outcome.ERROR, name
        assert "git fetch --unshallow" in result.message
