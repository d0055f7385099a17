"""Collecting rules: the essential plugin that reads YAML packs.

It implements ``guardrails_collect_file`` for ``*.yaml`` packs (parsed by
:mod:`guardrails.rulefile`) and gathers the checks and metrics plugins
register. Where rule files are is :mod:`guardrails.rulepaths`; ``-k``/``-m``
selection is :mod:`guardrails.expressions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from guardrails.configmodel import Config
from guardrails.manager import Provided
from guardrails.model import Rule
from guardrails.plugin import Check, Metric, hookimpl
from guardrails.rulefile import RuleParser


@hookimpl(trylast=True)
def guardrails_collect_file(path: Path, config: Config) -> list[Rule] | None:
    if path.suffix not in (".yaml", ".yml"):
        return None
    pm = config.pluginmanager
    assert pm is not None
    checks, metrics = registered_checks(pm), registered_metrics(pm)
    return RuleParser(config, checks, metrics).parse(path)


def registered_checks(pm: Any) -> Mapping[str, Check]:
    """Check name -> check; a builtin check's plugin is imported on first lookup."""
    return Provided(pm, "checks")


def registered_metrics(pm: Any) -> Mapping[str, Metric]:
    """Metric name -> metric; a builtin metric's plugin is imported on first lookup."""
    return Provided(pm, "metrics")
