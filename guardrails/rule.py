"""A collected rule: what a check is asked to judge, with its effective parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from guardrails.outcomes import Severity
from guardrails.records import FACTORY, record


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

