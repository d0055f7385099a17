"""Evidence whose words and team are made when a report first reads them.

A failed rule over 100,000 facts names thousands of subjects: small-batches
~15,000 oversized changes, postmortem-exists ~5,000 incidents, change
failure rate ~4,500 deployments. Each item's ``detail`` (an f-string of
dates and sizes, a rendered template) and its ``team`` (a lookup through the
run's team index, whose first question builds a table of the kind's ids) were
made for every item, while the terminal report without ``-v`` shows five a
rule and ``-q`` none (benchmarks/RESULTS.md, "s28-cold100k"). Made here on the
first read instead (:mod:`guardrails.later`): to every reader (reporters,
waivers, ``--group-by team``, the baseline, ``==``, copies, pickles) they are
plain attributes with the very values they had when made at once.

For a check (a plugin's too): :func:`described_later` and
:func:`attributed_later` give an :class:`~guardrails.results.Evidence` like the
one made with the text at once. ``make`` runs after the check returned, maybe
never: it must read only what cannot change (the facts and a source's tables
are read-only once gathered, docs/plugins.md "Facts") and only what the check
already found usable (a key it read, a timestamp it compared), so that it
cannot fail where making the text at once would have. Should it raise all the
same, the detail says so (``(detail not made: KeyError: 'x')``; where it makes
the team too, no team, not even the runner's attribution) instead of a
reporter crashing on it. The
subjects (what baselines and subject waivers match) never wait. A team waiver
reads the teams while the rule's verdict is decided, so a make may run then:
its item without a team is covered by no team waiver and stays failing (made
at once, the error would have made the rule ``error``), never waived by a team
the check did not give. The tests compare
the example org's and a generated org's reports with those made at once
(:func:`made_at_once`, tests/integration/test_lazy_evidence.py), where
``make``'s error is the check's own (the rule ``error``): a builtin check's
``make`` that fails there fails them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from guardrails import later
from guardrails.results import Evidence

#: made at once instead (:func:`made_at_once`): what the tests compare the reports with
_at_once = False

_DETAIL = ("detail",)
_DETAIL_TEAM = ("detail", "team")
_TEAM = ("team",)


#: an evidence item's key (its ``__dict__``, on a failure only) saying its make raised
_NOT_MADE = "_words_not_made"


def _failed(exc: Exception, evidence: Evidence) -> str:
    """The detail of ``evidence`` whose make raised ``exc``. The item is marked so
    that the runner gives it no team either (:func:`teams_later`): a team waiver
    reads teams while the verdict is decided, and must not waive an item by a team
    its check did not give (made at once, the error would have been the rule's)."""
    evidence.__dict__[_NOT_MADE] = True
    return f"(detail not made: {type(exc).__name__}: {exc})"[:500]


def _detail(make: Callable[[], str], evidence: Evidence) -> tuple[str]:
    try:
        return (make(),)
    except Exception as exc:  # noqa: BLE001 - a report shows it rather than crashing
        return (_failed(exc, evidence),)


def _detail_team(make: Callable[[], tuple[str, str | None]],
                 evidence: Evidence) -> tuple[str, str | None]:
    try:
        detail, team = make()
    except Exception as exc:  # noqa: BLE001 - a report shows it rather than crashing
        return _failed(exc, evidence), None
    return detail, team


# An item holds its make in its group (later.Group's arg), beside one shared fill: no
# closure and no attribute of its own (~25,000 items at 100k, guardrails.later)


def described_later(subject: str, make: Callable[[], str], url: str | None = None,
                    team: str | None = None) -> Evidence:
    """``Evidence(subject, make(), url=url, team=team)``, ``make()`` called when its
    ``detail`` is first read (see the module's docstring for what ``make`` may read)."""
    if _at_once:
        return Evidence(subject, make(), url, team)
    evidence = Evidence(subject, "", url, team)
    later.wait(evidence, (_DETAIL, _detail, make))
    return evidence


def attributed_later(subject: str, make: Callable[[], tuple[str, str | None]],
                     url: str | None = None) -> Evidence:
    """Evidence whose ``detail`` and ``team`` are ``make()``'s ``(detail, team)``,
    called when either is first read."""
    if _at_once:
        detail, team = make()
        return Evidence(subject, detail, url, team)
    evidence = Evidence(subject, "", url)
    later.wait(evidence, (_DETAIL_TEAM, _detail_team, make))
    return evidence


def words_later(evidence: Evidence, fill: Callable[[Any, Evidence], tuple[str, str | None]],
                arg: Any) -> Evidence:
    """``evidence``'s ``detail`` and ``team`` are ``fill(arg, evidence)``'s, made when
    either is first read: for a check whose items share ``fill`` (made once a
    result) and differ by ``arg`` (a fact), without a ``make`` an item. ``fill`` is
    not guarded here: pass ``guarded(fill)`` (:func:`guarded`) for the guard
    ``make`` has, else an error of ``fill`` reaches the report that reads the
    item. Its evidence's detail and team are taken out."""
    if _at_once:
        evidence.detail, evidence.team = fill(arg, evidence)
        return evidence
    later.wait(evidence, (_DETAIL_TEAM, fill, arg))
    return evidence


def guarded(fill: Callable[[Any, Evidence], tuple[str, str | None]]
            ) -> Callable[[Any, Evidence], tuple[str, str | None]]:
    """``fill`` for :func:`words_later` that cannot raise: an error is the detail."""
    return partial(_guarded, fill)


def _guarded(fill: Callable[[Any, Evidence], tuple[str, str | None]], arg: Any,
             evidence: Evidence) -> tuple[str, str | None]:
    try:
        return fill(arg, evidence)
    except Exception as exc:  # noqa: BLE001 - a report shows it rather than crashing
        return _failed(exc, evidence), None


def teams_later(evidence: Iterable[Evidence], find: Callable[[Evidence], str | None]) -> None:
    """The runner's attribution (:func:`guardrails.runner.attribute_teams`): an item
    without a team gets ``find(item)`` as its team when it is first read; one whose
    team the check makes later gets it where the check's is none, unless its make
    raised (then no team: see :func:`_failed`)."""
    group: later.Group = (_TEAM, partial(_team, find))
    made: dict[Any, Any] = {}
    pending, amend, wait = later.pending, later.amend, later.wait
    unless_failed = partial(_team_if_made, find)
    for e in evidence:
        if pending(e) and amend(e, "team", unless_failed, made):
            continue
        if not e.team:
            if _at_once:
                e.team = find(e)
            else:
                wait(e, group)


def _team(find: Callable[[Evidence], str | None], evidence: Evidence) -> tuple[str | None]:
    return (find(evidence),)


def _team_if_made(find: Callable[[Evidence], str | None], evidence: Evidence) -> str | None:
    """``find(evidence)``, or None when the make of its detail and team raised."""
    return None if evidence.__dict__.get(_NOT_MADE) else find(evidence)


@contextmanager
def made_at_once() -> Iterator[None]:
    """Evidence made in this block gets its words and team at once, as before this
    module: the tests compare every report of a run made so with the usual one."""
    global _at_once
    before, _at_once = _at_once, True
    try:
        yield
    finally:
        _at_once = before
