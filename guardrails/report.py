"""A whole run as data: the :class:`Report` every reporter reads.

Reports are plain data; reporters render them, and a report round-trips
through JSON (:meth:`Report.to_json` / :meth:`Report.from_json`, version
:data:`REPORT_VERSION`; docs/report.md is the contract).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field, fields
from typing import Any

from guardrails.outcomes import COMPLETED, SUMMARY_ORDER, Severity
from guardrails.records import FACTORY, record
from guardrails.results import Result
from guardrails.summaries import (
    BaselineSummary,
    Header,
    PluginSummary,
    RuleHelp,
    RuleSummary,
    SourceSummary,
    WaiverSummary,
)

#: the version of the report format :meth:`Report.to_json` writes (docs/report.md)
REPORT_VERSION = 3


def _dataclass_json(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, enum.Enum):
            v = v.value
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


def _rule_json(rule: RuleSummary) -> dict[str, Any]:
    out = _dataclass_json(rule)
    out["help"] = rule.help.to_json() if rule.help is not None else None
    return out


@record
class Report:
    """A whole run: everything any reporter shows, and what the JSON report holds.

    Reporters read only this (and the :class:`Result` objects in it), so a
    report read back with :meth:`from_json` renders as the live run did.
    """

    now: str
    focus: str | None
    results: list[Result] = field(default_factory=list)
    duration: float = 0.0
    exit_code: int = 0
    warnings: list[str] = field(default_factory=list)
    header: Header = field(default_factory=Header)
    sources: list[SourceSummary] = field(default_factory=list)
    rules: list[RuleSummary] = field(default_factory=list)
    collected: int = 0
    deselected: int = 0
    #: why evaluation stopped before the last rule (-x, --maxfail), else None
    stopped_early: str | None = None
    waivers: list[WaiverSummary] = field(default_factory=list)
    baseline: BaselineSummary | None = None
    #: seconds per phase: collect, gather, evaluate
    timings: dict[str, float] = field(default_factory=dict)
    #: a merged report's repositories, teams and skipped files (``guardrails merge``)
    org: dict[str, Any] | None = None
    #: earlier values of each rule from the history store, ``{rule id: [[now, value],
    #: ...]}`` oldest first (version 3; only when the project records history)
    history: dict[str, list[list[Any]]] | None = None

    def __init__(self, now: str, focus: str | None, results: list[Result] = FACTORY,
                 duration: float = 0.0, exit_code: int = 0, warnings: list[str] = FACTORY,
                 header: Header = FACTORY, sources: list[SourceSummary] = FACTORY,
                 rules: list[RuleSummary] = FACTORY, collected: int = 0, deselected: int = 0,
                 stopped_early: str | None = None, waivers: list[WaiverSummary] = FACTORY,
                 baseline: BaselineSummary | None = None, timings: dict[str, float] = FACTORY,
                 org: dict[str, Any] | None = None,
                 history: dict[str, list[list[Any]]] | None = None) -> None:
        self.now = now
        self.focus = focus
        self.results = [] if results is FACTORY else results
        self.duration = duration
        self.exit_code = exit_code
        self.warnings = [] if warnings is FACTORY else warnings
        self.header = Header() if header is FACTORY else header
        self.sources = [] if sources is FACTORY else sources
        self.rules = [] if rules is FACTORY else rules
        self.collected = collected
        self.deselected = deselected
        self.stopped_early = stopped_early
        self.waivers = [] if waivers is FACTORY else waivers
        self.baseline = baseline
        self.timings = {} if timings is FACTORY else timings
        self.org = org
        self.history = history

    @property
    def completed(self) -> bool:
        """The run went to its end (not interrupted, no usage or internal error)."""
        return self.exit_code in COMPLETED

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in SUMMARY_ORDER}
        for r in self.results:
            counts[r.outcome.value] += 1
        return counts

    def no_data_count(self) -> int:
        """Rules that had no data to judge (skipped, or failed under --strict)."""
        return sum(1 for r in self.results if r.no_data)

    def to_json(self) -> dict[str, Any]:
        """The JSON report (schema ``guardrails schema report``), version 3."""
        summary: dict[str, Any] = dict(self.counts())
        if self.no_data_count():
            summary["no_data"] = self.no_data_count()
        summary["duration_s"] = round(self.duration, 2)
        summary["exit_code"] = int(self.exit_code)
        header = _dataclass_json(self.header)
        header["plugins"] = [_dataclass_json(p) for p in self.header.plugins]
        baseline = None
        if self.baseline is not None:
            baseline = _dataclass_json(self.baseline)
            baseline["fixed"] = [list(pair) for pair in self.baseline.fixed]
        out: dict[str, Any] = {
            "version": REPORT_VERSION,
            "now": self.now,
            "focus": self.focus,
            "summary": summary,
            "warnings": list(self.warnings),
            "results": [r.to_json() for r in self.results],
            # version 2
            "duration": self.duration,
            "header": header,
            "sources": [_dataclass_json(s) for s in self.sources],
            "collection": {"collected": self.collected, "deselected": self.deselected,
                           "stopped_early": self.stopped_early},
            "rules": [_rule_json(r) for r in self.rules],
            "waivers": [_dataclass_json(w) for w in self.waivers],
            "baseline": baseline,
            "timings": dict(self.timings),
        }
        if self.org is not None:  # version 3: only a merged report has it
            out["org"] = self.org
        if self.history is not None:  # version 3: only where history is recorded
            out["history"] = {k: [list(p) for p in v] for k, v in self.history.items()}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """Read a JSON report of version 1, 2 or 3 (docs/report.md: older versions).

        A version 1 document has no header, sources, rules, waivers,
        baseline or timings: those take their defaults, and the rules are
        derived from the results (the ones a reporter lists).
        """
        version = data.get("version", 1)
        if not isinstance(version, int) or not 1 <= version <= REPORT_VERSION:
            raise ValueError(f"report format version {version!r}; this guardrails reads "
                             f"versions 1 to {REPORT_VERSION}")
        summary = data.get("summary", {})
        results = [Result.from_json(r) for r in data.get("results", [])]
        h = dict(data.get("header") or {})
        plugins = [PluginSummary(**p) for p in h.pop("plugins", [])]
        collection = data.get("collection") or {}
        rules = [RuleSummary(**{**r, "severity": Severity(r.get("severity", "error")),
                                "tags": tuple(r.get("tags", ())),
                                "help": RuleHelp.from_json(r["help"]) if r.get("help") else None})
                 for r in data.get("rules", [])]
        if "rules" not in data:
            rules = [RuleSummary(id=r.id, title=r.title, severity=r.severity, tags=r.tags,
                                 file=r.file, line=r.line) for r in results]
        b = data.get("baseline")
        baseline = None
        if b is not None:
            baseline = BaselineSummary(**{**b, "fixed": [tuple(p) for p in b.get("fixed", [])]})
        return cls(
            now=data["now"],
            focus=data.get("focus"),
            results=results,
            duration=data.get("duration", summary.get("duration_s", 0.0)),
            exit_code=summary.get("exit_code", 0),
            warnings=list(data.get("warnings", [])),
            header=Header(plugins=plugins, **h),
            sources=[SourceSummary(**s) for s in data.get("sources", [])],
            rules=rules,
            collected=collection.get("collected", len(rules)),
            deselected=collection.get("deselected", 0),
            stopped_early=collection.get("stopped_early"),
            waivers=[WaiverSummary(**w) for w in data.get("waivers", [])],
            baseline=baseline,
            timings=dict(data.get("timings", {})),
            org=data.get("org"),
            history=_history_json(data.get("history")),
        )


def _history_json(data: Any) -> dict[str, list[list[Any]]] | None:
    """A report's ``history`` as written: ``{rule id: [[now, value], ...]}``."""
    if data is None:
        return None
    if not isinstance(data, dict) or not all(
            isinstance(points, list) and all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)
                and isinstance(p[1], int | float) and not isinstance(p[1], bool)
                for p in points)
            for points in data.values()):
        raise ValueError("history: expected {rule id: [[ISO time, number], ...]}")
    return {str(k): [list(p) for p in v] for k, v in data.items()}

