"""Shared fixtures. Helper modules for tests live in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _startup_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the install-wide start-up caches (entry points, builtin packs)
    for the whole test run: they depend on the install, not on a test."""
    return tmp_path_factory.mktemp("startup-cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory,
                  _startup_cache: Path) -> None:
    # Reports must not depend on the developer's terminal or CI job.
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    # Each test gets its own cache folder: no test reads another's git or HTTP
    # cache, and nothing is written to the user's ~/.cache.
    cache: Path = tmp_path_factory.mktemp("guardrails-cache")
    monkeypatch.setenv("GUARDRAILS_CACHE_DIR", str(cache))
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(_startup_cache))
    monkeypatch.delenv("GUARDRAILS_NO_STARTUP_CACHE", raising=False)
