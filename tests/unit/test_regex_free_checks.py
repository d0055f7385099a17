"""Checks told with string methods where a regex was compiled every run: each is held
to the regex it replaced (benchmarks/RESULTS.md, "s26-startup"), on texts built from
the characters where the two could differ (non-ASCII digits and letters, dots,
dashes, signs, blanks, underscores) and on named cases."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import distscan, timeutil, validation, yamlfast
from guardrails.celrules.rules import is_group_path

_TRAPS = "0123456789.-_+ smhdwxaZ\u0661\u00b2\u00e9\u212a\u017f\n"
texts = st.text(alphabet=st.sampled_from(_TRAPS), max_size=24) | st.text(max_size=12)

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)([smhdw])")
_GROUP_BY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,5}")
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_FRACTION = re.compile(r"-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}")


def _regex_duration(text: str) -> tuple[str, str] | None:
    m = _DURATION.fullmatch(text)
    return None if m is None else (m.group(1), m.group(2))


@settings(max_examples=600)
@given(texts)
def test_duration_parts_are_the_regex_groups(text: str) -> None:
    assert timeutil._duration_parts(text) == _regex_duration(text)


@pytest.mark.parametrize("text", ["7d", "1.5h", "90d", "0s", "12 h", " 7d", "\u0661d", "1.d",
                                  ".5d", "1.2.3d", "d", "", "7", "7D", "2w", "00m", "1_0d"])
def test_duration_parts_named(text: str) -> None:
    assert timeutil._duration_parts(text) == _regex_duration(text)


@settings(max_examples=600)
@given(st.text(alphabet=st.sampled_from("aZ_9.\u00e9\u0661 -"), max_size=40) | texts)
def test_group_path_is_the_regex(path: str) -> None:
    assert is_group_path(path) == (_GROUP_BY.fullmatch(path) is not None)


@pytest.mark.parametrize("path", ["team", "deployment.service", "a.b.c.d.e.f", "a.b.c.d.e.f.g",
                                  "_x", "9x", "a..b", ".a", "a.", "", "caf\u00e9", "a-b",
                                  "a.b.c.d.e.f.g.h.i.j.k.l"])
def test_group_path_named(path: str) -> None:
    assert is_group_path(path) == (_GROUP_BY.fullmatch(path) is not None)


def _regex_number(text: str) -> object:
    """What yamlfast's number step answered with the two regexes."""
    if _INT.fullmatch(text):
        return int(text)
    if _FRACTION.fullmatch(text):
        return float(text)
    return None


def _assert_number_as_regexes(text: str) -> None:
    """Where the regexes named a number, yamlfast gives it; elsewhere, not a number."""
    expected = _regex_number(text)
    try:
        got = yamlfast._plain(text)
    except yamlfast._Decline:
        got = None
    if expected is not None:
        assert got == expected and type(got) is type(expected)
    else:
        assert not isinstance(got, int | float)


@settings(max_examples=800)
@given(st.text(alphabet=st.sampled_from("0123456789.-+e\u0661"), min_size=1, max_size=22))
def test_yaml_numbers_are_the_regexes(text: str) -> None:
    if text[0].isdigit() or text[0] in "-.+":
        _assert_number_as_regexes(text)


@pytest.mark.parametrize("text", ["0", "-0", "00", "01", "1" * 18, "1" * 19, "-" + "9" * 18,
                                  "0.5", "-0.5", "00.5", "1.", ".5", "1" * 15 + ".5",
                                  "1" * 16 + ".5", "1." + "5" * 15, "1." + "5" * 16, "+1",
                                  "1.2.3", "\u0661", "1\u0661"])
def test_yaml_numbers_named(text: str) -> None:
    _assert_number_as_regexes(text)


@settings(max_examples=400)
@given(st.text(alphabet=st.sampled_from("aB-_.9\u00c9 "), max_size=30) | texts)
def test_dist_names_normalised_as_importlib_metadata(name: str) -> None:
    assert distscan._normalize(name) == re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


@settings(max_examples=300)
@given(texts | st.sampled_from(["config", "rule-pack", "a_b", "A-9", "../x", "x y"]))
def test_schema_names_refused_as_the_regex_did(name: str) -> None:
    fits = re.fullmatch(r"[A-Za-z0-9_-]+", name) is not None
    assert (bool(name) and validation._NAME_CHARS.issuperset(name)) == fits
