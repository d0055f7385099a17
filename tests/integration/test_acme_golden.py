"""The example org's JSON report is a stored contract: restructuring must not move it.

``tests/data/acme-report.json`` is the report of
``guardrails check -c examples/acme/guardrails.yaml --now 2026-11-20 --format json``
(timings removed). Every value stored there must come out the same; a key the
report gains later may be added (the comparison is "stored ⊆ produced"), so the
report can grow without this test hiding a changed outcome, value or evidence.
To accept an intended change, regenerate the file
(``PYTHONPATH=tests python tests/integration/test_acme_golden.py --regen``) and say
why in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import check_report

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "data" / "acme-report.json"


def acme_report(tmp_path: Path) -> dict[str, Any]:
    result, data = check_report(REPO / "examples/acme/guardrails.yaml", tmp_path / "report.json")
    assert result.exit_code == 1, result.output
    data["summary"].pop("duration_s")
    return data


def differences(stored: Any, produced: Any, where: str = "$") -> list[str]:
    if isinstance(stored, dict):
        if not isinstance(produced, dict):
            return [f"{where}: a mapping became {type(produced).__name__}"]
        out = []
        for key, value in stored.items():
            if key not in produced:
                out.append(f"{where}.{key}: missing")
            else:
                out += differences(value, produced[key], f"{where}.{key}")
        return out
    if isinstance(stored, list):
        if not isinstance(produced, list) or len(stored) != len(produced):
            return [f"{where}: {len(stored)} items, now "
                    f"{len(produced) if isinstance(produced, list) else produced!r}"]
        return [d for i, (s, p) in enumerate(zip(stored, produced, strict=True))
                for d in differences(s, p, f"{where}[{i}]")]
    return [] if stored == produced else [f"{where}: {stored!r} -> {produced!r}"]


def test_acme_report_is_unchanged(tmp_path: Path) -> None:
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))
    diff = differences(stored, acme_report(tmp_path))
    assert not diff, "the example org's report moved:\n" + "\n".join(diff[:40])


def test_the_comparison_sees_a_changed_value() -> None:
    stored = {"results": [{"id": "a", "value": 0.1, "evidence": [{"subject": "x"}]}]}
    assert differences(stored, {"results": [{"id": "a", "value": 0.1, "new": 1,
                                             "evidence": [{"subject": "x"}]}]}) == []
    assert differences(stored, {"results": [{"id": "a", "value": 0.2,
                                             "evidence": [{"subject": "x"}]}]}) == [
        "$.results[0].value: 0.1 -> 0.2"]
    assert differences(stored, {"results": [{"id": "a", "value": 0.1, "evidence": []}]}) == [
        "$.results[0].evidence: 1 items, now 0"]


#: what is stored: the keys whose values do not depend on the machine (the header holds
#: absolute paths and versions, timings and durations vary from run to run)
STORED_KEYS = ("version", "now", "focus", "summary", "warnings", "results")


def stored_part(report: dict[str, Any]) -> dict[str, Any]:
    """The machine-independent part of a report, as the golden file keeps it."""
    out = {k: report[k] for k in STORED_KEYS}
    out["results"] = [{k: v for k, v in r.items() if k != "duration"} for r in out["results"]]
    return out


if __name__ == "__main__":  # see the module docstring
    import sys
    import tempfile

    if "--regen" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            GOLDEN.write_text(json.dumps(stored_part(acme_report(Path(tmp))), indent=1,
                                         sort_keys=True, ensure_ascii=False) + "\n",
                              encoding="utf-8")
