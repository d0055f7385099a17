"""What ``guardrails merge`` keeps of untrusted reports is bounded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrails import merge as merge_module
from guardrails.merge import Merger


def report(path: Path, rule_ids: list[str], detail: str = "x") -> str:
    results = [{"id": rid, "outcome": "failed", "severity": "error", "title": rid,
                "value": 1, "unit": "count", "message": "m",
                "evidence": [{"subject": "team/a", "detail": detail, "url": None,
                              "team": "a"}]} for rid in rule_ids]
    path.write_text(json.dumps({"version": 3, "now": "2026-11-20T00:00:00Z", "focus": None,
                                "summary": {"passed": 0, "failed": len(results), "error": 0,
                                            "skipped": 0, "waived": 0, "duration_s": 0,
                                            "exit_code": 1},
                                "results": results}), encoding="utf-8")
    return str(path)


def test_a_report_taking_the_org_past_the_rule_cap_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merge_module, "ORG_RULES", 3)
    m = Merger()
    m.add_file(report(tmp_path / "a.json", ["p::a", "p::b"]))
    m.add_file(report(tmp_path / "b.json", ["p::b", "p::c"]))  # 3 distinct: fine
    m.add_file(report(tmp_path / "c.json", ["p::d"]))
    assert [s.file for s in m.skipped] == [str(tmp_path / "c.json")]
    assert "past 3 distinct rules" in m.skipped[0].reason
    org = m.report()
    assert [r.id for r in org.results] == ["p::a", "p::b", "p::c"]
    assert org.results[1].value == 2  # offending subjects summed over repositories


def test_long_texts_are_cut(tmp_path: Path) -> None:
    m = Merger()
    m.add_file(report(tmp_path / "a.json", ["p::a"], detail="y" * 100_000))
    (result,) = m.report().results
    assert len(result.evidence[0].detail) == merge_module.TEXT_LIMIT + 3
    assert result.evidence[0].detail.startswith("a: yyy")
