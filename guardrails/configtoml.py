"""A config in pyproject.toml: the ``[tool.guardrails]`` table and its keys' lines.

tomllib reads the file (whole: a TOML error anywhere is the config's error,
with its line and column); the table must be a table. tomllib keeps no
positions, so :func:`toml_positions` maps the table's headers and ``key =``
lines for messages. Finding and validating the config is
:mod:`guardrails.config`'s, which imports this module only for a pyproject.toml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from guardrails import yamlio
from guardrails.errors import ConfigError, end_of_text
from guardrails.paths import shown_path


def pyproject_table(path: Path) -> dict[str, Any] | None:
    """The [tool.guardrails] table, None when absent; a non-table there is an error."""
    import tomllib

    text = yamlio.read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the place in its message only: "... (at line 3, column 14)",
        # or "... (at end of document)" for a file that ends too soon
        msg = str(exc)
        at = re.search(r"\(at line (\d+), column (\d+)\)$", msg)
        end = re.search(r"\(at end of document\)$", msg)
        fix = "correct the TOML there"
        line: int | None
        column: int | None
        if at:
            what, line, column = msg[:at.start()].rstrip(), int(at[1]), int(at[2])
        elif end:  # named at the last line that is not blank, just past its end
            what = msg[:end.start()].rstrip() + " at the end of the file"
            line, column = end_of_text(text)
            fix = ("close what the last lines open (a string, array, inline table or "
                   "table header), or finish the 'key = value' there")
        else:
            what, line, column = msg, getattr(exc, "lineno", None), getattr(exc, "colno", None)
        raise ConfigError(f"invalid TOML: {what}", file=shown_path(path), line=line,
                          column=column, fix=f"{fix} (pyproject.toml is read whole, "
                          "[tool.guardrails] or not)") from None
    except RecursionError:  # tomllib recurses per nested array or inline table
        line, column = _deepest(text)
        raise ConfigError("invalid TOML: arrays or inline tables nested too deep to read",
                          file=shown_path(path), line=line, column=column,
                          fix="flatten the nesting (no config nests more than a few "
                          "levels)") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"'tool' is {_toml_type(tool)}, but pyproject.toml keeps tool "
                          "settings in tables ([tool.NAME])", file=shown_path(path),
                          line=_toml_line(text, r"tool\s*="),
                          fix="remove the 'tool = ...' line or make it a [tool] table")
    table = tool.get("guardrails")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"'tool.guardrails' is {_toml_type(table)}, not a table",
                          file=shown_path(path),
                          line=_toml_line(text, r"(tool\s*\.\s*)?guardrails\s*="),
                          fix="write the settings under a [tool.guardrails] table")
    return table


def _deepest(text: str) -> tuple[int, int]:
    """Line and column of the first bracket at the deepest nesting of ``[``/``{``
    (strings not told apart: a place to look, for a file too deep to parse)."""
    depth = best = 0
    place = (1, 1)
    line, start = 1, 0
    for i, ch in enumerate(text):
        if ch == "\n":
            line, start = line + 1, i + 1
        elif ch in "[{":
            depth += 1
            if depth > best:
                best, place = depth, (line, i - start + 1)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return place


def _toml_type(value: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "an array"}.get(type(value), "a " + type(value).__name__)


def _toml_line(text: str, key: str) -> int | None:
    """The first line assigning ``key`` (a regex), for messages."""
    pattern = re.compile(r"^\s*" + key)
    for n, line in enumerate(text.splitlines()[:100_000], start=1):
        if pattern.match(line):
            return n
    return None

# pyproject.toml's lines (compiled by re when a config is read from there, not at import)
_TABLE = r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$"
_KEY = r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*="


def toml_positions(text: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Lines of the keys under [tool.guardrails] in a pyproject.toml.

    tomllib keeps no positions; this maps table headers and ``key =`` lines
    (arrays of tables counted) so errors can name a line. Keys inside inline
    tables and multi-line values map to the line of their outer key.
    """
    pos: dict[tuple[Any, ...], tuple[int, int]] = {}
    current: tuple[Any, ...] | None = None
    counts: dict[tuple[Any, ...], int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        m = re.match(_TABLE, line)
        if m:
            parts = [p.strip().strip("\"'") for p in m.group(2).split(".")]
            if parts[:2] != ["tool", "guardrails"]:
                current = None
                continue
            path = tuple(parts[2:])
            if m.group(1) == "[[":
                i = counts.get(path, 0)
                counts[path] = i + 1
                path = (*path, i)
            current = path
            pos.setdefault(path, (n, 1))
            continue
        k = re.match(_KEY, line)
        if k and current is not None:
            pos.setdefault((*current, k.group(1).strip("\"'")), (n, 1))
    return pos
