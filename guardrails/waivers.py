"""The config's waivers: one ``waivers:`` entry, and the warnings for one naming no
rule or waiving nothing.

A waiver names a rule (and optionally one subject), a reason and the last day
it applies; the runner turns a waived failure into ``waived``
(docs/configuration.md, "Waivers"). Reading them from the config is
:attr:`guardrails.configmodel.Config.waivers`; checking their dates is the
loader's (:mod:`guardrails.config`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from guardrails.outcomes import Outcome
from guardrails.records import record
from guardrails.timeutil import local_date

if TYPE_CHECKING:
    from guardrails.results import Result


#: days after --now within which a waiver should expire: a waiver is a promise to
#: look again, and one that runs for years is a rule switched off without a word
REVIEW_WITHIN_DAYS = 365


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


def unused_waiver_warnings(config: Located, waivers: Iterable[Waiver], results: Iterable[Result],
                           met: set[tuple[str, str | None]], now: datetime,
                           tz: tzinfo | None = None) -> list[str]:
    """Report-header warnings for active waivers that waived nothing in this run.

    Only a waiver whose rule ran to a verdict counts (``passed``, ``failed`` or
    ``waived``, with data): a rule deselected by ``-k``/``-m``, not reached after
    ``-x``, skipped for lack of data or in ``error`` (its source failed) says
    nothing about its waivers. A warning, never an error: the waived problem
    may have been fixed before the waiver expires, and a gate must not turn red
    because it did. Left in place, though, a waiver of a passing rule would
    hide its next failure, and a misspelt subject waives nothing at all.
    """
    ran = {r.id: r for r in results
           if r.outcome in (Outcome.PASSED, Outcome.FAILED, Outcome.WAIVED) and not r.no_data}
    out = []
    for w in waivers:
        result = ran.get(w.rule)
        if result is None or (w.rule, w.subject) in met or not w.active(now, tz):
            continue
        where = f"{config.display_path}:{w.line}: " if w.line else ""
        who = f" ({w.subject})" if w.subject else ""
        if result.outcome is Outcome.PASSED:
            why = "the rule passed"
            fix = f"remove it once the fix holds (it expires on {w.expires})"
        elif w.subject and result.evidence:
            import difflib

            subjects = sorted({e.subject for e in result.evidence}
                              | {f"team/{e.team}" for e in result.evidence if e.team})
            close = difflib.get_close_matches(w.subject, subjects, n=1, cutoff=0.6)
            why = f"no evidence of the rule names {w.subject}"
            fix = (f"did you mean {close[0]!r}? " if close else "") + \
                "write a subject the rule reports (as shown under it), or remove the waiver"
        else:
            # A whole-rule waiver of a failed rule always meets it; a failure that
            # names no subject (a count below its minimum, no data under
            # on_no_data: fail) judged none, so a subject waiver's fit is unknown.
            continue
        out.append(f"{where}waiver for {w.rule}{who} waived nothing in this run: {why}; {fix}")
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


def expired_waiver_warning(config: Located, waiver: Waiver) -> str:
    """The report-header warning for a waiver whose ``expires`` date has passed:
    where it is, and the two ways out (renewing it is a new promise, with a reason)."""
    where = f"{config.display_path}:{waiver.line}: " if waiver.line else ""
    who = f" ({waiver.subject})" if waiver.subject else ""
    return (f"{where}waiver for {waiver.rule}{who} expired on {waiver.expires}: it no longer "
            "waives; fix the rule's failure and remove the waiver, or renew it with a later "
            "expires and its reason")


def far_waiver_warning(config: Located, waiver: Waiver, now: datetime,
                       tz: tzinfo | None = None) -> str | None:
    """The report-header warning for an active waiver expiring more than
    :data:`REVIEW_WITHIN_DAYS` days after ``now`` (None for any other).

    A warning, not an error: the waiver is well formed and still waives; a
    gate must not turn red because someone promised to look again too late.
    """
    today = local_date(now, tz)
    bound = today + timedelta(days=REVIEW_WITHIN_DAYS)
    if waiver.expires <= bound:
        return None
    where = f"{config.display_path}:{waiver.line}: " if waiver.line else ""
    who = f" ({waiver.subject})" if waiver.subject else ""
    days = (waiver.expires - today).days
    return (f"{where}waiver for {waiver.rule}{who} expires on {waiver.expires}, {days} days "
            f"after {today}: a waiver should be reviewed within {REVIEW_WITHIN_DAYS} days; "
            f"set expires on or before {bound} and renew it then if it is still needed")
