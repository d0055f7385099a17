"""``--format github``: GitHub Actions workflow commands (annotations).

Every failed or errored rule becomes one ``::error`` line (``::warning`` for
a failure at severity warning) at the rule's file and line, its evidence in
the message; evidence that names its own data file and line gets an
annotation there too, so it shows up on that line of a pull request.
GitHub caps annotations per step (10 of each level), which is why the rule,
not every evidence item, is the unit.

Escaping follows GitHub's workflow-command rules: in the message ``%``,
``\\r`` and ``\\n`` are percent-encoded; in properties also ``:`` and ``,``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from guardrails.model import Evidence, Outcome, Result, Severity
from guardrails.plugin import Reporter, hookimpl
from guardrails.reporters.sarif import Locator
from guardrails.textsafe import printable

if TYPE_CHECKING:
    from guardrails.model import Report

#: evidence items listed in one annotation's message
EVIDENCE_IN_MESSAGE = 20


def escape_data(text: str) -> str:
    """Escape a workflow command's message.

    Line breaks are percent-encoded (GitHub shows them as breaks); any other
    control character or escape sequence from data is shown inert
    (textsafe.printable), so no line of data can become a command of its own
    or colour the log.
    """
    text = "".join(part if part in ("\r", "\n") else printable(part)
                   for part in re.split(r"(\r|\n)", text))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (file=, title=...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """``::name key=value,...::message`` with everything escaped."""
    parts = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "")]
    head = f"::{name} {','.join(parts)}" if parts else f"::{name}"
    return f"{head}::{escape_data(message)}"


def kind(r: Result) -> str:
    if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
        return "warning"
    return "error"


def annotation_lines(r: Result, locator: Locator) -> list[str]:
    """The workflow-command lines for one result (none when it did not fail)."""
    if not r.is_failure:
        return []
    level = kind(r)
    head = r.message or r.title or r.id
    if r.outcome is Outcome.ERROR:
        head = f"ERROR (could not evaluate): {head}"
    lines = [head, *r.details]
    for e in r.evidence[:EVIDENCE_IN_MESSAGE]:
        lines.append(f"- {e.subject}: {e.detail}" if e.detail else f"- {e.subject}")
    if len(r.evidence) > EVIDENCE_IN_MESSAGE:
        lines.append(f"... {len(r.evidence) - EVIDENCE_IN_MESSAGE} more")
    if r.outcome is Outcome.FAILED:
        lines.append(f"how to fix: guardrails explain {r.id}")
    out = [_at(level, "\n".join(lines), r.id, locator.of_result(r))]
    for e in r.evidence:
        where = locator.of_evidence(e)
        if where is not None:
            out.append(_at(level, _evidence_text(r, e), r.id, where))
    return out


def _evidence_text(r: Result, e: Evidence) -> str:
    detail = f": {e.detail}" if e.detail else ""
    return f"{e.subject}{detail} ({r.message or r.title})"


def _at(level: str, message: str, title: str, where: tuple[str, int | None] | None) -> str:
    if where is None:
        return command(level, message, title=title)
    file, line = where
    return command(level, message, file=file, line=line, title=title)


class GithubReporter(Reporter):
    """Streams one annotation per failed rule, then a notice with the summary."""

    name = "github"

    def __init__(self, out, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(out, options)
        self.locator = Locator(None)

    def start(self, report: Report) -> None:
        self.locator = Locator(report)

    def logreport(self, result: Result) -> None:
        for text in annotation_lines(result, self.locator):
            self.out.write(text + "\n")
        self.out.flush()

    def finish(self, report: Report) -> None:
        counts = report.counts()
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no rules ran"
        self.out.write(command("notice", f"guardrails: {summary}", title="guardrails") + "\n")
        self.out.flush()


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [GithubReporter]
