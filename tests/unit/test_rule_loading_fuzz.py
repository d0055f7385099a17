"""Fuzzing the config and rule-file loaders: load, or a UsageError, never anything else.

Inputs are mutations of a valid config and a valid rule pack: a node replaced
by an odd value (wrong type, NaN, a hostile string, deep nesting), a key
removed or added, or the YAML text itself cut and spliced.
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import fuzz_examples, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.config import RunOptions, load_config
from guardrails.errors import UsageError
from guardrails.rulefile import RuleParser
from guardrails.session import Session

VALID_PACK: dict[str, Any] = {
    "pack": "p",
    "tags": ["x"],
    "rules": [
        {"id": "a", "check": "count", "facts": "teams", "min": 1, "max": 9,
         "severity": "warning", "tags": ["t"],
         "focus": {"stability": {"max": 5, "severity": "error"}}},
        {"id": "b", "check": "each", "facts": "incidents",
         "where": {"properties": {"severity": {"enum": ["SEV1"]}}, "required": ["severity"]},
         "older_than": {"field": "resolved_at", "age": "5d"},
         "expect": {"required": ["postmortem"],
                    "properties": {"postmortem": {"properties": {"status": {"const": "x"}}}}},
         "evidence": "{severity} {title} {postmortem.published_at}"},
        {"id": "c", "check": "metric", "metric": "dora.change_failure_rate", "max": 0.15,
         "window": "30d", "explain": {"what": "w"}},
        {"id": "d", "check": "metric", "metric": "dora.lead_time", "max": "7d", "min": 60},
        {"id": "e", "check": "teams.size", "min": 3, "max": 8, "enabled": False},
    ],
}

VALID_CONFIG: dict[str, Any] = {
    "rules": ["rules/"],
    "sources": {"files": {"path": "org"}},
    "window": "90d",
    "timezone": "UTC",
    "focus": {"current": "stability", "reviewed_on": "2026-10-01"},
    "overrides": {"p::a": {"max": 7}},
    "waivers": [{"rule": "p::a", "reason": "r", "expires": "2030-01-01",
                 "subject": "team/x"}],
}

KEYS = sorted({*VALID_CONFIG, *VALID_PACK, *VALID_PACK["rules"][1], "min", "max", "metric",
               "$ref", "pattern", "patternProperties", "required", "properties", "enum"})
HOSTILE = st.sampled_from([
    "0d", "-1d", "1e309", ".nan", "999999999w", "{titel}", "{0}", "{title:>99999}", "{",
    "(a)\\1", "^(a+)+$", "#/$defs/x", "http://127.0.0.1:1/x", "file:///etc/passwd",
    "incident", "each", "count", "metric", "dora.lead_time", "builtin:nope", "p::a",
    "", " ", "\x00", "stability", "2026-13-01", "Mars/Olympus", "../..", "~",
])
SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12) | HOSTILE)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def _nest(depth: int, leaf: Any, as_list: bool) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"properties": leaf}
    return leaf


ODD = VALUES | st.builds(_nest, st.integers(20, 90), VALUES, st.booleans())


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


@st.composite
def mutated(draw: Any, base: dict[str, Any]) -> Any:
    data: Any = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if not path:
            if action == "replace" and draw(st.booleans()):
                data = draw(ODD)
            continue
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if action == "replace":
            parent[last] = draw(ODD)
        elif action == "delete":
            del parent[last]
        else:
            target = parent[last]
            if isinstance(target, dict):
                target[draw(st.sampled_from(KEYS))] = draw(ODD)
            elif isinstance(target, list):
                target.append(draw(ODD))
            else:
                parent[last] = draw(ODD)
    return data


@st.composite
def texts(draw: Any, base: dict[str, Any]) -> str:
    """A YAML text: a dumped mutation, sometimes cut and spliced as text."""
    text = yaml.safe_dump(draw(mutated(base)), sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", ":", "- ", "{", "]", "\t", "&a ", "*a",
                                                    "!!python/object:os.system ''", "\n  "]))\
            + text[cut + draw(st.integers(0, 8)):]
    return text


def _project(root: Path) -> None:
    write(root, "org/teams.yaml", "teams:\n  - id: alpha\n    members: [{handle: ann}]\n")
    write(root, "rules/keep.yaml", "pack: keep\nrules:\n  - id: k\n    check: count\n"
          "    facts: teams\n    min: 1\n")


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(160), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts(VALID_CONFIG))
def test_config_loader_loads_or_refuses(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.suppress(UsageError):
        root = Path(tmp)
        _project(root)
        path = write(root, "guardrails.yaml", text)
        config = load_config(path, RunOptions())
        session = Session(config)
        session.configure()
        session.collect()


@pytest.fixture(scope="module")
def parser() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root)
        config = load_config(write(root, "guardrails.yaml",
                                   "rules: [rules/]\nsources:\n  files: {path: org}\n"),
                             RunOptions())
        session = Session(config)
        session.configure()
        yield RuleParser(config, session.checks, session.metrics), root


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(160), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(text=texts(VALID_PACK))
def test_rule_file_loader_loads_or_refuses(parser: Any, text: str) -> None:
    rule_parser, root = parser
    path = write(root, "rules/fuzz.yaml", text)
    with contextlib.suppress(UsageError):  # anything else fails the test
        rule_parser.parse(path)


def test_the_valid_inputs_load(parser: Any, tmp_path: Path) -> None:
    """The fuzzers mutate inputs that load: a mutation is what makes them bad."""
    rule_parser, root = parser
    rules = rule_parser.parse(write(root, "rules/valid.yaml", yaml.safe_dump(VALID_PACK)))
    assert [r.id for r in rules] == ["a", "b", "c", "d"]
    _project(tmp_path)
    write(tmp_path, "rules/p.yaml", yaml.safe_dump(VALID_PACK))
    config = load_config(write(tmp_path, "guardrails.yaml", yaml.safe_dump(VALID_CONFIG)),
                         RunOptions())
    session = Session(config)
    session.configure()
    session.collect()
    assert {r.nodeid for r in session.rules} >= {"p::a", "keep::k"}
