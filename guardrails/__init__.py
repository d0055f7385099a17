"""guardrails: check an engineering organisation's execution practices like tests.

The public API is the names in ``__all__`` (and :mod:`guardrails.testing`);
every other module is internal and may change. They are imported on first
use, so ``guardrails --version`` stays as quick as the CLI alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_PUBLIC = {
    "hookimpl": "guardrails.plugin",
    "Check": "guardrails.plugin",
    "Source": "guardrails.plugin",
    "Reporter": "guardrails.plugin",
    "Metric": "guardrails.plugin",
    "MetricValue": "guardrails.plugin",
    "EvalContext": "guardrails.plugin",
    "SourceEnv": "guardrails.plugin",
    "FactKind": "guardrails.kinds",
    "Link": "guardrails.kinds",
    "Evidence": "guardrails.model",
    "CheckResult": "guardrails.model",
    "Outcome": "guardrails.model",
    "ExitCode": "guardrails.model",
    "Report": "guardrails.model",
    "Result": "guardrails.model",
    "GuardrailsError": "guardrails.errors",
    "UsageError": "guardrails.errors",
    "ConfigError": "guardrails.errors",
    "RuleFileError": "guardrails.errors",
    "DataFileError": "guardrails.errors",
    "SourceError": "guardrails.errors",
    "PluginError": "guardrails.errors",
    "parse_timestamp": "guardrails.timeutil",
    # evidence whose words are made when a report first reads them (docs/plugins.md)
    "described_later": "guardrails.evidencelater",
    "attributed_later": "guardrails.evidencelater",
    "words_later": "guardrails.evidencelater",
    "guarded": "guardrails.evidencelater",
}

__all__ = ["__version__", *_PUBLIC]

if TYPE_CHECKING:
    from guardrails.errors import (
        ConfigError as ConfigError,
    )
    from guardrails.errors import (
        DataFileError as DataFileError,
    )
    from guardrails.errors import (
        GuardrailsError as GuardrailsError,
    )
    from guardrails.errors import (
        PluginError as PluginError,
    )
    from guardrails.errors import (
        RuleFileError as RuleFileError,
    )
    from guardrails.errors import (
        SourceError as SourceError,
    )
    from guardrails.errors import (
        UsageError as UsageError,
    )
    from guardrails.evidencelater import attributed_later as attributed_later
    from guardrails.evidencelater import described_later as described_later
    from guardrails.evidencelater import guarded as guarded
    from guardrails.evidencelater import words_later as words_later
    from guardrails.kinds import FactKind as FactKind
    from guardrails.kinds import Link as Link
    from guardrails.model import CheckResult as CheckResult
    from guardrails.model import Evidence as Evidence
    from guardrails.model import ExitCode as ExitCode
    from guardrails.model import Outcome as Outcome
    from guardrails.model import Report as Report
    from guardrails.model import Result as Result
    from guardrails.plugin import (
        Check as Check,
    )
    from guardrails.plugin import (
        EvalContext as EvalContext,
    )
    from guardrails.plugin import (
        Metric as Metric,
    )
    from guardrails.plugin import (
        MetricValue as MetricValue,
    )
    from guardrails.plugin import (
        Reporter as Reporter,
    )
    from guardrails.plugin import (
        Source as Source,
    )
    from guardrails.plugin import (
        SourceEnv as SourceEnv,
    )
    from guardrails.plugin import (
        hookimpl as hookimpl,
    )
    from guardrails.timeutil import parse_timestamp as parse_timestamp


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrails' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
