"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other viewers.

One run whose ``tool.driver`` lists every collected rule, and one SARIF
result per evidence item of every failed or errored rule (one per rule when
it has no evidence). A result points at the data file and line its evidence
names, or else at the rule's own file and line. ``partialFingerprints`` hash
the rule id and the evidence subject, so code scanning keeps tracking the
same alert while the message text (counts, dates) changes between runs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails import __version__
from guardrails.model import Evidence, Outcome, Result, RuleSummary, Severity
from guardrails.plugin import DocumentReporter, Reporter, hookimpl

if TYPE_CHECKING:
    from guardrails.model import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/execution-guardrails/"
#: name of our fingerprint in ``partialFingerprints``; bump the suffix if its recipe changes
FINGERPRINT_KEY = "guardrailsSubject/v1"


class Locator:
    """Turns the file names in results into paths relative to the working folder.

    Code scanning resolves relative URIs against the repository root, which
    is where CI runs ``guardrails check``. Rule files are shown relative to
    the config's folder, evidence files as their check wrote them, so both
    are tried; builtin packs live inside the installed package, so their
    rules point at the config file that lists them instead. Everything it
    knows comes from the report (its header and rules).
    """

    def __init__(self, report: Report | None) -> None:
        self.cwd = Path.cwd().resolve()
        header = report.header if report is not None else None
        self.root = Path(header.rootdir) if header and header.rootdir else self.cwd
        self.config_path = Path(header.config_path) if header and header.config_path else None
        self.config_line = header.config_rules_line if header else None
        self.builtin = {r.id for r in report.rules if r.builtin} if report else set()

    def path(self, name: str) -> str | None:
        p = Path(name)
        candidates = [p] if p.is_absolute() else [self.cwd / p, self.root / p]
        for c in candidates:
            if c.is_file():
                return self.relative(c)
        return None

    def relative(self, p: Path) -> str:
        try:
            return p.resolve().relative_to(self.cwd).as_posix()
        except ValueError:
            return p.resolve().as_uri()

    def of_evidence(self, e: Evidence) -> tuple[str, int | None] | None:
        if e.file:
            found = self.path(e.file)
            if found is not None:
                return found, e.line
        return None

    def of_result(self, r: Result) -> tuple[str, int | None] | None:
        if r.id in self.builtin or not r.file:
            if self.config_path is not None:
                return self.relative(self.config_path), self.config_line
            return None
        found = self.path(r.file)
        if found is not None:
            return found, r.line or None
        return None

    def locate(self, r: Result, e: Evidence | None) -> tuple[str, int | None] | None:
        """Where an alert points: the evidence's file and line, else the rule's."""
        return (self.of_evidence(e) if e is not None else None) or self.of_result(r)


def fingerprint(rule_id: str, subject: str | None) -> str:
    """Stable across runs as long as the rule and the offending subject are the same."""
    return hashlib.sha256(f"{rule_id}\0{subject or ''}".encode()).hexdigest()


def level(r: Result) -> str:
    if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
        return "warning"
    return "error"


def alert_text(r: Result, e: Evidence | None) -> str:
    """One alert's message: the evidence first, then what the rule measured."""
    head = r.message or ("could not be evaluated" if r.outcome is Outcome.ERROR else r.title)
    if r.outcome is Outcome.ERROR:
        head = f"ERROR: {head}"
    if e is None:
        return f"{r.id}: {head}"
    detail = f" {e.detail}" if e.detail else ""
    return f"{e.subject}{detail} ({r.id}: {head})"


def rule_descriptor(rule: RuleSummary) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.id.split("::", 1)[-1],
        "shortDescription": {"text": rule.title or rule.id},
        "defaultConfiguration": {
            "level": "warning" if rule.severity is Severity.WARNING else "error",
        },
        "properties": {"tags": list(dict.fromkeys(rule.tags)), "pack": rule.pack},
    }


def build(report: Report) -> dict[str, Any]:
    """The SARIF log of a report as a JSON-ready dict."""
    locator = Locator(report)
    descriptors = [rule_descriptor(rule) for rule in report.rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results: list[dict[str, Any]] = []
    for r in report.results:
        if not r.is_failure:
            continue
        alerts: list[Evidence | None] = list(r.evidence) if r.evidence else [None]
        for e in alerts:
            item: dict[str, Any] = {
                "ruleId": r.id,
                "level": level(r),
                "message": {"text": alert_text(r, e)},
                "partialFingerprints": {
                    FINGERPRINT_KEY: fingerprint(r.id, e.subject if e else None),
                },
                "properties": {"outcome": r.outcome.value},
            }
            if r.id in index:
                item["ruleIndex"] = index[r.id]
            where = locator.locate(r, e)
            if where is not None:
                uri, line = where
                physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
                if line:
                    physical["region"] = {"startLine": int(line)}
                item["locations"] = [{"physicalLocation": physical}]
            if e is not None:
                item["properties"]["subject"] = e.subject
                if e.team:
                    item["properties"]["team"] = e.team
                if e.url:
                    item["properties"]["url"] = e.url
            results.append(item)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "guardrails",
            "version": __version__,
            "informationUri": INFORMATION_URI,
            "rules": descriptors,
        }},
        "invocations": [{
            "executionSuccessful": report.exit_code in (0, 1),
            "exitCode": int(report.exit_code),
        }],
        "results": results,
    }
    if report.now:
        run["properties"] = {"now": report.now, "focus": report.focus}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(build(report), indent=2, ensure_ascii=False) + "\n"


class SarifReporter(DocumentReporter):
    """Writes the SARIF log once the run is over (usually to a file for upload)."""

    name = "sarif"

    def render(self, report: Report) -> str:
        return render(report)


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [SarifReporter]
