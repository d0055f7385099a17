"""Postmortem section names: canonical (lowercase, single-spaced) and aliases.

Shared by whatever reads postmortems (the files source keeps a postmortem's
sections under these names in ``sections_normalized``) and by the checks that
ask for sections by name (a rule may write ``Root cause`` for
``contributing factors``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

#: Other spellings that mean a section DATA.md names.
ALIASES = {
    "root cause": "contributing factors",
    "root causes": "contributing factors",
}


# Remembered per heading: a postmortem folder repeats a handful of headings
# (70,000 calls for 5,000 postmortems at 100k facts, twice a heading: loading
# and postmortem-complete), and the bound keeps a folder of odd ones small.
@functools.lru_cache(maxsize=4096)
def canonical(heading: str) -> str:
    """Lowercase, single-spaced, aliases resolved: ``Root Causes:`` -> ``contributing factors``."""
    name = " ".join(heading.strip().rstrip(":").split()).lower()
    return ALIASES.get(name, name)


def normalize_sections(sections: Mapping[str, str]) -> dict[str, str]:
    """Sections under canonical names; a non-empty section wins over an empty alias."""
    out: dict[str, str] = {}
    for heading, text in sections.items():
        name = canonical(heading)
        if name not in out or (not out[name] and text):
            out[name] = text
    return out
