"""What the generic checks share with the modules they use (no import back into generic)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


def _reads_window(text: str) -> bool:
    r"""``window`` as a CEL name of its own (not ``fact.window``, not ``windows``):
    ``(?<![\w.])window(?!\w)`` searched, without compiling it (``\w``: a character
    ``str.isalnum()`` or ``_``)."""
    at = text.find("window")
    while at != -1:
        before, after = text[at - 1:at], text[at + 6:at + 7]
        if not (before and (before.isalnum() or before in "_.")) \
                and not (after and (after.isalnum() or after == "_")):
            return True
        at = text.find("window", at + 1)
    return False


def window_unread(params: Mapping[str, Any],
                  stamps: Collection[str] | None) -> list[RuleParamError]:
    """A rule's own ``window:`` on ``each``/``count`` that nothing reads.

    Those checks select facts by the window only through ``in_window: FIELD`` or
    a CEL condition naming ``window``; without either, ``window: 7d`` on a count
    of deployments with ``min: 1`` would count every deployment ever and pass on
    a team that stopped shipping months ago: a gate that looks right and is not.
    The config's window is everyone's default and is not judged here.
    """
    if "window" not in params or "in_window" in params:
        return []
    for key in ("where", "expect", "value"):
        text = params.get(key)
        if isinstance(text, str) and _reads_window(text):
            return []
    message = ("window: is read by nothing in this rule: each and count select facts "
               "by the window only through in_window: FIELD or a CEL condition naming "
               "window, so every fact of the kind would be judged")
    if stamps is not None and not stamps:
        return [RuleParamError("window", message, fix=(
            "remove window: (these facts have no timestamp: they are judged whole)"))]
    known = f": {', '.join(sorted(stamps))}" if stamps else ""
    return [RuleParamError("window", message, fix=(
        f"add in_window: FIELD (a timestamp of the facts{known}) to judge the window's "
        "facts only, or remove window: to judge them all"))]
