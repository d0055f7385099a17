"""What the terminal shows of a result's data: its text made inert, its evidence's labels.

Rule ids, messages, evidence and waivers carry text from org data files and
APIs, so before the terminal report (:mod:`guardrails.reporters.terminal`)
or the commit hook's short report (:mod:`guardrails.hookmode`) prints any of
it, :func:`clean` makes it printable (guardrails.textsafe) and no traceback
line a CI workflow command. An evidence item is labelled by the place the
check pointed at, else by the subject of its record (:func:`evidence_label`).
"""

from __future__ import annotations

import dataclasses

from guardrails.model import Evidence, Result
from guardrails.results import place_pending
from guardrails.textsafe import inert_line, printable


def _inert_line(text: str) -> str:
    """One line of a traceback: printable, and never a CI workflow command (``::error``)."""
    return inert_line(printable(text))


def clean(r: Result, *, evidence: bool = True) -> Result:
    """A copy of ``r`` whose data text cannot steer the terminal (see textsafe).

    ``evidence=False`` leaves the evidence as it is, for a caller that cleans
    only the items it shows (:func:`clean_evidence`).
    """
    waiver = ({k: printable(v) if isinstance(v, str) else v for k, v in r.waiver.items()}
              if r.waiver else r.waiver)
    rid, title, file, message = printable(r.id), printable(r.title), printable(r.file), \
        printable(r.message)
    details = [printable(d) for d in r.details]
    longrepr = "\n".join(_inert_line(t) for t in r.longrepr.splitlines())
    items = [clean_evidence(e) for e in r.evidence] if evidence else r.evidence
    # Printable text comes back as the very object (as for evidence): a result whose
    # every text is printable is used as it is (the reporter only reads it), without
    # dataclasses.replace's copy (~40,000 instructions, twice a rule a run).
    if (rid is r.id and title is r.title and file is r.file and message is r.message
            and longrepr == r.longrepr and waiver == r.waiver
            and all(a is b for a, b in zip(details, r.details, strict=True))
            and (items is r.evidence or all(a is b for a, b in zip(items, r.evidence,
                                                                   strict=True)))):
        return r
    return dataclasses.replace(r, id=rid, title=title, file=file, message=message,
                               details=details, longrepr=longrepr, waiver=waiver,
                               evidence=items)


def clean_evidence(e: Evidence, places: bool = True) -> Evidence:
    """``e``, or a copy of it whose text cannot steer the terminal.

    Printable text comes back from :func:`printable` as the very object, and
    then ``e`` itself is used (the reporter only reads it): a copy of each of
    the ~25,000 evidence items of a 100,000-fact run, twice a run, was
    ~0.1 s of its CPU. ``places=False`` (without ``-v``): a place still to be
    found, which will not be shown, is left unread (results.place_later).
    """
    subject, detail = printable(e.subject), printable(e.detail)
    team = printable(e.team) if e.team else e.team
    if (not places and place_pending(e) and subject is e.subject and detail is e.detail
            and team is e.team):
        return e
    url = printable(e.url) if e.url else e.url
    file = printable(e.file) if e.file else e.file
    if (subject is e.subject and detail is e.detail and url is e.url and team is e.team
            and file is e.file):
        return e
    return dataclasses.replace(e, subject=subject, detail=detail, url=url, team=team, file=file)


def evidence_place(e: Evidence) -> str:
    return f"{e.file}:{e.line}" if e.line else (e.file or "")


def evidence_label(e: Evidence) -> str:
    """A place the check pointed at is the label; a data record is named by its subject.

    The row a record came from (``org/deployments.csv:26``) says less to a
    reader than ``deployment/dep-5560``, so it is shown after the detail,
    with ``-v`` only.
    """
    if not place_pending(e) and e.file and not e.record:  # pending: a record's, or none
        return evidence_place(e)
    return e.subject
