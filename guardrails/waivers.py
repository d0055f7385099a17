"""The config's waivers: one ``waivers:`` entry, and the warning for one naming no rule.

A waiver names a rule (and optionally one subject), a reason and the last day
it applies; the runner turns a waived failure into ``waived``
(docs/configuration.md, "Waivers"). Reading them from the config is
:attr:`guardrails.configmodel.Config.waivers`; checking their dates is the
loader's (:mod:`guardrails.config`).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from guardrails.records import record
from guardrails.timeutil import local_date


class Located(Protocol):
    """What :func:`unknown_waiver_warning` reads of the config (a
    :class:`guardrails.configmodel.Config`, which imports this module)."""

    @property
    def display_path(self) -> str: ...


@record(frozen=True)
class Waiver:
    """One entry of the config's ``waivers:`` (docs/configuration.md, "Waivers")."""

    rule: str
    reason: str
    expires: date
    subject: str | None = None
    line: int | None = None

    def __init__(self, rule: str, reason: str, expires: date, subject: str | None = None,
                 line: int | None = None) -> None:
        _set = object.__setattr__
        _set(self, "rule", rule)
        _set(self, "reason", reason)
        _set(self, "expires", expires)
        _set(self, "subject", subject)
        _set(self, "line", line)

    def active(self, now: datetime, tz: tzinfo | None = None) -> bool:
        # The expiry date is the last day the waiver applies, a whole day in
        # the config's timezone (UTC when unset), as every date without a time.
        return local_date(now, tz) <= self.expires

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason, "expires": self.expires.isoformat()}
        if self.subject:
            out["subject"] = self.subject
        return out


def unknown_waiver_warning(config: Located, waiver: Waiver, known: set[str]) -> str:
    """The report-header warning for a waiver naming no rule: where it is, what was meant.

    Never fatal (DATA.md): a waiver may outlive a rule that was removed.
    """
    import difflib

    where = f"{config.display_path}:{waiver.line}: " if waiver.line else ""
    close = difflib.get_close_matches(waiver.rule, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}waiver for {waiver.rule} names a rule that is not collected{hint}"
