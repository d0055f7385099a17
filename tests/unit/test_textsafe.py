"""Data text shown inert (guardrails.textsafe.printable)."""

from __future__ import annotations

import unicodedata

import pytest
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.textsafe import hide_url_secrets, printable, safe_query


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain text, ünïcode ✓", "plain text, ünïcode ✓"),
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
    ("a\rb\nc", "a\\rb\\nc"),
    ("tab\tstays", "tab\tstays"),
    ("\x9b31m", "\\x9b31m"),  # the one-byte C1 CSI
    ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
    ("bad\ud800", "bad\\ud800"),
    ("\x00\x7f", "\\x00\\x7f"),
    (None, ""),
    (42, "42"),
])
def test_printable(raw: object, shown: str) -> None:
    assert printable(raw) == shown


def test_newlines_can_be_kept_for_blocks() -> None:
    assert printable("one\ntwo\x1b", newlines=True) == "one\ntwo\\x1b"


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=[]), max_size=40))
def test_nothing_unsafe_survives(text: str) -> None:
    out = printable(text)
    for ch in out:
        assert unicodedata.category(ch) not in ("Cc", "Cs") or ch == "\t", repr(out)
        assert ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    out.encode("utf-8")  # always encodable


def test_text_that_is_all_printable_cannot_hold_an_unsafe_character() -> None:
    # printable() and excerpt() return such text as it is, without their patterns:
    # that is right only while every character a pattern names is not printable.
    import re

    from guardrails.textsafe import _CLASSES

    every = "".join(map(chr, range(0x110000)))
    for name, cls in _CLASSES.items():
        named = re.findall(cls, every)
        assert named, name
        assert not [hex(ord(c)) for c in named if c.isprintable()], name


def test_escapes_still_apply_to_text_that_is_not_printable() -> None:
    from guardrails import textsafe

    assert printable("tab\there") == "tab\there"  # not printable, yet kept
    assert printable("a\u202eb") == "a\\u202eb"
    assert textsafe.excerpt("a\u2028b") == "a\\u2028b"


def test_the_terminal_shows_evidence_inert_and_keeps_what_is_already_printable() -> None:
    from guardrails.model import Evidence, Outcome, Result, Severity
    from guardrails.reporters.terminal import clean

    plain = Evidence("deployment/d-1", "failed, by ann", url="https://x/1", team="web",
                     file="org/deployments.csv", line=2, record=True)
    hostile = Evidence("change/\x1b[2J", "by \x1b]0;pwned\x07", url="https://x/\x9b",
                       team="we\u202eb", file="org/a\rb.csv", line=3, record=True)
    r = Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED, severity=Severity.ERROR,
               evidence=[plain, hostile])
    shown = clean(r).evidence
    assert shown[0] is plain  # nothing to escape: the reporter reads it as it is
    assert (shown[1].subject, shown[1].detail, shown[1].url, shown[1].team, shown[1].file) == (
        "change/\\x1b[2J", "by \\x1b]0;pwned\\x07", "https://x/\\x9b", "we\\u202eb",
        "org/a\\rb.csv")
    assert (shown[1].line, shown[1].record) == (3, True)
    assert hostile.subject == "change/\x1b[2J"  # the result itself is not changed


@pytest.mark.parametrize("field", ["id", "title", "file", "message", "details", "longrepr",
                                   "waiver", "evidence"])
def test_a_result_with_nothing_to_escape_is_shown_as_it_is(field: str) -> None:
    """A printable result is the very object; one unprintable text anywhere gets a copy
    with that text escaped, the result itself unchanged."""
    from guardrails.model import Evidence, Outcome, Result, Severity
    from guardrails.reporters.terminal import clean

    def result(bad: str) -> Result:
        texts = {f: bad if f == field else "" for f in ("id", "title", "file", "message",
                                                         "longrepr")}
        return Result(id=texts["id"] or "p::r", pack="p", title=texts["title"] or "t",
                      outcome=Outcome.FAILED, severity=Severity.ERROR,
                      file=texts["file"] or "rules/p.yaml", message=texts["message"] or "m",
                      details=[bad if field == "details" else "d"],
                      longrepr=texts["longrepr"] or "line one\nline two",
                      waiver={"reason": bad if field == "waiver" else "why", "days": 3},
                      evidence=[Evidence("team/web", bad if field == "evidence" else "x")])

    plain = result("fine")
    assert clean(plain) is plain
    assert clean(plain, evidence=False) is plain
    hostile = result("a\x1b[2Jb")
    shown = clean(hostile)
    assert shown is not hostile
    got = {"id": shown.id, "title": shown.title, "file": shown.file, "message": shown.message,
           "details": shown.details[0], "longrepr": shown.longrepr,
           "waiver": (shown.waiver or {}).get("reason"), "evidence": shown.evidence[0].detail}
    assert got[field] == "a\\x1b[2Jb"
    assert "\x1b" in (getattr(hostile, field) if field in ("id", "title", "file", "message",
                                                           "longrepr") else "\x1b")


@pytest.mark.parametrize(("verbosity", "group_by"), [(0, None), (1, None), (0, "team")])
def test_the_terminal_cleans_the_evidence_it_shows_and_counts_the_rest(
        verbosity: int, group_by: str | None) -> None:
    """Evidence is cleaned where a failure block shows it (five items without -v)."""
    import io

    from guardrails.model import Evidence, Outcome, Result, Severity
    from guardrails.plugin import ReportOptions
    from guardrails.reporters.terminal import TerminalReporter

    items = [Evidence(f"change/c-{i}\x1b[2J", f"by \x1b]0;pwned\x07 {i}", team="we\x07b")
             for i in range(7)]
    r = Result(id="p::r", pack="p", title="t", outcome=Outcome.FAILED, severity=Severity.ERROR,
               evidence=items)
    out = io.StringIO()
    rep = TerminalReporter(out, ReportOptions(verbosity=verbosity, group_by=group_by))
    rep._evidence(r.evidence)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    shown = 7 if verbosity else 5
    assert text.count("change/c-") == shown
    assert ("... 2 more (-v to show all)" in text) is (not verbosity)
    assert ("team we\\x07b:" in text) is (group_by == "team")
    assert items[0].subject == "change/c-0\x1b[2J"  # the result itself is not changed


@pytest.mark.parametrize(("query", "shown"), [
    ("", ""),
    ("page=3&per_page=100", "page=3&per_page=100"),
    ("per_page=100&access_token=abc123", "per_page=100&***"),
    ("ghp_pastedTOKEN", "***"),  # no name: the part itself may be the token
    ("page", "***"),  # a shown name without a value is not a parameter of ours
    ("service_ids%5B%5D=P1&statuses%5B%5D=resolved",  # PagerDuty's, as urlencode writes
     "service_ids%5B%5D=P1&statuses%5B%5D=resolved"),
    ("X-Amz-Signature=abc&X-Amz-Credential=AKIA", "***&***"),
    ("t=abc&page=2", "***&page=2"),
    ("page=1;access_token=ghp_SECRETabc", "page=1&***"),  # ";" parts a query too
])
def test_a_query_shows_only_guardrails_own_parameters(query: str, shown: str) -> None:
    assert safe_query(query) == shown


@pytest.mark.parametrize(("text", "shown"), [
    ("no URL here", "no URL here"),
    ("'https://ghe.example/api/v3?access_token=ghp_x' is not a 'uri'",
     "'https://ghe.example/api/v3?***' is not a 'uri'"),
    ("https://deploy:hunter2@gitlab.example/api/v4?page=2#tok",
     "https://***@gitlab.example/api/v4?page=2#***"),
    ("a http://h/x?per_page=1&key=k and https://h/y?x", "a http://h/x?per_page=1&*** and https://h/y?***"),
    ("'https://deploy:p@ss@ghe.example/api/v3' is bad",  # user info up to the last @
     "'https://***@ghe.example/api/v3' is bad"),
])
def test_urls_in_a_message_hide_user_info_fragment_and_unknown_parameters(
        text: str, shown: str) -> None:
    assert hide_url_secrets(text) == shown


@pytest.mark.parametrize("api_url", [
    "ghe.example/api/v3?access_token=ghp_SECRETabc",  # no scheme: no URL to find
    "https:/ghe.example/api/v3?access_token=ghp_SECRETabc",  # a typo in the scheme
    "https://ghe.example/a'b?access_token=ghp_SECRETabc",  # a quote ends a quoted URL
    "https://ghe.example/a b?access_token=ghp_SECRETabc",
    "https://deploy:ghp_SECRETabc@ghe.example/api/v3;x",
    "https://ghe.example/api/v3?page=1;access_token=ghp_SECRETabc",
    "https://h/p?page=1\faccess_token=ghp_SECRETabc",  # shown as \x0c: one page= part
    "https://h/p?page=1\u2028access_token=ghp_SECRETabc",
    "https://h/p?page=1\xa0access_token=ghp_SECRETabc",
])
def test_a_schema_error_never_quotes_a_secret_of_a_refused_url(api_url: str) -> None:
    """The schema error on api_url (it allows no user info, query or fragment) shows
    none of a token pasted into it, however the URL is spelt."""
    from guardrails.sources.http_settings import COMMON_PROPERTIES
    from guardrails.validation import errors_of

    schema = {"type": "object", "properties": {"api_url": COMMON_PROPERTIES["api_url"]}}
    problems = [str(e) for e in errors_of({"api_url": api_url}, schema, file="x.yaml")]
    assert problems and all("api_url" in p for p in problems), problems
    assert not any("SECRET" in p for p in problems), problems


def test_the_merged_table_starts_no_line_with_a_workflow_command() -> None:
    """guardrails merge's table: a report saved as '::error ....json' names a row, and a
    team named so a line of the teams; no line may start, even indented, with '::'."""
    from guardrails.orgrender import terminal

    org = {"repositories": [{"name": "::error title=forged::pwn", "summary": {}}],
           "teams": [{"team": "::warning::team", "evidence": 1, "rules": ["p::r"],
                      "repositories": ["a"]}]}
    lines = terminal(org).splitlines()
    assert any("::error title=forged::pwn" in line for line in lines)
    assert not [line for line in lines if line.lstrip().startswith("::")], lines


def test_the_older_runner_syntax_is_broken_up_wherever_it_stands() -> None:
    assert printable("INC-1 ##[error]x") == "INC-1 ##\\[error]x"
    assert printable("a\n##[stop-commands]t", newlines=True) == "a\n##\\[stop-commands]t"
    assert printable("plain") == "plain"
