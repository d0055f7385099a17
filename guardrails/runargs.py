"""What the commands make of their option values, without click.

``--now``, ``--no-color``, ``-p`` and ``--example`` mean the same in every
command; :mod:`guardrails.cli.options` re-exports these for the click
commands, and :mod:`guardrails.checkcmd` runs ``check`` with them when the
program reads its command line itself (no click imported).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from guardrails.errors import UsageError

EXAMPLE_CONFIG = "examples/acme/guardrails.yaml"
#: the years --now may name (git timestamps start in 1970; 9999 leaves no room for windows)
NOW_RANGE = (1970, 9998)


def color_choice(no_color: bool, color: bool | None) -> bool:
    """Colours on or off: ``--no-color``/``NO_COLOR`` first, then ``--color``,
    ``FORCE_COLOR``, and else whether stdout is a terminal."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if color is not None:
        return color
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # closed
        return False


def parse_now_option(value: str | None) -> Any:
    """``--now`` as an aware datetime (None when not given); UsageError when unreadable."""
    from guardrails.timeutil import parse_now

    if value is None:
        return None
    try:
        now = parse_now(value)
        if not NOW_RANGE[0] <= now.year <= NOW_RANGE[1]:
            # Windows and offsets are subtracted from and added to it: keep them representable.
            raise ValueError(f"the year must be within {NOW_RANGE[0]}..{NOW_RANGE[1]}")
        return now
    except (ValueError, OverflowError) as exc:
        raise UsageError(f"invalid --now {value!r}: {exc}",
                         fix="give a date (2026-11-20) or a timestamp (2026-11-20T12:00:00Z)"
                         ) from None


def split_plugins(plugins: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``-p`` values as (disabled names from ``no:NAME``, modules to load)."""
    disabled = tuple(p[3:] for p in plugins if p.startswith("no:"))
    extra = tuple(p for p in plugins if not p.startswith("no:"))
    return disabled, extra


def example_config() -> str:
    """The bundled example org: inside the installed package, or in a source checkout.

    A wheel carries examples/acme as ``guardrails/example/`` (pyproject.toml
    maps it at build time); an editable install or a run from the checkout
    reads examples/acme itself. Never the current folder: ``--example`` means
    the same org wherever it is run.
    """
    package = Path(__file__).resolve().parent
    for candidate in (package / "example" / "guardrails.yaml",
                      package.parent / EXAMPLE_CONFIG):
        if candidate.is_file():
            return str(candidate)
    raise UsageError("the example org is not available in this installation "
                     f"(looked for {package / 'example' / 'guardrails.yaml'})",
                     fix="reinstall with 'python -m pip install execution-guardrails', or run "
                         "from a checkout of the guardrails repository")
