"""The org sections of a merged report: by repository and by team.

Every reporter renders a merged report as it renders any report (its
``results`` are the org-wide ones); these sections add what only a merged
report has (``report.org``): one row per repository with its outcome
counts and its metric values, and one row per team named in evidence.
``guardrails merge`` prints them before the terminal report (whose last
line stays the summary) and after the Markdown one (the job summary).
Text from the reports is untrusted: Markdown cells are escaped, terminal
text has its control characters made visible.
"""

from __future__ import annotations

from typing import Any

from guardrails import fmt
from guardrails.textsafe import inert_line, printable

#: rows per table; the rest are counted
MAX_ROWS = 500
COUNTS = ("failed", "error", "passed", "skipped", "waived")


def _cell(text: object) -> str:
    s = printable(str(text)).replace("|", "\\|").replace("\n", " ")
    for ch in "<>[]`*_":
        s = s.replace(ch, "\\" + ch)
    return s


def _metric_columns(org: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for repo in org.get("repositories", []):
        for r in repo.get("results", []):
            if r.get("unit") not in (None, "count"):
                seen.setdefault(r["id"])
    return list(seen)


def _values(repo: dict[str, Any], columns: list[str]) -> list[str]:
    by = {r["id"]: r for r in repo.get("results", [])}
    out = []
    for c in columns:
        r = by.get(c)
        out.append("" if r is None or r.get("value") is None
                   else fmt.value(r["value"], r.get("unit")) + ("" if r["outcome"] != "failed"
                                                                 else " ✗"))
    return out


def markdown(org: dict[str, Any]) -> str:
    """``## Repositories`` and ``## Teams`` tables for a merged report's ``org``."""
    repos = org.get("repositories", [])
    columns = _metric_columns(org)
    lines = ["", "## Repositories", "",
             "| repository | " + " | ".join(COUNTS) + "".join(
                 f" | {_cell(c.split('::', 1)[-1])}" for c in columns) + " |",
             "|---" * (1 + len(COUNTS) + len(columns)) + "|"]
    for repo in repos[:MAX_ROWS]:
        summary = repo.get("summary", {})
        cells = [_cell(repo["name"]), *(str(summary.get(k, 0)) for k in COUNTS),
                 *(_cell(v) for v in _values(repo, columns))]
        lines.append("| " + " | ".join(cells) + " |")
    if len(repos) > MAX_ROWS:
        lines.append(f"\n{len(repos) - MAX_ROWS} more repositories in the JSON report.")
    teams = org.get("teams", [])
    if teams:
        lines += ["", "## Teams", "", "| team | evidence | rules | repositories |",
                  "|---|---|---|---|"]
        for t in teams[:MAX_ROWS]:
            lines.append(f"| {_cell(t['team'])} | {t['evidence']} | "
                         f"{_cell(', '.join(t['rules']))} | "
                         f"{_cell(fmt.ids(t['repositories']))} |")
    skipped = org.get("skipped", [])
    if skipped:
        lines += ["", "## Skipped files", ""]
        lines += [f"- {_cell(s['file'])}: {_cell(s['reason'])}" for s in skipped[:MAX_ROWS]]
    return "\n".join(lines) + "\n"


def terminal(org: dict[str, Any]) -> str:
    """The same tables as plain aligned text."""
    repos = org.get("repositories", [])
    columns = _metric_columns(org)
    head = ["repository", *COUNTS, *(c.split("::", 1)[-1] for c in columns)]
    rows = [head]
    for repo in repos[:MAX_ROWS]:
        summary = repo.get("summary", {})
        rows.append([printable(repo["name"]), *(str(summary.get(k, 0)) for k in COUNTS),
                     *(printable(v) for v in _values(repo, columns))])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    out = [f"{len(repos)} repositories merged"]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]
    if len(repos) > MAX_ROWS:
        out.append(f"... {len(repos) - MAX_ROWS} more repositories in the JSON report")
    for t in org.get("teams", [])[:MAX_ROWS]:
        if t is org["teams"][0]:
            out.append("")
            out.append("teams named in evidence:")
        out.append(f"  {printable(t['team'])}: {fmt.plural(t['evidence'], 'item')} in "
                   f"{printable(', '.join(t['rules']))} ({printable(fmt.ids(t['repositories']))})")
    # a line starting with a report's or a team's name ("::error ...") is no CI command
    return "\n".join(inert_line(line) for line in out) + "\n\n"
