"""Formatting measured values and thresholds the way a person reads them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from guardrails.timeutil import format_duration


def value(v: float | int | None, unit: str | None) -> str:
    if v is None:
        return "n/a"
    if unit == "ratio":
        return f"{v * 100:.1f}%"
    if unit == "seconds":
        return format_duration(v)
    if unit == "per_week":
        return f"{v:.2f}/week"
    if unit == "lines":
        return f"{v:g} lines"
    if unit == "score":
        return f"{v:.2f}"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.2f}"
    return f"{v:g}"


def comparison(v: float | int | None, unit: str | None, threshold: dict[str, Any] | None,
               passed: bool) -> str:
    """``12.5% > 10.0%`` for a failure, ``5.0% <= 10.0%`` for a pass."""
    if not threshold or v is None:
        return value(v, unit)
    lo, hi = threshold.get("min"), threshold.get("max")
    if passed and lo is not None and hi is not None:
        return f"{value(v, unit)} within {value(lo, unit)}..{value(hi, unit)}"
    if hi is not None and (not passed and v > hi or passed and lo is None):
        return f"{value(v, unit)} {'<=' if passed else '>'} {value(hi, unit)}"
    if lo is not None:
        return f"{value(v, unit)} {'>=' if passed else '<'} {value(lo, unit)}"
    return value(v, unit)


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    """``1 team``, ``3 teams`` (``plural_word`` when adding an ``s`` is wrong)."""
    return f"{n} {word if n == 1 else (plural_word or word + 's')}"


def ids(names: Sequence[str], shown: int = 5) -> str:
    """The first ``shown`` names, comma-separated, then ``and N more``: ``a, b and 3 more``."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
