"""``--format markdown``: a summary for pull-request comments and CI summaries.

A heading with the outcome counts, a table with one row per rule, then a
section per failed or errored rule with its evidence. When the environment
names a GitHub step-summary file (``$GITHUB_STEP_SUMMARY``), the same text is
appended to it after every ``check`` run, whatever the formats asked for, so
a workflow gets a readable summary without extra flags.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from guardrails.model import Outcome, Result, Severity
from guardrails.plugin import DocumentReporter, Reporter, hookimpl
from guardrails.textsafe import printable

if TYPE_CHECKING:
    from guardrails.model import Report

LOG = logging.getLogger(__name__)

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
ICONS = {
    Outcome.PASSED: "✅", Outcome.FAILED: "❌", Outcome.ERROR: "💥",
    Outcome.SKIPPED: "⏭️", Outcome.WAIVED: "🏳️",
}
#: evidence rows listed per failure before "... N more"
EVIDENCE_SHOWN = 50


def cell(text: object) -> str:
    """Text safe inside a table cell (plain or in a code span): one line, pipes escaped.

    No raw HTML can open: ``<`` and ``>`` become entities outside code spans
    (see :func:`code`); control characters are shown, not obeyed.
    """
    return (printable(text).replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;"))


def code(text: object) -> str:
    """``text`` as a code span in a table cell or list item; a backtick cannot close it."""
    s = printable(text).replace("|", "\\|")
    if "`" in s:
        return inline(s)
    return f"`{s}`"


def inline(text: str) -> str:
    """Text safe in a list item: no HTML or link syntax from data leaks into the page."""
    text = printable(text)
    for ch in "\\`*_[]<>|&!#":
        text = text.replace(ch, "\\" + ch)
    return text


def link_target(url: str) -> str | None:
    """A URL usable inside ``(<...>)``, or None when it could break out of it."""
    if not url.startswith(("https://", "http://")) or printable(url) != url:
        return None
    if any(ch in url for ch in "<> \t"):
        return None
    return url


def word(r: Result) -> str:
    if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
        return "failed (warning)"
    return r.outcome.value


def render(report: Report) -> str:
    """The Markdown summary of a report, ending in a newline."""
    counts = report.counts()
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no rules ran"
    verdict = "❌ gate fails" if report.exit_code == 1 else (
        "✅ gate passes" if report.exit_code == 0 else f"exit code {report.exit_code}")
    out = [f"## guardrails: {summary}", ""]
    focus = f", focus {inline(report.focus)}" if report.focus else ""
    out.append(f"{verdict} (exit code {report.exit_code}); evaluated as of "
               f"{inline(report.now)}{focus}")
    missing = report.no_data_count()
    if missing:
        out += ["", f"⚠️ {missing} of {len(report.results)} rules had no data to judge; "
                "configure the sources that provide it (`--strict` makes them fail)."]
    out += ["", "| Outcome | Rules |", "| --- | ---: |"]
    for key, n in counts.items():
        out.append(f"| {ICONS[Outcome(key)]} {key} | {n} |")
    if report.results:
        out += ["", "| Rule | Outcome | Message |", "| --- | --- | --- |"]
        for r in report.results:
            msg = (r.message or "").splitlines()[0] if r.message else ""
            out.append(f"| {code(r.id)} | {ICONS[r.outcome]} {word(r)} | {cell(msg)} |")
    failures = [r for r in report.results if r.is_failure]
    if failures:
        out += ["", "### Failures"]
    for r in failures:
        out += ["", f"#### {ICONS[r.outcome]} {code(r.id)}: {inline(r.title or r.id)}", ""]
        if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
            out += ["_severity warning: does not fail the run without `--strict`_", ""]
        out.append(inline(r.message or r.outcome.value))
        for d in r.details:
            out += ["", inline(d)]
        if r.evidence:
            out.append("")
            for e in r.evidence[:EVIDENCE_SHOWN]:
                label = code(e.subject)
                target = link_target(e.url) if e.url else None
                if target:
                    label = f"[{label}](<{target}>)"
                team = f" (team {inline(e.team)})" if e.team else ""
                detail = f": {inline(e.detail)}" if e.detail else ""
                out.append(f"- {label}{team}{detail}")
            if len(r.evidence) > EVIDENCE_SHOWN:
                out.append(f"- ... {len(r.evidence) - EVIDENCE_SHOWN} more")
        if r.outcome is Outcome.FAILED:
            out += ["", f"How to fix: {code('guardrails explain ' + r.id)}"]
    if report.warnings:
        out += ["", "### Notes", ""]
        out += [f"- {inline(w)}" for w in report.warnings]
    return "\n".join(out) + "\n"


class MarkdownReporter(DocumentReporter):
    """Writes the Markdown summary once the run is over."""

    name = "markdown"

    def render(self, report: Report) -> str:
        return render(report)


def append_step_summary(report: Report, environ: dict[str, str] | None = None) -> Path | None:
    """Append the summary to ``$GITHUB_STEP_SUMMARY`` when set; return that path."""
    name = (environ if environ is not None else os.environ).get(STEP_SUMMARY_ENV)
    if not name:
        return None
    path = Path(name)
    try:
        with path.open("a", encoding="utf-8", newline="\n") as fh:
            fh.write(render(report) + "\n")
    except OSError as exc:
        # A summary is a courtesy: failing to write it must not change the gate's verdict.
        LOG.warning("cannot append to %s=%s: %s", STEP_SUMMARY_ENV, name, exc.strerror)
        return None
    return path


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [MarkdownReporter]


@hookimpl
def guardrails_session_finish(report: Report) -> None:
    if report.completed:
        append_step_summary(report)
