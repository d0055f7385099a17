"""Fact kinds registered through guardrails_fact_kinds: builtins first, plugins first-class."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guardrails.datakinds import BUILTIN
from guardrails.errors import PluginError
from guardrails.factjson import to_jsonable
from guardrails.facts import FactStore, join, subject
from guardrails.kinds import FactKind, KindRegistry

SHIFTS = FactKind("shifts", "shift", references={"team": "teams"},
                  joined={"owner": "teams"}, requires=("teams",),
                  schema={"type": "object", "properties": {"id": {}, "team": {}}})


def _join_shifts(store: FactStore, now: datetime | None) -> None:
    teams = {t["id"]: t for t in store.get("teams")}
    for s in store.get("shifts"):
        if s.get("team") in teams:
            s["owner"] = teams[s["team"]]


def test_builtins_come_first_whatever_the_hook_order() -> None:
    # pluggy calls the last registered plugin first; the builtin registers first
    reg = KindRegistry.from_hook([[SHIFTS], list(BUILTIN.values())])
    assert list(reg)[: len(BUILTIN)] == list(BUILTIN)
    assert list(reg)[-1] == "shifts"


def test_a_kind_registered_twice_differently_is_a_plugin_error() -> None:
    other = FactKind("teams", "squad")
    with pytest.raises(PluginError, match="'teams' is registered twice"):
        KindRegistry([*BUILTIN.values(), other])
    assert len(KindRegistry([*BUILTIN.values(), BUILTIN["teams"]])) == len(BUILTIN)


def test_requirements_and_singulars() -> None:
    reg = KindRegistry([*BUILTIN.values(), SHIFTS])
    assert reg.with_requirements(["shifts"]) == {"shifts", "teams", "services"}
    assert reg.singular("shifts") == "shift"
    assert reg.singular("unknowns") == "unknown"
    assert reg.fingerprint != BUILTIN.fingerprint


def test_a_plugin_kind_joins_and_warns_of_dangling_references() -> None:
    kind = FactKind(**{**SHIFTS.__dict__, "join": _join_shifts})
    store = FactStore(KindRegistry([*BUILTIN.values(), kind]))
    store.add("teams", [{"id": "core", "members": []}], "files")
    store.add("shifts", [{"id": "s1", "team": "core"}, {"id": "s2", "team": "ghost"}], "oncall")
    join(store, datetime(2026, 1, 1, tzinfo=UTC))
    s1, s2 = store.get("shifts")
    assert s1["owner"]["id"] == "core" and "owner" not in s2
    assert store.warnings == ["shift s2 names team ghost, which is not in the data"]
    assert subject("shifts", s1, store.kinds) == "shift/s1"
    assert to_jsonable("shifts", s1, store.kinds)["owner"] == "team/core"
