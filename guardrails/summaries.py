"""The parts of a report around its results: header, sources, rules, waivers, baseline.

Plain records that :class:`guardrails.report.Report` holds and writes to
JSON; reporters read them, never the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from guardrails.outcomes import Severity
from guardrails.records import FACTORY, record


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
