"""The bounded regexes of CODEOWNERS patterns that could backtrack
(:func:`guardrails.sources.codeowners._bounded`) say what the segment matcher
they replaced said (tests/codeowners_glob.py, kept as it was), and what
pathspec's own regex says on the paths git lists, over generated patterns and
paths; a whole file resolves as it did when those lines went to the old matcher.
"""

from __future__ import annotations

import itertools
import random
import re

import pytest
from codeowners_glob import Glob
from helpers import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.sources import codeowners

#: pieces of patterns: the globs' traps (runs of stars, ``?``, escapes, ``**`` in
#: every place, a trailing ``/``)
PATTERN_TOKENS = ["a", "b", "*", "?", "/", "**", "/**/", "\\*", "ab", "**/", "/*", "a*b",
                  "*a*", ".", "x.js"]
#: pieces of paths: what git lists, and what it never does (empty segments, a
#: newline, a backslash), which the old matcher answered too
PATH_TOKENS = ["a", "b", "ab", "ba", "aab", "*", ".", "x.js", "a.b", "\\"]
ODD_PATH_TOKENS = [*PATH_TOKENS, "", "a\nb", "x.js\n", "?"]

patterns = st.lists(st.sampled_from(PATTERN_TOKENS), min_size=1, max_size=7).map("".join)
plain_paths = st.lists(st.sampled_from(PATH_TOKENS), min_size=1, max_size=5).map("/".join)
odd_paths = st.lists(st.sampled_from(ODD_PATH_TOKENS), min_size=1, max_size=5).map("/".join)


def _valid(pattern: str) -> bool:
    return codeowners._check_pattern(pattern) is None


def _pathspec(pattern: str) -> str | None:
    """pathspec's regex of a pattern (as _regex takes it), when it is one that
    re.match uses as it is ("." and "(?!)" are never risky: they never reach the
    bounded matcher), and one where pathspec follows git."""
    rx = codeowners._regex(pattern)
    if pattern.endswith("**/"):  # pathspec's "^docs/" owns docs/x.md; git does not
        return None
    return rx if rx.startswith("^") else None


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(400), deadline=None)
@given(pattern=patterns, path=plain_paths)
def test_the_old_segment_matcher_agrees_with_pathspec(pattern: str, path: str) -> None:
    # the oracle itself, as it was held to pathspec while it was the product's
    rx = _pathspec(pattern) if _valid(pattern) else None
    if rx is not None:
        assert Glob(pattern).match(path) == bool(re.match(rx, path))


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(600), deadline=None)
@given(pattern=patterns, paths=st.lists(odd_paths, min_size=1, max_size=6))
def test_the_bounded_regex_agrees_with_the_old_segment_matcher(pattern: str,
                                                               paths: list[str]) -> None:
    if not _valid(pattern):
        return
    rx = re.compile(codeowners._bounded(pattern))
    glob = Glob(pattern)
    for path in paths:
        if pattern.endswith("**/") and "//" in path:
            # a trailing "**/" asks for a folder's name after the "**"; the old
            # matcher took an empty segment for one, the regex does not. git
            # lists no path with an empty segment, so neither reading is wrong
            continue
        assert bool(rx.match(path)) == glob.match(path), (pattern, path, rx.pattern)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(600), deadline=None)
@given(pattern=patterns, paths=st.lists(plain_paths, min_size=1, max_size=6))
def test_the_bounded_regex_agrees_with_pathspec(pattern: str, paths: list[str]) -> None:
    rx = _pathspec(pattern) if _valid(pattern) else None
    if rx is None:
        return
    bounded = re.compile(codeowners._bounded(pattern))
    for path in paths:
        assert bool(bounded.match(path)) == bool(re.match(rx, path)), (pattern, path)


def test_every_short_pattern_against_every_short_path() -> None:
    # Exhaustive where it is small: every valid pattern of up to three tokens
    # (~580) against every path of up to three segments of some names (155).
    names = ["a", "b", "ab", "x.js", ""]
    paths = ["/".join(p) for n in (1, 2, 3) for p in itertools.product(names, repeat=n)]
    tokens = ["a", "*", "?", "/", "**", "ab", "\\*", ".js"]
    compared = 0
    for n in (1, 2, 3):
        for parts in itertools.product(tokens, repeat=n):
            pattern = "".join(parts)
            if not _valid(pattern):
                continue
            rx, glob = re.compile(codeowners._bounded(pattern)), Glob(pattern)
            for path in paths:
                assert bool(rx.match(path)) == glob.match(path), (pattern, path)
                compared += 1
    assert compared > 50_000  # it compared something


def _old_owners(co: codeowners.CodeOwners, path: str) -> tuple[str, ...] | None:
    """What the file said of ``path`` when its risky lines went to the segment
    matcher: the last line that matches, through pathspec's regex or the matcher."""
    for e in reversed(co.entries):
        rx = codeowners._regex(e.pattern)
        if (Glob(e.pattern).match(path) if codeowners._risky(rx)
                else re.match(rx, path) is not None):
            return e.owners
    return None


def test_a_whole_file_resolves_as_it_did() -> None:
    # Generated files of plain and risky lines (over the pieces of 100 the lines are
    # compiled in), generated paths: each path's owners as before.
    rng = random.Random(24)
    for _ in range(20):
        lines = []
        for i in range(rng.randint(1, 250)):
            pattern = "".join(rng.choice(PATTERN_TOKENS) for _ in range(rng.randint(1, 6)))
            lines.append(f"{pattern} @org/t{i}" if rng.random() < 0.9 else pattern)
        co = codeowners.parse("\n".join(lines) + "\n")
        assert any(codeowners._risky(codeowners._regex(e.pattern)) for e in co.entries)
        for _ in range(60):
            path = "/".join(rng.choice(PATH_TOKENS) for _ in range(rng.randint(1, 6)))
            assert co.owners_of(path) == _old_owners(co, path), path


@pytest.mark.parametrize(("pattern", "yes", "no"), [
    ("*a*b*", ["ab", "x/yaxbz", "aab/c"], ["ba", "b/a", "a/b"]),
    ("src/*x*y*/*.py", ["src/axyb/c.py", "src/xy/.py/d"], ["src/xy/c.pyc", "src/yx/c.py"]),
    ("**/a/**/b", ["a/b", "q/a/r/s/b", "a/b/c"], ["b/a", "ab", "a/bb"]),
    ("docs/**/*a*b*/*", ["docs/ab/c", "docs/x/y/zab/c"], ["docs/ab/c/d", "docs/ab"]),
    ("a*b*/", ["ab/x", "q/axb/y"], ["ab", "x/ab"]),
    ("/**/x*y*/**", ["xy/z", "a/xay/b/c"], ["xy", "a/xy"]),
    ("*\\**?*", ["a*b", "**x", "q/r*s"], ["ab", "a*"]),
])
def test_patterns_with_several_stars_by_hand(pattern: str, yes: list[str],
                                             no: list[str]) -> None:
    co = codeowners.parse(f"* @all\n{pattern} @some\n")
    assert not co.errors
    assert [p for p in yes if co.owners_of(p) != ("@some",)] == []
    assert [p for p in no if co.owners_of(p) != ("@all",)] == []
