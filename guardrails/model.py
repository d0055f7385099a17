"""The data guardrails passes around: rules, outcomes, evidence, results.

Reports are plain data; reporters render them, and a report round-trips
through JSON (``Report.to_json`` / ``Report.from_json``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """One collected rule with its effective parameters.

    ``params`` holds every key of the rule entry that is not one of the common
    keys (id, title, check, severity, tags, focus, ...), after the current
    focus' overrides and the config's overrides were applied. ``defaults``
    keeps them as written, so reports can say "10% (focus stability; default
    15%)".
    """

    pack: str
    id: str
    title: str
    check: str
    params: Mapping[str, Any]
    severity: Severity = Severity.ERROR
    tags: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    builtin: bool = False
    description: str = ""
    explain: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    focus_applied: str | None = None
    focus_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def nodeid(self) -> str:
        return f"{self.pack}::{self.id}"

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclass
class Evidence:
    """One offending subject, written ``<kind>/<id>`` (``team/core-infra``)."""

    subject: str
    detail: str = ""
    url: str | None = None
    team: str | None = None
    file: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject": self.subject, "detail": self.detail, "url": self.url}
        if self.team is not None:
            out["team"] = self.team
        if self.file is not None:
            out["file"] = self.file
            out["line"] = self.line
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            subject=data["subject"],
            detail=data.get("detail", ""),
            url=data.get("url"),
            team=data.get("team"),
            file=data.get("file"),
            line=data.get("line"),
        )


@dataclass
class CheckResult:
    """What a check returns for one rule.

    ``outcome`` is passed, failed or skipped (a check that cannot evaluate
    raises; the runner turns that into ``error``). ``details`` are extra
    lines for the failure block (the window, how many samples...).
    """

    outcome: Outcome
    message: str = ""
    value: float | int | None = None
    unit: str | None = None
    threshold: dict[str, Any] | None = None
    samples: int | None = None
    evidence: list[Evidence] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    #: skipped because the facts it needs are missing (``--strict`` fails it);
    #: None: every skip a check returns is taken to be for lack of data
    no_data: bool | None = None

    @classmethod
    def skipped(cls, reason: str, *, no_data: bool = True) -> CheckResult:
        """Not evaluated; ``no_data=False`` for a rule that does not apply for another reason."""
        return cls(Outcome.SKIPPED, reason, no_data=no_data)


@dataclass
class Result:
    """The report of one rule: its outcome and everything shown about it."""

    id: str
    pack: str
    title: str
    outcome: Outcome
    severity: Severity
    file: str = ""
    line: int = 0
    tags: tuple[str, ...] = ()
    message: str = ""
    value: float | int | None = None
    unit: str | None = None
    threshold: dict[str, Any] | None = None
    samples: int | None = None
    evidence: list[Evidence] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    waiver: dict[str, Any] | None = None
    longrepr: str = ""
    duration: float = 0.0
    #: the check had no data to judge (skipped, or failed under --strict)
    no_data: bool = False

    @property
    def is_failure(self) -> bool:
        return self.outcome in (Outcome.FAILED, Outcome.ERROR)

    def counts_against_exit(self, strict: bool = False) -> bool:
        if self.outcome is Outcome.ERROR:
            return True
        if self.outcome is Outcome.FAILED:
            return strict or self.severity is Severity.ERROR
        return False

    def to_json(self) -> dict[str, Any]:
        out = self._json()
        if self.no_data:
            out["no_data"] = True
        return out

    def _json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome.value,
            "severity": self.severity.value,
            "title": self.title,
            "value": self.value,
            "unit": self.unit,
            "threshold": self.threshold,
            "samples": self.samples,
            "message": self.message,
            "evidence": [e.to_json() for e in self.evidence],
            "waiver": self.waiver,
            "tags": list(self.tags),
            "file": self.file,
            "line": self.line,
            "details": list(self.details),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        pack = data["id"].split("::", 1)[0]
        return cls(
            id=data["id"],
            pack=pack,
            title=data.get("title", ""),
            outcome=Outcome(data["outcome"]),
            severity=Severity(data["severity"]),
            file=data.get("file", ""),
            line=data.get("line", 0),
            tags=tuple(data.get("tags", ())),
            message=data.get("message", ""),
            value=data.get("value"),
            unit=data.get("unit"),
            threshold=data.get("threshold"),
            samples=data.get("samples"),
            evidence=[Evidence.from_json(e) for e in data.get("evidence", [])],
            details=list(data.get("details", [])),
            waiver=data.get("waiver"),
            no_data=bool(data.get("no_data", False)),
        )


SUMMARY_ORDER = (Outcome.FAILED, Outcome.PASSED, Outcome.SKIPPED, Outcome.ERROR, Outcome.WAIVED)


@dataclass
class Report:
    """A whole run: what the JSON report holds."""

    now: str
    focus: str | None
    results: list[Result] = field(default_factory=list)
    duration: float = 0.0
    exit_code: int = 0
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in SUMMARY_ORDER}
        for r in self.results:
            counts[r.outcome.value] += 1
        return counts

    def no_data_count(self) -> int:
        """Rules that had no data to judge (skipped, or failed under --strict)."""
        return sum(1 for r in self.results if r.no_data)

    def to_json(self) -> dict[str, Any]:
        summary: dict[str, Any] = dict(self.counts())
        if self.no_data_count():
            summary["no_data"] = self.no_data_count()
        summary["duration_s"] = round(self.duration, 2)
        summary["exit_code"] = int(self.exit_code)
        return {
            "version": 1,
            "now": self.now,
            "focus": self.focus,
            "summary": summary,
            "warnings": list(self.warnings),
            "results": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        summary = data.get("summary", {})
        return cls(
            now=data["now"],
            focus=data.get("focus"),
            results=[Result.from_json(r) for r in data.get("results", [])],
            duration=summary.get("duration_s", 0.0),
            exit_code=summary.get("exit_code", 0),
            warnings=list(data.get("warnings", [])),
        )
