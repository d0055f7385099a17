"""Run every hostile case of ``tests/data/bad/`` (see ``tests/badcorpus.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from badcorpus import Case, check, load_cases, run_case
from badguards import wait_problems

CASES = load_cases()


def test_corpus_is_wide() -> None:
    # The promise is a wide net: at least 150 defects, one each.
    assert len(CASES) >= 150
    assert len({c.spec["about"] for c in CASES}) == len(CASES), "two cases, one defect"


def test_the_reliability_page_names_every_area_of_the_corpus() -> None:
    """docs/reliability.md lists the corpus by area (no counts, which drift)."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text("utf-8")
    table = page.split("The corpus by area", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("`")[1].rstrip("-") for line in table.splitlines()
            if line.startswith("| `")}
    areas = {c.name.split("-", 1)[0] for c in CASES}
    assert rows == areas, f"only in the page: {rows - areas}; only in the corpus: {areas - rows}"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    httpserver = request.getfixturevalue("httpserver") if case.spec.get("http") else None
    # the rate limits' waits recorded (and taking no time) where a case bounds them
    waits = (request.getfixturevalue("rate_limit_waits")
             if "rate_limit_wait_at_most" in case.spec else None)
    outcome = run_case(case, tmp_path, httpserver)
    problems = check(case, outcome) + wait_problems(case.spec, waits)
    assert not problems, (
        f"{case.name}: {case.spec['about']}\n  " + "\n  ".join(problems)
        + f"\n--- output (exit {outcome.code}) ---\n{outcome.output[-3000:]}")
