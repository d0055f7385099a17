"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other viewers.

One run whose ``tool.driver`` lists every selected rule with what
``guardrails explain`` says about it (``fullDescription``, ``help`` as text
and Markdown) and a ``helpUri``. For every failed or errored rule:

- one SARIF result per evidence item that has a place in the repository:
  the file and line the check pointed at, or the row of the data file the
  subject's record was read from (``org/deployments.csv`` line 26);
- one result at the rule's definition (its rule file and line; for a
  builtin rule, the config's ``rules:`` line) for everything else: the
  evidence with no file (a team or an incident from an API) listed in its
  message, or the rule's own message when it has no evidence. Once per
  rule, so code scanning does not stack many alerts on one line.

The run's warnings (a dangling reference, a misspelt column, a waiver that
waived nothing) are ``toolExecutionNotifications`` of the one invocation,
level ``warning``, with a location when the warning starts with a file of
the repository and a line: they are about the run's inputs, not findings
of a rule, so they are not results (code scanning would open alerts).

URIs are relative to the repository root (``header.repository_root``: the
git toplevel of the config's folder) with ``uriBaseId`` ``%SRCROOT%``,
which ``originalUriBaseIds`` maps to that folder. Everything comes from the
report, nothing from the file system or the working folder, so a saved
report renders the same log anywhere. ``partialFingerprints`` hash the rule
id and the evidence subject (no subject for the rule-level result), so code
scanning keeps tracking the same alert while the message text (counts,
dates) changes between runs.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from guardrails import __version__, rulehelp
from guardrails.model import Evidence, Outcome, Result, RuleSummary, Severity
from guardrails.plugin import DocumentReporter, Reporter, hookimpl
from guardrails.textsafe import inert_json

if TYPE_CHECKING:
    from guardrails.model import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/execution-guardrails/"
#: every rule's ``helpUri``: the project page, stable across versions and hosts; the
#: rule's own explanation travels in ``help`` (docs/ci.md)
HELP_URI = INFORMATION_URI
#: name of our fingerprint in ``partialFingerprints``; bump the suffix if its recipe changes
FINGERPRINT_KEY = "guardrailsSubject/v1"
#: the base every artifact URI is relative to
SRCROOT = "%SRCROOT%"
#: subjects listed in the message of a rule-level result (all are in its properties)
SUBJECTS_IN_MESSAGE = 20

Where = tuple[str, int | None]


class Locator:
    """Turns file names in a report into paths relative to the repository root.

    Rule and evidence files are written relative to the config's folder
    (``header.rootdir``), or absolute when outside it; the repository root
    is ``header.repository_root`` (``rootdir`` in a version 2 report). A file
    outside the repository root has no place (None). Builtin packs live
    inside the installed package, so their rules point at the line of the
    config that lists them. Pure: reads only the report.
    """

    def __init__(self, report: Report | None) -> None:
        header = report.header if report is not None else None
        rootdir = header.rootdir if header else ""
        repo = (header.repository_root or rootdir) if header else ""
        self.rootdir = PurePosixPath(rootdir) if rootdir else None
        self.repo = PurePosixPath(repo) if repo else None
        self.config_path = header.config_path if header else None
        self.config_line = header.config_rules_line if header else None
        self.builtin = {r.id for r in report.rules if r.builtin} if report else set()

    def path(self, name: str) -> str | None:
        """``name`` relative to the repository root (POSIX), or None when outside it."""
        if not name:
            return None
        p = PurePosixPath(name)
        if not p.is_absolute():
            if self.rootdir is None:  # a version 1 report: names as the run showed them
                rel = posixpath.normpath(name)
                return None if rel == ".." or rel.startswith("../") or rel == "." else rel
            p = self.rootdir / p
        if self.repo is None:
            return None
        full = PurePosixPath(posixpath.normpath(str(p)))
        if full == self.repo or not full.is_relative_to(self.repo):
            return None
        return full.relative_to(self.repo).as_posix()

    def of_evidence(self, e: Evidence) -> Where | None:
        """Where evidence is: the file and line it names, if inside the repository."""
        if e.file:
            found = self.path(e.file)
            if found is not None:
                return found, e.line
        return None

    def of_result(self, r: Result) -> Where | None:
        """Where a rule is defined: its rule file and line, or the config for a builtin."""
        if r.id in self.builtin or not r.file:
            found = self.path(self.config_path) if self.config_path else None
            return (found, self.config_line) if found is not None else None
        found = self.path(r.file)
        return (found, r.line or None) if found is not None else None

    def root_uri(self) -> str | None:
        """``file:///...//`` of the repository root, for ``originalUriBaseIds``."""
        if self.repo is None or not self.repo.is_absolute():
            return None
        return self.repo.as_uri().rstrip("/") + "/"


def fingerprint(rule_id: str, subject: str | None) -> str:
    """Stable across runs as long as the rule and the offending subject are the same."""
    return hashlib.sha256(f"{rule_id}\0{subject or ''}".encode()).hexdigest()


def level(r: Result) -> str:
    if r.outcome is Outcome.FAILED and r.severity is Severity.WARNING:
        return "warning"
    return "error"


def _head(r: Result) -> str:
    head = r.message or ("could not be evaluated" if r.outcome is Outcome.ERROR else r.title)
    return f"ERROR: {head}" if r.outcome is Outcome.ERROR else head


def alert_text(r: Result, e: Evidence | None) -> str:
    """One alert's message: the evidence first, then what the rule measured."""
    if e is None:
        return f"{r.id}: {_head(r)}"
    detail = f" {e.detail}" if e.detail else ""
    return f"{e.subject}{detail} ({r.id}: {_head(r)})"


def rule_alert_text(r: Result, loose: list[Evidence]) -> str:
    """The rule-level alert: what the rule measured, then the evidence without a place."""
    lines = [alert_text(r, None)]
    for e in loose[:SUBJECTS_IN_MESSAGE]:
        lines.append(f"- {e.subject}: {e.detail}" if e.detail else f"- {e.subject}")
    if len(loose) > SUBJECTS_IN_MESSAGE:
        lines.append(f"- ... {len(loose) - SUBJECTS_IN_MESSAGE} more (in properties.subjects)")
    return "\n".join(lines)


def rule_descriptor(rule: RuleSummary) -> dict[str, Any]:
    """``tool.driver.rules[]`` entry: id, descriptions and help from ``explain``."""
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule.id.split("::", 1)[-1],
        "shortDescription": {"text": rule.title or rule.id},
    }
    if rule.help is not None:
        out["fullDescription"] = {"text": rulehelp.summary(rule.help) or rule.title or rule.id}
        out["help"] = {"text": rulehelp.text(rule.help),
                       "markdown": rulehelp.markdown(rule.help)}
    out["helpUri"] = HELP_URI
    out["defaultConfiguration"] = {
        "level": "warning" if rule.severity is Severity.WARNING else "error",
    }
    out["properties"] = {"tags": list(dict.fromkeys(rule.tags)), "pack": rule.pack}
    return out


def _location(where: Where) -> dict[str, Any]:
    uri, line = where
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(uri, safe="/"), "uriBaseId": SRCROOT}}
    if line:
        physical["region"] = {"startLine": int(line)}
    return {"physicalLocation": physical}


def _result(r: Result, text: str, subject: str | None, where: Where | None,
            index: dict[str, int]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ruleId": r.id,
        "level": level(r),
        "message": {"text": text},
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(r.id, subject)},
        "properties": {"outcome": r.outcome.value},
    }
    if r.id in index:
        item["ruleIndex"] = index[r.id]
    if where is not None:
        item["locations"] = [_location(where)]
    return item


def results_of(r: Result, locator: Locator, index: dict[str, int]) -> list[dict[str, Any]]:
    """The SARIF results of one failed or errored rule (see the module docstring)."""
    out: list[dict[str, Any]] = []
    loose: list[Evidence] = []
    for e in r.evidence:
        where = locator.of_evidence(e)
        if where is None:
            loose.append(e)
            continue
        item = _result(r, alert_text(r, e), e.subject, where, index)
        item["properties"]["subject"] = e.subject
        if e.team:
            item["properties"]["team"] = e.team
        if e.url:
            item["properties"]["url"] = e.url
        out.append(item)
    if loose or not r.evidence:
        item = _result(r, rule_alert_text(r, loose), None, locator.of_result(r), index)
        if loose:
            item["properties"]["subjects"] = [e.subject for e in loose]
        out.append(item)
    return out


#: the place a warning starts with (``org/incidents.yaml:10: incident ...``)
_WARNING_AT = re.compile(r"([^\s:][^:\n]*):([0-9]{1,9}): ")


def notifications(warnings: list[str], locator: Locator) -> list[dict[str, Any]]:
    """The run's warnings as SARIF notifications (``invocations[0]``), in report order:
    what the terminal report lists in its header and warnings summary. A warning that
    starts with a file inside the repository and a line points there."""
    out = []
    for text in warnings:
        item: dict[str, Any] = {"level": "warning", "message": {"text": text}}
        m = _WARNING_AT.match(text)
        found = locator.path(m.group(1)) if m else None
        if m and found is not None:
            item["locations"] = [_location((found, int(m.group(2))))]
        out.append(item)
    return out


def build(report: Report) -> dict[str, Any]:
    """The SARIF log of a report as a JSON-ready dict."""
    locator = Locator(report)
    descriptors = [rule_descriptor(rule) for rule in report.rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results: list[dict[str, Any]] = []
    for r in report.results:
        if r.is_failure:
            results.extend(results_of(r, locator, index))
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "guardrails",
            "version": __version__,
            "informationUri": INFORMATION_URI,
            "rules": descriptors,
        }},
    }
    root = locator.root_uri()
    if root is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root}}
    invocation: dict[str, Any] = {
        "executionSuccessful": report.exit_code in (0, 1),
        "exitCode": int(report.exit_code),
    }
    if report.warnings:
        invocation["toolExecutionNotifications"] = notifications(report.warnings, locator)
    run["invocations"] = [invocation]
    run["results"] = results
    if report.now:
        run["properties"] = {"now": report.now, "focus": report.focus}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return inert_json(json.dumps(build(report), indent=2, ensure_ascii=False)) + "\n"


class SarifReporter(DocumentReporter):
    """Writes the SARIF log once the run is over (usually to a file for upload)."""

    name = "sarif"

    def render(self, report: Report) -> str:
        return render(report)


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [SarifReporter]
