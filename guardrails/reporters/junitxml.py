"""``--format junit``: JUnit XML for the test report views of CI systems.

One ``<testsuites>`` holds one ``<testsuite>`` per pack (in the order packs
first appear in the report) and one ``<testcase>`` per rule, so Jenkins'
JUnit plugin, GitLab's merge request test report and the GitHub Actions
JUnit reporters show rules as tests, grouped by pack.

How outcomes map onto JUnit, which only knows pass, failure, error and skip:

- ``failed`` -> ``<failure type="<severity>">``: the message is the measured
  value against its threshold, the text lists the evidence one subject a
  line. A failed rule at severity ``warning`` is still a ``<failure>`` (with
  ``type="warning"``): it is a finding people should see in the CI view, even
  though it does not fail the run unless ``--strict``; JUnit has no
  "passed with warnings".
- ``error`` -> ``<error type="error">`` with the reason (and the traceback
  when a check crashed).
- ``skipped`` -> ``<skipped message="<reason>">``.
- ``waived`` -> ``<skipped message="waived until <date>: <reason>">`` plus
  ``<properties>`` naming the waiver. pytest maps waived to xfail, but JUnit
  has no expected failure; a skip is the only outcome every consumer shows
  as "not counted, with a reason". Counting it as a failure would break the
  gate the waiver exists to open, counting it as a pass would hide it. The
  text of the ``<skipped>`` element still carries the findings.

Attributes are those of the schema Jenkins' xUnit plugin ships for JUnit
(``junit-10.xsd``: required ``name``/``tests``/``failures``/``errors`` on a
testsuite, ``name`` on a testcase, ``name``/``value`` on a property, times as
plain decimals), plus two that pytest's ``xunit1`` family also writes and
the strict XSD does not list: ``file`` on ``<testcase>`` (GitLab and the
GitHub annotators use it to point at the rule file) and ``<properties>``
inside a ``<testcase>`` (Jenkins' JUnit plugin keeps them with
``keepProperties: true``). Jenkins splits ``classname`` at its last dot, so
``guardrails.<pack>`` shows as package ``guardrails``, class ``<pack>``.

``timestamp`` is ``report.now`` in UTC with its offset written out
(``2026-11-20T00:00:00+00:00``), the instant the run judged as of (``--now``
when given, so the document is the same every run). A time without an offset
is read in the reader's own zone by JavaScript's ``Date`` (the GitHub test
reporters) and was UTC or local depending on the producer; pytest writes the
offset too (``isoformat()``, since 8.3), so readers that take pytest's
reports take this one. It is a valid ``xs:dateTime``, and the schema Jenkins'
xUnit plugin checks against takes any string there; only the Ant task's own
XSD forbids an offset, and a document for it also needs ``hostname``,
``package`` and ``id``, which no reader here asks for.
Characters XML 1.0 cannot carry (most C0 controls, lone surrogates) are
written as Python escapes (``\\x07``, ``\\ufffe``), and so are those the
terminal and JSON reports never show raw (guardrails/textsafe.py): C1
controls and DEL (``\\x9b`` is a CSI in a log), the bidirectional overrides
and isolates (U+202A-U+202E, U+2066-U+2069: a CI view renders the text as
HTML, where they reorder it) and the line separators. ``##[`` is written
``##&#91;`` (GitHub's runner obeys it anywhere in a logged line). The
document is UTF-8 with an XML declaration.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC
from typing import TYPE_CHECKING, Any

from guardrails import fmt
from guardrails.model import Outcome
from guardrails.plugin import DocumentReporter, Reporter, hookimpl
from guardrails.reporters.json import FLOAT_PLACES, stable
from guardrails.textsafe import inert_xml, xml_text
from guardrails.timeutil import parse_timestamp

if TYPE_CHECKING:
    from guardrails.model import Evidence, Report, Result

def xml_safe(text: Any) -> str:
    """``text`` as ``str`` with characters XML 1.0 forbids, and those a CI view or a log
    would obey (bidi overrides, C1 controls), shown as ``\\xNN``/``\\uNNNN``
    (:func:`guardrails.textsafe.xml_text`)."""
    return xml_text(text)


def junit_timestamp(now: str) -> str:
    """``report.now`` as ``YYYY-MM-DDTHH:MM:SS+00:00`` (UTC, the offset written), or
    as given if unreadable."""
    try:
        dt = parse_timestamp(now, default_tz=UTC)  # a bare date reads as midnight
    except ValueError:
        return xml_safe(now)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def saved(t: float) -> float:
    """A duration as a saved JSON report holds it (six decimals, reporters/json.py).

    Formatting the raw value live and the saved one on re-rendering may
    round the last digit differently; formatting what the JSON keeps makes
    both the same bytes.
    """
    return round(t, 6)


def _seconds(t: float) -> str:
    # Plain decimals: Surefire's time pattern rejects exponents such as 1e-05.
    return f"{max(saved(t), 0.0):.3f}"


def _threshold_text(threshold: dict[str, Any] | None, unit: str | None) -> str:
    if not threshold:
        return "none"
    parts = []
    for key, bound in threshold.items():
        shown = fmt.value(bound, unit) if isinstance(bound, int | float) else str(bound)
        parts.append(f"{key} {shown}")
    return ", ".join(parts)


def _evidence_line(ev: Evidence) -> str:
    parts = [ev.subject]
    if ev.file:
        parts.append(f"{ev.file}:{ev.line}" if ev.line else ev.file)
    if ev.detail:
        parts.append(ev.detail)
    if ev.url:
        parts.append(ev.url)
    return "  " + "  ".join(parts)


def findings_text(result: Result) -> str:
    """The body of a failure: value vs threshold, details, then the evidence."""
    lines = [f"{result.id}: {result.title}" if result.title else result.id]
    if result.message:
        lines.append(result.message)
    if result.value is not None or result.threshold:
        shown = fmt.value(result.value, result.unit)
        measured = f"measured {shown}"
        # The raw number as the JSON report holds it (six decimals: no float noise such
        # as 887.7000000000005), so a saved report renders the same document again.
        value = stable(result.value)
        raw = f"{fmt.number(value, FLOAT_PLACES) if value is not None else ''} " \
              f"{result.unit or ''}".strip()
        # The raw number too when the human form rounds or converts it (25.0% is 0.25 ratio).
        if value is not None and shown not in (raw, fmt.number(value, FLOAT_PLACES)):
            measured += f" ({raw})"
        measured += f", threshold {_threshold_text(result.threshold, result.unit)}"
        if result.samples is not None:
            measured += f", {fmt.plural(result.samples, 'sample')}"
        lines.append(measured)
    lines.extend(result.details)
    if result.evidence:
        lines.append(f"evidence ({len(result.evidence)}):")
        lines.extend(_evidence_line(ev) for ev in result.evidence)
    return "\n".join(lines)


def _message(result: Result) -> str:
    if result.message:
        return result.message
    if result.value is not None:
        return fmt.comparison(result.value, result.unit, result.threshold, passed=False)
    return result.title or result.id


def _waiver_message(waiver: dict[str, Any] | None) -> str:
    if not waiver:
        return "waived"
    msg = f"waived until {waiver.get('expires', '?')}: {waiver.get('reason', '')}"
    if waiver.get("subject"):
        msg += f" ({waiver['subject']})"
    return msg


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text:
        el.text = xml_safe(text)
    return el


def testcase(suite: ET.Element, result: Result) -> ET.Element:
    """Append the ``<testcase>`` of one rule to ``suite``."""
    attrs = {"classname": f"guardrails.{result.pack}", "name": result.id.split("::", 1)[-1]}
    if result.file:
        attrs["file"] = result.file
    attrs["time"] = _seconds(result.duration)
    case = _sub(suite, "testcase", **attrs)
    outcome = result.outcome
    if outcome is Outcome.FAILED:
        _sub(case, "failure", findings_text(result), message=_message(result),
             type=result.severity.value)
    elif outcome is Outcome.ERROR:
        text = findings_text(result)
        if result.longrepr:
            text += "\n\n" + result.longrepr
        _sub(case, "error", text, message=_message(result), type="error")
    elif outcome is Outcome.SKIPPED:
        _sub(case, "skipped", message=result.message or "skipped")
    elif outcome is Outcome.WAIVED:
        props = _sub(case, "properties")
        for key, value in (result.waiver or {}).items():
            _sub(props, "property", name=f"waiver.{key}", value=value)
        _sub(case, "skipped", findings_text(result), message=_waiver_message(result.waiver))
    return case


def _count(results: list[Result], *outcomes: Outcome) -> str:
    return str(sum(r.outcome in outcomes for r in results))


def build(report: Report) -> ET.Element:
    """The ``<testsuites>`` element of a report."""
    stamp = junit_timestamp(report.now)
    packs: dict[str, list[Result]] = {}
    for r in report.results:
        packs.setdefault(r.pack, []).append(r)
    # The schema lists no skipped/timestamp on <testsuites>; each suite has them.
    root = ET.Element("testsuites", {
        "name": "guardrails",
        "tests": str(len(report.results)),
        "failures": _count(report.results, Outcome.FAILED),
        "errors": _count(report.results, Outcome.ERROR),
        "time": _seconds(report.duration),
    })
    for pack, results in packs.items():
        suite = _sub(
            root, "testsuite", name=pack, tests=len(results),
            failures=_count(results, Outcome.FAILED), errors=_count(results, Outcome.ERROR),
            skipped=_count(results, Outcome.SKIPPED, Outcome.WAIVED),
            time=_seconds(sum(saved(r.duration) for r in results)), timestamp=stamp,
        )
        if report.focus:
            _sub(_sub(suite, "properties"), "property", name="focus", value=report.focus)
        for r in results:
            testcase(suite, r)
    return root


def render(report: Report) -> str:
    """The JUnit XML document, with its declaration, as text."""
    root = build(report)
    ET.indent(root)
    return inert_xml('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode")
                     + "\n")


class JUnitReporter(DocumentReporter):
    """Writes JUnit XML once the run is over (open ``out`` as UTF-8)."""

    name = "junit"

    def render(self, report: Report) -> str:
        return render(report)


@hookimpl
def guardrails_report_formats() -> list[type[Reporter]]:
    return [JUnitReporter]
