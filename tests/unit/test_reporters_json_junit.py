"""The JSON and JUnit XML reporters, and the report's JSON Schema.

Reports are built by hand with every outcome; every expected string and
count below is written out by hand from those reports.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import jsonschema
import pluggy
import pytest

import guardrails.hookspec
from guardrails.model import Evidence, Outcome, Report, Result, Severity
from guardrails.reporters import json as json_reporter
from guardrails.reporters import junitxml
from guardrails.reporters.json import JsonReporter
from guardrails.reporters.junitxml import JUnitReporter
from guardrails.timeutil import parse_timestamp
from guardrails.validation import load_schema

ODD = 'caused INC-731 <&>" in Zürich → 東京 \x07bell'
URL = "https://deploy.example/d?a=1&b=<2>"


def make_report() -> Report:
    """One result per outcome kind, in five packs."""
    results = [
        Result(
            id="stability::deployment-frequency", pack="stability",
            title="Deploy at least weekly", outcome=Outcome.PASSED, severity=Severity.ERROR,
            file="rules/stability.yaml", line=4, tags=("stability", "dora"),
            message="deployment frequency 2.50/week >= 1.00/week", value=2.5,
            unit="per_week", threshold={"min": 1.0}, samples=32, duration=0.012,
        ),
        Result(
            id="stability::change-failure-rate", pack="stability",
            title="Change failure rate stays under 15%", outcome=Outcome.FAILED,
            severity=Severity.ERROR, file="rules/stability.yaml", line=12,
            tags=("stability", "dora"), message="change failure rate 25.0% > 15.0%",
            value=0.25, unit="ratio", threshold={"max": 0.15}, samples=8,
            evidence=[
                Evidence("deployment/dep-5512", ODD, URL),
                Evidence("deployment/dep-5560", "no link", None, team="web"),
            ],
            details=["window 2026-08-22 .. 2026-11-20 (90 days)"], duration=0.034,
        ),
        Result(
            id="delivery::small-batches", pack="delivery", title="Small batches",
            outcome=Outcome.FAILED, severity=Severity.WARNING, file="rules/delivery.yaml",
            line=3, message="", value=412, unit="lines", threshold={"max": 400},
            samples=20, evidence=[Evidence("change/1893", "912 lines")], duration=0.5,
        ),
        Result(
            id="incidents::postmortem-exists", pack="incidents", title="Postmortems exist",
            outcome=Outcome.ERROR, severity=Severity.ERROR, file="rules/incidents.yaml",
            line=2, message="source pagerduty failed: HTTP 503",
            longrepr="Traceback (most recent call last):\n  boom", duration=0.25,
        ),
        Result(
            id="incidents::postmortem-blameless", pack="incidents", title="Blameless",
            outcome=Outcome.FAILED, severity=Severity.ERROR, file="rules/incidents.yaml",
            line=20, message="1 of 9 postmortems uses blame language", value=1,
            unit="count", threshold={"max": 0}, samples=9,
            evidence=[Evidence("postmortem/2026-10-07-login.md", '"operator error"',
                               file="org/postmortems/2026-10-07-login.md", line=23)],
        ),
        Result(
            id="culture::westrum-score", pack="culture", title="Generative culture",
            outcome=Outcome.SKIPPED, severity=Severity.ERROR, file="rules/culture.yaml",
            line=2, message="no survey answers in window", unit="score",
        ),
        Result(
            id="teams::two-pizza-teams", pack="teams", title="Two-pizza teams",
            outcome=Outcome.WAIVED, severity=Severity.ERROR, file="rules/teams.yaml", line=2,
            message="1 team outside 3..8 members", value=1, unit="count",
            threshold={"min": 0, "max": 0}, samples=6,
            evidence=[Evidence("team/core-infra", "11 members")],
            waiver={"reason": "splitting <the> team in Q1", "expires": "2027-01-31",
                    "subject": "team/core-infra"},
        ),
    ]
    return Report(now="2026-11-20T00:00:00Z", focus="stability", results=results,
                  duration=1.2345, exit_code=1,
                  warnings=["incident INC-690 names deployment dep-4980, not in the data"])


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def write_json(report: Report) -> str:
    out = io.StringIO()
    JsonReporter(out, options=None).finish(report)  # type: ignore[arg-type]
    return out.getvalue()


def schema_errors(data: object) -> list[str]:
    schema = load_schema("report")
    v = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [e.message for e in v.iter_errors(data)]


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema("report")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_json_shape_and_schema() -> None:
    text = write_json(make_report())
    assert text.endswith("}\n")
    data = json.loads(text)
    assert schema_errors(data) == []
    # Version 2 keeps version 1's keys first, in their order, and adds the rest.
    assert list(data) == ["version", "now", "focus", "summary", "warnings", "results",
                          "duration", "header", "sources", "collection", "rules", "waivers",
                          "baseline", "timings"]
    assert data["version"] == 3
    assert data["now"] == "2026-11-20T00:00:00Z"
    assert data["summary"] == {"failed": 3, "passed": 1, "skipped": 1, "error": 1,
                               "waived": 1, "duration_s": 1.23, "exit_code": 1}
    assert [r["outcome"] for r in data["results"]] == [
        "passed", "failed", "failed", "error", "failed", "skipped", "waived"]
    cfr = data["results"][1]
    assert list(cfr) == ["id", "outcome", "severity", "title", "value", "unit", "threshold",
                         "samples", "message", "evidence", "waiver", "tags", "file", "line",
                         "details", "duration"]
    assert cfr["evidence"] == [
        {"subject": "deployment/dep-5512", "detail": ODD, "url": URL},
        {"subject": "deployment/dep-5560", "detail": "no link", "url": None, "team": "web"},
    ]
    assert data["results"][2]["severity"] == "warning"
    assert data["results"][4]["evidence"][0]["line"] == 23
    assert data["results"][6]["waiver"]["expires"] == "2027-01-31"


def test_json_text_is_utf8_with_control_chars_escaped() -> None:
    text = write_json(make_report())
    assert "Zürich → 東京" in text  # not \u escapes
    assert "\x07" not in text
    assert "\\u0007bell" in text
    assert '<&>\\"' in text
    assert '\n  "version": 3,\n' in text  # indent=2


def test_json_roundtrip_through_report_from_json() -> None:
    report = make_report()
    back = Report.from_json(json.loads(write_json(report)))
    # Version 2 carries per-rule durations and tracebacks too.
    assert back.results == report.results
    assert back == report
    assert back.now == "2026-11-20T00:00:00Z"
    assert back.focus == "stability"
    assert back.exit_code == 1
    assert back.warnings == report.warnings


def test_json_is_byte_identical_for_equal_reports() -> None:
    first, second = make_report(), make_report()
    assert first is not second
    a = write_json(first).encode("utf-8")
    assert a == write_json(second).encode("utf-8")
    assert json_reporter.render(first) == a.decode("utf-8")


def test_json_floats_rounded_to_six_places() -> None:
    r = Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED, severity=Severity.ERROR,
               value=3 / 14, unit="ratio", threshold={"max": 0.1 + 0.2}, samples=14)
    nan = Result(id="p::s", pack="p", title="t", outcome=Outcome.FAILED,
                 severity=Severity.ERROR, value=float("nan"), unit="ratio",
                 threshold={"min": -0.0000001})
    text = write_json(Report(now="2026-11-20", focus=None, results=[r, nan]))
    assert '"value": 0.214286,' in text
    assert '"max": 0.3' in text
    assert "0.30000000000000004" not in text
    assert "NaN" not in text
    data = json.loads(text)
    assert data["results"][1]["value"] is None
    assert data["results"][1]["threshold"] == {"min": 0.0}
    assert str(data["results"][1]["threshold"]["min"]) == "0.0"  # not -0.0
    assert data["focus"] is None
    assert schema_errors(data) == []


@pytest.mark.parametrize(
    ("path", "bad", "fragment"),
    [
        (("results", 0, "outcome"), "flaky", "'flaky' is not one of"),
        (("results", 0, "id"), "no-pack-separator", "does not match"),
        (("results", 0, "unit"), "furlongs", "'furlongs' is not one of"),
        (("results", 1, "evidence", 0, "subject"), "dep-5512", "does not match"),
        (("results", 6, "waiver"), None, "None is not of type 'object'"),
        (("results", 0, "waiver"), {"reason": "r", "expires": "2027-01-31"}, "is not of type"),
        (("results", 6, "waiver", "expires"), "next year", "does not match"),
        (("summary", "exit_code"), 7, "7 is not one of"),
        (("results", 0, "surprise"), 1, "Additional properties"),
    ],
)
def test_schema_rejects(path: tuple, bad: object, fragment: str) -> None:
    data = json.loads(write_json(make_report()))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    errors = schema_errors(data)
    assert errors, f"schema accepted {bad!r} at {path}"
    assert any(fragment in e for e in errors), errors


# ---------------------------------------------------------------------------
# JUnit XML
# ---------------------------------------------------------------------------


def write_junit(report: Report) -> str:
    out = io.StringIO()
    JUnitReporter(out, options=None).finish(report)  # type: ignore[arg-type]
    return out.getvalue()


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def test_junit_declaration_and_bytes_are_stable() -> None:
    text = write_junit(make_report())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    assert text == write_junit(make_report())


def test_junit_suites_and_counts() -> None:
    root = parse(write_junit(make_report()))
    assert root.tag == "testsuites"
    assert root.attrib == {"name": "guardrails", "tests": "7", "failures": "3", "errors": "1",
                           "time": "1.234"}
    suites = root.findall("testsuite")
    got = [(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors"),
            s.get("skipped"), s.get("time"), s.get("timestamp")) for s in suites]
    assert got == [
        ("stability", "2", "1", "0", "0", "0.046", "2026-11-20T00:00:00+00:00"),
        ("delivery", "1", "1", "0", "0", "0.500", "2026-11-20T00:00:00+00:00"),
        ("incidents", "2", "1", "1", "0", "0.250", "2026-11-20T00:00:00+00:00"),
        ("culture", "1", "0", "0", "1", "0.000", "2026-11-20T00:00:00+00:00"),
        ("teams", "1", "0", "0", "1", "0.000", "2026-11-20T00:00:00+00:00"),
    ]
    focus = suites[0].find("properties/property")
    assert focus is not None and focus.attrib == {"name": "focus", "value": "stability"}
    cases = [(c.get("classname"), c.get("name"), c.get("file")) for c in root.iter("testcase")]
    assert cases[:2] == [("guardrails.stability", "deployment-frequency", "rules/stability.yaml"),
                         ("guardrails.stability", "change-failure-rate", "rules/stability.yaml")]
    assert cases[6] == ("guardrails.teams", "two-pizza-teams", "rules/teams.yaml")


def cases_by_name(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name"): c for c in root.iter("testcase")}


def test_junit_elements_per_outcome() -> None:
    cases = cases_by_name(parse(write_junit(make_report())))
    assert list(cases["deployment-frequency"]) == []
    assert cases["deployment-frequency"].get("time") == "0.012"

    failure = cases["change-failure-rate"].find("failure")
    assert [c.tag for c in cases["change-failure-rate"]] == ["failure"]
    assert failure.attrib == {"message": "change failure rate 25.0% > 15.0%", "type": "error"}
    assert failure.text == (
        "stability::change-failure-rate: Change failure rate stays under 15%\n"
        "change failure rate 25.0% > 15.0%\n"
        "measured 25.0% (0.25 ratio), threshold max 15.0%, 8 samples\n"
        "window 2026-08-22 .. 2026-11-20 (90 days)\n"
        "evidence (2):\n"
        '  deployment/dep-5512  caused INC-731 <&>" in Zürich → 東京 \\x07bell  '
        "https://deploy.example/d?a=1&b=<2>\n"
        "  deployment/dep-5560  no link"
    )

    warn = cases["small-batches"].find("failure")
    # No message from the check: the comparison stands in.
    assert warn.attrib == {"message": "412 lines > 400 lines", "type": "warning"}
    assert warn.text == (
        "delivery::small-batches: Small batches\n"
        "measured 412 lines, threshold max 400 lines, 20 samples\n"
        "evidence (1):\n"
        "  change/1893  912 lines"
    )

    blame = cases["postmortem-blameless"].find("failure")
    assert "\nmeasured 1, threshold max 0, 9 samples\n" in blame.text
    assert blame.text.endswith(
        '  postmortem/2026-10-07-login.md  org/postmortems/2026-10-07-login.md:23  '
        '"operator error"')

    error = cases["postmortem-exists"].find("error")
    assert [c.tag for c in cases["postmortem-exists"]] == ["error"]
    assert error.attrib == {"message": "source pagerduty failed: HTTP 503", "type": "error"}
    assert error.text == (
        "incidents::postmortem-exists: Postmortems exist\n"
        "source pagerduty failed: HTTP 503\n\n"
        "Traceback (most recent call last):\n  boom"
    )

    skipped = cases["westrum-score"]
    assert [c.tag for c in skipped] == ["skipped"]
    assert skipped[0].attrib == {"message": "no survey answers in window"}
    assert not (skipped[0].text or "").strip()

    waived = cases["two-pizza-teams"]
    assert [c.tag for c in waived] == ["properties", "skipped"]
    props = {p.get("name"): p.get("value") for p in waived.find("properties")}
    assert props == {"waiver.reason": "splitting <the> team in Q1",
                     "waiver.expires": "2027-01-31", "waiver.subject": "team/core-infra"}
    assert waived.find("skipped").attrib == {
        "message": "waived until 2027-01-31: splitting <the> team in Q1 (team/core-infra)"}
    assert "  team/core-infra  11 members" in waived.find("skipped").text


def test_junit_escapes_markup_and_forbidden_characters() -> None:
    text = write_junit(make_report())
    assert "\x07" not in text
    assert "&lt;&amp;&gt;" in text
    assert 'value="splitting &lt;the&gt; team in Q1"' in text
    assert "Zürich → 東京" in text
    bad = Result(id="p::r\x01", pack="p", title="a\x00b\ufffe", outcome=Outcome.FAILED,
                 severity=Severity.ERROR, message="tab\tnew\nline\x1b[31m",
                 evidence=[Evidence("team/x", "\ud800")])
    root = parse(write_junit(Report(now="2026-11-20", focus=None, results=[bad])))
    case = root.find("testsuite/testcase")
    assert case.get("name") == "r\\x01"
    failure = case.find("failure")
    assert failure.get("message") == "tab\tnew\nline\\x1b[31m"
    assert failure.text.startswith("p::r\\x01: a\\x00b\\ufffe\n")
    assert failure.text.endswith("  team/x  \\ud800")
    assert root.find("testsuite").find("properties") is None  # no focus


def test_junit_shows_bidi_c1_and_line_separators_escaped_not_obeyed() -> None:
    """What the terminal and JSON reports never show raw (guardrails/textsafe.py) stays
    out of the JUnit XML too: a CI view renders it as HTML, where U+202E reorders the
    line ("Trojan Source"), and a log shows it, where \\x9b is a CSI."""
    hostile = "a\u202eb\u2066c\u2069 \x85\x9b[31m \x7f \u2028\u2029 ##[error]x"
    bad = Result(id=f"p::{hostile}", pack="p", title=hostile, outcome=Outcome.FAILED,
                 severity=Severity.ERROR, message=hostile,
                 evidence=[Evidence(f"team/{hostile}", hostile)])
    text = write_junit(Report(now="2026-11-20", focus=None, results=[bad]))
    for ch in "\u202e\u2066\u2069\x85\x9b\x7f\u2028\u2029":
        assert ch not in text, repr(ch)
    assert "##[" not in text  # GitHub's runner obeys it anywhere in a logged line
    shown = "a\\u202eb\\u2066c\\u2069 \\x85\\x9b[31m \\x7f \\u2028\\u2029 ##[error]x"
    case = parse(text).find("testsuite/testcase")
    assert case.get("name") == shown  # a character reference reads back as '['
    assert case.find("failure").get("message") == shown
    assert case.find("failure").text.endswith(f"  team/{shown}  {shown}")
    # Text that needs nothing is left as it is, line breaks and tabs included.
    plain = Result(id="p::r", pack="p", title="Zürich → 東京\tok", outcome=Outcome.FAILED,
                   severity=Severity.ERROR, message="one\ntwo")
    got = parse(write_junit(Report(now="2026-11-20", focus=None, results=[plain])))
    failure = got.find("testsuite/testcase/failure")
    assert failure.get("message") == "one\ntwo"
    assert failure.text.startswith("p::r: Zürich → 東京\tok\none\ntwo")


@pytest.mark.parametrize(
    ("now", "stamp"),
    [
        ("2026-11-20T10:30:00+02:00", "2026-11-20T08:30:00+00:00"),
        ("2026-11-20T10:30:00.123456Z", "2026-11-20T10:30:00+00:00"),
        ("2026-11-20", "2026-11-20T00:00:00+00:00"),
        ("2026-11-20T01:30:00-05:00", "2026-11-20T06:30:00+00:00"),
        ("yesterday", "yesterday"),
    ],
)
def test_junit_timestamp(now: str, stamp: str) -> None:
    r = Result(id="p::r", pack="p", title="t", outcome=Outcome.PASSED, severity=Severity.ERROR)
    root = parse(write_junit(Report(now=now, focus=None, results=[r])))
    assert root.find("testsuite").get("timestamp") == stamp
    if stamp != now:  # one instant, whoever reads it: the offset is written
        exact = parse_timestamp(now, default_tz=UTC).replace(microsecond=0)
        assert datetime.fromisoformat(stamp) == exact


# The structure of Jenkins' xUnit plugin schema for JUnit (junit-10.xsd),
# transcribed by hand: allowed and required attributes and children.
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")
JENKINS = {
    "testsuites": ({"name", "time", "tests", "failures", "errors"}, set(), {"testsuite"}),
    "testsuite": (
        {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
         "hostname", "id", "package", "file", "log", "url"},
        {"name", "tests", "failures", "errors"},
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
    ),
    # "file" and a testcase's "properties" are the two documented additions
    # (pytest's xunit1 family writes them too; Jenkins' JUnit plugin reads them).
    "testcase": ({"name", "time", "classname", "group", "file"}, {"name"},
                 {"skipped", "error", "failure", "system-out", "system-err", "properties"}),
    "properties": (set(), set(), {"property"}),
    "property": ({"name", "value"}, {"name", "value"}, set()),
    "failure": ({"type", "message"}, set(), set()),
    "error": ({"type", "message"}, set(), set()),
    "skipped": ({"type", "message"}, set(), set()),
}


def check_jenkins_structure(el: ET.Element) -> None:
    allowed, required, children = JENKINS[el.tag]
    assert set(el.attrib) <= allowed, (el.tag, el.attrib)
    assert required <= set(el.attrib), (el.tag, el.attrib)
    if "time" in el.attrib:
        assert SUREFIRE_TIME.fullmatch(el.get("time")), el.get("time")
    for child in el:
        assert child.tag in children, (el.tag, child.tag)
        check_jenkins_structure(child)
    if el.tag == "testsuite":
        cases = el.findall("testcase")
        assert int(el.get("tests")) == len(cases)
        assert int(el.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(el.get("errors")) == sum(c.find("error") is not None for c in cases)
        assert int(el.get("skipped")) == sum(c.find("skipped") is not None for c in cases)


def test_junit_matches_jenkins_structure() -> None:
    check_jenkins_structure(parse(write_junit(make_report())))


def test_jenkins_structure_check_can_fail() -> None:
    root = parse(write_junit(make_report()))
    root.find("testsuite").attrib.pop("errors")
    with pytest.raises(AssertionError):
        check_jenkins_structure(root)


def test_empty_report() -> None:
    root = parse(write_junit(Report(now="2026-11-20", focus=None)))
    assert root.attrib == {"name": "guardrails", "tests": "0", "failures": "0", "errors": "0",
                           "time": "0.000"}
    assert list(root) == []
    data = json.loads(write_json(Report(now="2026-11-20", focus=None)))
    assert data["results"] == [] and schema_errors(data) == []


# ---------------------------------------------------------------------------
# plugin registration
# ---------------------------------------------------------------------------


def test_reporters_register_through_the_hook() -> None:
    pm = pluggy.PluginManager("guardrails")
    pm.add_hookspecs(guardrails.hookspec)
    pm.register(json_reporter)
    pm.register(junitxml)
    formats = {cls.name: cls for group in pm.hook.guardrails_report_formats() for cls in group}
    assert formats == {"json": JsonReporter, "junit": JUnitReporter}


def test_junit_duration_shows_human_and_raw_value() -> None:
    # 181440 s = 2.1 days; 604800 s = 7 days, written "7d" (a whole number drops ".0").
    r = Result(id="stability::lead-time", pack="stability", title="", outcome=Outcome.FAILED,
               severity=Severity.ERROR, value=181440.0, unit="seconds",
               threshold={"min": 604800.0}, samples=1)
    failure = parse(write_junit(Report(now="2026-11-20", focus=None, results=[r]))).find(
        "testsuite/testcase/failure")
    assert failure.get("message") == "2.1d < 7d"
    assert failure.text == (
        "stability::lead-time\n"
        "measured 2.1d (181440 seconds), threshold min 7d, 1 sample"
    )


def test_durations_render_the_same_from_a_saved_report() -> None:
    """0.00049999951 s prints 0.000 as is, 0.001 once saved with six decimals (0.0005);
    0.0049999996 s prints 0.00 and 0.01 at two decimals. JUnit and the terminal
    format what the JSON keeps, so the live and the saved renderings agree."""
    from guardrails.plugin import ReportOptions
    from guardrails.reporters.terminal import TerminalReporter

    report = make_report()
    report.duration = 0.0049999996
    for r in report.results:
        r.duration = 0.00049999951
    again = Report.from_json(json.loads(write_json(report)))
    assert write_junit(again) == write_junit(report)

    def final_line(rep: Report) -> str:
        out = io.StringIO()
        TerminalReporter(out, ReportOptions(verbosity=-2)).finish(rep)
        return out.getvalue().splitlines()[-1]

    assert final_line(again) == final_line(report)
    assert final_line(report).endswith(" in 0.01s")
