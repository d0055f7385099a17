"""guardrails.model is the one import plugins and tests use for the data classes.

The classes live in guardrails.outcomes, .rule, .results, .summaries and
.report; guardrails.model hands every one of them on (plugins written
against it keep working), and the parts never import it back.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import guardrails.model as model

#: what guardrails.model defined before it was split (a plugin may import any)
PUBLIC = {
    "COMPLETED", "REPORT_VERSION", "SERIES_CAP", "SUMMARY_ORDER", "BaselineSummary",
    "CheckResult", "Evidence", "ExitCode", "Header", "Measure", "Outcome", "PluginSummary",
    "Report", "Result", "Rule", "RuleHelp", "RuleSummary", "Series", "Severity",
    "SourceSummary", "WaiverSummary",
}
PARTS = ("outcomes", "rule", "results", "summaries", "report")
PACKAGE = Path(model.__file__).parent


def test_every_public_name_is_handed_on_as_the_object_its_part_defines() -> None:
    assert set(model.__all__) == PUBLIC
    homes = {}
    for part in PARTS:
        module = importlib.import_module(f"guardrails.{part}")
        for name in PUBLIC & set(vars(module)):
            value = getattr(module, name)
            if getattr(value, "__module__", module.__name__) == module.__name__:
                homes.setdefault(name, module.__name__)
                assert getattr(model, name) is value, name
    assert set(homes) == PUBLIC  # each name is defined in exactly one part
    for cls in (model.Rule, model.Result, model.Report, model.Header, model.Outcome):
        assert cls.__module__ in {f"guardrails.{p}" for p in PARTS}


def test_the_parts_never_import_the_facade() -> None:
    for part in PARTS:
        tree = ast.parse((PACKAGE / f"{part}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert "guardrails.model" not in imported, part
        assert "guardrails.session" not in imported, part


def test_a_report_built_from_the_parts_round_trips_through_json() -> None:
    from guardrails.outcomes import Outcome, Severity
    from guardrails.report import Report
    from guardrails.results import Evidence, Result

    report = Report(now="2026-11-20T00:00:00+00:00", focus=None, results=[Result(
        id="p::r", pack="p", title="t", outcome=Outcome.FAILED, severity=Severity.ERROR,
        evidence=[Evidence("team/web", "too big")])])
    again = model.Report.from_json(report.to_json())
    assert again.to_json() == report.to_json()
    assert again.results[0].evidence[0].subject == "team/web"
