"""What checks return and what a report keeps of each rule.

A check returns a :class:`CheckResult`; the runner makes it the rule's
:class:`Result`. Both carry :class:`Evidence` (the offending subjects),
:class:`Measure` (every judged subject's figure) and a metric's
:class:`Series` (its samples); each reads back from the JSON it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from guardrails import later
from guardrails.outcomes import Outcome, Severity
from guardrails.records import FACTORY, record


@record
class Evidence:
    """One offending subject, written ``<kind>/<id>`` (``team/core-infra``).

    ``file``/``line`` say where the evidence is: either a place the check
    itself read and pointed at (a postmortem's paragraph, a CODEOWNERS line,
    the config), or, with ``record`` true, the row of the data file the
    subject's fact was loaded from, filled in after the check by the source
    that read it (``org/deployments.csv:26``). Reporters label the first kind
    by its place and the second by its subject (docs/report.md).

    That row may be found when first read rather than after the check
    (:func:`place_later`): to the reader the three fields are plain
    attributes either way.
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

    # file, line, record, url of a row still to be found (place_later): guardrails.later
    __getattr__ = later.filled
    __getstate__ = later.state

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


#: the fields place_later fills when first read (no class-level defaults: guardrails.later)
_PLACE = ("file", "line", "record", "url")
#: the fields a check or the runner may leave to be made when first read
#: (guardrails.evidencelater): no class-level defaults either
_WORDS = ("detail", "team")
later.no_class_defaults(Evidence, _PLACE + _WORDS)
#: what a find() of place_later answers: file, line, record, url
Place = tuple[str | None, int | None, bool, str | None]


def place_pending(evidence: Evidence) -> bool:
    """Whether ``evidence``'s place is still to be found (:func:`place_later`): its
    ``file``, ``line`` and ``record`` then name a data record's row or nothing, never a
    place a check chose, and its ``url`` is the record's when the check gave none."""
    return later.pending(evidence, "file")


def place_later(evidence: Evidence, find: Callable[[Evidence], Place]) -> None:
    """Fill ``evidence``'s ``file``, ``line``, ``record`` (None, None, False now) and
    ``url`` (when None) with what ``find(evidence)`` answers when one is first read.

    Why: a source finds a record's row through an index of its whole table
    (guardrails.sources.files_index), the record through the store's table of its
    kind's ids: ~0.1 s of a cold 100k run's CPU for ~25,000 evidence items, of
    which the terminal report without ``-v`` shows no row (guardrails.later).
    """
    later.fill_later(evidence, _PLACE, find, keep=("url",) if evidence.url is not None else ())


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

    # t, v, n, total, w of a series still to be sorted (series.build): guardrails.later
    __getattr__ = later.filled
    __getstate__ = later.state

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Series:
        w = data.get("w")
        return cls(agg=data["agg"], start=data["start"], end=data["end"], t=list(data["t"]),
                   v=list(data["v"]), n=data["n"], total=data["total"],
                   w=None if w is None else list(w))


#: most samples one series keeps; beyond, it is thinned (guardrails/series.py)
SERIES_CAP = 10_000
#: the fields series.build fills when first read
SAMPLES = ("t", "v", "n", "total", "w")
later.no_class_defaults(Series, SAMPLES)


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
