"""One long cell from input pads no other line: aligned text stays linear in its input.

Columns of aligned text (the terminal report's evidence, ``guardrails
history``/``trend``, ``list``) were padded to their longest
cell. One id of a megabyte in a data file, a rule file or a history store
then padded every other row to a megabyte: 200 evidence lines of ``check -v``
printed 20 MB from a 1 MB data file, 300 rows of ``guardrails history`` 320 MB
(a forged store of 8 MiB lines and thousands of rules: gigabytes). A column is
now padded to at most :data:`guardrails.fmt.PAD_MAX` characters; a longer cell
is shown whole, unpadded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import make_project, run_cli

from guardrails.fmt import PAD_MAX

LONG = "L" * 20_000
ROWS = 50


def _wide_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > 1_000]


def _only_the_long_cell_is_wide(text: str) -> None:
    wide = _wide_lines(text)
    assert wide, "the long cell is shown"
    assert all(LONG in line for line in wide), "a line without the long cell was padded to it"
    assert all(len(line) < len(LONG) + 500 for line in wide)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    teams = "".join(f"  - {{id: t{i}, name: x, members: []}}\n" for i in range(ROWS))
    rules = "".join(f"  - {{id: r{i}, title: r, check: count, facts: teams, min: {ROWS + 1}}}\n"
                    for i in range(ROWS))
    config = make_project(
        tmp_path / "project",
        rules={"rules/named.yaml": (
            "pack: named\nrules:\n"
            "  - {id: named, title: t, check: each, facts: teams,\n"
            "     expect: 'fact.name.size() >= 3'}\n"
            f"  - {{id: {LONG}, title: t, check: count, facts: teams, min: 0}}\n" + rules)},
        org={"teams.yaml": f"teams:\n{teams}  - {{id: {LONG}, name: x, members: []}}\n"})
    monkeypatch.chdir(config.parent)
    return config


def test_check_verbose_pads_evidence_to_at_most_pad_max(project: Path) -> None:
    result = run_cli(["check", "--now", "2026-11-20", "-v", "--no-color", "-k", "named"])
    assert result.exit_code == 1, result.output
    _only_the_long_cell_is_wide(result.output)
    evidence = [line for line in result.output.splitlines() if line.startswith("  team/t1 ")]
    assert evidence and len(evidence[0]) - len(evidence[0].lstrip()) == 2
    assert evidence[0].index("not fact.name") <= 2 + PAD_MAX + 2


def test_list_pads_rule_ids_to_at_most_pad_max(project: Path) -> None:
    result = run_cli(["list"])
    assert result.exit_code == 0, result.output
    _only_the_long_cell_is_wide(result.output)


def test_history_pads_a_recorded_id_to_at_most_pad_max(project: Path) -> None:
    result = run_cli(["check", "--now", "2026-11-20", "-q", "--record"])
    assert result.exit_code == 1, result.output
    store = project.parent / ".guardrails" / "history" / "history-2026-11.jsonl"
    entry = json.loads(store.read_text(encoding="utf-8").splitlines()[0])
    assert any(r["id"] == f"named::{LONG}" for r in entry["results"])
    for args in (["history", "--now", "2026-11-20"], ["trend"]):
        result = run_cli(args)
        assert result.exit_code in (0, 1), result.output
        if _wide_lines(result.output):
            _only_the_long_cell_is_wide(result.output)

