"""The runnable-docs marker parser (tests/docblocks.py) on small documents."""

from __future__ import annotations

from pathlib import Path

import docblocks
import pytest
from helpers import HANG_GUARD


def _doc(tmp_path: Path, text: str) -> Path:
    (tmp_path / "docs").mkdir(exist_ok=True)
    p = tmp_path / "docs" / "x.md"
    p.write_text(text, encoding="utf-8")
    return p


def test_commands_output_and_options(tmp_path: Path) -> None:
    p = _doc(tmp_path, "intro\n\n<!-- runnable: slow -->\n```console\n"
             "$ cd sub\n$ guardrails check \\\n    --now 2026-11-20  # exits 1 (a rule fails)\n"
             "...\nFAILED x\n```\n"
             "```console\n$ not run\n```\n")
    (block,) = docblocks.parse(p, tmp_path)
    assert block.id == "docs/x.md:3"
    assert block.commands == ["cd sub", "guardrails check \\\n    --now 2026-11-20  "
                              "# exits 1 (a rule fails)"]
    assert block.exits == [0, 1]
    assert block.expected == ["FAILED x"]
    assert (block.slow, block.ci) == (True, False)


@pytest.mark.parametrize("text, message", [
    ("<!-- runnable: fast -->\n```console\n$ a\n```\n", "unknown runnable option 'fast'"),
    ("<!-- runnable -->\n\n```console\n$ a\n```\n", "followed by a ```console fence"),
    ("<!-- runnable -->\n```sh\na\n```\n", "followed by a ```console fence"),
    ("<!-- runnable -->\n```console\n$ a\n", "never closed"),
    ("<!-- runnable -->\n```console\noutput only\n```\n", "needs '$ ' commands"),
])
def test_a_bad_marker_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(docblocks.MarkerError, match="docs/x.md:1: ") as exc:
        docblocks.parse(_doc(tmp_path, text), tmp_path)
    assert message in str(exc.value)


def test_exit_codes_and_output_order_are_checked(tmp_path: Path) -> None:
    p = _doc(tmp_path, "<!-- runnable -->\n```console\n$ mkdir d && cd d\n"
             "$ pwd | sed 's,.*/,,'; echo two; sh -c 'exit 3'  # exit 3\nd\ntwo\n```\n")
    (block,) = docblocks.parse(p, tmp_path)
    (ran,) = docblocks.run_blocks([block], tmp_path, tmp_path / "home", timeout=HANG_GUARD)
    assert [r.exit_code for r in ran] == [0, 3]
    assert docblocks.problems(block, ran) == []
    block.expected = ["two", "d"]  # out of order
    assert "not printed (in this order)" in docblocks.problems(block, ran)[0]
    block.exits = [0, 0]
    assert "exited 3, the docs say 0" in docblocks.problems(block, ran)[0]
