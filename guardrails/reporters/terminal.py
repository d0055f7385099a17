"""The terminal report, in pytest's shape.

Header, ``collected N rules``, one progress line per rule file (or one line
per rule with ``-v``), FAILURES blocks with the measured value, threshold and
evidence, a short summary and the final ``== ... in 0.41s ==`` line.
Everything but the timing is deterministic for the same data and ``--now``.
"""

from __future__ import annotations

import os
import sys
from typing import ClassVar

from guardrails.fmt import pad_width
from guardrails.model import Evidence, Outcome, Report, Result, Severity
from guardrails.plugin import Reporter, hookimpl
from guardrails.progress import MAX_COLUMNS
from guardrails.reporters.termtext import (
    clean,
    clean_evidence,
    evidence_label,
    evidence_place,
)
from guardrails.textsafe import inert_line, printable

_COLORS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "cyan": "36"}
LETTERS = {
    Outcome.PASSED: ".", Outcome.FAILED: "F", Outcome.ERROR: "E",
    Outcome.SKIPPED: "s", Outcome.WAIVED: "w",
}
WORDS = {
    Outcome.PASSED: "PASSED", Outcome.FAILED: "FAILED", Outcome.ERROR: "ERROR",
    Outcome.SKIPPED: "SKIPPED", Outcome.WAIVED: "WAIVED",
}
EVIDENCE_SHOWN = 5


def terminal_columns(fallback: int = 80) -> int:
    """``shutil.get_terminal_size((fallback, 24)).columns``, its rules to the letter
    ($COLUMNS, else the terminal of stdout, else ``fallback``), without importing
    shutil: it imports bz2 and lzma, ~1.3 ms of every run's start-up."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    # $COLUMNS=1000000000 drew gigabyte separator lines, 10**20 raised OverflowError
    return min(columns, MAX_COLUMNS) if columns else fallback


def letter(result: Result) -> str:
    if result.outcome is Outcome.FAILED and result.severity is Severity.WARNING:
        return "W"
    return LETTERS[result.outcome]


class TerminalReporter(Reporter):
    name: ClassVar[str] = "terminal"

    def __init__(self, out, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(out, options)
        self.width = max(40, terminal_columns())
        self.total = 0
        self.done = 0
        self.current_file: str | None = None
        self.line_len = 0
        self._last: set[str] = set()
        self._builtin: set[str] = set()
        self._banner_shown = False

    # -- helpers -------------------------------------------------------------
    def paint(self, text: str, *styles: str) -> str:
        if not self.options.color or not styles:
            return text
        codes = ";".join(_COLORS[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def write(self, text: str = "") -> None:
        self.out.write(text)

    def line(self, text: str = "", *styles: str) -> None:
        # A line may start with data (a file's name): never a CI '::' command.
        self.out.write(self.paint(inert_line(text), *styles) + "\n")

    def sep(self, char: str, title: str = "", *styles: str) -> None:
        if title:
            fill = max(self.width - len(title) - 2, 4)
            left = fill // 2
            text = f"{char * left} {title} {char * (fill - left)}"
        else:
            text = char * self.width
        self.line(text, *styles)

    @property
    def quiet(self) -> bool:
        return self.options.verbosity < 0

    @property
    def verbose(self) -> bool:
        return self.options.verbosity > 0

    # -- phases --------------------------------------------------------------
    def start(self, report: Report) -> None:
        self.total = len(report.rules)
        last: dict[str, str] = {}
        for r in report.rules:
            last[r.file] = r.id
        self._last = set(last.values())
        self._builtin = {r.id for r in report.rules if r.builtin}
        if self.quiet:
            return
        h = report.header
        self.banner(report)
        if report.sources:
            parts = []
            for src in report.sources:
                label = src.description
                if src.state == "failed":
                    parts.append(f"{label} (FAILED: {src.error})")
                elif src.counts:
                    counts = ", ".join(_count(n, k) for k, n in src.counts.items())
                    parts.append(f"{label} ({counts})")
                else:
                    parts.append(f"{label} (not needed)")
            self.line(printable("sources: " + ", ".join(parts)))
        others = [p for p in h.plugins if p.dist and p.dist != "execution-guardrails"]
        if others:
            self.line("plugins: " + ", ".join(f"{p.dist}-{p.version}" for p in others))
        for text in h.lines:
            self.line(printable(text))
        for w in report.warnings[:h.warnings_at_start]:
            self.line(f"warning: {printable(w)}", "yellow")
        n = report.collected
        collected = f"collected {n} rule{'s' if n != 1 else ''}"
        if report.deselected:
            collected += f" / {report.deselected} deselected / {len(report.rules)} selected"
        self.line(collected, "bold")
        self.line()

    def banner(self, report: Report) -> None:
        """The top of the header, once: shown before facts are gathered in a live run."""
        if self.quiet or self._banner_shown:
            return
        self._banner_shown = True
        h = report.header
        self.sep("=", "guardrails session starts", "bold")
        self.line(f"guardrails {h.guardrails}, python {h.python}, pluggy {h.pluggy}")
        focus = report.focus or "(none declared)"
        if report.focus and h.focus_reviewed_on:
            focus += f" (reviewed {h.focus_reviewed_on})"
        self.line(printable(f"rootdir: {h.rootdir}, config: {h.config}, focus: {focus}"))
        self.out.flush()  # before the sources' progress appears under it on stderr

    @hookimpl
    def guardrails_gather_start(self, report: Report) -> None:
        self.banner(report)

    def logreport(self, result: Result) -> None:
        result = clean(result, evidence=False)  # the progress line reads no evidence
        self.done += 1
        if self.quiet:
            return
        pct = f"[{int(100 * self.done / self.total) if self.total else 100:3d}%]"
        style = _style(result)
        if self.verbose:
            text = f"{result.id} {WORDS[result.outcome]}"
            if result.outcome is Outcome.FAILED and result.severity is Severity.WARNING:
                text += " (warning)"
            msg = _short(result)
            if msg:
                text += f"  {msg}"
            pad = max(self.width - len(text) - len(pct), 1)
            head, word = f"{result.id} ", text[len(result.id) + 1:]
            self.line(head + self.paint(word, *style) + " " * pad + pct)
            return
        if result.file != self.current_file:
            if self.current_file is not None:
                self.write("\n")
            self.current_file = result.file
            builtin = " (builtin)" if result.id in self._builtin else ""
            prefix = inert_line(f"{printable(result.file)}{builtin} ")
            self.write(prefix)
            self.line_len = len(prefix)
        self.write(self.paint(letter(result), *style))
        self.line_len += 1
        if self.done == self.total or result.id in self._last:
            pad = max(self.width - self.line_len - len(pct), 1)
            self.write(" " * pad + pct + "\n")
            self.current_file = None

    def finish(self, report: Report) -> None:
        if self.current_file is not None:
            self.write("\n")
        # Evidence is cleaned where it is shown (_evidence): five items a rule
        # without -v, of ~25,000 at 100,000 facts.
        results = [clean(r, evidence=False) for r in report.results]
        failures = [r for r in results if r.outcome in (Outcome.FAILED, Outcome.ERROR)]
        if failures and not self.quiet:
            self.line()
            self.sep("=", "FAILURES", "bold")
            for r in failures:
                self._failure_block(r)
        if report.stopped_early and not self.quiet:
            self.sep("!", report.stopped_early, "red")
        # Warnings that arose while rules ran; with -q the header (and its warnings)
        # was not shown, so all of them.
        late = report.warnings if self.quiet else report.warnings[
            report.header.warnings_at_start:]
        if late and self.options.verbosity >= -1:
            # Warnings that arose while rules ran (e.g. baseline failures now fixed).
            self.sep("=", "warnings summary", "yellow")
            for w in late:
                self.line(printable(w))
        summary = [r for r in results if r.outcome is not Outcome.PASSED]
        if summary and self.options.verbosity >= -1:
            self.sep("=", "short rule summary info", "cyan")
            for r in sorted(summary, key=_summary_order):
                self.line(self._summary_line(r))
        note = no_data_note(report)
        if note and self.options.verbosity >= -1:
            self.line(note, "yellow")
        self._final_line(report)

    # -- sections ------------------------------------------------------------
    def _failure_block(self, r: Result) -> None:
        self.sep("_", r.id, "red", "bold")
        if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
            self.line("severity: warning (does not fail the run without --strict)", "yellow")
        self.line(r.message or WORDS[r.outcome])
        for d in r.details:
            self.line(d)
        if r.outcome is Outcome.ERROR and r.longrepr:
            if self.verbose:
                for text in r.longrepr.rstrip().splitlines():
                    self.line(f"  {text}")
            else:
                self.line("  (-v shows the traceback)")
        self._evidence(r.evidence)
        if r.outcome is Outcome.FAILED:
            self.line(f"how to fix: guardrails explain {r.id}")

    def _evidence(self, evidence: list[Evidence]) -> None:
        if not evidence:
            return
        if self.options.group_by == "team":
            groups: dict[str, list[Evidence]] = {}
            for e in map(clean_evidence, evidence):  # grouped by the shown team
                groups.setdefault(e.team or "(no team)", []).append(e)
            for team in sorted(groups, key=lambda t: (t == "(no team)", t)):
                self.line(f"  team {team}:")
                self._evidence_lines(groups[team], indent="    ")
            return
        self._evidence_lines(evidence, indent="  ")

    def _evidence_lines(self, evidence: list[Evidence], indent: str) -> None:
        verbose = self.verbose
        shown = [clean_evidence(e, places=verbose)
                 for e in (evidence if verbose else evidence[:EVIDENCE_SHOWN])]
        labels = [evidence_label(e) for e in shown]
        width = pad_width(labels)  # a subject of a megabyte pads no other line
        for e, label in zip(shown, labels, strict=True):
            text = f"{indent}{label.ljust(width)}  {e.detail}".rstrip()
            if verbose and e.record and e.file:
                text += f"  ({evidence_place(e)})"
            if verbose and e.url:
                text += f"  <{e.url}>"
            self.line(text)
        hidden = len(evidence) - len(shown)
        if hidden > 0:
            self.line(f"{indent}... {hidden} more (-v to show all)")

    def _summary_line(self, r: Result) -> str:
        word = WORDS[r.outcome]
        style = _style(r)
        if r.outcome is Outcome.SKIPPED:
            return f"{self.paint(word, *style)} [1] {r.id} - {r.message}"
        if r.outcome is Outcome.WAIVED and r.waiver:
            who = f" ({r.waiver['subject']})" if r.waiver.get("subject") else ""
            return (f"{self.paint(word, *style)} {r.id} - until {r.waiver['expires']}: "
                    f"\"{r.waiver['reason']}\"{who}")
        suffix = " (warning)" if (r.outcome is Outcome.FAILED
                                  and r.severity is Severity.WARNING) else ""
        return f"{self.paint(word, *style)} {r.id} - {_short(r)}{suffix}"

    def _final_line(self, report: Report) -> None:
        counts = report.counts()
        parts = []
        for key, label in (("failed", "failed"), ("passed", "passed"), ("skipped", "skipped"),
                           ("waived", "waived")):
            if counts[key]:
                parts.append(f"{counts[key]} {label}")
        if report.deselected:
            parts.append(f"{report.deselected} deselected")
        if counts["error"]:
            parts.append(f"{counts['error']} error{'s' if counts['error'] != 1 else ''}")
        text = ", ".join(parts) if parts else "no rules ran"
        # what a saved report holds (6 decimals), so a re-rendering prints the same digits
        text += f" in {round(report.duration, 6):.2f}s"
        if report.exit_code == 1:
            style: tuple[str, ...] = ("red", "bold")
        elif not report.results or counts["failed"]:
            style = ("yellow", "bold")
        else:
            style = ("green", "bold")
        if self.quiet and self.options.verbosity < -1:
            self.line(text, *style)
        else:
            self.sep("=", text, *style)


def no_data_note(report: Report) -> str | None:
    """``16 of 18 rules skipped: no data — configure sources``, or None when all had data.

    A gate that skips most of its rules looks green; this line says so, and
    points at ``--strict``, which makes those rules fail.
    """
    n = report.no_data_count()
    if not n:
        return None
    total = len(report.results)
    rules = f"{n} of {total} rule{'s' if total != 1 else ''}"
    if any(r.no_data and r.outcome is not Outcome.SKIPPED for r in report.results):
        return f"{rules} failed for lack of data (strict) — configure sources"
    return (f"{rules} skipped: no data — configure sources "
            "(--strict makes them fail)")


def _count(n: int, kind: str) -> str:
    """``1 incident``, ``64 deployments``, ``1 ci_run`` (kinds are plural names)."""
    from guardrails.datakinds import BUILTIN

    word = kind if n != 1 else BUILTIN.singular(kind)
    return f"{n:,} {word}"


def _short(r: Result) -> str:
    return (r.message or "").splitlines()[0] if r.message else ""


def _style(r: Result) -> tuple[str, ...]:
    if r.outcome is Outcome.PASSED:
        return ("green",)
    if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
        return ("yellow",)
    if r.outcome in (Outcome.FAILED, Outcome.ERROR):
        return ("red",)
    return ("yellow",)


def _summary_order(r: Result) -> tuple[int, int]:
    order = {Outcome.FAILED: 0, Outcome.ERROR: 1, Outcome.WAIVED: 2, Outcome.SKIPPED: 3}
    return (order.get(r.outcome, 4), 0)


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [TerminalReporter]
