"""Every test file the code and the docs point a reader at exists.

guardrails/builtins.py sent readers to tests/unit/test_builtins_manifest.py,
which never existed (the manifest's tests are in tests/unit/test_startup.py).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: a repository path to a test file, not the tail of a longer path (examples/plugin/tests/...)
POINTER = re.compile(r"(?<![\w/.-])tests/[\w/.-]+\.py\b")


def _texts() -> list[Path]:
    found = [*sorted((ROOT / "guardrails").rglob("*.py")), *sorted((ROOT / "docs").glob("*.md"))]
    return found + [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]


def test_every_test_file_named_in_code_and_docs_exists() -> None:
    pointers = {(path.relative_to(ROOT).as_posix(), m.group(0))
                for path in _texts() for m in POINTER.finditer(path.read_text("utf-8"))}
    assert len(pointers) > 5  # the pattern finds the pointers there are
    missing = sorted((where, named) for where, named in pointers if not (ROOT / named).is_file())
    assert missing == [], f"(file, test file it names that does not exist): {missing}"
