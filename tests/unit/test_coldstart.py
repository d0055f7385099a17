"""A cold run's rule loading does its work once: the kinds a rule may name are
worked out once per run (not once per pack), and the builtin packs are read
once each (guardrails/ruleparams.py, guardrails/packcache.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import write

from guardrails import packdata, ruleparams, rulepaths
from guardrails.config import RunOptions, load_config
from guardrails.model import Rule
from guardrails.session import Session

ALL_BUILTIN = "rules:\n" + "".join(f"  - builtin:{name}\n" for name in rulepaths.builtin_packs())
WITH_FILES = ALL_BUILTIN + "sources:\n  files: {path: org}\n"


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_NO_STARTUP_CACHE", "1")
    # the packs validated here, not taken as valid on the shipped verdicts (packverdict)
    monkeypatch.setattr(packdata, "VALIDATED", {})


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record every time the kinds are really worked out (with_sources each)."""
    calls: list[bool] = []
    real = ruleparams._known_kinds

    def known(config: Any, checks: Any, metrics: Any, with_sources: bool) -> set[str]:
        calls.append(with_sources)
        return real(config, checks, metrics, with_sources)

    monkeypatch.setattr(ruleparams, "_known_kinds", known)
    return calls


def _session(root: Path, text: str) -> Session:
    (root / "org").mkdir(parents=True, exist_ok=True)
    session = Session(load_config(write(root, "guardrails.yaml", text), RunOptions()))
    session.configure()
    return session


def test_the_kinds_are_worked_out_once_a_run(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch)
    session = _session(tmp_path, WITH_FILES)
    rules: list[Rule] = session.collect()
    assert len({r.file for r in rules}) == len(rulepaths.builtin_packs())
    assert calls == [True]
    # the same answer as working them out afresh
    config = session.config
    assert ruleparams.known_kinds(config, session.checks, session.metrics) == \
        ruleparams._known_kinds(config, session.checks, session.metrics, True)
    # another session (another plugin manager) works them out again
    _session(tmp_path / "b", WITH_FILES).collect()
    assert calls.count(True) == 3


def test_other_sources_are_another_answer(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch)
    session = _session(tmp_path, WITH_FILES)
    config = session.config
    first = ruleparams.known_kinds(config, session.checks, session.metrics)
    assert calls == [True]
    config.data["sources"] = {}
    without = ruleparams.known_kinds(config, session.checks, session.metrics)
    assert calls == [True, True]
    assert without <= first
    # plain mappings (not the plugin manager's) are never remembered
    checks, metrics = dict(session.checks), dict(session.metrics)
    ruleparams.known_kinds(config, checks, metrics)
    ruleparams.known_kinds(config, checks, metrics)
    assert calls == [True] * 4


def test_a_checks_keywords_are_read_once_per_function() -> None:
    import inspect

    class Check:
        def validate_rule(self, values: Any, known_kinds: Any = None) -> None: ...

    class Callable:
        def __call__(self, values: Any, fact_kinds: Any) -> None: ...

    first, second = Check(), Check()
    assert ruleparams._keywords(first.validate_rule) == {"values", "known_kinds"}
    key = (Check.validate_rule, True)
    assert key in ruleparams._SIGNATURES
    assert ruleparams._keywords(second.validate_rule) is ruleparams._SIGNATURES[key]

    def plain(values: Any, metrics: Any) -> None: ...

    assert ruleparams._keywords(plain) == set(inspect.signature(plain).parameters)
    obj = Callable()  # a callable object is read each time (it may change)
    assert ruleparams._keywords(obj) == {"values", "fact_kinds"}
    assert all(k[0] is not obj for k in ruleparams._SIGNATURES)


def test_a_pack_the_pack_cache_keeps_is_not_remembered_entry_by_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails import verdictcache

    monkeypatch.delenv("GUARDRAILS_NO_STARTUP_CACHE")
    monkeypatch.setenv("GUARDRAILS_PLUGIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(verdictcache, "_state", None)  # this process's, as a new run's
    monkeypatch.setattr(verdictcache, "_write", lambda state: None)
    texts: list[str] = []
    real = verdictcache.text_of

    def text_of(instance: Any) -> str | None:
        texts.append(repr(instance))
        return real(instance)

    monkeypatch.setattr(verdictcache, "text_of", text_of)
    write(tmp_path, "rules/own.yaml", "pack: own\nrules:\n  - {id: a, check: count, "
                                      "facts: teams, max: 3}\n")
    session = _session(tmp_path, ALL_BUILTIN + "  - rules/own.yaml\n")
    rules = session.collect()
    assert {r.pack for r in rules} >= {"own", "stability"}
    builtin_ids = {repr(r.id) for r in rules if r.builtin}
    # the builtin packs' entries (kept whole by the pack cache) are not remembered
    assert not any(f"'id': {i}" in t for t in texts for i in builtin_ids)
    # a pack of the project's own is, and the config
    assert any("'id': 'a'" in t for t in texts)
    assert any("'rules':" in t and "builtin:stability" in t for t in texts)
