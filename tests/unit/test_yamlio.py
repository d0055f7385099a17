"""YAML loading: duplicate keys refused, exact positions, strings for timestamps, UTF-8 only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import yamlio, yamlparse
from guardrails.errors import UsageError


def load_error(text: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        yamlio.load(text, "f.yaml")
    return info.value


# ---------------------------------------------------------------------------
# duplicate keys
# ---------------------------------------------------------------------------


def test_duplicate_top_level_key_names_the_duplicate_line() -> None:
    err = load_error("pack: a\nrules: []\npack: b\n")
    assert (err.file, err.line, err.column) == ("f.yaml", 3, 1)
    assert "duplicate key 'pack'" in err.message
    assert "first defined on line 1" in err.message
    assert str(err).startswith("f.yaml:3:1: ")


def test_duplicate_nested_key() -> None:
    text = (
        "rules:\n"            # 1
        "  - id: a\n"         # 2
        "    check: each\n"   # 3
        "    facts: teams\n"  # 4
        "    check: count\n"  # 5  <- the duplicate, indented 4: column 5
    )
    err = load_error(text)
    assert (err.line, err.column) == (5, 5)
    assert "duplicate key 'check' (first defined on line 3)" in err.message


def test_equal_keys_in_different_mappings_are_fine() -> None:
    data, _ = yamlio.load("a: {id: 1}\nb: {id: 2}\n", "f.yaml")
    assert data == {"a": {"id": 1}, "b": {"id": 2}}


def test_explicit_key_overrides_a_merged_key() -> None:
    text = "base: &b {max: 8, min: 3}\nstrict:\n  <<: *b\n  max: 6\n"
    data, _ = yamlio.load(text, "f.yaml")
    assert data["strict"] == {"max": 6, "min": 3}


def test_two_explicit_keys_are_still_duplicates_next_to_a_merge() -> None:
    text = "base: &b {max: 8}\nstrict:\n  <<: *b\n  max: 6\n  max: 5\n"
    err = load_error(text)
    assert (err.line, err.column) == (5, 3)
    assert "duplicate key 'max' (first defined on line 4)" in err.message


# ---------------------------------------------------------------------------
# positions
# ---------------------------------------------------------------------------

RULES = (
    "pack: p\n"                  # 1
    "rules:\n"                   # 2
    "  - id: a\n"                # 3
    "    check: count\n"         # 4
    "    where:\n"               # 5
    "      properties:\n"        # 6
    "        size: {max: 3}\n"   # 7
    "  - id: b\n"                # 8
    "    tags: [x, y]\n"         # 9
)


def test_positions_of_nested_keys_and_list_items() -> None:
    data, pos = yamlio.load(RULES, "f.yaml", positions=True)
    assert data["rules"][0]["where"] == {"properties": {"size": {"max": 3}}}
    # keys point at the key itself (line, column counted from 1)
    assert pos[("pack",)] == (1, 1)
    assert pos[("rules",)] == (2, 1)
    assert pos[("rules", 0, "check")] == (4, 5)
    assert pos[("rules", 0, "where", "properties", "size")] == (7, 9)
    assert pos[("rules", 0, "where", "properties", "size", "max")] == (7, 16)
    # list items point at the item's first character, after "- "
    assert pos[("rules", 0)] == (3, 5)
    assert pos[("rules", 1)] == (8, 5)
    assert pos[("rules", 1, "tags", 1)] == (9, 15)


def test_nearest_falls_back_to_the_closest_ancestor() -> None:
    _, pos = yamlio.load(RULES, "f.yaml", positions=True)
    assert yamlio.nearest(pos, ("rules", 1, "severity")) == (8, 5)
    assert yamlio.nearest(pos, ("rules", 0, "check", "deeper")) == (4, 5)
    assert yamlio.nearest({}, ("a",)) is None


def test_positions_are_only_computed_when_asked() -> None:
    assert yamlio.load(RULES, "f.yaml")[1] == {}


def test_positions_of_unparseable_text_is_empty() -> None:
    assert yamlio.positions_of("a: [1,\n") == {}
    assert yamlio.positions_of('{"a": [1, 2]}')[("a", 1)] == (1, 11)


def test_empty_document_is_none() -> None:
    assert yamlio.load("", "f.yaml") == (None, {})
    assert yamlio.load("# just a comment\n", "f.yaml")[0] is None


# ---------------------------------------------------------------------------
# invalid YAML
# ---------------------------------------------------------------------------


def test_invalid_yaml_names_line_and_column() -> None:
    # A tab cannot start a token: line 2, column 1.
    err = load_error("a:\n\tb: 1\n")
    assert (err.file, err.line, err.column) == ("f.yaml", 2, 1)
    assert err.message.startswith("invalid YAML: ")


def test_mapping_value_where_none_is_allowed() -> None:
    # "b: text: more" - the second ':' (line 2, column 8) is the problem.
    err = load_error("a: 1\nb: text: more\n")
    assert (err.line, err.column) == (2, 8)
    assert "mapping values are not allowed" in err.message


def test_two_documents_are_refused() -> None:
    err = load_error("a: 1\n---\nb: 2\n")
    assert err.line == 2
    assert "single document" in err.message


@pytest.mark.parametrize(
    "text", ["a: 1\nb: 'never closed\nc: 3\nd: 4\n", 'a: 1\nb: "never closed\nc: 3\n'])
def test_unterminated_quote_points_at_its_opening(text: str) -> None:
    err = load_error(text)
    assert (err.line, err.column) == (2, 4)


def test_unhashable_key() -> None:
    err = load_error("? [1, 2]\n: x\n")
    assert err.line == 1
    assert "unhashable key" in err.message


# ---------------------------------------------------------------------------
# scalars
# ---------------------------------------------------------------------------


def test_timestamps_and_dates_stay_strings() -> None:
    text = (
        "day: 2026-11-20\n"
        "ts: 2026-11-20T10:00:00Z\n"
        "spaced: 2026-11-20 10:00:00\n"
        "n: 3\nratio: 0.15\nflag: true\nnothing: null\n"
    )
    data, _ = yamlio.load(text, "f.yaml")
    assert data == {
        "day": "2026-11-20", "ts": "2026-11-20T10:00:00Z", "spaced": "2026-11-20 10:00:00",
        "n": 3, "ratio": 0.15, "flag": True, "nothing": None,
    }


# ---------------------------------------------------------------------------
# files: encodings
# ---------------------------------------------------------------------------


def test_non_utf8_file_is_a_usage_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    # Latin-1 "é" (0xe9) on line 3.
    path.write_bytes(b"teams:\n  - id: a\n    name: Ren\xe9\n")
    with pytest.raises(UsageError) as info:
        yamlio.load_file(path, "org/teams.yaml")
    err = info.value
    assert (err.file, err.line) == ("org/teams.yaml", 3)
    assert "not UTF-8" in err.message and "0xe9" in err.message
    assert err.fix == "save the file as UTF-8"


def test_utf8_bom_is_tolerated_and_positions_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_bytes(b"\xef\xbb\xbfteams:\n  - id: caf\xc3\xa9\n")
    data, pos = yamlio.load_file(path, positions=True)
    assert data == {"teams": [{"id": "café"}]}
    assert pos[("teams",)] == (1, 1)
    assert pos[("teams", 0, "id")] == (2, 5)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read file") as info:
        yamlio.load_file(tmp_path / "nope.yaml", "nope.yaml")
    assert info.value.file == "nope.yaml"


# ---------------------------------------------------------------------------
# bounded work: aliases, nesting, numbers, special files
# ---------------------------------------------------------------------------


def _laughs(levels: int, fan: int = 9) -> str:
    text = "a0: &a0 [" + ", ".join(["lol"] * fan) + "]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]\n"
    return text


def test_billion_laughs_is_refused_in_flat_memory() -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        err = load_error(_laughs(10))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "alias bomb" in err.message
    assert err.file == "f.yaml" and err.line is not None
    assert peak < 20 * 1024 * 1024  # the expanded tree would be ~10^9 nodes


def test_aliases_below_the_bound_load() -> None:
    data, _ = yamlio.load(_laughs(4), "f.yaml")  # 9^4 = 6561 leaves
    assert len(data["a3"]) == 9 and data["a3"][0][0][0] == ["lol"] * 9


def test_merge_keys_still_work() -> None:
    data, _ = yamlio.load("base: &b {x: 1, y: 2}\nthing: {<<: *b, y: 3}\n", "f.yaml")
    assert data["thing"] == {"x": 1, "y": 3}


def test_alias_cycle_is_refused() -> None:
    err = load_error("a: &a\n  - 1\n  - *a\n")
    assert "cycle" in err.message and err.line == 1


@pytest.mark.parametrize("depth", [yamlio.MAX_DEPTH, yamlio.MAX_DEPTH + 1])
def test_nesting_depth_bound(depth: int) -> None:
    text = "x: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"  # the mapping is a level
    if depth <= yamlio.MAX_DEPTH:
        yamlio.load(text, "f.yaml")
    else:
        assert "levels deep" in load_error(text).message


_NESTING = st.recursive(
    st.sampled_from(["1", "a", "", "'x: y'", "2026-01-01"]),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.sampled_from(["k", "? q", "'k-2'"]), inner), max_size=3).map(
            lambda ps: "{" + ", ".join(f"{k}: {v}" for k, v in ps) + "}"),
    ),
    max_leaves=120,
)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(150), deadline=None)
@given(_NESTING, st.integers(min_value=0, max_value=110))
def test_the_walk_is_skipped_only_where_it_cannot_refuse(flow: str, blocks: int) -> None:
    """within_bounds (no walk) is never True for a text check_bounds refuses."""
    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(blocks)) + "  " * blocks + "v: " + flow
    loader = yamlparse._Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()
    try:
        yamlio.check_bounds(node)
    except yaml.YAMLError:
        assert not yamlio.within_bounds(text)


def test_within_bounds_needs_no_alias_and_few_indicators() -> None:
    assert yamlio.within_bounds("incident: INC-1\nauthors: [a]\n")
    assert not yamlio.within_bounds("a: &x [1]\nb: *x\n")  # an alias may expand
    assert not yamlio.within_bounds("x: " + "[" * yamlio.MAX_DEPTH + "]" * yamlio.MAX_DEPTH)
    assert "levels deep" in load_error(
        "x: " + "[" * yamlio.MAX_DEPTH + "]" * yamlio.MAX_DEPTH + "\n").message


def test_100k_deep_nesting_is_a_usage_error() -> None:
    err = load_error("[" * 100_000 + "]" * 100_000)
    assert err.file == "f.yaml"


@pytest.mark.parametrize(("text", "word"), [
    ("a: .nan\n", "NaN"), ("a: .NaN\n", "NaN"), ("a: .inf\n", "infinite"),
    ("a: -.Inf\n", "infinite"), ("a: 1.0e+999\n", "infinite"),
    ("a:\n  - 1\n  - .nan\n", "NaN"),
])
def test_non_finite_numbers_are_refused_with_position(text: str, word: str) -> None:
    with pytest.raises(UsageError) as info:
        yamlio.load(text, "f.yaml", finite=True)
    err = info.value
    assert "NaN or infinite" in err.message
    assert err.line == text.count("\n", 0, text.index(".")) + 1


def test_quoted_nan_is_text() -> None:
    assert yamlio.load('a: ".nan"\n', "f.yaml", finite=True)[0] == {"a": ".nan"}


def test_config_and_rules_keep_nan_for_their_own_validation() -> None:
    # Their validation lists a NaN with every other load error at once.
    import math

    assert math.isnan(yamlio.load("max: .nan\n", "r.yaml")[0]["max"])


def test_integer_size_bound() -> None:
    ok = "9" * yamlio.MAX_INT_DIGITS
    assert yamlio.load(f"a: {ok}\n", "f.yaml")[0]["a"] == int(ok)
    err = load_error("a: 1\nb: " + "1" * 5000 + "\n")
    assert (err.line, err.column) == (2, 4)
    assert "5000 characters" in err.message
    assert "1" * 100 not in str(err)


def test_duplicate_key_quote_is_short_and_escaped() -> None:
    key = "k\x1b[31m" + "x" * 500
    err = load_error(f'"{key}": 1\n"{key}": 2\n'.replace("\x1b", "\\e"))
    assert "\x1b" not in str(err) and "x" * 100 not in str(err)
    assert "\\x1b" in err.message


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "data.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException | str] = []

    def read() -> None:
        try:
            yamlio.read_text(fifo, "data.yaml")
            outcome.append("read")
        except UsageError as exc:
            outcome.append(exc)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(10)  # generous: the refusal is immediate; a blocking open would hang
    assert outcome, "reading a FIFO blocked"
    assert isinstance(outcome[0], UsageError) and "FIFO" in outcome[0].message


def test_a_device_is_refused() -> None:
    with pytest.raises(UsageError, match="device"):
        yamlio.read_text(Path("/dev/null"), "null.yaml")


def test_every_yaml_load_goes_through_yamlio() -> None:
    # A yaml.safe_load elsewhere would skip the alias, depth and number bounds
    # (guardrails.yamlparse is yamlio's loader, imported on its first parse).
    import re

    package = Path(yamlio.__file__).parent
    offenders = [
        f"{p.relative_to(package)}:{n}"
        for p in package.rglob("*.py") if p.name not in ("yamlio.py", "yamlparse.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\byaml\.(safe_load|load|full_load|unsafe_load|compose|parse|"
                     r"load_all|safe_load_all)\b|CSafeLoader|SafeLoader\b", line)
    ]
    assert offenders == []


def test_bounds_hold_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where libyaml is missing, PyYAML's Python parser is used: it accepts
    # surrogate escapes and composes recursively. The bounds must still hold.
    import yaml

    class PyLoader(yaml.SafeLoader):
        pass

    PyLoader.yaml_implicit_resolvers = yamlparse._Loader.yaml_implicit_resolvers
    PyLoader.yaml_constructors = dict(yamlparse._FiniteLoader.yaml_constructors)
    monkeypatch.setattr(yamlparse, "_Loader", PyLoader)
    monkeypatch.setattr(yamlparse, "_FiniteLoader", PyLoader)
    assert "surrogate" in load_error('a: 1\nb: "x\\ud800"\n').message
    assert load_error('a: 1\nb: "x\\ud800"\n').line == 2
    assert "levels deep" in load_error("[" * 5000 + "]" * 5000).message
    assert "alias bomb" in load_error(_laughs(10)).message
    assert "NaN" in load_error("a: .nan\n").message


def test_deep_documents_never_reach_libyaml_recursion() -> None:
    # Older libyaml builds (PyYAML < 6.0.4) recurse in C without a limit: a
    # 100k-deep document killed the process. Such texts go to the Python parser.
    deep = "deployments: " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert yamlio.deep_offset(deep) == len("deployments: ") + yamlio.MAX_DEPTH
    with pytest.raises(UsageError, match="nesting depth") as info:
        yamlio.load(deep, "org/deployments.yaml")
    assert info.value.line == 1


def test_brackets_inside_strings_only_cost_the_slower_parser() -> None:
    text = "title: '" + "[" * 150 + "'\nlist: [1, [2]]\n"
    assert yamlio.deep_offset(text) is not None  # over-approximation: strings count
    data, _ = yamlio.load(text, "x.yaml")
    assert data == {"title": "[" * 150, "list": [1, [2]]}
    assert yamlio.deep_offset("a: [1, {b: [2]}]\n") is None


# ---------------------------------------------------------------------------
# every YAML error says how to fix it (DESIGN: file, line and what to do)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "finite", "fix"), [
    ("a: 1\nb: text: more\n", False, "quote a value"),              # PyYAML's own words
    ("a: 1\nb: 'never closed\nc: 3\n", False, "close every quote"),
    ("a: [1, 2\n", False, "close every quote and bracket"),
    ('a: "\\ud8"\n', False, "write the character itself"),
    ('a: "C:\\q"\n', False, "a backslash is written \\\\"),
    ("a: 1\na: 2\n", False, "remove one of them"),
    ("a:\n\tb: 1\n", False, "indent with spaces"),
    ("a: &a\n  - 1\n  - *a\n", False, "alias"),
    ("x: " + "[" * 100 + "]" * 100 + "\n", False, "at most 100 levels"),
    ("[" * 100_000 + "]" * 100_000, False, "at most 100 levels"),
    ("a: 1" + "0" * 101 + "\n", False, "at most 100 digits"),
    ("a: .nan\n", True, "finite number"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [" + ", ".join(["*a"] * 10) + "]\n"
     "c: &c [" + ", ".join(["*b"] * 10) + "]\nd: &d [" + ", ".join(["*c"] * 10) + "]\n"
     "e: &e [" + ", ".join(["*d"] * 10) + "]\nf: [" + ", ".join(["*e"] * 10) + "]\n",
     False, "instead of repeating aliases"),
])
def test_every_yaml_error_names_a_fix(text: str, finite: bool, fix: str) -> None:
    with pytest.raises(UsageError) as info:
        yamlio.load(text, "f.yaml", finite=finite)
    err = info.value
    assert err.fix and fix in err.fix, str(err)
    assert err.line is not None
    assert ". Fix: " in str(err)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\ufffe"])
def test_a_raw_control_character_is_placed_by_line_and_column(char: str) -> None:
    # was: no line, and PyYAML's 'in "<unicode string>", position 9' in the message
    err = load_error(f"a: 1\nb: x{char}y\n")
    assert (err.file, err.line, err.column) == ("f.yaml", 2, 5)
    assert f"U+{ord(char):04X}" in err.message and "unicode string" not in err.message
    assert err.fix and "remove it" in err.fix
