"""The data guardrails passes around: rules, outcomes, evidence, results, reports.

One import for plugins and tests; each part lives in a module of its own:

- :mod:`guardrails.outcomes`: :class:`Outcome`, :class:`Severity`,
  :class:`ExitCode` and the orders and sets built on them;
- :mod:`guardrails.rule`: :class:`Rule`, a collected rule;
- :mod:`guardrails.results`: what a check returns (:class:`CheckResult`) and a
  rule's report (:class:`Result`), with :class:`Evidence`, :class:`Measure`
  and :class:`Series`;
- :mod:`guardrails.summaries`: the header, sources, rules, waivers and baseline
  a report shows around its results;
- :mod:`guardrails.report`: :class:`Report`, a whole run, and its JSON form.

Reports are plain data; reporters render them, and a report round-trips
through JSON (``Report.to_json`` / ``Report.from_json``).
"""

from __future__ import annotations

from guardrails.outcomes import COMPLETED, SUMMARY_ORDER, ExitCode, Outcome, Severity
from guardrails.report import REPORT_VERSION, Report
from guardrails.results import SERIES_CAP, CheckResult, Evidence, Measure, Result, Series
from guardrails.rule import Rule
from guardrails.summaries import (
    BaselineSummary,
    Header,
    PluginSummary,
    RuleHelp,
    RuleSummary,
    SourceSummary,
    WaiverSummary,
)

__all__ = [
    "COMPLETED",
    "REPORT_VERSION",
    "SERIES_CAP",
    "SUMMARY_ORDER",
    "BaselineSummary",
    "CheckResult",
    "Evidence",
    "ExitCode",
    "Header",
    "Measure",
    "Outcome",
    "PluginSummary",
    "Report",
    "Result",
    "Rule",
    "RuleHelp",
    "RuleSummary",
    "Series",
    "Severity",
    "SourceSummary",
    "WaiverSummary",
]
