"""pytest plugin: ``pytest --guardrails`` collects rule files as pytest items.

Registered through the ``pytest11`` entry point. Without ``--guardrails`` it
does nothing, so installing guardrails never changes a project's test run.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("guardrails", "engineering execution guardrails")
    group.addoption("--guardrails", action="store_true", default=False,
                    help="collect and run the configured guardrails rules as test items")
    group.addoption("--guardrails-config", default=None, metavar="FILE",
                    help="guardrails config file (default: found from the rootdir upwards)")
