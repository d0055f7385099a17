"""CODEOWNERS parsing and resolution, and which file GitHub would use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import regexsteps
from gitrepo import GitRepo
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.plugin import SourceEnv
from guardrails.sources import codeowners
from guardrails.sources.git import GitSource

TEXT = """\
# default owners
*                 @acme/everyone
*.js              @js-owner        # inline comment
/build/           @acme/build
apps/             @octocat
/apps/github
docs/*            docs@example.com
**/logs           @acme/ops
/x                @xowner
!secret           @acme/security
src/[ab].py       @alice
\\#hash            @alice
lib/              not-an-owner
"""


def test_valid_entries_keep_their_line_numbers() -> None:
    co = codeowners.parse(TEXT, "CODEOWNERS")
    assert [(e.pattern, e.owners, e.line) for e in co.entries] == [
        ("*", ("@acme/everyone",), 2),
        ("*.js", ("@js-owner",), 3),
        ("/build/", ("@acme/build",), 4),
        ("apps/", ("@octocat",), 5),
        ("/apps/github", (), 6),
        ("docs/*", ("docs@example.com",), 7),
        ("**/logs", ("@acme/ops",), 8),
        ("/x", ("@xowner",), 9),
    ]


def test_invalid_lines_are_reported_with_line_numbers() -> None:
    co = codeowners.parse(TEXT, "CODEOWNERS")
    assert [p.line for p in co.errors] == [10, 11, 12, 13]
    assert "negation" in co.errors[0].message
    assert "character ranges" in co.errors[1].message
    assert "'#'" in co.errors[2].message
    assert "'not-an-owner'" in co.errors[3].message


@pytest.mark.parametrize(("path", "owners"), [
    ("README.md", ("@acme/everyone",)),            # only '*'
    ("web/app.js", ("@js-owner",)),                 # *.js anywhere
    ("build/out/app.js", ("@acme/build",)),        # later /build/ beats *.js
    ("sub/build/x.txt", ("@acme/everyone",)),       # /build/ is anchored
    ("apps/main/index.js", ("@octocat",)),          # apps/ anywhere, nested
    ("deep/apps/x.py", ("@octocat",)),
    ("apps/github/index.js", ()),                   # ownerless line: unowned
    ("docs/intro.md", ("docs@example.com",)),       # docs/* direct child
    ("docs/build-app/trouble.md", ("@acme/everyone",)),  # ...but not nested
    ("scripts/logs/a.log", ("@acme/ops",)),         # **/logs directory
    ("logs/a.log", ("@acme/ops",)),
    ("x", ("@xowner",)),                            # anchored /x, file
    ("x/inner.txt", ("@xowner",)),                  # ...and directory
    ("a/x", ("@acme/everyone",)),                   # /x does not match a/x
    ("secret", ("@acme/everyone",)),                # the '!' line was skipped
    ("src/a.py", ("@acme/everyone",)),              # the '[ ]' line was skipped
])
def test_last_matching_line_wins(path: str, owners: tuple[str, ...]) -> None:
    assert codeowners.parse(TEXT).owners_of(path) == owners


def test_no_matching_line_is_none_and_case_matters() -> None:
    co = codeowners.parse("/Docs/ @a\n")
    assert co.owners_of("docs/x.md") is None
    assert co.owners_of("Docs/x.md") == ("@a",)


def test_owner_kinds() -> None:
    assert codeowners.owner_kind("@acme/core-team") == "team"
    assert codeowners.owner_kind("@octo-cat") == "user"
    assert codeowners.owner_kind("dev@example.com") == "email"
    assert codeowners.owner_kind("acme/core") is None
    assert codeowners.team_slug("@acme/core-team") == "core-team"


def _source(root: Path) -> GitSource:
    env = SourceEnv(root=root, now=datetime(2026, 2, 1, tzinfo=UTC), window=timedelta(days=90))
    return GitSource({}, env)


def test_github_location_precedence(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit({"docs/CODEOWNERS": "* @from-docs\n", "CODEOWNERS": "* @from-root\n",
                 ".github/CODEOWNERS": "* @from-github\n", "a.txt": "a"})
    found = _source(repo.path).gather({"codeowners"})["codeowners"][0]
    assert found["file"] == ".github/CODEOWNERS"
    assert found["files"]["a.txt"] == {"owners": ["@from-github"], "line": 1}

    repo.commit({".github/CODEOWNERS": None})
    found = _source(repo.path).gather({"codeowners"})["codeowners"][0]
    assert found["file"] == "CODEOWNERS"
    assert found["files"]["a.txt"]["owners"] == ["@from-root"]

    repo.commit({"CODEOWNERS": None})
    found = _source(repo.path).gather({"codeowners"})["codeowners"][0]
    assert found["file"] == "docs/CODEOWNERS"
    assert set(found["files"]) == {"a.txt", "docs/CODEOWNERS"}


def test_codeowners_is_read_at_head_not_from_the_worktree(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit({"a.txt": "a"})
    repo.write({"CODEOWNERS": "* @uncommitted\n"})
    assert _source(repo.path).gather({"codeowners"}) == {"codeowners": []}


def test_fact_shape_covers_every_tracked_file(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit({"CODEOWNERS": "/src/ @acme/core\n/src/gen/\n[x] @a\n",
                 "src/a.py": "", "src/gen/b.py": "", "README": ""})
    fact = _source(repo.path).gather({"codeowners"})["codeowners"][0]
    assert fact["id"] == "CODEOWNERS"
    assert fact["entries"] == [{"pattern": "/src/", "owners": ["@acme/core"], "line": 1},
                               {"pattern": "/src/gen/", "owners": [], "line": 2}]
    assert [e["line"] for e in fact["errors"]] == [3]
    assert fact["files"] == {
        "CODEOWNERS": {"owners": [], "line": None},
        "README": {"owners": [], "line": None},
        "src/a.py": {"owners": ["@acme/core"], "line": 1},
        "src/gen/b.py": {"owners": [], "line": 2},
    }


# -- hostile CODEOWNERS (issue 9) ---------------------------------------------------


@pytest.mark.parametrize(("line", "words"), [
    ("\\ @bob", "escapes nothing"),
    ("[ @bob", "character ranges"),
    ("a\x00b @bob", "control character"),
    ("\x1b[2Jx @bob", "control character"),
    ("a" * 1025 + " @bob", "longer than 1024 characters"),
    ("**/a/" * 17 + "z @bob", "more than 16 '**'"),
    # str.split() broke at these: the line owned '*' by @bob here, whatever GitHub reads
    ("*\u00a0@bob", "U+00A0, white space other than a space or a tab"),
    ("*\u2028@bob", "U+2028"),
    ("* @ann\u3000@bob", "U+3000"),
])
def test_odd_lines_are_reported_not_raised(line: str, words: str) -> None:
    co = codeowners.parse("* @ann\n" + line + "\n", "CODEOWNERS")
    assert [e.line for e in co.entries] == [1]
    assert [p.line for p in co.errors] == [2]
    assert words in co.errors[0].message
    assert co.errors[0].text.isprintable() and len(co.errors[0].text) <= 203


def test_a_run_of_stars_is_one_star() -> None:
    co = codeowners.parse("**/*** @ann\n")
    assert not co.errors and co.owners_of("deep/down/x.py") == ("@ann",)


HOSTILE = [
    ("**/a/**/a/**/a/**/z", "/".join(["a"] * 300) + "/q"),
    ("*a*a*a*a*a*a*a*b", "a" * 4000),
    ("/".join(["**/a"] * 16) + "/z", "/".join(["a"] * 2000)),
    ("docs/**/x/*", "docs/" + "x/" * 300 + "q/r"),
    ("a*b*c*d", "a" + "b" * 1000 + "c" * 1000),
]


def _budget(pattern: str, path: str) -> int:
    """Steps a match may take: linear in the path times the pattern (the bounded
    regexes take about one step a character and pattern character, measured)."""
    return 4 * len(path) * len(pattern)


@pytest.mark.parametrize(("pattern", "path"), HOSTILE)
def test_backtracking_patterns_match_within_a_step_budget(pattern: str, path: str) -> None:
    # re took 17 s for pathspec's regex of the first against a 600-character path.
    # Steps, not seconds: regexsteps tries what re tries, in re's order, and counts.
    co = codeowners.parse(f"* @ann\n{pattern} @bob\n")
    assert not co.errors
    for rx in co._matcher():  # each piece of the alternation, as match() tries them
        end, _steps = regexsteps.run(rx.pattern, path, _budget(pattern, path))
        found = rx.match(path)
        assert end == (found.end() if found else None)  # the counter reads it as re does
    assert co.owners_of(path) == ("@ann",)


@pytest.mark.parametrize(("pattern", "path"), HOSTILE[:3])
def test_the_step_budget_fails_a_backtracking_regex(pattern: str, path: str) -> None:
    # what the budget above catches: pathspec's own regex for the same pattern
    # (the product's before the bounded regexes), on a path of a few dozen characters
    short = path[:80]
    with pytest.raises(regexsteps.OverBudget):
        regexsteps.run(codeowners._regex(pattern), short, _budget(pattern, short))


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(400), deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_parses_to_entries_and_reported_lines(text: str) -> None:
    co = codeowners.parse(text)
    lines = sorted([e.line for e in co.entries] + [p.line for p in co.errors])
    assert len(lines) == len(set(lines))
    co.resolve(["a/b.py", "x"])


def test_last_matching_line_wins_across_the_pieces_of_the_alternation() -> None:
    # Lines are matched in compiled pieces of 100 (one alternation of 20,000 lines
    # cost re 14 us a line and path): the piece order must keep "last line wins".
    lines = [f"/other{i}/ @org/t{i}" for i in range(250)]
    lines[4] = "/src/ @org/early"
    lines[119] = "*.py @org/middle"
    lines[240] = "/src/a/ @org/late"
    co = codeowners.parse("".join(f"{line}\n" for line in lines))
    assert co.owners_of("src/a/x.py") == ("@org/late",)   # lines 5, 120, 241: 241
    assert co.owners_of("src/b/x.py") == ("@org/middle",)  # lines 5, 120: 120
    assert co.owners_of("src/b/x.txt") == ("@org/early",)
    assert co.owners_of("other7/x") == ("@org/t7",)
    assert co.owners_of("nowhere/x") is None
