"""``--format github``: GitHub Actions workflow commands (annotations).

Every failed or errored rule becomes one ``::error`` line (``::warning`` for
a failure at severity warning) at the rule's file and line, its evidence in
the message; evidence that names a file and line in the repository (the
paragraph a check pointed at, the row of a data record) gets an annotation
there too, so it shows up on that line of a pull request. Paths are
relative to the repository root, as SARIF's.

GitHub shows at most 10 annotations of a step, so they are written at the
end of the run, most important first, in this fixed order:

1. rule annotations at level ``error`` (failed rules of severity error and
   rules that could not be evaluated), in report order;
2. rule annotations at level ``warning`` (failures at severity warning);
3. evidence annotations at level ``error``, then at level ``warning``, in
   report order (a rule's evidence in its own order).

Rules come before evidence so the first ten cover as many rules as
possible (each rule annotation lists its evidence in the message). The
first :data:`SHOWN` are written; one ``::notice`` counts the rest, and a
last ``::notice`` gives the summary line.

Escaping follows GitHub's workflow-command rules: in the message ``%``,
``\\r`` and ``\\n`` are percent-encoded; in properties also ``:`` and ``,``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from guardrails.model import Evidence, Outcome, Result, Severity
from guardrails.plugin import Reporter, hookimpl
from guardrails.reporters.sarif import Locator
from guardrails.textsafe import printable

if TYPE_CHECKING:
    from guardrails.model import Report

#: evidence items listed in one annotation's message
EVIDENCE_IN_MESSAGE = 20
#: annotations written per run: what GitHub shows of one step
SHOWN = 10


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


@dataclass(frozen=True)
class Annotation:
    """One annotation and where it sorts (see the module docstring for the order)."""

    order: tuple[int, int, int, int]
    text: str


def result_annotations(r: Result, locator: Locator, position: int) -> list[Annotation]:
    """The annotations of one result (none when it did not fail); ``position``: its index."""
    if not r.is_failure:
        return []
    level = kind(r)
    rank = 0 if level == "error" else 1
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
    out = [Annotation((0, rank, position, 0),
                      _at(level, "\n".join(lines), r.id, locator.of_result(r)))]
    for i, e in enumerate(r.evidence, 1):
        where = locator.of_evidence(e)
        if where is not None:
            out.append(Annotation((1, rank, position, i),
                                  _at(level, _evidence_text(r, e), r.id, where)))
    return out


def annotation_lines(r: Result, locator: Locator) -> list[str]:
    """The workflow-command lines for one result, in its own order."""
    return [a.text for a in sorted(result_annotations(r, locator, 0), key=lambda a: a.order)]


def _evidence_text(r: Result, e: Evidence) -> str:
    detail = f": {e.detail}" if e.detail else ""
    return f"{e.subject}{detail} ({r.message or r.title})"


def _at(level: str, message: str, title: str, where: tuple[str, int | None] | None) -> str:
    if where is None:
        return command(level, message, title=title)
    file, line = where
    return command(level, message, file=file, line=line, title=title)


class GithubReporter(Reporter):
    """Collects the annotations of failed rules; writes the first ten and two notices."""

    name = "github"

    def __init__(self, out, options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(out, options)
        self.locator = Locator(None)
        self.pending: list[Annotation] = []
        self.position = 0

    def start(self, report: Report) -> None:
        self.locator = Locator(report)

    def logreport(self, result: Result) -> None:
        self.pending += result_annotations(result, self.locator, self.position)
        self.position += 1

    def finish(self, report: Report) -> None:
        ordered = sorted(self.pending, key=lambda a: a.order)
        for a in ordered[:SHOWN]:
            self.out.write(a.text + "\n")
        rest = ordered[SHOWN:]
        if rest:
            errors = sum(1 for a in rest if a.order[1] == 0)
            parts = [f"{n} {word}" for n, word in ((errors, "error"),
                                                    (len(rest) - errors, "warning")) if n]
            self.out.write(command(
                "notice", f"guardrails: {len(rest)} more annotation"
                f"{'s' if len(rest) != 1 else ''} not shown ({', '.join(parts)}; GitHub shows "
                f"{SHOWN} per step): see the job summary or the SARIF/JSON report",
                title="guardrails") + "\n")
        counts = report.counts()
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no rules ran"
        self.out.write(command("notice", f"guardrails: {summary}", title="guardrails") + "\n")
        self.out.flush()


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [GithubReporter]
