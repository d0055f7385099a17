"""Facts indexed once per run, so each rule touches only the facts of its window.

Every DORA rule used to de-duplicate every deployment, test each one for a
successful production deployment and then for the window: four rules over
1,000,000 deployments made millions of calls for answers that do not change
within a run. :class:`FactIndex` (one per :class:`~guardrails.facts.FactStore`,
built lazily, question by question) keeps:

- each kind de-duplicated by id (the first fact with an id wins, as
  ``dora._unique`` decided);
- the successful deployments to an environment by ``finished_at``: the
  first window one pass, kept; any other window two bisections
  (:class:`Timeline`);
- each shipped ref's first successful deployment to an environment;
- any kind's facts by a timestamp field (:meth:`FactIndex.window`);
- what a check derives once and reads for every rule or window
  (:meth:`FactIndex.memo`: lead time's shipped changes, deployments by id),
  each in a :class:`Timeline` when it is asked by time.

A window's facts come back in data order (the pass is in data order; after
a bisection they are sorted by position), so every result, tie-break and
evidence order is what a full scan in data order gave. The index is dropped
whenever facts are added.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from guardrails.datakinds import first_by_ref

Fact = Mapping[str, Any]
T = TypeVar("T")


def unique(facts: Sequence[Fact], key: str = "id") -> list[Fact]:
    """Facts with the same ``key`` (e.g. from two sources) count once: the first wins.

    When every fact has an id of its own (the usual export) a list is returned
    as it is, not copied: a copy was 0.8 MiB a 100,000-fact kind, kept for the
    run by :class:`FactIndex`, whose lists are the store's own (what
    ``EvalContext.facts`` hands out too). Callers read the result, never change it.
    """
    ids = [f.get(key) for f in facts]
    if None not in ids and len(set(ids)) == len(ids):
        del ids
        return facts if isinstance(facts, list) else list(facts)
    seen: set[Any] = set()
    out: list[Fact] = []
    add, append = seen.add, out.append
    for f in facts:
        ident = f.get(key)
        marker = ("id", ident) if ident is not None else ("obj", id(f))
        if marker not in seen:
            add(marker)
            append(f)
    return out


class Timeline(Generic[T]):
    """Items by one timestamp each, for windows; sorted for bisection when it pays.

    ``stamps[i]`` is the timestamp of ``items[i]`` (or, made by :meth:`of`, the
    fact's field, read by the first window's pass); an item whose stamp is no
    datetime is in no window. A check run asks most timelines for one window
    (every rule of a run has the same one): the first window is one pass in
    data order, kept, and asked again it is copied; a second, different window
    sorts the timestamps once and every window after is two bisections (the
    history backfill, trends). Sorting 100,000 timestamps cost more than the
    run's one pass over them.
    """

    __slots__ = ("_field", "_first", "_stamps", "facts", "positions", "times")

    def __init__(self, items: Sequence[T], stamps: Sequence[Any] | None,
                 field: str | None = None) -> None:
        self.facts = items
        #: the stamps, or None while they are read from each item's ``field`` (:meth:`of`)
        self._stamps: Sequence[Any] | None = stamps
        self._field = field
        #: (start, end, items) of the first window asked, until the timeline is sorted
        self._first: tuple[datetime | None, datetime, list[T]] | None = None
        self.times: list[datetime] | None = None
        self.positions: array[int] | None = None

    @classmethod
    def of(cls, facts: Sequence[Fact], field: str) -> Timeline[Fact]:
        """Facts by their ``field``, read from the facts themselves until a second
        window sorts them: the first window's pass needs no list of 100,000 stamps
        beside the facts (~10 ms of ~23 a 100,000-fact kind)."""
        return Timeline(facts, None, field)

    def window(self, start: datetime | None, end: datetime) -> list[T]:
        """Items with ``start <= ts < end`` (no ``start``: every ``ts < end``), in data order."""
        if self.positions is None or self.times is None:
            first = self._first
            if first is None:
                found = self._scan(start, end)
                self._first = (start, end, found)
                return list(found)  # a list of the caller's own, as always
            if first[0] == start and first[1] == end:
                return list(first[2])
            self._sort()
        assert self.times is not None and self.positions is not None
        lo = 0 if start is None else bisect_left(self.times, start)
        hi = bisect_left(self.times, end)
        facts = self.facts
        return [facts[i] for i in sorted(self.positions[lo:hi])]

    def _scan(self, start: datetime | None, end: datetime) -> list[T]:
        """The window by one pass in data order: what bisecting the sorted stamps finds."""
        facts, stamps = self.facts, self._stamps
        if stamps is None:  # by the facts' field (of()): the same tests, one pass
            field = self._field
            assert field is not None
            rows: Sequence[Any] = facts  # facts (mappings): of() made this timeline
            if start is None:
                return [f for f in rows if isinstance(t := f.get(field), datetime) and t < end]
            return [f for f in rows
                    if isinstance(t := f.get(field), datetime) and start <= t < end]
        if start is None:
            return [facts[i] for i, t in enumerate(stamps)
                    if isinstance(t, datetime) and t < end]
        return [facts[i] for i, t in enumerate(stamps)
                if isinstance(t, datetime) and start <= t < end]

    def _sort(self) -> None:
        stamps = self._stamps
        if stamps is None:
            rows: Sequence[Any] = self.facts  # facts (mappings): of() made this timeline
            stamps = [f.get(self._field) for f in rows]
        # Positions sorted by their timestamp (a stable sort: ties stay in data order).
        order = [i for i, t in enumerate(stamps) if isinstance(t, datetime)]
        order.sort(key=stamps.__getitem__)
        self.times = [stamps[i] for i in order]
        # 8 bytes a position, not an int object each (1M facts: ~30 MB less)
        self.positions = array("q", order)
        self._stamps = self._first = None


class FactIndex:
    """Per-run answers about a store's facts, each computed on its first question."""

    def __init__(self, facts_of: Callable[[str], Sequence[Fact]],
                 distinct: Callable[[str, Sequence[Fact]], bool] | None = None) -> None:
        self._facts_of = facts_of
        #: (kind, its facts) -> whether each has an ``id`` of its own, when the store
        #: knows already (FactStore.distinct_ids): then :meth:`unique` makes no set of ids
        self._distinct = distinct
        self._unique: dict[tuple[str, str], list[Fact]] = {}
        #: kind -> its facts, the list a join found each with an ``id`` of its own
        #: (:meth:`known_unique`)
        self._known: dict[str, Sequence[Fact]] = {}
        self._production: dict[str, list[Fact]] = {}
        self._timelines: dict[str, Timeline[Fact]] = {}
        self._first: dict[str, dict[str, Any]] = {}
        self._memo: dict[tuple[str, ...], Any] = {}

    def memo(self, key: tuple[str, ...], build: Callable[[], T]) -> T:
        """What ``build()`` makes, made on the first question with ``key`` in this run.

        For what several rules (or windows) derive from the same facts: checks
        name their keys after themselves (``("dora.shipping", env)``).
        """
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        out = self._memo[key] = build()
        return out

    def drop(self, key: tuple[str, ...]) -> None:
        """Forget what :meth:`memo` made for ``key`` (a table only the joins read)."""
        self._memo.pop(key, None)

    def known_unique(self, kind: str, facts: Sequence[Fact]) -> None:
        """Note that each of ``facts`` has an ``id`` of its own (present, not null, no
        two equal), as a join learnt making its table of them by id: when ``facts``
        is the very list the index reads for ``kind``, :meth:`unique` answers it
        without a list and a set of every id (the deployments' and incidents'
        tables of the joins: ~120,000 ids a 100k run, benchmarks/RESULTS.md,
        "s28-cold100k")."""
        self._known[kind] = facts

    def unique(self, kind: str, key: str = "id") -> list[Fact]:
        """The facts of ``kind``, each id once (the first gathered wins)."""
        out = self._unique.get((kind, key))
        if out is None:
            facts = self._facts_of(kind)
            if key == "id" and isinstance(facts, list) and (
                    self._known.get(kind) is facts
                    or (self._distinct is not None and self._distinct(kind, facts))):
                out = facts  # what unique() answers for facts with ids of their own
            else:
                out = unique(facts, key)
            self._unique[kind, key] = out
        return out

    def production(self, environment: str = "production") -> list[Fact]:
        """Unique successful deployments to ``environment``, in data order."""
        out = self._production.get(environment)
        if out is None:
            out = self._production[environment] = [
                d for d in self.unique("deployments")
                if d.get("status") == "success"
                and d.get("environment", "production") == environment]
        return out

    def production_in(self, environment: str, start: datetime, end: datetime) -> list[Fact]:
        """Unique successful deployments to ``environment`` finished in ``[start, end)``."""
        line = self._timelines.get(environment)
        if line is None:
            line = self._timelines[environment] = Timeline.of(
                self.production(environment), "finished_at")
        return line.window(start, end)

    def window(self, kind: str, field: str, start: datetime | None,
               end: datetime) -> list[Fact]:
        """Facts of ``kind`` (all of them, duplicates too) with ``start <= field < end``
        (no ``start``: ``field < end``), in data order; facts whose ``field`` is no
        timestamp are not in any window."""
        key = f"{kind}\0{field}"
        line = self._timelines.get(key)
        if line is None:
            line = self._timelines[key] = Timeline.of(self._facts_of(kind), field)
        return line.window(start, end)

    def first_by_ref(self, environment: str = "production") -> dict[str, Any]:
        """Each shipped ref -> the earliest successful unique deployment to ``environment``."""
        out = self._first.get(environment)
        if out is None:
            out = self._first[environment] = first_by_ref(
                self.production(environment), environment, successful=True)
        return out
