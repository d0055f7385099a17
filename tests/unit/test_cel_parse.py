"""The load-time CEL parser agrees with the runtime's parser, and reads every literal form."""

from __future__ import annotations

import pytest

from guardrails.celrules.parse import CelSyntaxError, parse
from guardrails.celrules.runtime import runtime

VALID = [
    'fact.severity == "SEV1" && has(fact.resolved_at)',
    "a ? b : c ? d : e",
    "!(a || b) && -x < -1.5e3",
    "[1, 2u, 0x1F, 3.0, .5, 1e-2]",
    '{"a": 1, "b": [true, false, null]}["a"]',
    "xs.exists(x, x in [1, 2]) && xs.map(x, x * 2).size() == 2",
    "xs.map(x, x > 1, x + 1)",
    r"r'\d+' + R'raw' + b'bytes' == 'x'",
    "'''triple ' quoted''' + \"\"\"also \"\"\"",
    r'"\x41\u00e9\U0001F600\101\n\t\\ \" \' \`"',
    "a.b.c[0].d(1, 2)",
    "1 < 2 < 3",
    "// a comment\n a",
]
INVALID = [
    "a <", "(a", "a b", '"open', "a.", "[1, 2", "{1: }", "1.5u", "in", "a ? b", "a.true", "a.in",
    "a = 1", "'bad \\q escape'", "09x",
    # digits of other scripts: int("\u0661\u0662") == 12, and the runtime refuses them
    "x < \u0661\u0662", "1.\u0665", "x < \uff11", "x < 1\u00b2",
]


@pytest.mark.parametrize("src", VALID)
def test_both_parsers_accept(src: str) -> None:
    parse(src)
    runtime().compile(src)


@pytest.mark.parametrize("src", INVALID)
def test_both_parsers_refuse(src: str) -> None:
    with pytest.raises(CelSyntaxError):
        parse(src)
    with pytest.raises(Exception):  # noqa: B017 - the runtime's own error type
        runtime().compile(src)


def test_reserved_words_are_no_field_names() -> None:
    # The CEL specification reserves them; the runtime accepts `x.if`, the
    # load-time parser holds to the specification and says how to write it.
    with pytest.raises(CelSyntaxError) as info:
        parse("fact.if == 1")
    assert info.value.fix == 'index the field: x["if"]'


def test_literal_values() -> None:
    tree = parse(r'"\x41\u00e9\101"')
    assert tree.value == "Aé" + "A" and tree.kind == "string"
    assert parse("0x10u").value == 16 and parse("0x10u").kind == "uint"
    assert parse("-3").value == -3 and parse("2.5").kind == "double"
    assert parse(r"r'\d'").value == "\\d"
    assert parse("b'x'").value == b"x"


def test_errors_carry_their_offset() -> None:
    with pytest.raises(CelSyntaxError) as info:
        parse("fact.a == ")
    assert info.value.offset == 10
    with pytest.raises(CelSyntaxError) as info:
        parse("a && b c")
    assert info.value.offset == 7
