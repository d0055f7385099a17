"""guardrails.schemapatterns answers what the regexes (and jsonschema's ``date``
format) answer, for every text: a table of valid and invalid texts, random texts
from an alphabet of the patterns' traps, and the character classes on every code
point."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import smallschema
from guardrails.schemapatterns import SEARCHES, is_date

ROOT = Path(__file__).resolve().parents[2]

_RULE = r"^[^:\s]+::[^:\s]+$"
_SUBJECT = r"^[a-z_]+/.+$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_WINDOW = r"^[0-9]+(\.[0-9]+)?[smhdw]$"

#: texts each pattern is asked about: valid, invalid, and their edges (an empty
#: text, a final line feed, non-ASCII digits and blanks, colons, line feeds inside)
_TEXTS = {
    _RULE: [
        "delivery::small-batches", "a::b", "stability::lead-time", "x.y::z_1", "é::ü",
        "日本::語", "a::b\n", "a::b\n\n", "\na::b", "", "::", "a::", "::b", "a:b", "a:::b",
        "a::b::c", "a ::b", "a:: b", "a::b ", " a::b", "a\t::b", "a::b\t", "a\u00a0::b",
        "a::b\u2028", "a::b\u3000", "a::b\x1c", "a::b\x85", "a\n::b", "a::\nb", "a::b\r",
        "a::b\r\n", "a:;b", "a;;b", "a::b:", ":a::b", "a::b\u200b", "a\ufeff::b", "\n",
        "a:\u200b:b", "a::" + "b" * 5000, "a" * 5000 + "::b",
    ],
    _SUBJECT: [
        "team/payments", "service/api", "a/b", "_/x", "a_b/c/d", "team/ ", "team/é",
        "team/x\n", "team/x\n\n", "team/\n", "team/", "/x", "Team/x", "team-x/y",
        "team1/x", "tëam/x", "team/x\ny", "\nteam/x", "team /x", " team/x", "team\\x",
        "team//x", "a/\u2028", "a/\r", "a/\x85", "", "\n", "ａ/x", "a/" + "x" * 5000,
        "team/x\r\n", "a/b\n\nc",
    ],
    _DATE: [
        "2026-10-02", "0000-00-00", "9999-99-99", "2026-10-02\n", "2026-10-02\n\n",
        "2026-10-02 ", " 2026-10-02", "2026-10-2", "2026-1-02", "226-10-02",
        "20261-10-02", "2026/10/02", "2026-10-02T00:00", "٢٠٢٦-١٠-٠٢", "２０２６-１０-０２",
        "2026-10-٠٢", "²⁰²⁶-10-02", "2026-10-0²", "2026–10–02", "", "\n", "----------",
        "2026-10-02x", "x2026-10-02", "2026-10-\n02", "2026-10-02\r", "2026-10-02\r\n",
        "۱۲۳۴-۵۶-۷۸", "𝟐𝟎𝟐𝟔-𝟏𝟎-𝟎𝟐", "2026-10-0\u0663",
    ],
    _WINDOW: [
        "30d", "1s", "0m", "12h", "4w", "1.5d", "0.25w", "007d", "30d\n", "30d\n\n", "30",
        "d", "", "\n", ".5d", "1.d", "1..5d", "1.5.5d", "30D", "30y", "30 d", " 30d",
        "30d ", "-1d", "+1d", "1e3d", "٣d", "３d", "1.٥d", "30dd", "30sd", "1_0d",
        "30d\r", "30\nd", "1.5", "¹d", "9" * 5000 + "d",
    ],
}


def _regex(pattern: str, text: str) -> bool:
    return re.compile(pattern).search(text) is not None


@pytest.mark.parametrize("pattern", sorted(_TEXTS))
def test_each_pattern_answers_as_its_regex_on_the_table(pattern: str) -> None:
    search = SEARCHES[pattern]
    answers = {True: 0, False: 0}
    for text in _TEXTS[pattern]:
        want = _regex(pattern, text)
        assert search(text) is want, (pattern, text)
        answers[want] += 1
    assert answers[True] >= 3 and answers[False] >= 10  # the table asks both ways


_ALPHABET = ["a", "z", "_", "/", ":", "::", "-", ".", "0", "9", "5", "d", "s", "w", "x",
            "A", "é", " ", "\t", "\n", "\r", "\x85", "\u2028", "\u00a0", "\u3000", "٣",
            "２", "²", "𝟐", "2026", "-10-", "02"]


@pytest.mark.parametrize("pattern", sorted(_TEXTS))
def test_each_pattern_answers_as_its_regex_on_random_texts(pattern: str) -> None:
    search = SEARCHES[pattern]

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.lists(st.sampled_from(_ALPHABET), max_size=8).map("".join)
           | st.sampled_from(_TEXTS[pattern]).flatmap(
               lambda t: st.tuples(st.integers(0, len(t)), st.sampled_from(_ALPHABET))
               .map(lambda c: t[:c[0]] + c[1] + t[c[0]:])))
    def run(text: str) -> None:
        assert search(text) is _regex(pattern, text), (pattern, text)

    run()


_EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))


def test_the_character_classes_are_the_string_methods_on_every_code_point() -> None:
    # \d is str.isdecimal, \s is str.isspace (and str.split's blanks), '.' every
    # character but a line feed, for every code point (one regex pass each)
    digits = set(re.findall(r"\d", _EVERY_CHARACTER))
    assert digits == {c for c in _EVERY_CHARACTER if c.isdecimal()}
    assert len(digits) > 600
    blanks = set(re.findall(r"\s", _EVERY_CHARACTER))
    assert blanks == {c for c in _EVERY_CHARACTER if c.isspace()}
    assert blanks == {c for c in _EVERY_CHARACTER if c.split() == []}
    assert "".join(re.findall(r".", _EVERY_CHARACTER)) == _EVERY_CHARACTER.replace("\n", "")


#: every character a class of the patterns tells apart (decimal digits, blanks, ASCII,
#: line breaks) and a sample of the rest, one code point in 97
_CHARACTERS = [c for c in _EVERY_CHARACTER
               if c.isdecimal() or c.isspace() or c.isascii() or c.isdigit()
               or c in "\x85\u2028\u2029\ufeff" or ord(c) % 97 == 0]


@pytest.mark.parametrize("pattern", sorted(_TEXTS))
def test_a_character_in_each_place_of_a_valid_text(pattern: str) -> None:
    """One character of _CHARACTERS put at the start, the middle and the end of a
    valid text, and in place of one of its characters: the regex's answer each time."""
    search = SEARCHES[pattern]
    valid = {_RULE: "ab::cd", _SUBJECT: "ab/cd", _DATE: "2026-10-02", _WINDOW: "12.5d"}[pattern]
    compiled = re.compile(pattern)
    mid = len(valid) // 2
    for text_of in (lambda c: c + valid, lambda c: valid[:mid] + c + valid[mid:],
                    lambda c: valid + c, lambda c: valid[:mid] + c + valid[mid + 1:],
                    lambda c: valid[:1] + c + valid[2:]):
        for c in _CHARACTERS:
            text = text_of(c)
            if search(text) is not (compiled.search(text) is not None):
                raise AssertionError((pattern, text))


_FORMAT = jsonschema.Draft202012Validator.FORMAT_CHECKER

_DATES = [
    "2026-10-02", "2024-02-29", "2023-02-29", "2026-13-01", "2026-00-10", "2026-10-00",
    "2026-10-32", "0000-01-01", "0001-01-01", "9999-12-31", "2026-10-02\n", "2026-10-02 ",
    " 2026-10-02", "2026-1-02", "2026-10-2", "20261002", "2026/10/02", "2026-10-02T00:00",
    "٢٠٢٦-١٠-٠٢", "２０２６-１０-０２", "2026-10-٠٢", "²⁰²⁶-10-02", "", "\n", "----------",
    "2026-W40-5", "2026-275", "+2026-10-02", "-2026-10-02", "2026-10-02Z", "1999-12-31",
    "2026-04-31", "2026-06-30", "2026-10-0\u0663", "2026-10-0a", "2026-1a-02",
]


def test_is_date_is_jsonschemas_date_format() -> None:
    answers = {True: 0, False: 0}
    for text in _DATES:
        want = _FORMAT.conforms(text, "date")
        assert is_date(text) is want, text
        answers[want] += 1
    assert answers[True] >= 5 and answers[False] >= 20


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet="0123456789-٣２\n x", min_size=8, max_size=12)
       | st.dates().map(lambda d: d.isoformat()))
def test_is_date_is_jsonschemas_on_random_texts(text: str) -> None:
    assert is_date(text) is _FORMAT.conforms(text, "date"), text


def test_the_table_is_the_config_schemas_patterns() -> None:
    """Every pattern of the config schema is answered without a compile, and the
    table holds no pattern the shipped schemas do not use."""
    def patterns(node: object) -> set[str]:
        if isinstance(node, dict):
            found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
            return found.union(*(patterns(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(patterns(v) for v in node))
        return set()

    config = json.loads((ROOT / "guardrails" / "schemas" / "config.json").read_text())
    assert patterns(config) == set(SEARCHES)


def test_smallschema_searches_through_the_table() -> None:
    """The small engine takes the table's answer for a known pattern (no compile) and
    compiles any other, with the same yes or no as before."""
    assert smallschema._search(_RULE) is SEARCHES[_RULE]
    check = smallschema.compile_schema({"type": "string", "pattern": _RULE})
    assert check is not None and check("a::b") and not check("a:b")
    other = smallschema.compile_schema({"type": "string", "pattern": "^x+$"})
    assert other is not None and other("xx") and not other("xy") and other("x\n")
    assert smallschema.compile_schema({"type": "string", "pattern": "("}) is None
