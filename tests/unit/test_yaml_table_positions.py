"""A small YAML table's positions come with its parse; a big one's when first asked."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails import yamlio
from guardrails.sources import files_formats
from guardrails.sources.files_formats import read_table
from guardrails.sources.files_tables import layout_of

TEXT = """\
# teams
teams:
  - id: web
    members:
      - handle: ana
      - handle: bo
  - id: api
    members: [{handle: cy}]
"""


def _no_second_parse(text: str) -> Any:
    raise AssertionError("parsed again for positions")


def test_small_yaml_lines_without_a_second_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    table = read_table(TEXT, "teams.yaml", ".yaml", layout_of("teams", ("teams",)))
    assert table.positions == yamlio.positions_of(TEXT)
    monkeypatch.setattr(yamlio, "positions_of", _no_second_parse)
    assert table.line(0) == 3
    assert table.line(1) == 7
    assert table.line(0, ("members", 1)) == 6


def test_big_yaml_positions_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_formats, "POSITIONS_WITH_PARSE", 10)
    table = read_table(TEXT, "teams.yaml", ".yaml", layout_of("teams", ("teams",)))
    assert table.positions is None
    assert table.line(1) == 7
    assert table.positions == yamlio.positions_of(TEXT)
