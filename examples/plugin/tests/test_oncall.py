"""The plugin's own tests, with the guardrails_tester fixture guardrails offers."""

from __future__ import annotations

SHIFTS = """\
person,start,end
ann,2026-11-02T09:00:00Z,2026-11-03T09:00:00Z
ann,2026-11-09T09:00:00Z,2026-11-10T09:00:00Z
ann,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z
bob,2026-11-05T09:00:00Z,2026-11-06T09:00:00Z
"""

RULES = {"pack": "oncall", "rules": [
    {"id": "fair", "check": "oncall.max_shifts_per_person", "max": 2, "window": "28d"},
]}


def test_too_many_shifts(guardrails_tester):
    guardrails_tester.write("oncall.csv", SHIFTS)
    guardrails_tester.write_config({"rules": ["rules/"], "sources": {"oncall": {}}})
    guardrails_tester.write_rules(RULES)
    result = guardrails_tester.run("check", "--now", "2026-11-20")
    assert result.exit_code == 1
    fair = result.result("oncall::fair")
    # ann has 3 shifts in the 28 days before 2026-11-20, bob 1
    assert fair["value"] == 3
    assert [(e["subject"], e["line"]) for e in fair["evidence"]] == [("person/ann", 2)]


def test_bad_timestamp_names_the_line(guardrails_tester):
    guardrails_tester.write("oncall.csv", SHIFTS + "cy,next tuesday,2026-11-20T09:00:00Z\n")
    guardrails_tester.write_config({"rules": ["rules/"], "sources": {"oncall": {}}})
    guardrails_tester.write_rules(RULES)
    result = guardrails_tester.run("check")
    assert result.exit_code == 4
    assert "oncall.csv:6: invalid timestamp" in result.stderr
