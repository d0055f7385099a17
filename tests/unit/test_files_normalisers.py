"""The files source's normalisers, generated into guardrails/sources/files_normalisers.py.

The module is written by ``python -m guardrails.sources.files_normalise`` so
that Python's bytecode cache keeps the functions compiled; it must be exactly
what the generator writes today, and a function whose text is not today's is
compiled at run time instead of used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from guardrails.sources import files_normalise, files_normalisers
from guardrails.sources.files_formats import Table


def test_the_generated_module_is_what_the_generator_writes() -> None:
    path = Path(files_normalisers.__file__)
    assert path.read_text("utf-8") == files_normalise.module_text(), (
        "run `python -m guardrails.sources.files_normalise` and commit the result")


@pytest.mark.parametrize("kind", sorted(files_normalise.REFS))
def test_each_kind_comes_from_the_module(kind: str) -> None:
    fn = files_normalise.normaliser(kind, None)
    assert fn.__code__.co_filename == files_normalisers.__file__


def test_a_stale_function_is_compiled_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(files_normalisers.SOURCES, "deployments", "0" * 16)
    files_normalise.normaliser.cache_clear()
    try:
        fn = files_normalise.normaliser("deployments", None)
        assert fn.__code__.co_filename == "<normalise deployments>"
        record = {"id": 5, "started_at": "2026-10-07T14:30:00+02:00",
                  "finished_at": "2026-10-07T12:40:00Z", "changes": [1, "2"]}
        fn(record, Table("deployments.csv", [record], starts=[2]), 0)
    finally:
        files_normalise.normaliser.cache_clear()
    assert record == {"id": "5", "started_at": datetime(2026, 10, 7, 12, 30, tzinfo=UTC),
                      "finished_at": datetime(2026, 10, 7, 12, 40, tzinfo=UTC),
                      "changes": ["1", "2"], "environment": "production"}
