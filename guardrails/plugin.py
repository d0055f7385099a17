"""What a plugin implements: sources, checks, metrics and reporters.

Plugins return these from the ``guardrails_gather_sources``,
``guardrails_collect_checks``, ``guardrails_collect_metrics`` and
``guardrails_report_formats`` hooks (see :mod:`guardrails.hookspec`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from guardrails.fmt import number
from guardrails.records import FACTORY, record

# Sources and the hook marker live apart (see there), and are re-exported here.
from guardrails.sourcebase import Source as Source
from guardrails.sourcebase import SourceEnv as SourceEnv
from guardrails.sourcebase import hookimpl as hookimpl
from guardrails.timeutil import parse_duration

if TYPE_CHECKING:
    from guardrails.configmodel import Config
    from guardrails.facts import FactStore

    # Annotations only: model's ~20 dataclasses are not needed to define a source
    # (``guardrails validate FILE`` builds the files source without them).
    from guardrails.model import CheckResult, Evidence, Report, Result, Rule, Series


# ---------------------------------------------------------------------------
# evaluation context, checks, metrics
# ---------------------------------------------------------------------------


@record
class EvalContext:
    """Everything a check may read."""

    now: datetime
    window: timedelta
    focus: str | None
    store: FactStore
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    config: Config | None = None
    checks: Mapping[str, Check] = field(default_factory=dict)
    _teams: Any = field(default=None, repr=False)

    def __init__(self, now: datetime, window: timedelta, focus: str | None, store: FactStore,
                 metrics: Mapping[str, Metric] = FACTORY, config: Config | None = None,
                 checks: Mapping[str, Check] = FACTORY, _teams: Any = None) -> None:
        self.now = now
        self.window = window
        self.focus = focus
        self.store = store
        self.metrics = {} if metrics is FACTORY else metrics
        self.config = config
        self.checks = {} if checks is FACTORY else checks
        self._teams = _teams

    def facts(self, kind: str) -> list[dict[str, Any]]:
        """Facts of a kind; raises SourceError when its source failed."""
        return self.store.get(kind)

    def team_index(self) -> Any:
        """Evidence subject -> owning team (computed once per run)."""
        if self._teams is None:
            from guardrails.teamindex import team_index

            self._teams = team_index(self.store)
        return self._teams

    def window_for(self, rule: Rule) -> tuple[datetime, datetime]:
        """The rule's half-open window ``[now - W, now)``."""
        w = rule.params.get("window")
        length = parse_duration(w) if w is not None else self.window
        return self.now - length, self.now

    def window_text(self, rule: Rule) -> str:
        start, end = self.window_for(rule)
        days = (end - start).total_seconds() / 86400
        return f"window {start.date()} .. {end.date()} ({number(days)} days)"


class Check(abc.ABC):
    """Evaluates rules that name it in ``check:``.

    ``schema`` is a JSON Schema object fragment: ``{"properties": {...},
    "required": [...]}`` for the rule keys this check adds to the common ones.
    """

    name: ClassVar[str] = ""
    schema: ClassVar[dict[str, Any]] = {"properties": {}}
    #: fact kinds the check reads regardless of parameters
    kinds: ClassVar[tuple[str, ...]] = ()
    #: fixed sections for ``guardrails explain`` when a rule does not give them
    doc: ClassVar[str] = ""

    def needs(self, rule: Rule, metrics: Mapping[str, Metric]) -> set[str]:
        """Fact kinds the rule reads, so only the needed sources are asked."""
        return set(self.kinds)

    @abc.abstractmethod
    def evaluate(self, rule: Rule, ctx: EvalContext) -> CheckResult:
        """Evaluate one rule; raise to make it an ``error`` (the runner contains it)."""


@record
class MetricValue:
    """A computed metric: ``value`` is None when there were no samples."""

    value: float | None
    samples: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    no_data: str = ""  # the reason when value is None
    #: the samples behind ``value`` (guardrails.series.build), for merging and trends
    series: Series | None = None

    def __init__(self, value: float | None, samples: int = 0, evidence: list[Evidence] = FACTORY,
                 details: list[str] = FACTORY, no_data: str = "",
                 series: Series | None = None) -> None:
        self.value = value
        self.samples = samples
        self.evidence = [] if evidence is FACTORY else evidence
        self.details = [] if details is FACTORY else details
        self.no_data = no_data
        self.series = series


@record(frozen=True)
class Metric:
    """A named metric for ``check: metric``.

    ``compute(ctx, rule, start, end)`` returns a :class:`MetricValue`; the
    ``evidence`` it returns is shown when the rule fails (e.g. the failed
    deployments behind a change failure rate).
    """

    name: str
    unit: str  # seconds | ratio | per_week | lines | count | score
    kinds: tuple[str, ...]
    compute: Callable[[EvalContext, Rule, datetime, datetime], MetricValue]
    description: str = ""
    #: JSON Schema properties of extra rule keys this metric reads (e.g. environment)
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, name: str, unit: str, kinds: tuple[str, ...],
                 compute: Callable[[EvalContext, Rule, datetime, datetime], MetricValue],
                 description: str = "", params: Mapping[str, Any] = FACTORY) -> None:
        _set = object.__setattr__
        _set(self, "name", name)
        _set(self, "unit", unit)
        _set(self, "kinds", kinds)
        _set(self, "compute", compute)
        _set(self, "description", description)
        _set(self, "params", {} if params is FACTORY else params)


# ---------------------------------------------------------------------------
# reporters
# ---------------------------------------------------------------------------


@record
class ReportOptions:
    """How a reporter renders: the display options of the command line."""

    verbosity: int = 0
    color: bool = False
    group_by: str | None = None
    strict: bool = False

    def __init__(self, verbosity: int = 0, color: bool = False, group_by: str | None = None,
                 strict: bool = False) -> None:
        self.verbosity = verbosity
        self.color = color
        self.group_by = group_by
        self.strict = strict

    @classmethod
    def from_run(cls, options: Any) -> ReportOptions:
        """The display options of a run's :class:`guardrails.config.RunOptions`."""
        return cls(verbosity=options.verbosity, color=bool(options.color),
                   group_by=options.group_by, strict=options.strict)


class Reporter(abc.ABC):
    """Renders a run; ``name`` is the ``--format`` value.

    A reporter is a plugin object: the builtin ``guardrails.reporters.setup``
    plugin builds one per ``--format`` at configure time, registers it with
    the plugin manager and unregisters it at unconfigure, as pytest does with
    its junitxml plugin. Its hook implementations (below) call
    :meth:`start`, :meth:`logreport` and :meth:`finish`, which read only the
    :class:`~guardrails.model.Report` and its results, never the session, so
    ``guardrails report REPORT.json`` renders a saved report the same way by
    calling them in that order.

    ``out`` is the stream to write to (stdout, or the ``--output`` file).
    """

    name: ClassVar[str] = ""

    def __init__(self, out: TextIO, options: ReportOptions) -> None:
        self.out = out
        self.options = options

    def start(self, report: Report) -> None:  # noqa: B027 - optional: streaming reporters
        """Rules are collected and facts gathered: ``report`` has no results yet."""

    def logreport(self, result: Result) -> None:  # noqa: B027 - optional: streaming reporters
        """One rule's result, as soon as it is known."""

    @abc.abstractmethod
    def finish(self, report: Report) -> None:
        """The whole report of a run that went to its end."""

    # -- the hooks through which a run reaches the methods above ---------------
    @hookimpl
    def guardrails_report_start(self, report: Report) -> None:
        self.start(report)

    @hookimpl
    def guardrails_evaluate_logreport(self, result: Result) -> None:
        self.logreport(result)

    @hookimpl
    def guardrails_session_finish(self, report: Report) -> None:
        # An interrupted or crashed run gets no report (its files are discarded).
        if report.completed:
            self.finish(report)


class DocumentReporter(Reporter):
    """A reporter that writes one document when the run is over (JSON, XML...)."""

    @abc.abstractmethod
    def render(self, report: Report) -> str:
        """The whole document, as text."""

    def finish(self, report: Report) -> None:
        self.out.write(self.render(report))
        self.out.flush()
