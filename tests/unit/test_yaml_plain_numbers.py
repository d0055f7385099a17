"""Org data YAML reads numbers as JSON writes them (guardrails/yamlparse.py).

YAML 1.1, PyYAML's reading, also takes 4:05 (base 60), 017 (octal), 0x1F,
0b11 and 1_000 for integers; in org data each is refused at its place with
the value YAML 1.1 saw and the fix. Config and rule files keep PyYAML's
reading (their validation has its own words).
"""

from __future__ import annotations

import pytest

from guardrails import yamlio
from guardrails.errors import UsageError


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("-5", -5), ("+5", 5), ("10", 10), ("1.5", 1.5), (".5", 0.5), ("-0.25", -0.25),
    ("1.0e+3", 1000.0), ("'017'", "017"), ('"4:05"', "4:05"), ("1.5e3", "1.5e3"),
])
def test_plain_numbers_and_quoted_text_are_read(text: str, value: object) -> None:
    for doc in (f"a: {text}\n", f"a: {text}\nb: [1, {{c: d}}]\n"):  # the fast and PyYAML paths
        assert yamlio.load(doc, "org/x.yaml", finite=True)[0]["a"] == value


@pytest.mark.parametrize(("text", "what", "value"), [
    ("4:05", "base-60", "245"), ("017", "octal", "15"), ("00", "octal", "0"),
    ("0x1F", "hexadecimal", "31"), ("0b11", "binary", "3"), ("1_000", "'_' separators", "1000"),
    ("-1_000", "'_' separators", "-1000"), ("1_0.5", "'_' separators", "10.5"),
    ("190:20:30.15", "base-60", "685230.15"),
])
def test_yaml_1_1_numbers_are_refused_in_org_data(text: str, what: str, value: str) -> None:
    doc = f"items:\n  - id: a\n    n: {text}\n"
    with pytest.raises(UsageError) as err:
        yamlio.load(doc, "org/x.yaml", finite=True)
    assert (err.value.line, err.value.column) == (3, 8)
    assert what in err.value.message and f", {value}, " in err.value.message
    assert err.value.fix == (f"quote it if it is text ('{text}'), or write the plain "
                             f"number {value}")
    # Config and rule files: PyYAML's reading, as before.
    assert yamlio.load(doc, "guardrails.yaml")[0]["items"][0]["n"] == pytest.approx(
        float(value))
