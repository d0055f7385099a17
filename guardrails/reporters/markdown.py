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
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from guardrails.model import Outcome, Result, Severity
from guardrails.paths import kind_of
from guardrails.plugin import DocumentReporter, Reporter, hookimpl
from guardrails.textsafe import excerpt, printable

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


def append_step_summary(report: Report, environ: Mapping[str, str] | None = None,
                        err: TextIO | None = None) -> Path | None:
    """Append the summary to ``$GITHUB_STEP_SUMMARY`` when set; return that path.

    The path comes from the environment, so it is treated as hostile: a
    symbolic link, a FIFO, a device or a folder is refused (one line on
    stderr says why; the run's verdict does not change). The file is opened
    without following a link (``O_NOFOLLOW``), checked again on the open
    descriptor, and the whole summary is written with ``O_APPEND`` in one
    ``write``: what other steps wrote is never overwritten, and a
    concurrent writer cannot interleave inside it.
    """
    name = (environ if environ is not None else os.environ).get(STEP_SUMMARY_ENV)
    if not name:
        return None
    err = err if err is not None else sys.stderr
    shown = excerpt(name, 200)
    try:
        why = _refusal(name)
        if why is None:
            _append(name, (render(report) + "\n").encode("utf-8"))
            return Path(name)
    except OSError as exc:
        why = f"cannot be appended to: {exc.strerror or type(exc).__name__}"
    # A summary is a courtesy: failing to write it must not change the gate's verdict.
    err.write(f"guardrails: job summary not written: {STEP_SUMMARY_ENV}={shown} {why}\n")
    return None


def _refusal(name: str) -> str | None:
    """Why ``name`` is no file to append to (None when it is a regular file or absent)."""
    try:
        st = os.lstat(name)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link (a regular file is required)"
    if not stat.S_ISREG(st.st_mode):
        return f"is {kind_of(st.st_mode)} (a regular file is required)"
    return None


def _append(name: str, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
    fd = os.open(name, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        # Checked again on what was opened: the path may have changed since lstat.
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "it is not a regular file")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [MarkdownReporter]


@hookimpl
def guardrails_session_finish(report: Report) -> None:
    if report.completed:
        append_step_summary(report)
