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


def _naive_dangling(store: FactStore) -> list[str]:
    """The dangling-reference warnings as the plain definition gives them: a set of
    every referenced kind's ids and aliases as text, each reference looked up in it."""
    from guardrails.facts import DANGLING_SHOWN, _label, _looks_like_sha

    out: list[str] = []
    facts, kinds = store.by_kind, store.kinds

    def warn(text: str) -> None:  # as FactStore.warn: each warning once
        if text not in out:
            out.append(text)

    for target in kinds.values():
        present = facts.get(target.name) if target.commit_refs else target.name in facts
        referring = [(k.name, name) for k in kinds.values()
                     for name, to in k.references.items() if to == target.name]
        if not present or not referring:
            continue
        rows = facts[target.name]
        ids = {str(f[target.id_field]) for f in rows
               if target.id_field and target.id_field in f}
        for alias in target.aliases:
            ids |= {str(f[alias]) for f in rows if f.get(alias)}
        for kind, name in referring:
            missing = 0
            for f in facts.get(kind, ()):
                value = f.get(name)
                if value is None:
                    continue
                for ref in value if isinstance(value, list) else (value,):
                    if str(ref) in ids or (target.commit_refs and _looks_like_sha(str(ref))):
                        continue
                    missing += 1
                    if missing <= DANGLING_SHOWN:
                        warn(f"{store.where(kind, f, name)}{kinds.singular(kind)} "
                                   f"{_label(kinds[kind], f)}names {target.singular} {ref}, "
                                   "which is not in the data")
            if missing > DANGLING_SHOWN:
                warn(f"... and {missing - DANGLING_SHOWN} more {kinds.singular(kind)} "
                           f"{name} reference(s) to a {target.singular} that is not in the "
                           "data")
    return out


def test_dangling_references_are_those_of_the_plain_definition() -> None:
    """The check reads the store's id table where it holds exactly the ids' texts and
    the aliases only for a reference the ids do not name: the same warnings as a set of
    every id and alias, for ids duplicated, null, missing, numbers ("3" and 3), merge
    shas, references of every type (a list, an unhashable item, a commit sha), the
    table made before the check or not."""
    rnd = random.Random(28)
    used_table = 0
    for seed in range(300):
        n = rnd.randrange(1, 30)
        changes = []
        for i in range(n):
            pick = rnd.randrange(6 if seed % 2 else 10)  # half the orgs: ids of their own
            c: dict = {"id": f"c-{i}" if pick < 6 else f"c-{rnd.randrange(n)}" if pick == 6
                       else i if pick == 7 else None}
            if pick == 9:
                del c["id"]
            if rnd.random() < 0.3:
                c["merge_sha"] = rnd.choice([f"{i:07x}z", f"{i:040x}", "", str(i)])
            changes.append(c)
        teams = [{"id": f"t-{i}", "github": f"gh-{i}" if i % 2 else None} for i in range(3)]

        def ref(n: int = n) -> object:
            return rnd.choice([
                f"c-{rnd.randrange(n + 3)}", rnd.randrange(n + 3), f"{rnd.randrange(99):040x}",
                f"{rnd.randrange(n):07x}z", str(rnd.randrange(n)), None, {"not": "a ref"}])

        deps = [{"id": f"d-{i}", "status": "success", "finished_at": T0,
                 # one text or none in place of a list too (the joins read lists)
                 "changes": (rnd.choice([f"c-{rnd.randrange(n + 3)}", None])
                             if rnd.random() < 0.2
                             else [ref() for _ in range(rnd.randrange(4))])}
                for i in range(rnd.randrange(40))]
        goals = [{"id": f"g-{i}", "team": rnd.choice(["t-1", "gh-1", "t-9", 7, None])}
                 for i in range(rnd.randrange(5))]
        store = FactStore()
        for kind, facts in (("changes", changes), ("deployments", deps), ("teams", teams),
                            ("goals", goals)):
            if kind != "goals" or goals:
                store.add(kind, facts, "test")
        if seed % 3 == 0:
            store.id_table("changes")  # made before the check
        expected = _naive_dangling(store)
        join(store)
        assert [w for w in store.warnings if " names " in w or " more " in w] == \
            [w for w in expected if " names " in w or " more " in w], seed
        if store.id_texts("changes") is not None:
            used_table += 1
    assert used_table > 50


def test_a_fact_with_a_null_or_no_id_joins_nothing() -> None:
    # A store built outside gathering (facts unchecked) given to join: a deployment whose id is
    # null is no cause of the incidents that name none (they were all joined to
    # it, then a KeyError), and a fact with no id at all is no crash either.
    deps = [{"id": None, "status": "success", "finished_at": T0},
            {"status": "success", "finished_at": T0},
            {"id": "d-1", "status": "success", "finished_at": T0}]
    incs = [{"id": "INC-1", "created_at": T0 + timedelta(days=1)},
            {"created_at": T0 + timedelta(days=1), "caused_by": "d-1"}]
    store = _store(deps, [], incs)
    store.add("teams", [{"id": None, "members": ["a"]}, {"members": []},
                        {"id": "t", "members": []}], "test")
    store.add("services", [{"id": "s1", "owner": None}, {"owner": "t"}], "test")
    join(store, T0 + timedelta(days=2))
    assert [d["failed"] for d in deps] == [False, False, True]
    assert deps[0]["incidents"] == [] and deps[2]["incidents"] == [incs[1]]
    assert "deployment" not in incs[0] and incs[1]["deployment"] is deps[2]
    teams = store.get("teams")
    assert [t["services"] for t in teams] == [[], [], [None]]
    assert [t["size"] for t in teams] == [1, 0, 0]
