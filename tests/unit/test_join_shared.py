"""The builtin joins: what they share between facts, and that the fast paths give
the answers of the plain definitions (``shipping_deployment``, dangling references)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from guardrails.datakinds import NO_ITEMS, first_by_ref, shipping_deployment
from guardrails.factjson import json_view, to_jsonable
from guardrails.facts import FactStore, join

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _store(deployments: list[dict], changes: list[dict],
           incidents: list[dict] | None = None) -> FactStore:
    store = FactStore()
    store.add("deployments", deployments, "test")
    store.add("changes", changes, "test")
    store.add("incidents", incidents or [], "test")
    return store


def test_deployments_with_nothing_joined_share_one_list_that_refuses_changes() -> None:
    deps = [{"id": f"d-{i}", "status": "success", "finished_at": T0 + timedelta(hours=i),
             "changes": []} for i in range(3)]
    inc = {"id": "INC-1", "caused_by": "d-1", "created_at": T0 + timedelta(days=1)}
    store = _store(deps, [], [inc])
    join(store)
    d0, d1, d2 = deps
    assert d0["incidents"] is d2["incidents"] is d0["remediated_by"] is NO_ITEMS
    assert d1["incidents"] == [inc] and d1["failed"] and not d0["failed"]
    assert d0["incidents"] == [] and not d0["incidents"] and len(NO_ITEMS) == 0
    for change in (lambda x: x.append(1), lambda x: x.extend([1]), lambda x: x.insert(0, 1),
                   lambda x: x.__setitem__(slice(0, 0), [1]), lambda x: x.__iadd__([1]),
                   lambda x: x.sort(), lambda x: x.clear()):
        with pytest.raises(TypeError, match="read-only"):
            change(d0["incidents"])
    assert NO_ITEMS == []
    # as output and to JSON Schema, the shared list is an empty list
    assert to_jsonable("deployments", d0)["incidents"] == []
    assert json_view("deployments", d0)["remediated_by"] == []
    assert json.loads(json.dumps(to_jsonable("deployments", d0)))["incidents"] == []
    # a join that wants to add assigns a new list, as docs/plugins.md says
    d0["incidents"] = [*d0["incidents"], inc]
    assert NO_ITEMS == [] and d2["incidents"] == []


def _random_org(seed: int, distinct_ids: bool) -> tuple[list[dict], list[dict]]:
    rnd = random.Random(seed)
    n = 60
    deps = []
    for i in range(n):
        d = {"id": f"d-{i if distinct_ids else rnd.randrange(n // 2)}",
             "finished_at": T0 + timedelta(hours=rnd.randrange(20)),  # ties on purpose
             "status": rnd.choice(["success", "success", "failure"]),
             "changes": [rnd.choice([f"c-{rnd.randrange(n)}", f"{rnd.randrange(n):040x}",
                                     rnd.randrange(n)])
                         for _ in range(rnd.randrange(3))]}
        if rnd.random() < 0.2:
            d["environment"] = rnd.choice(["production", "staging"])
        deps.append(d)
    changes = []
    for i in range(n):
        c: dict = {"id": rnd.choice([f"c-{i}", i, None])}
        if rnd.random() < 0.6:
            c["merge_sha"] = f"{rnd.randrange(n):040x}"
        if c["id"] is None:
            del c["id"]
        changes.append(c)
    return deps, changes


@pytest.mark.parametrize("distinct_ids", [True, False])
def test_each_change_is_joined_to_what_shipping_deployment_names(distinct_ids: bool) -> None:
    for seed in range(40):
        deps, changes = _random_org(seed, distinct_ids)
        expected = [shipping_deployment(c, first_by_ref(deps)) for c in changes]
        store = _store(deps, changes)
        join(store)
        assert [c.get("deployment") for c in changes] == expected, seed
        # the fact index answers lead time with the same table the join used
        if distinct_ids:
            assert store.index.first_by_ref("production") == first_by_ref(deps)


def test_dangling_change_references_in_lists_are_still_named() -> None:
    deps = [{"id": "d-1", "status": "success", "finished_at": T0,
             "changes": ["c-1", "c-9"]},
            {"id": "d-2", "status": "success", "finished_at": T0, "changes": ["c-1"]},
            {"id": "d-3", "status": "success", "finished_at": T0,
             "changes": [{"not": "a ref"}]}]
    store = _store(deps, [{"id": "c-1"}])
    join(store)
    named = [w for w in store.warnings if "names change" in w]
    assert len(named) == 2
    assert "deployment d-1 names change c-9" in named[0]
    assert "deployment d-3 names change {'not': 'a ref'}" in named[1]
