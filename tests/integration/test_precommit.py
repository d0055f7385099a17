"""The pre-commit hooks, run by the real ``pre-commit`` tool.

pre-commit installs the hook repository into its own virtualenv (pip, with
dependencies from the package index). The repository under test is this
working tree, whose new files may not be committed yet, so the test copies
the tree (tracked and untracked, minus ignored files) into a temporary git
repository and points ``pre-commit try-repo`` at that. A second temporary
repository is the user's project: a broken rule file is staged, the hook
fails naming its file and line (once, though two hooks read it); the file
is fixed, the hook passes; the check hook judges the rules the staged files
feed, skips a README-only commit, and the pre-push gate runs every rule.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PEOPLE_RULES, TEAMS_YAML, write

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")
if not Path(PRE_COMMIT).exists():
    PRE_COMMIT = shutil.which("pre-commit") or PRE_COMMIT

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
}

BROKEN_RULES = """\
pack: people
rules:
  - id: some-teams
    check: count
    facts: teams
    mni: 1
"""
# "mni" (a typo of "min") is on line 6, indented 4: column 5


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, text=True,
                          capture_output=True).stdout


def snapshot_of_working_tree(dest: Path) -> Path:
    """This repository's working tree as a one-commit git repository."""
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not Path(PRE_COMMIT).exists():
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    return snapshot_of_working_tree(tmp_path_factory.mktemp("hook-repo"))


def try_repo(project: Path, hook_repo: Path, hook: str | None, home: Path,
             *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    env.pop("PRE_COMMIT", None)
    hooks = [hook] if hook else []
    return subprocess.run([PRE_COMMIT, "try-repo", str(hook_repo), *hooks, "--color", "never",
                           *extra],
                          cwd=project, env=env, text=True, capture_output=True, timeout=300)


CONFIG = "rules: [guardrails/rules/]\nsources:\n  files: {path: org}\n"


def test_validate_hook_fails_on_broken_rule_then_passes(
        hook_repo: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    # the layout `guardrails init` writes, which the hooks' `files:` patterns fit
    write(project, "guardrails.yaml", CONFIG)
    write(project, "org/teams.yaml", TEAMS_YAML)
    write(project, "guardrails/rules/people.yaml", BROKEN_RULES)
    write(project, "README.md", "# project\n")
    git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"

    res = try_repo(project, hook_repo, "guardrails-validate", home)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "guardrails/rules/people.yaml:6:5: invalid rule 'some-teams'" in out
    assert "did you mean 'min'" in out

    # Every commit hook of the repository in one pre-commit run: validate and check
    # both meet the broken file; its error is printed once.
    res = try_repo(project, hook_repo, None, home)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert out.count("invalid rule 'some-teams'") == 1, out
    # (try-repo orders the hooks by id: check meets it first)
    assert re.search(r"1 error shown by guardrails (check|validate) above: fix it first", out)

    write(project, "guardrails/rules/people.yaml", PEOPLE_RULES)
    git(project, "add", "-A")
    res = try_repo(project, hook_repo, "guardrails-validate", home)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "guardrails validate" in res.stdout and "Passed" in res.stdout

    # the check hook runs the rules the staged files feed: beta has 9 members,
    # team-size fails (exit 1), quietly
    res = try_repo(project, hook_repo, "guardrails-check", home)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAILED people::team-size" in res.stdout
    assert "SKIPPED" not in res.stdout

    # a commit that touches no config, rule or data file does not run it at all
    git(project, "commit", "-q", "-m", "start")
    write(project, "README.md", "# project, typo fixed\n")
    git(project, "add", "README.md")
    res = try_repo(project, hook_repo, "guardrails-check", home)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "(no files to check)" in res.stdout and "Skipped" in res.stdout

    # the gate, at pre-push, runs every rule whatever changed
    res = try_repo(project, hook_repo, "guardrails-gate", home, "--hook-stage", "pre-push")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAILED people::team-size" in res.stdout
    assert "guardrails: 1 failed, 1 passed in" in res.stdout
