"""What YAML loading checks before and without PyYAML: bounds, nesting, escapes.

The limits every YAML text guardrails reads is held to (see
:mod:`guardrails.yamlio`), and the checks that need only the text. Kept
apart from the loader (:mod:`guardrails.yamlparse`, which imports PyYAML) so
that a run whose YAML comes from its caches does not import PyYAML at all
(benchmarks/RESULTS.md, "start-up, boot5").
"""

from __future__ import annotations

import re
from typing import Any

from guardrails.errors import UsageError

Position = tuple[int, int]
PathKey = tuple[Any, ...]


#: Nodes an alias expansion may add beyond the nodes written in the text.
MAX_NODES = 100_000
#: Levels of nested mappings and sequences.
MAX_DEPTH = 100
#: Characters of an integer scalar.
MAX_INT_DIGITS = 100
#: Bytes of a text file guardrails reads (config, rules, data).
MAX_FILE_BYTES = 1 << 30


# Compiled at first use (re's own cache): only PyYAML's path asks (guardrails.yamlparse);
# a run whose YAML the caches or guardrails.yamlfast answer never compiles them.
_DEEP_LINE = rf"^[ \t?:-]{{{MAX_DEPTH},}}"
_BRACKETS = r"[\[\]{}]"


def deep_offset(text: str, limit: int = MAX_DEPTH) -> int | None:
    """Where ``text`` may start nesting collections more than ``limit`` deep, else None.

    Over-approximates (brackets inside strings count too): an offset only
    sends the text to the slower Python parser, which then judges exactly.
    """
    m = re.search(_DEEP_LINE, text, re.MULTILINE)  # block nesting needs indentation or "- - -"
    if m:
        return m.start()
    depth = 0
    for m in re.finditer(_BRACKETS, text):
        if m.group() in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif depth:
            depth -= 1
    return None


def within_bounds(text: str) -> bool:
    """Whether ``text`` surely composes within :func:`check_bounds`'s limits (no walk needed).

    Without an alias (``*``) the node graph is a tree: nothing expands and
    nothing contains itself, so only the height can exceed its bound. Every
    mapping and sequence needs an indicator of its own (``:``, ``?``, ``-``,
    ``[`` or ``{``), so a text with at most MAX_DEPTH of them cannot nest
    deeper. A postmortem's front matter passes (the walk was ~18 µs of a
    ~80 µs parse, 5,000 times at 100k facts); anything else is walked.
    """
    if "*" in text:
        return False
    count = text.count
    return count(":") + count("?") + count("-") + count("[") + count("{") <= MAX_DEPTH


def _no_lone_surrogates(data: Any, text: str, display: str) -> None:
    """Refuse a ``"\\ud800"`` escape (libyaml does; PyYAML's Python scanner does not)."""
    import json

    try:
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        m = re.search(r"\\[uU]0{0,4}[dD][89a-fA-F]", text)
        raise UsageError(
            "invalid YAML: a \\u escape names half of a UTF-16 surrogate pair, "
            "which is not a character", file=display,
            line=text.count("\n", 0, m.start()) + 1 if m else None,
            fix="write the character itself",
        ) from None
    except (TypeError, ValueError):  # not JSON-shaped (e.g. non-string keys): nothing to say
        pass
