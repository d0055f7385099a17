"""The shell commands the docs show, run as a reader would: the docs cannot drift.

Blocks of README.md and docs/*.md marked ``<!-- runnable -->`` (the marker is
described in tests/docblocks.py and CONTRIBUTING.md) run in a copy of the
repository with this environment's ``guardrails`` first on PATH. Blocks
marked ``slow`` install packages (the README's front door: a virtual
environment, ``pip install .``, the example report; the example plugin): they
run in one shell, in document order, in the slow test, which then checks the
example org really ships inside the installed package. Blocks marked ``ci``
are the README's test command, which .ci/run must run verbatim.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docblocks
import pytest

BLOCKS = docblocks.all_blocks()
FAST = [b for b in BLOCKS if not b.slow and not b.ci]
SLOW = [b for b in BLOCKS if b.slow]
CI = [b for b in BLOCKS if b.ci]


def test_the_docs_mark_runnable_blocks() -> None:
    # The net is real: the front door, the README's failure sample, the plugin
    # walkthrough and the README's test command are all marked.
    files = {b.file for b in BLOCKS}
    assert {"README.md", "docs/plugins.md", "docs/metrics.md"} <= files
    assert SLOW and FAST and CI
    assert any("guardrails check --example" in c for b in SLOW for c in b.commands)
    assert any("--format csv" in c for b in SLOW for c in b.commands)


@pytest.mark.parametrize("block", FAST, ids=[b.id for b in FAST])
def test_runnable_block(block: docblocks.Block, tmp_path: Path) -> None:
    root = docblocks.copy_tree(tmp_path / "repo")
    (ran,) = docblocks.run_blocks([block], root, tmp_path / "home", timeout=120)
    assert not docblocks.problems(block, ran), "\n".join(docblocks.problems(block, ran))


@pytest.mark.parametrize("block", CI, ids=[b.id for b in CI])
def test_ci_runs_the_readme_test_command_verbatim(block: docblocks.Block) -> None:
    ci = (docblocks.REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in block.commands:
        assert command in ci, f"{block.id}: .ci/run does not run `{command}` verbatim"


@pytest.mark.slow
def test_slow_blocks_then_the_example_from_any_folder(tmp_path: Path) -> None:
    """The README's front door on a fresh copy, then the installed example elsewhere."""
    root = docblocks.copy_tree(tmp_path / "repo")
    results = docblocks.run_blocks(SLOW, root, tmp_path / "home", timeout=900)
    found = [p for b, ran in zip(SLOW, results, strict=True) for p in docblocks.problems(b, ran)]
    assert not found, "\n".join(found)
    venv = root / ".venv"
    assert (venv / "bin" / "guardrails").is_file(), "the README's venv step made no .venv"
    # Not from the checkout: the copy's examples/ is gone, the run starts elsewhere.
    shutil.rmtree(root / "examples" / "acme")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = docblocks.shell_env(tmp_path / "home")
    res = subprocess.run([str(venv / "bin" / "guardrails"), "check", "--example", "--now",
                          "2026-11-20", "-q"], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "a CI gate would have exited 1" in res.stderr
    assert "stability::change-failure-rate" in res.stdout
    shipped = list(venv.glob("lib/python*/site-packages/guardrails/example"))
    assert len(shipped) == 1 and (shipped[0] / "org" / "teams.yaml").is_file()
    # data only: the generator of the example stays in the repository
    assert not list(shipped[0].rglob("*.py"))


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")}


@pytest.mark.parametrize("doc", docblocks.doc_files() + [docblocks.REPO / "CONTRIBUTING.md"],
                         ids=lambda p: p.name)
def test_relative_links_lead_somewhere(doc: Path) -> None:
    broken = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


def test_init_points_at_docs_that_exist(tmp_path: Path) -> None:
    from guardrails.cli.init import INIT_CONFIG

    named = re.findall(r"docs/[\w.-]+\.md", INIT_CONFIG)
    assert named, "guardrails init should point its reader at the configuration docs"
    for rel in named:
        assert (docblocks.REPO / rel).is_file(), rel
    # a README section named in quotes must exist as a heading
    for section in re.findall(r'README "([^"]+)"', INIT_CONFIG):
        assert _slug(section) in _anchors(docblocks.REPO / "README.md"), section
