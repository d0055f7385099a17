"""Formatting measured values and thresholds the way a person reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from guardrails.timeutil import format_duration


def number(v: float | int, places: int = 2) -> str:
    """A number as a person writes it: ``887.7``, ``12``, ``1234567``, ``0.33``.

    Never float noise (``887.7000000000005``) and never an exponent (``1.2e+06``):
    at most ``places`` decimals, trailing zeros dropped.
    """
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    text = f"{v:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def value(v: float | int | None, unit: str | None) -> str:
    """A measured value in its unit: ``12.5%``, ``3.5h``, ``887.7 lines``, ``4.03``."""
    if v is None:
        return "n/a"
    if unit == "ratio":
        return f"{v * 100:.1f}%"
    if unit == "seconds":
        return format_duration(v)
    if unit == "per_week":
        return f"{v:.2f}/week"
    if unit == "lines":
        return f"{number(v, 1)} lines"
    if unit == "score":
        return f"{v:.2f}"
    return number(v)


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


#: the widest a column of aligned text is padded to: a longer cell is shown whole
#: and unpadded. One cell of a megabyte (an id in a data file, a rule file or a
#: history store) padded every other row to a megabyte: 200 evidence lines, or
#: 300 rows of ``guardrails history``, printed 20 MB or 320 MB from 1 MB of input
PAD_MAX = 60


def pad_width(cells: Iterable[str]) -> int:
    """The width to pad a column of ``cells`` to: the longest, at most :data:`PAD_MAX`."""
    return min(max((len(c) for c in cells), default=0), PAD_MAX)


def excluded(n: int, noun: str, why: str = "", *, contradictory: bool = False) -> list[str]:
    """The detail line counting ``n`` records a metric leaves out, and why (METRICS.md:
    excluded and counted, never silently dropped); none when ``n`` is 0.

    ``excluded(2, "run", "finishing before it started", contradictory=True)`` is
    ``["2 runs finishing before it started excluded (contradictory data)"]``.
    """
    if not n:
        return []
    words = f"{plural(n, noun)} {why} excluded" if why else f"{plural(n, noun)} excluded"
    return [f"{words} (contradictory data)" if contradictory else words]


def ids(names: Sequence[str], shown: int = 5) -> str:
    """The first ``shown`` names, comma-separated, then ``and N more``: ``a, b and 3 more``."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


#: items of a list shown in text before "and N more" (a template is cut at 500 characters anyway)
_TEXT_ITEMS = 20


def field_text(v: Any, depth: int = 0) -> str:
    """A fact field as text for a person: ``a, b`` for a list, ``12.5`` for a float.

    Lists and mappings are written without Python syntax (no brackets, quotes or
    ``None``): a list of ids is ``a, b``; a joined fact shows its ``id`` (or
    ``title``/``name``); other mappings ``key: value`` pairs. Nested containers
    stop two levels down.
    """
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return number(v)
    if isinstance(v, str):
        return v
    if depth >= 2:
        return "..."
    if isinstance(v, Mapping):
        for key in ("id", "title", "name"):
            if v.get(key) not in (None, ""):
                return field_text(v[key], depth + 1)
        items = list(v.items())
        shown = [f"{k}: {field_text(x, depth + 1)}" for k, x in items[:_TEXT_ITEMS]]
        return "; ".join(shown) + _more(len(items)) if shown else "-"
    if isinstance(v, list | tuple | set | frozenset):
        seq = sorted(v, key=str) if isinstance(v, set | frozenset) else list(v)
        shown = [field_text(x, depth + 1) for x in seq[:_TEXT_ITEMS]]
        return ", ".join(shown) + _more(len(seq)) if shown else "-"
    return str(v)


def _more(n: int) -> str:
    return f" and {n - _TEXT_ITEMS} more" if n > _TEXT_ITEMS else ""
