"""Small matchers told by str methods instead of a regex compiled every run: each
answers exactly what the regex it replaced answers (kept here as the oracle).

``\\w`` and ``\\s`` in a ``str`` regex are ``str.isalnum()`` (or ``_``) and
``str.isspace()``: the generated texts mix ASCII traps with characters beyond
ASCII of each kind (letters, digits that are not decimal, spaces)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.checks.common import _reads_window
from guardrails.checks.incidents import _action_items_key
from guardrails.sources.files_fields import normalised

_WINDOW = re.compile(r"(?<![\w.])window(?!\w)")
_ACTION_ITEMS = re.compile(r"^action_items\s*:")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s\-.]+")

_PIECES = st.sampled_from([
    "window", "windows", "Window", "action_items", "action_item", ":", " ", "\t", "\n",
    "\u00a0", "\u2003", ".", "_", "-", "x", "X", "9", "\u00b2", "\u0663", "\u00e9", "\u00c9",
    "fact.", "(", ")", "==", "at", "At", "\u212a", "",
])
_TEXTS = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=500, deadline=None)
@given(_TEXTS)
def test_window_is_read_as_the_regex_finds_it(text: str) -> None:
    assert _reads_window(text) == (_WINDOW.search(text) is not None)


@settings(max_examples=500, deadline=None)
@given(_TEXTS)
def test_the_action_items_key_as_the_regex_matches_it(text: str) -> None:
    assert _action_items_key(text) == (_ACTION_ITEMS.match(text) is not None)


@settings(max_examples=500, deadline=None)
@given(_TEXTS)
def test_normalised_is_the_two_regexes(text: str) -> None:
    assert normalised(text) == _SEPARATORS.sub("_", _CAMEL.sub("_", text.strip())).lower()


def test_every_single_character_beside_the_words() -> None:
    """Each code point before and after ``window`` and ``action_items``, and alone as
    a field name."""
    for cp in range(0x3000):
        c = chr(cp)
        for text in (c + "window", "window" + c, "a.window" + c):
            assert _reads_window(text) == (_WINDOW.search(text) is not None), repr(text)
        for text in ("action_items" + c + ":", "action_items" + c):
            assert _action_items_key(text) == (_ACTION_ITEMS.match(text) is not None), repr(text)
        assert normalised(c) == _SEPARATORS.sub("_", _CAMEL.sub("_", c.strip())).lower()


# blamewords' ignored spans, as the regexes found them
_IGNORED = (
    re.compile(r"(`+)[\s\S]+?\1"),
    re.compile(r"<!--[\s\S]*?-->"),
    re.compile(r'"[^"]*"'),
    re.compile("\u201c[^\u201d]*\u201d"),
)
_MASK_PIECES = st.sampled_from([
    "<!--", "-->", "<!-->", "<!--->", "--", ">", "<", "!", '"', "\u201c", "\u201d", "`", "``",
    "x", "blame", " ", "\n", "-", "\u2019",
])


def _mask_reference(text: str) -> str:
    for pattern in _IGNORED:
        text = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return text


@settings(max_examples=1000, deadline=None)
@given(st.lists(_MASK_PIECES, max_size=20).map("".join))
def test_masking_and_comments_as_the_regexes(text: str) -> None:
    from guardrails.checks import blamewords

    assert blamewords._mask(text) == _mask_reference(text)
    assert blamewords.strip_comments(text) == _IGNORED[1].sub("", text)


_SEVERITY = re.compile(r"\s*SEV\s*(\d{1,9})\s*", re.I | re.A)
_SEVERITY_PIECES = st.sampled_from([
    "SEV", "sev", "Sev", "S", "E", "V", "\u017fev", "SE\u212a", "1", "0", "9", "12345",
    "\u0663", "\u00b2", " ", "\t", "\n", "\x0b", "\x0c", "\u00a0", "\u2003", "x", "-", "+",
])


def _severity_reference(text: str) -> int:
    m = _SEVERITY.fullmatch(text)
    return int(m.group(1)) if m else 99


@settings(max_examples=1000, deadline=None)
@given(st.lists(_SEVERITY_PIECES, max_size=8).map("".join))
def test_severity_numbers_as_the_regex(text: str) -> None:
    from guardrails.checks.dora_stability import _severity_number

    assert _severity_number(text) == _severity_reference(text)


def test_severity_numbers_every_character_and_length() -> None:
    from guardrails.checks.dora_stability import _severity_number

    for cp in range(0x3000):
        c = chr(cp)
        for text in (c + "SEV1", "SEV" + c + "1", "SEV1" + c, c + "EV1", "S" + c + "V1",
                     "SE" + c + "1", "SEV" + c):
            assert _severity_number(text) == _severity_reference(text), repr(text)
    for n in range(12):
        assert _severity_number("SEV" + "7" * n) == _severity_reference("SEV" + "7" * n)
