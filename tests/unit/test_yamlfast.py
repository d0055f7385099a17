"""guardrails.yamlfast answers what PyYAML answers (through guardrails.yamlparse), or
leaves the text to it.

A differential test: random documents built from YAML's traps (YAML 1.1 words
and numbers, indicators, quotes, comments, flow and block styles, odd
indentation, non-ASCII text) and random damage to them; wherever the fast
reader answers, PyYAML must give the same values of the same types and the
same positions, and must not refuse the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from helpers import example_without_caches, fuzz_examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guardrails import yamlfast, yamlio, yamlparse
from guardrails.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]

_PLAIN = [
    "yes", "No", "ON", "off", "y", "n", "true", "False", "TRUE", "null", "Null", "~",
    "0", "-0", "7", "-12", "007", "012", "08", "0x1F", "0b101", "0o17", "1_000", "1:20",
    "-1:20", "190:20:30", "1.5", "-1.5", ".5", "1.", "1e5", "1.0e+5", "1.0e5", ".inf",
    "-.inf", "+.INF", ".NaN", ".nan", "+1", "+.5", "-.5", "0.0", "-0.0", "00", "0.", "1__0",
    "3.14159", "1,000", "12345678901234567890", "1" * 30, "1" * 20 + ".5", "2026-10-02",
    "2026-10-02T10:00:00Z", "2026-10-02 10:00", "2026-13-45", "20261002", "90d", "1d",
    "1e-3", "1.5e-3", "0xfg", "0b2", "5-", "1-2-3", "C#", "a #b", "a:b", "a: b", "a:",
    "http://x.y/z", "delivery::small-batches", "a, b", "a [b]", "a {b}", "x]", "x}",
    "-x", "- x", "-", "?x", "? x", ":x", "%x", "@x", "`x", "!x", "!!str x", "&a x", "*a",
    "|", ">", "<<", "=", "Tomás", "日本", "é", "a'b", 'a"b', "x  y", "_x", "/path",
    "$HOME", "(p)", "...", "---", "a\\b", "ü1", "😀", "ᵃ", "٣", "²", "A", "Sprint 41",
    "builtin:stability", "x\u00a0y", "\u00a0x", "dep-5398",
]
_QUOTED = ['""', "''", '"a b"', "'a b'", '"a: b"', "'a # b'", '"it\'s"', "'it''s'",
           '"a\\"b"', '"\\u00e9"', '"tab\\tx"', "'x'y", '"x"y', '"x" # c', "'[a]'",
           '"a, b"', "'{k: v}'", '"yes"', "'1.5'", '"~"']
_KEYS = ["a", "b", "key", "id", "x-1", "_k", "on", "no", "y", "null", "9k", "a b", "Ämne",
         "<<", "'q'", '"dq"', "k:x", "True", "a", "b", "k" * 1000, "k" * 1030]

scalars = st.sampled_from(_PLAIN + _QUOTED)
keys = st.sampled_from(_KEYS)


def _tree(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalars
    sub = _tree(depth - 1)
    return st.one_of(
        scalars,
        st.lists(sub, max_size=4),
        st.lists(st.tuples(keys, sub), max_size=4),
    )


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A YAML text rendered from a random tree in random styles."""
    step = draw(st.sampled_from([1, 2, 3, 4, 2, 2, 4, 40]))
    out: list[str] = []

    def comment() -> str:
        return draw(st.sampled_from(["", "", "", "  # c", " #c", "#c", "   # a: b"]))

    def inline(node: Any) -> str | None:
        if isinstance(node, str):
            return node
        if all(isinstance(c, str) for c in node) or \
                all(isinstance(c, tuple) and isinstance(c[1], str) for c in node):
            if isinstance(node, list) and node and isinstance(node[0], tuple):
                return "{" + draw(st.sampled_from([", ", ",", " , "])).join(
                    f"{k}: {v}" for k, v in node) + "}"
            if not node:
                return draw(st.sampled_from(["[]", "{}", "[ ]"]))
            if draw(st.booleans()):
                return "[" + ", ".join(node) + "]"
        return None

    def emit(node: Any, indent: int, lead: str) -> None:
        """Write ``node`` whose first line starts with ``lead`` (a key or a dash)."""
        flat = inline(node)
        if flat is not None and (isinstance(node, str) or draw(st.booleans())):
            out.append(f"{lead} {flat}{comment()}" if lead else f"{' ' * indent}{flat}")
            return
        if isinstance(node, str):
            out.append(f"{lead} {node}")
            return
        items = node or ["x"]
        mapping = isinstance(items[0], tuple)
        inner = indent + (draw(st.integers(0, 4)) if not mapping and lead.strip() != "-"
                          else step)
        if lead:
            if lead.strip() == "-" and mapping and draw(st.booleans()):
                compact = True
            else:
                out.append(lead + comment())
                compact = False
        else:
            compact = False
        for n, item in enumerate(items):
            if draw(st.integers(0, 6)) == 0:
                out.append(draw(st.sampled_from(["", "# note", "   ", "  # x: y"])))
            pad = " " * inner
            if compact and n == 0:
                pad = lead + " "
                inner_col = len(pad)
            elif compact:
                pad = " " * inner_col
            if mapping:
                k, v = item if isinstance(item, tuple) else ("k", item)
                emit(v, (inner_col if compact else inner) + step, f"{pad}{k}:")
            else:
                emit(item, inner + step, f"{pad}-")

    tree = draw(_tree(3))
    emit(tree, 0, "")
    text = "\n".join(out)
    if draw(st.booleans()):
        text = draw(st.sampled_from(["", "# head\n", "\n\n", "  \n"])) + text + "\n"
    return text


@st.composite
def damaged(draw: st.DrawFn) -> str:
    """A document with a few characters of YAML's syntax put in at random places."""
    text = draw(documents())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        bit = draw(st.sampled_from([":", ": ", " ", "  ", "#", " #", "-", "- ", '"', "'", "[",
                                    "]", "{", "}", ",", "\n", "\n ", "\t", "*", "&", "!",
                                    "|", "?", "\u2028", "\r", "\ufeff", "\x85"]))
        text = text[:at] + bit + text[at:]
    return text


def _typed(value: Any) -> Any:
    """``value`` with every leaf's type kept (True is not 1, 1.0 is not 1)."""
    if isinstance(value, dict):
        return ("map", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


def _agree(text: str) -> bool:
    """Whether the fast reader answered; if it did, its answer is PyYAML's."""
    got = yamlfast.load(text, positions=True)
    if got is None:
        return False
    # Both of guardrails' PyYAML paths: libyaml, and the pure-Python loader it takes
    # for a deep text (yamlparse.deep_offset) or where libyaml is not installed.
    for pure in (False, True):
        try:
            if pure:
                with mock.patch.object(yamlparse, "deep_offset", lambda _text: 0):
                    want = yamlparse.load(text, "<t>", positions=True, finite=True)
            else:
                want = yamlparse.load(text, "<t>", positions=True, finite=True)
        except UsageError as exc:
            raise AssertionError(f"PyYAML (pure Python: {pure}) refuses what the fast "
                                 f"reader read: {exc}\n{text}") from None
        assert _typed(got[0]) == _typed(want[0]), (pure, text)
        assert got[1] == want[1], (pure, text)
    plain = yamlfast.load(text)
    assert plain is not None and _typed(plain[0]) == _typed(want[0]) and plain[1] == {}
    return True


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(250), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
@example("a: 1\nb: [x, 2.5]\nc:\n  - k: yes\n    m: 2026-10-02\n")
@example("teams:\n- id: x\n")
@example("a: 1e999\nb: 90d\n")
@example("a:\n  - \n  - b\n")
@example("a: [a?b]\n")  # '?' ends a flow scalar for the pure-Python scanner only
@example("a: {k: x ?y}\n")
def test_the_fast_reader_agrees_with_pyyaml(text: str) -> None:
    _agree(text)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(250), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(damaged())
def test_the_fast_reader_agrees_with_pyyaml_on_damaged_text(text: str) -> None:
    _agree(text)


def test_the_strategies_reach_the_fast_path() -> None:
    """The fuzz would prove nothing if the fast reader declined everything it is given."""
    answered = 0

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(documents())
    def run(text: str) -> None:
        nonlocal answered
        answered += _agree(text)

    run()
    assert answered >= 10  # ~15% are read (the rest hold a trap it declines)


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  x\n", "a: >\n  x\n", "a: 1\na: 2\n",
    "a: x\n  y\n", "? a\n: b\n", "--- \na: 1\n", "%YAML 1.1\n---\na: 1\n", "a:\t1\n",
    "a: \"x\\ny\"\n", "a: 0x1F\n", "a: 012\n", "a: 1:20\n", "a: .inf\n", "on: 1\n",
    "a: b: c\n", "- a\nb: 1\n", "a: [x, [y]]\n", "a: [x,\n  y]\n", "a:\n- x\n", "a: 1.0e+999\n",
    "a: " + "1" * 200 + "\n", "", "# only a comment\n", "plain\n", "a: 'x''y'\n",
    "a:\r\n  b: 1\n", "a: \u2028\n", "k" * 1030 + ": v\n", "a: {" + "k" * 1030 + ": v}\n",
    "a: x\nb:\n" + "".join(" " * i + "- k:\n" for i in range(2, 200, 2)),
])
def test_it_declines_what_it_does_not_read_exactly(text: str) -> None:
    assert yamlfast.load(text, positions=True) is None


def test_every_character_it_refuses_is_one_isprintable_refuses() -> None:
    # load's quick pass takes a text printable but for its line feeds as holding
    # none of the characters it refuses: true only while each of them is unprintable.
    refused = [chr(o) for o in range(0x110000)
               if (o < 32 and o != 10) or 0x7F <= o <= 0x9F or 0xD800 <= o <= 0xDFFF
               or chr(o) in yamlfast._ODD]
    assert len(refused) > 2000
    assert not any(c.isprintable() for c in refused)


@pytest.mark.parametrize("text", ["a: x\x85y\n", "a: x\x7fy\n", "a: \ufeffx\n", "a: x\x01\n",
                                  "a: \ud800\n", "a: \uffff\n"])
def test_a_refused_character_in_printable_company_is_still_declined(text: str) -> None:
    assert yamlfast.load(text, positions=True) is None


@pytest.mark.parametrize("text", ["a: x\xa0y\n", "a: caf\xe9\nb: [\u4e2d, x]\n"])
def test_unprintable_yet_allowed_characters_are_still_read(text: str) -> None:
    assert _agree(text)


@pytest.mark.parametrize("name", ["guardrails.yaml", "org/teams.yaml", "org/services.yaml",
                                  "org/goals.yaml", "org/incidents.yaml",
                                  "org/iterations.yaml"])
def test_the_example_org_takes_the_fast_path(name: str) -> None:
    text = yamlio.read_text(ROOT / "examples" / "acme" / name)
    assert _agree(text), name


def test_errors_are_pyyamls(tmp_path: Path) -> None:
    """A text the fast reader declines is PyYAML's, with PyYAML's error worded as before."""
    with pytest.raises(UsageError) as err:
        yamlio.load("a: 1\na: 2\n", "x.yaml")
    assert "duplicate key 'a'" in str(err.value) and err.value.line == 2


def test_a_cold_run_of_the_example_imports_no_pyyaml(tmp_path: Path) -> None:
    ran = example_without_caches(tmp_path)
    assert "yaml" not in ran.modules, ran.output


# A line "key: value" whose value is plain text from a letter or _/$( with no ':' or
# '#' is read by the key's match alone; every other value still goes through the
# scalar reader or to PyYAML. Each text here: read (True) or declined (False), and
# when read, PyYAML's answer.
@pytest.mark.parametrize(("text", "read"), [
    ("a: plain words here\n", True),
    ("a: yes\nb: Off\nc: null\nd: ~\ne: y\n", True),
    ("a: $HOME/x\nb: _x\nc: /p/q\nd: (p) r\n", True),
    ("a: x\u00a0y\nb: caf\u00e9\nc: \u00e9t\u00e9\n", True),
    ("a: x  y\nb: it's\nc: say \"hi\"\nd: a[0]\ne: x, y\nf: x?\ng: x-\n", True),
    ("a: x@y.z\nb: x|y\nc: x>y\nd: x*y\ne: x&y\nf: x!y\ng: x%y\n", True),
    # colons in values
    ("a: http://x.y/z\n", True), ("a: b:c\n", True), ("a: x:\n", False),
    ("a: b: c\n", False), ("a: x :y\n", True), ("a: 10:30\n", False),
    ("a: 2026-10-02T10:00:00+00:00\n", True), ("a: delivery::small\n", True),
    # comments
    ("a: x # c\n", True), ("a: x #c\nb: y#z\n", True), ("a: x#y # z\n", True),
    ("a: # c\n  b: 1\n", True), ("a: x\n# c: d\nb: y  # e: f\n", True),
    ("a: 'x' # c\n", True), ("a: [x, y] # c\n", True),
    # quoted keys and values
    ("'a': 1\n", False), ('"a": 1\n', False), ("a: 'x: y'\n", True),
    ('a: "x # y"\n', True), ("a: 'yes'\nb: \"1.5\"\n", True), ("a: 'it''s'\n", False),
    # flow style
    ("a: [x, y, 1, yes]\n", True), ("a: {k: v, n: 2}\n", True), ("a: {k: v w}\n", True),
    ("a: {k: http://x}\n", False), ("a: {k:v}\n", False), ("a: [x, [y]]\n", False),
    ("a: [x,\n  y]\n", False), ("a: {k: 'v'}\n", True), ("- {k: v}\n- [x]\n", True),
    # tabs
    ("a:\tx\n", False), ("a: x\ty\n", False), ("a:\n\t- x\n", False),
    # anchors, aliases, tags
    ("a: &x y\nb: *x\n", False), ("a: x &y\n", True), ("a: !!str x\n", False),
    ("a: !t x\n", False), ("a: x !y\n", True), ("<<: {k: v}\n", False),
    # multi-line
    ("a: x\n  y\n", False), ("a: x\n y: z\n", False), ("a: |\n  x\n", False),
    ("a: >-\n  x\n  y\n", False), ("a: 'x\n  y'\n", False), ("a:\n  b: x\n  c: y\nd: z\n", True),
    ("- k: x\n  m: y\n- k: z\n", True), ("a: x\nb:\n  - y\n  - z w\n", True),
    # numbers and dates after a key still take the scalar reader
    ("a: 1\nb: -2\nc: 1.5\nd: 2026-10-02\ne: 90d\nf: 1.0e+5\n", False),
    ("a: 1\nb: -2\nc: 1.5\nd: 2026-10-02\ne: 90d\n", True),
])
def test_keyed_values_are_read_as_pyyaml_reads_them(text: str, read: bool) -> None:
    assert _agree(text) is read, text
