"""Run every hostile case of ``tests/data/bad/`` (see ``tests/badcorpus.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from badcorpus import Case, check, load_cases, run_case

CASES = load_cases()


def test_corpus_is_wide() -> None:
    # The promise is a wide net: at least 150 defects, one each.
    assert len(CASES) >= 150
    assert len({c.spec["about"] for c in CASES}) == len(CASES), "two cases, one defect"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    httpserver = request.getfixturevalue("httpserver") if case.spec.get("http") else None
    outcome = run_case(case, tmp_path, httpserver)
    problems = check(case, outcome)
    assert not problems, (
        f"{case.name}: {case.spec['about']}\n  " + "\n  ".join(problems)
        + f"\n--- output (exit {outcome.code}) ---\n{outcome.output[-3000:]}")
