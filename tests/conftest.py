"""Shared fixtures. Helper modules for tests live in tests/helpers.py."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_color_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reports must not depend on the developer's terminal.
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                             "guardrails-test-cache-unused"))
