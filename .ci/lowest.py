"""Print pip constraints that pin every runtime dependency to its declared floor.

CI installs the package with these constraints and runs the fast tests, so a
floor in pyproject.toml is a version the code was really run with.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
for dep in deps:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(;.*)?", dep)
    if not m:
        sys.exit(f"{pyproject}: dependency {dep!r} has no '>=' floor to pin")
    print(f"{m.group(1)}=={m.group(2)}")
