"""What the generic checks share with the modules they use (no import back into generic)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.checks.conditions import RuleParamError
from guardrails.model import CheckResult, Outcome, Rule


def no_data(rule: Rule, reason: str, unit: str = "count") -> CheckResult:
    """Skipped with ``reason``, or failed when the rule says ``on_no_data: fail``."""
    if rule.params.get("on_no_data") == "fail":
        return CheckResult(Outcome.FAILED, f"{reason} (on_no_data: fail)", unit=unit)
    return CheckResult.skipped(reason)


def metric_label(name: str) -> str:
    """``change failure rate`` of ``dora.change_failure_rate``."""
    return name.rsplit(".", 1)[-1].replace("_", " ")


def expect_or_value(check: str, params: Mapping[str, Any]) -> list[RuleParamError]:
    """``each``/``expr`` take ``expect`` or ``value``: one of them, not both."""
    if check not in ("each", "expr"):
        return []
    if "expect" in params and "value" in params:
        return [RuleParamError("value", "give expect or value, not both",
                               fix="value (a number within min/max) replaces expect")]
    if "expect" not in params and "value" not in params:
        missing = RuleParamError("expect", "'expect' is a required property",
                                 fix="add expect: (a JSON Schema or a CEL expression), "
                                     "or value: (a CEL number) with min/max")
        missing.key = None  # type: ignore[assignment]  # no key to point at: the rule's line
        return [missing]
    return []
