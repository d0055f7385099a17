"""CODEOWNERS parsing and resolution, and which file GitHub would use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gitrepo import GitRepo

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
