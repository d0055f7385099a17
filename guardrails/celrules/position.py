"""Where a character of an expression is in the YAML file that holds it.

An error inside a rule's expression names the file line and column of the
character, not of the key: the rule file is composed again (only on this
error path, by :func:`guardrails.yamlio.node_at`, under the loader's bounds)
and the scalar's node tells where its text starts and how it is written.
Exact for expressions on one line (plain or quoted) and for literal blocks
(``|``); for a folded or multi-line flow scalar, where YAML joins lines, the
line is found by the expression's own text and may be approximate.
"""

from __future__ import annotations

from typing import Any

import yaml

from guardrails import yamlio


def expression_position(text: str, path: tuple[Any, ...],
                        offset: int) -> tuple[int, int] | None:
    """(line, column), both from 1, of character ``offset`` of the scalar at ``path``."""
    node = yamlio.node_at(text, path)
    if not isinstance(node, yaml.ScalarNode):
        return None
    start, end = node.start_mark, node.end_mark
    value = node.value
    offset = max(0, min(offset, len(value)))
    style = node.style or ""
    if style == "|":
        before = value[:offset]
        line_no = before.count("\n")
        col = offset - (before.rfind("\n") + 1)
        lines = text.split("\n")
        first = start.line + 1  # the line after the '|' indicator
        while first < len(lines) and not lines[first].strip():
            first += 1
        target = first + line_no
        # The block's indentation is its first line's; deeper lines keep the rest.
        indent = len(lines[first]) - len(lines[first].lstrip(" ")) if first < len(lines) else 0
        return target + 1, indent + col + 1
    if start.line == end.line:
        shift = 1 if style in ("'", '"') else 0
        if style == "'":
            shift += value[:offset].count("'")  # '' stands for '
        return start.line + 1, start.column + 1 + shift + offset
    # Folded or multi-line flow: find the line holding the text around the character.
    lines = text.split("\n")
    word = value[offset:offset + 12].split("\n")[0].strip()
    for i in range(start.line, min(end.line + 1, len(lines))):
        at = lines[i].find(word) if word else -1
        if at >= 0:
            return i + 1, at + 1
    return start.line + 1, start.column + 1
