"""guardrails: check an engineering organisation's execution practices like tests."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
