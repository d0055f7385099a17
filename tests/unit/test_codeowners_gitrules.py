"""CODEOWNERS patterns held to git's own gitignore matching, where GitHub's docs
say they follow it.

GitHub, "About code owners", CODEOWNERS syntax
(https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#codeowners-syntax):
a CODEOWNERS file "uses a pattern that follows most of the same rules used in
gitignore files", except ``\\#`` escaping, ``!`` negation and ``[ ]`` ranges
(invalid lines here), and its example ``docs/*`` owns ``docs/x.md`` but not
``docs/sub/x.md`` (where gitignore, which ignores the folder, would cover both).

git, gitignore(5), PATTERN FORMAT (https://git-scm.com/docs/gitignore#_pattern_format):
- a separator at the end: the pattern only matches directories;
- a separator at the beginning or middle: relative to the root, otherwise at any level;
- ``*`` matches anything except a slash;
- a leading ``**/`` matches in all directories, a trailing ``/**`` everything
  inside, ``/**/`` zero or more directories;
- a folder that matches covers every path below it.

So ``*/``, ``**/`` and ``/**/`` own every file inside a folder (all but the
files at the root), and ``docs/**/`` every file in a folder inside ``docs/``
(not ``docs/x.md``). The authority here is git itself: ``git check-ignore``
answers for each pattern over a real tree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from guardrails.sources import codeowners

FILES = ["root.txt", "docs/x.md", "docs/sub/y.md", "docs/sub/deep/z.md", "apps/a.js",
         "apps/github/b.js", "build/logs/l.txt", "src/build/logs/m.txt", "logs/n.txt",
         "a/b", "a/x/b", "a/x/y/b", "x", "q/x", "r/x/s.txt", "sub/c.txt", "w/sub/c.txt"]

#: each with the rule of gitignore(5) it exercises
PATTERNS = [
    ("*/", "trailing separator: directories only; no other separator: any level"),
    ("**/", "leading **/ in all directories; trailing separator: directories"),
    ("/**/", "/**/ zero or more directories, as a directory"),
    ("/*/", "a leading separator: the root; a trailing one: directories"),
    ("**/*/", "any directory at any depth"),
    ("docs/**/", "a trailing /** is everything inside; with a separator: folders inside"),
    ("docs/*/", "* matches a folder name inside docs/"),
    ("**/sub/**/", "folders inside any sub/"),
    ("*/sub/", "a middle separator: relative to the root"),
    ("docs/**", "a trailing /** matches everything inside"),
    ("**", "consecutive asterisks elsewhere: any path"),
    ("/**", "everything inside the root"),
    ("a/**/b", "/**/ matches zero or more directories"),
    ("**/logs", "a leading **/ matches in all directories"),
    ("/build/logs/", "GitHub's example: a folder at the root and all below"),
    ("apps/", "GitHub's example: a folder anywhere"),
    ("/x", "a leading separator: the root, file or folder"),
    ("*.js", "no separator: any level"),
    ("sub", "no separator: file or folder at any level"),
]


def _git_ignored(tmp_path: Path, pattern: str) -> set[str]:
    root = tmp_path / "tree"
    if not root.exists():
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        for rel in FILES:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text("x\n")
    (root / ".gitignore").write_text(pattern + "\n")
    out = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=root,
                         input="\n".join(FILES) + "\n", capture_output=True, text=True,
                         timeout=60)
    assert out.returncode in (0, 1), out.stderr  # 1: nothing ignored
    return set(out.stdout.split())


@pytest.mark.parametrize(("pattern", "rule"), PATTERNS, ids=[p for p, _ in PATTERNS])
def test_a_pattern_owns_what_git_would_ignore(tmp_path: Path, pattern: str, rule: str) -> None:
    co = codeowners.parse(f"{pattern} @org/t\n")
    assert not co.errors
    owned = {f for f in FILES if co.owners_of(f) is not None}
    assert owned == _git_ignored(tmp_path, pattern), rule


@pytest.mark.parametrize("pattern", ["*/", "**/", "/**/", "**/*/"])
def test_a_folder_of_any_name_owns_all_but_the_root_files(pattern: str) -> None:
    co = codeowners.parse(f"* @org/all\n{pattern} @org/inside\n")
    assert co.owners_of("README.md") == ("@org/all",)
    assert co.owners_of("docs/x.md") == co.owners_of("a/b/c.py") == ("@org/inside",)


def test_a_trailing_globstar_folder_needs_a_folder_inside() -> None:
    co = codeowners.parse("* @org/all\ndocs/**/ @org/docs\n")
    assert co.owners_of("docs/x.md") == ("@org/all",)  # a file, not a folder inside
    assert co.owners_of("docs/sub/x.md") == ("@org/docs",)
    assert co.owners_of("docs/sub/deep/x.md") == ("@org/docs",)


def test_githubs_direct_children_example_differs_from_git() -> None:
    # GitHub's documented exception, which git does not share: "docs/*" owns
    # files directly in docs/ only
    co = codeowners.parse("docs/* @org/docs\n")
    assert co.owners_of("docs/x.md") == ("@org/docs",)
    assert co.owners_of("docs/sub/y.md") is None
