"""The per-run fact index answers exactly what a full scan in data order answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from guardrails.errors import SourceError
from guardrails.factindex import Timeline, unique
from guardrails.facts import FactStore, join

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _deployments(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        d = {"id": f"d-{rnd.randrange(n)}",  # duplicate ids on purpose
             "finished_at": T0 + timedelta(hours=rnd.randrange(50)),  # many ties
             "status": rnd.choice(["success", "success", "failure"]),
             "changes": [f"c-{rnd.randrange(n)}"]}
        if rnd.random() < 0.3:
            d["environment"] = rnd.choice(["production", "staging"])
        if rnd.random() < 0.05:
            del d["finished_at"]
        out.append(d)
    return out


def _scan(facts: list[dict], env: str, start: datetime, end: datetime) -> list[dict]:
    return [d for d in unique(facts)
            if d.get("status") == "success" and d.get("environment", "production") == env
            and d.get("finished_at") is not None and start <= d["finished_at"] < end]


def test_production_window_is_the_full_scan_in_data_order() -> None:
    deps = _deployments(400)
    store = FactStore()
    store.add("deployments", deps, "test")
    for env in ("production", "staging"):
        for lo, hi in ((0, 50), (10, 11), (10, 10), (49, 60), (-5, 3)):
            start, end = T0 + timedelta(hours=lo), T0 + timedelta(hours=hi)
            got = store.index.production_in(env, start, end)
            assert [id(d) for d in got] == [id(d) for d in _scan(deps, env, start, end)]


def test_window_keeps_duplicates_and_skips_facts_without_the_timestamp() -> None:
    deps = _deployments(200)
    store = FactStore()
    store.add("deployments", deps, "test")
    start, end = T0 + timedelta(hours=5), T0 + timedelta(hours=30)
    want = [d for d in deps if "finished_at" in d and start <= d["finished_at"] < end]
    assert [id(d) for d in store.index.window("deployments", "finished_at", start, end)] \
        == [id(d) for d in want]
    before = [d for d in deps if "finished_at" in d and d["finished_at"] < end]
    assert [id(d) for d in store.index.window("deployments", "finished_at", None, end)] \
        == [id(d) for d in before]


def test_first_gathered_wins_and_adding_facts_drops_the_index() -> None:
    store = FactStore()
    a = {"id": "d-1", "status": "success", "finished_at": T0, "changes": ["c-1"]}
    b = {"id": "d-1", "status": "success", "finished_at": T0 - timedelta(days=1),
         "changes": ["c-1"]}
    store.add("deployments", [a], "one")
    assert store.index.first_by_ref()["c-1"] is a
    store.add("deployments", [b], "two")  # same id from a second source: a still wins
    assert store.index.unique("deployments") == [a]
    assert store.index.first_by_ref()["c-1"] is a
    c = {"id": "d-2", "status": "success", "finished_at": T0 - timedelta(days=2),
         "changes": ["c-1"]}
    store.add("deployments", [c], "three")
    assert store.index.first_by_ref()["c-1"] is c


def test_a_failed_kind_indexes_as_empty() -> None:
    store = FactStore()
    store.fail("deployments", SourceError("files", "down"))
    assert store.index.production_in("production", T0, T0 + timedelta(days=1)) == []


def test_a_timeline_answers_any_sequence_of_windows_as_a_full_scan() -> None:
    """The first window is a pass, the same window again a copy, a different one sorts."""
    rnd = random.Random(3)
    items = [object() for _ in range(300)]
    stamps = [rnd.choice([None, "2026-01-01", T0 + timedelta(hours=rnd.randrange(40))])
              for _ in items]
    bounds = [None, *(T0 + timedelta(hours=h) for h in (-3, 0, 5, 5, 17, 39, 40, 60))]
    for _ in range(60):
        line: Timeline[object] = Timeline(items, stamps)
        for _ in range(rnd.randrange(1, 5)):
            start = rnd.choice(bounds)
            end = rnd.choice(bounds[1:])
            if rnd.random() < 0.4 and line._first is not None:  # the same window again
                start, end = line._first[0], line._first[1]
            want = [x for x, t in zip(items, stamps, strict=True) if isinstance(t, datetime)
                    and (start is None or start <= t) and t < end]
            got = line.window(start, end)
            assert [id(x) for x in got] == [id(x) for x in want]
            got.clear()  # the caller's own list: the timeline is not changed by this


def test_a_timeline_of_a_field_answers_as_one_of_its_stamps() -> None:
    """Timeline.of reads the field from the facts (no stamps list) until a second window
    sorts them: any sequence of windows answers as the timeline of the stamps."""
    rnd = random.Random(5)
    facts = [{"at": rnd.choice([None, "2026-01-01", T0 + timedelta(hours=rnd.randrange(40))])}
             for _ in range(300)]
    for f in facts[::7]:
        del f["at"]  # no such field: in no window
    bounds = [None, *(T0 + timedelta(hours=h) for h in (-3, 0, 5, 17, 39, 40))]
    for _ in range(60):
        by_field = Timeline.of(facts, "at")
        by_stamps: Timeline[dict] = Timeline(facts, [f.get("at") for f in facts])
        for _ in range(rnd.randrange(1, 5)):
            start, end = rnd.choice(bounds), rnd.choice(bounds[1:])
            assert [id(x) for x in by_field.window(start, end)] \
                == [id(x) for x in by_stamps.window(start, end)]


def test_the_joins_share_their_id_tables_and_keep_none_for_the_run() -> None:
    from guardrails.facts import join

    for kinds in (("incidents", "deployments"), ("incidents",), ("deployments",)):
        store = FactStore()
        dep = {"id": "d-1", "status": "success", "finished_at": T0, "changes": []}
        inc = {"id": "INC-1", "created_at": T0 + timedelta(hours=1), "caused_by": "d-1"}
        if "deployments" in kinds:
            store.add("deployments", [dep], "test")
        if "incidents" in kinds:
            store.add("incidents", [inc], "test")
        join(store, T0 + timedelta(days=1))
        assert not [k for k in store.index._memo if k[0] == "datakinds.by_id"]
        if kinds == ("incidents", "deployments"):
            assert inc["deployment"] is dep and dep["incidents"] == [inc] and dep["failed"]


def test_facts_added_after_a_subject_was_looked_up_are_found() -> None:
    """A second source's facts of a kind whose id table was built already (a subject
    looked up between two adds) are named by their subjects too: add() drops the
    kind's table, as it drops the index."""
    store = FactStore()
    store.add("deployments", [{"id": "dep-1", "service": "web"}], "files")
    assert store.record("deployment/dep-1") is not None
    assert store.record("deployment/dep-2") is None
    store.add("deployments", [{"id": "dep-2", "service": "api"}], "http")
    found = store.record("deployment/dep-2")
    assert found is not None and found[1]["service"] == "api"
    table, unique_ids = store.id_table("deployments")
    assert sorted(table) == ["dep-1", "dep-2"] and unique_ids


def test_unique_by_the_stores_id_table_is_unique_of_the_facts() -> None:
    """Where the store's id table, once made, holds every fact by an id of its own,
    the index's ``unique`` is the store's list itself (no set of ids made); anywhere
    else (no table yet, a duplicate, a missing or null id, ids alike only as text,
    another id field) it is what :func:`unique` answers, which keeps the first of each."""
    rng = random.Random(5)
    for n in range(400):
        facts = []
        for _ in range(rng.randrange(6)):
            f: dict = {"n": len(facts)}
            pick = rng.randrange(7)
            if pick < 4:
                f["id"] = f"d-{rng.randrange(5)}"
            elif pick == 4:
                f["id"] = rng.randrange(5)  # an int id: "3" and 3 are alike as text only
            elif pick == 5:
                f["id"] = None
            facts.append(f)
        store = FactStore()
        store.add("deployments", facts, "files")
        own = store.by_kind["deployments"]
        assert not store.distinct_ids("deployments", own)  # no table yet: not known
        tabled = n % 2 == 0
        if tabled:
            store.id_table("deployments")
        got = store.index.unique("deployments")
        assert [id(f) for f in got] == [id(f) for f in unique(own)]
        ids = [f.get("id") for f in own]
        plain = None not in ids and len({str(i) for i in ids}) == len(ids)
        assert store.distinct_ids("deployments", own) is (plain and tabled)
        assert not store.distinct_ids("deployments", list(own))  # a copy: not the store's
        if plain:
            assert got is own
    store = FactStore()
    store.add("commits", [{"sha": "a"}, {"sha": "a"}], "git")  # an id field of its own
    store.id_table("commits")
    assert not store.distinct_ids("commits", store.by_kind["commits"])
    assert len(store.index.unique("commits", "sha")) == 1


class _Fact(dict):  # type: ignore[type-arg]
    """A fact that counts how often its id is read with ``get`` (what unique() reads)."""

    reads = 0

    def get(self, key, default=None):  # type: ignore[no-untyped-def]
        if key == "id":
            _Fact.reads += 1
        return super().get(key, default)


def test_unique_known_from_the_joins_tables_is_unique_of_the_facts() -> None:
    """The joins' tables by id (deployments, incidents) tell the index when every fact
    has an id of its own (FactIndex.known_unique): ``unique`` is then the store's list
    itself, reading no id again; with a duplicate, a null id or ids alike as values
    (``1`` and ``1.0``) it is what :func:`unique` answers, as without the joins."""
    rng = random.Random(28)
    known = 0
    for n in range(300):
        stores = []
        for kind in ("deployments", "incidents"):
            facts = []
            for i in range(rng.randrange(1, 7)):
                pick = rng.randrange(8)
                # (a null deployment id is left out: the deployments join reads an
                # incident without caused_by as naming it)
                ident: object = (f"x-{i}" if pick < 5 else f"x-{rng.randrange(3)}"
                                 if pick == 5 else None if pick == 6 and kind == "incidents"
                                 else rng.choice([1, 1.0]))
                facts.append(_Fact({"id": ident, "n": i, "status": "success",
                                    "finished_at": datetime(2026, 1, 1 + i, tzinfo=UTC),
                                    "created_at": datetime(2026, 1, 1 + i, tzinfo=UTC)}))
            stores.append((kind, facts))
        store = FactStore()
        for kind, facts in stores:
            store.add(kind, facts, "files")
        joined = n % 3 != 0
        if joined:  # the tables made, or not: the same answer
            join(store)
        for kind, _ in stores:
            own = store.by_kind[kind]
            before = _Fact.reads
            got = store.index.unique(kind)
            read = _Fact.reads - before
            assert [id(f) for f in got] == [id(f) for f in unique(own)], (n, kind)
            ids = [dict.get(f, "id") for f in own]
            if joined and None not in ids and len(set(ids)) == len(ids):
                assert got is own and read == 0  # known: no id read again
                known += 1
            else:
                assert read > 0
    assert known > 50  # the case the joins tell was met
