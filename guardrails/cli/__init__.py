"""The ``guardrails`` command line: one module per command, the group in :mod:`.main`."""

from __future__ import annotations

from guardrails.cli.main import cli, console, main

__all__ = ["cli", "console", "main"]
