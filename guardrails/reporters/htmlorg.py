"""The org section of the HTML report: a merged report's repositories and teams.

``guardrails merge`` writes ``report.org`` (guardrails/merge.py): one entry per
repository with its outcome counts and its own metric values, and the teams
named in evidence. The HTML report shows them as sortable tables, as
:mod:`guardrails.orgrender` does for Markdown and the terminal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from guardrails import fmt


def number(value: Any) -> str:
    """A number as the JSON report writes it (for ``<data value>``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return json.dumps(value)


#: rows of a merged report's repository and team tables (the JSON report has all)
ORG_ROWS = 500
_COUNTS = ("failed", "error", "passed", "skipped", "waived")


def org_view(org: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A merged report's repositories (counts, metric values) and teams, for tables.

    ``org`` comes from other repositories' reports: every field is checked for
    its type before use, as :mod:`guardrails.orgrender` does for Markdown.
    """
    if not isinstance(org, Mapping):
        return None
    repos = [r for r in org.get("repositories") or () if isinstance(r, Mapping)]
    columns: dict[str, None] = {}
    for repo in repos:
        for r in repo.get("results") or ():
            if isinstance(r, Mapping) and r.get("unit") not in (None, "count"):
                columns.setdefault(str(r.get("id")))
    rows = []
    for repo in repos[:ORG_ROWS]:
        summary = repo.get("summary")
        if not isinstance(summary, Mapping):
            summary = {}
        by = {str(r.get("id")): r for r in repo.get("results") or () if isinstance(r, Mapping)}
        cells = []
        for c in columns:
            r = by.get(c, {})
            v = r.get("value")
            cells.append({"value": number(v), "text": fmt.value(v, r.get("unit"))
                          if number(v) else "", "outcome": str(r.get("outcome", ""))})
        rows.append({"name": str(repo.get("name", "")),
                     "counts": [number(summary.get(k, 0)) for k in _COUNTS],
                     "cells": cells})
    teams = [{"team": str(t.get("team", "")), "evidence": number(t.get("evidence")),
              "rules": ", ".join(map(str, t.get("rules") or ())),
              "repositories": fmt.ids([str(x) for x in t.get("repositories") or ()])}
             for t in (org.get("teams") or ())[:ORG_ROWS] if isinstance(t, Mapping)]
    skipped = [{"file": str(x.get("file", "")), "reason": str(x.get("reason", ""))}
               for x in (org.get("skipped") or ())[:ORG_ROWS] if isinstance(x, Mapping)]
    return {"columns": [c.split("::", 1)[-1] for c in columns], "counts": _COUNTS,
            "repositories": rows, "more": max(len(repos) - ORG_ROWS, 0), "teams": teams,
            "skipped": skipped}
