"""The data guardrails passes around: rules, outcomes, evidence, results.

Reports are plain data; reporters render them, and a report round-trips
through JSON (``Report.to_json`` / ``Report.from_json``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field, fields
from typing import Any

from guardrails.records import FACTORY, record


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@record(frozen=True)
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

    def __init__(self, pack: str, id: str, title: str, check: str, params: Mapping[str, Any],
                 severity: Severity = Severity.ERROR, tags: tuple[str, ...] = (), file: str = "",
                 line: int = 0, builtin: bool = False, description: str = "",
                 explain: Mapping[str, str] = FACTORY, defaults: Mapping[str, Any] = FACTORY,
                 focus_applied: str | None = None,
                 focus_overrides: Mapping[str, Mapping[str, Any]] = FACTORY) -> None:
        _set = object.__setattr__
        _set(self, "pack", pack)
        _set(self, "id", id)
        _set(self, "title", title)
        _set(self, "check", check)
        _set(self, "params", params)
        _set(self, "severity", severity)
        _set(self, "tags", tags)
        _set(self, "file", file)
        _set(self, "line", line)
        _set(self, "builtin", builtin)
        _set(self, "description", description)
        _set(self, "explain", {} if explain is FACTORY else explain)
        _set(self, "defaults", {} if defaults is FACTORY else defaults)
        _set(self, "focus_applied", focus_applied)
        _set(self, "focus_overrides", {} if focus_overrides is FACTORY else focus_overrides)

    @property
    def nodeid(self) -> str:
        return f"{self.pack}::{self.id}"

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@record
class Evidence:
    """One offending subject, written ``<kind>/<id>`` (``team/core-infra``).

    ``file``/``line`` say where the evidence is: either a place the check
    itself read and pointed at (a postmortem's paragraph, a CODEOWNERS line,
    the config), or, with ``record`` true, the row of the data file the
    subject's fact was loaded from, filled in after the check by the source
    that read it (``org/deployments.csv:26``). Reporters label the first kind
    by its place and the second by its subject (docs/report.md).
    """

    subject: str
    detail: str = ""
    url: str | None = None
    team: str | None = None
    file: str | None = None
    line: int | None = None
    #: file/line locate the subject's record in a data file (not a place the check chose)
    record: bool = False

    def __init__(self, subject: str, detail: str = "", url: str | None = None,
                 team: str | None = None, file: str | None = None, line: int | None = None,
                 record: bool = False) -> None:
        self.subject = subject
        self.detail = detail
        self.url = url
        self.team = team
        self.file = file
        self.line = line
        self.record = record

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject": self.subject, "detail": self.detail, "url": self.url}
        if self.team is not None:
            out["team"] = self.team
        if self.file is not None:
            out["file"] = self.file
            out["line"] = self.line
            if self.record:
                out["record"] = True
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
            record=bool(data.get("record", False)),
        )


@record
class Measure:
    """One subject's own figure behind a rule that judges subjects one by one.

    ``teams::two-pizza-teams`` counts the teams outside the bounds as its
    value; its measures are every team's size (``team/web``, 6), so a report
    can chart all of them, not only the offenders (version 3). Every ``each``
    rule with a ``value:`` gives them, and ``teams::bus-factor``.
    """

    subject: str
    value: float | int
    team: str | None = None

    def __init__(self, subject: str, value: float | int, team: str | None = None) -> None:
        self.subject = subject
        self.value = value
        self.team = team

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject": self.subject, "value": self.value}
        if self.team is not None:
            out["team"] = self.team
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Measure:
        subject, value, team = data["subject"], data["value"], data.get("team")
        # Charts compute with these: a saved report that says otherwise is refused.
        if (not isinstance(subject, str) or isinstance(value, bool)
                or not isinstance(value, int | float) or not isinstance(team, str | None)):
            raise ValueError(f"measure {subject!r}: subject and team must be text, "
                             "value a number")
        return cls(subject=subject, value=value, team=team)


@record
class Series:
    """The samples behind a metric's value, compact enough to ship in a report.

    One sample per fact the value was computed from: ``t`` is its time in
    whole seconds after the window's ``start`` (ascending), ``v`` its value
    (seconds, lines, or 1/0 for "failed"/"approved" and the like). ``agg``
    says how the value is made from them (``median``, ``p90``, ``rate`` =
    sum / n, ``per_week`` = n / weeks of window), so reports can be merged
    and the value recomputed from all their samples (``guardrails merge``).

    ``n`` and ``total`` are the exact count and sum of the values even when
    the series was thinned beyond :data:`SERIES_CAP` samples; then ``w``
    holds how many samples each kept one stands for (docs/report.md).
    """

    agg: str
    start: str
    end: str
    t: list[int] = field(default_factory=list)
    v: list[float | int] = field(default_factory=list)
    n: int = 0
    total: float | int = 0
    w: list[int] | None = None

    def __init__(self, agg: str, start: str, end: str, t: list[int] = FACTORY,
                 v: list[float | int] = FACTORY, n: int = 0, total: float | int = 0,
                 w: list[int] | None = None) -> None:
        self.agg = agg
        self.start = start
        self.end = end
        self.t = [] if t is FACTORY else t
        self.v = [] if v is FACTORY else v
        self.n = n
        self.total = total
        self.w = w

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"agg": self.agg, "start": self.start, "end": self.end,
                               "n": self.n, "total": self.total, "t": list(self.t),
                               "v": list(self.v)}
        if self.w is not None:
            out["w"] = list(self.w)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Series:
        w = data.get("w")
        return cls(agg=data["agg"], start=data["start"], end=data["end"], t=list(data["t"]),
                   v=list(data["v"]), n=data["n"], total=data["total"],
                   w=None if w is None else list(w))


#: most samples one series keeps; beyond, it is thinned (guardrails/series.py)
SERIES_CAP = 10_000


@record
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
    #: every judged subject's own figure (team sizes, bus factors), offenders or not
    measures: list[Measure] = field(default_factory=list)
    #: the samples behind ``value`` (metric checks), for merging and trends
    series: Series | None = None
    #: skipped because the facts it needs are missing (``--strict`` fails it);
    #: None: every skip a check returns is taken to be for lack of data
    no_data: bool | None = None

    def __init__(self, outcome: Outcome, message: str = "", value: float | int | None = None,
                 unit: str | None = None, threshold: dict[str, Any] | None = None,
                 samples: int | None = None, evidence: list[Evidence] = FACTORY,
                 details: list[str] = FACTORY, measures: list[Measure] = FACTORY,
                 series: Series | None = None, no_data: bool | None = None) -> None:
        self.outcome = outcome
        self.message = message
        self.value = value
        self.unit = unit
        self.threshold = threshold
        self.samples = samples
        self.evidence = [] if evidence is FACTORY else evidence
        self.details = [] if details is FACTORY else details
        self.measures = [] if measures is FACTORY else measures
        self.series = series
        self.no_data = no_data

    @classmethod
    def skipped(cls, reason: str, *, no_data: bool = True) -> CheckResult:
        """Not evaluated; ``no_data=False`` for a rule that does not apply for another reason."""
        return cls(Outcome.SKIPPED, reason, no_data=no_data)


@record
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
    #: every judged subject's own figure (version 3; see :class:`Measure`)
    measures: list[Measure] = field(default_factory=list)
    #: the samples behind ``value`` (version 3), None when the check gave none
    series: Series | None = None

    def __init__(self, id: str, pack: str, title: str, outcome: Outcome, severity: Severity,
                 file: str = "", line: int = 0, tags: tuple[str, ...] = (), message: str = "",
                 value: float | int | None = None, unit: str | None = None,
                 threshold: dict[str, Any] | None = None, samples: int | None = None,
                 evidence: list[Evidence] = FACTORY, details: list[str] = FACTORY,
                 waiver: dict[str, Any] | None = None, longrepr: str = "", duration: float = 0.0,
                 no_data: bool = False, measures: list[Measure] = FACTORY,
                 series: Series | None = None) -> None:
        self.id = id
        self.pack = pack
        self.title = title
        self.outcome = outcome
        self.severity = severity
        self.file = file
        self.line = line
        self.tags = tags
        self.message = message
        self.value = value
        self.unit = unit
        self.threshold = threshold
        self.samples = samples
        self.evidence = [] if evidence is FACTORY else evidence
        self.details = [] if details is FACTORY else details
        self.waiver = waiver
        self.longrepr = longrepr
        self.duration = duration
        self.no_data = no_data
        self.measures = [] if measures is FACTORY else measures
        self.series = series

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
        # Version 2: what a reporter shows besides the v1 keys.
        out["duration"] = self.duration
        if self.longrepr:
            out["longrepr"] = self.longrepr
        # Version 3: present only for checks that judge subjects one by one.
        if self.measures:
            out["measures"] = [m.to_json() for m in self.measures]
        # Version 3: the metric's samples.
        if self.series is not None:
            out["series"] = self.series.to_json()
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
            duration=data.get("duration", 0.0),
            longrepr=data.get("longrepr", ""),
            measures=[Measure.from_json(m) for m in data.get("measures", [])],
            series=Series.from_json(data["series"]) if data.get("series") is not None else None,
        )


class ExitCode(enum.IntEnum):
    """Exit codes, as pytest's."""

    #: every rule passed (or was skipped, waived, or failed at severity warning)
    OK = 0
    #: at least one rule failed or errored
    RULES_FAILED = 1
    #: the run was interrupted (Ctrl-C, SIGTERM)
    INTERRUPTED = 2
    #: a bug in guardrails or a plugin: traceback shown
    INTERNAL_ERROR = 3
    #: bad option, config, rule or data file: message names file and line
    USAGE_ERROR = 4
    #: no rules were collected (or all were deselected)
    NO_RULES_COLLECTED = 5


#: exit codes of a run that went to its end (reporters render only those)
COMPLETED = frozenset({ExitCode.OK, ExitCode.RULES_FAILED, ExitCode.NO_RULES_COLLECTED})

SUMMARY_ORDER = (Outcome.FAILED, Outcome.PASSED, Outcome.SKIPPED, Outcome.ERROR, Outcome.WAIVED)

#: the version of the report format :meth:`Report.to_json` writes (docs/report.md)
REPORT_VERSION = 3


@record
class PluginSummary:
    """A plugin loaded for the run (the header's ``plugins:`` line)."""

    name: str
    module: str
    dist: str | None = None
    version: str | None = None

    def __init__(self, name: str, module: str, dist: str | None = None,
                 version: str | None = None) -> None:
        self.name = name
        self.module = module
        self.dist = dist
        self.version = version


@record
class Header:
    """What the run was: versions, plugins, where and as of when.

    ``lines`` are the extra lines plugins gave through
    ``guardrails_report_header``; ``warnings_at_start`` is how many of the
    report's warnings were known before the first rule ran (the terminal
    shows those in the header, the others in the warnings summary).
    """

    guardrails: str = ""
    python: str = ""
    pluggy: str = ""
    plugins: list[PluginSummary] = field(default_factory=list)
    rootdir: str = ""
    #: the config as shown (relative to the working folder), and its absolute path
    config: str = ""
    config_path: str | None = None
    #: line of ``rules:`` in the config: where builtin packs are "defined"
    config_rules_line: int | None = None
    #: the git toplevel of the config's folder, or ``rootdir`` outside git (version 3);
    #: SARIF and GitHub annotations give paths relative to it
    repository_root: str = ""
    focus_reviewed_on: str | None = None
    window_days: float | None = None
    lines: list[str] = field(default_factory=list)
    warnings_at_start: int = 0

    def __init__(self, guardrails: str = "", python: str = "", pluggy: str = "",
                 plugins: list[PluginSummary] = FACTORY, rootdir: str = "", config: str = "",
                 config_path: str | None = None, config_rules_line: int | None = None,
                 repository_root: str = "", focus_reviewed_on: str | None = None,
                 window_days: float | None = None, lines: list[str] = FACTORY,
                 warnings_at_start: int = 0) -> None:
        self.guardrails = guardrails
        self.python = python
        self.pluggy = pluggy
        self.plugins = [] if plugins is FACTORY else plugins
        self.rootdir = rootdir
        self.config = config
        self.config_path = config_path
        self.config_rules_line = config_rules_line
        self.repository_root = repository_root
        self.focus_reviewed_on = focus_reviewed_on
        self.window_days = window_days
        self.lines = [] if lines is FACTORY else lines
        self.warnings_at_start = warnings_at_start


@record
class SourceSummary:
    """One configured source: its label, the facts it gave, or why it failed.

    ``state`` is ``ok`` (asked and answered), ``failed`` (``error`` says why)
    or ``not needed`` (no collected rule reads its facts).
    """

    name: str
    description: str
    counts: dict[str, int] = field(default_factory=dict)
    state: str = "ok"
    error: str | None = None

    def __init__(self, name: str, description: str, counts: dict[str, int] = FACTORY,
                 state: str = "ok", error: str | None = None) -> None:
        self.name = name
        self.description = description
        self.counts = {} if counts is FACTORY else counts
        self.state = state
        self.error = error


@record
class RuleHelp:
    """What ``guardrails explain`` says about a rule, as data.

    ``head`` are the lines before the sections (id and title, check,
    where it is defined, parameters, focus overrides); ``sections`` are
    (heading, text) pairs in explain's order, text unwrapped (a newline
    separates paragraphs). :mod:`guardrails.rulehelp` renders it as text
    (byte for byte what ``explain`` prints) and as Markdown (SARIF's help).
    """

    head: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)

    def __init__(self, head: list[str] = FACTORY,
                 sections: list[tuple[str, str]] = FACTORY) -> None:
        self.head = [] if head is FACTORY else head
        self.sections = [] if sections is FACTORY else sections

    def to_json(self) -> dict[str, Any]:
        return {"head": list(self.head), "sections": [list(s) for s in self.sections]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleHelp:
        return cls(head=list(data.get("head", [])),
                   sections=[(str(h), str(t)) for h, t in data.get("sections", [])])


@record
class RuleSummary:
    """A selected rule as reporters need it, evaluated or not (``-x`` may stop early)."""

    id: str
    title: str = ""
    severity: Severity = Severity.ERROR
    tags: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    builtin: bool = False
    #: what ``guardrails explain`` prints about the rule (version 3; see rulehelp)
    help: RuleHelp | None = None

    def __init__(self, id: str, title: str = "", severity: Severity = Severity.ERROR,
                 tags: tuple[str, ...] = (), file: str = "", line: int = 0, builtin: bool = False,
                 help: RuleHelp | None = None) -> None:
        self.id = id
        self.title = title
        self.severity = severity
        self.tags = tags
        self.file = file
        self.line = line
        self.builtin = builtin
        self.help = help

    @property
    def pack(self) -> str:
        return self.id.split("::", 1)[0]


@record
class WaiverSummary:
    """A configured waiver and whether it was in force at ``now``."""

    rule: str
    reason: str
    expires: str
    subject: str | None = None
    active: bool = True

    def __init__(self, rule: str, reason: str, expires: str, subject: str | None = None,
                 active: bool = True) -> None:
        self.rule = rule
        self.reason = reason
        self.expires = expires
        self.subject = subject
        self.active = active


@record
class BaselineSummary:
    """What ``--baseline``/``--write-baseline`` did in this run."""

    file: str | None = None
    written: str | None = None
    #: rules whose failure the baseline knows entirely (reported skipped)
    known: list[str] = field(default_factory=list)
    #: failing rules the baseline does not know (or that got worse)
    new: list[str] = field(default_factory=list)
    #: (rule id, subject) of baselined failures that no longer fail
    fixed: list[tuple[str, str]] = field(default_factory=list)
    #: failing rules recorded by --write-baseline
    recorded: int = 0

    def __init__(self, file: str | None = None, written: str | None = None,
                 known: list[str] = FACTORY, new: list[str] = FACTORY,
                 fixed: list[tuple[str, str]] = FACTORY, recorded: int = 0) -> None:
        self.file = file
        self.written = written
        self.known = [] if known is FACTORY else known
        self.new = [] if new is FACTORY else new
        self.fixed = [] if fixed is FACTORY else fixed
        self.recorded = recorded


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
