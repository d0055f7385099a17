"""Facts a source hands over unbuilt: built on first read, or read as columns.

A warm git run holds its commits as columns (one list per field, from the
history cache); building a dict and a datetime or two per commit costs more
than every builtin check that reads them, and a check that needs three
fields of each commit can read those columns instead. So a source may return
a :class:`DeferredFacts` for a kind in place of a list:

- anything that reads the facts (``store.get``, ``ctx.facts``,
  ``store.by_kind``, iterating the object itself) gets the same plain dicts
  the source would have listed, built once on that first read;
- a check that knows how can ask ``store.columns(kind)`` first: the columns,
  as long as nobody has read the facts (so no plugin has seen, let alone
  changed, a dict the columns would not show), else None, and it reads the
  facts as usual.

:class:`FactsByKind` is the store's ``kind -> facts`` dict that keeps a
deferred kind unbuilt until one of its facts is read: a plain ``dict`` to
everyone reading it (every read that hands out values builds them first).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

Facts = list[dict[str, Any]]


class DeferredFacts(Sequence[dict[str, Any]]):
    """The facts of one kind, built on first read; see the module's docstring.

    :param count: how many facts there are (``len`` builds nothing; once built,
        the number built).
    :param build: returns the facts, as the list a source would return;
        called at most once.
    :param column: ``column(field)`` returns every fact's value of ``field``,
        in the facts' order, or None when the source has no column for it.
        A timestamp field's column holds POSIX seconds (``int``), not
        datetimes: readers compare numbers.
    :param positions: optionally, ``positions(field)`` as :meth:`positions`
        answers, when the source has it ready (None: compute it).
    :param bounds: optionally, ``field -> (smallest, largest)`` of the columns the
        source knows them for (:meth:`bounds` computes the others).
    """

    __slots__ = ("_bounds", "_build", "_column", "_count", "_facts", "_positions", "_ready")

    def __init__(self, count: int, build: Callable[[], Facts],
                 column: Callable[[str], Sequence[Any] | None],
                 positions: Callable[[str], dict[Any, Sequence[int]] | None] | None = None,
                 bounds: dict[str, tuple[Any, Any]] | None = None) -> None:
        self._count = count
        self._bounds: dict[str, tuple[Any, Any] | None] = dict(bounds or {})
        self._ready = positions
        self._build: Callable[[], Facts] | None = build
        self._column = column
        self._facts: Facts | None = None
        self._positions: dict[str, dict[Any, Sequence[int]] | None] = {}

    def facts(self) -> Facts:
        """The facts as a list of dicts (built on the first call)."""
        if self._facts is None:
            assert self._build is not None
            self._facts, self._build = self._build(), None
            # The count was announced before building; only columns found damaged as
            # the facts were built, and replaced by a fresh read, give another number
            # (the git cache: a forged file whose commits and files disagree). The
            # facts built are the truth: a cache costs time, never a crash.
            self._count = len(self._facts)
        return self._facts

    def column(self, field: str) -> Sequence[Any] | None:
        """Every fact's ``field`` (timestamps as POSIX seconds), or None."""
        return self._column(field)

    def positions(self, field: str) -> dict[Any, Sequence[int]] | None:
        """For a field holding lists: each value -> the positions (ascending) of the
        facts whose list holds it (e.g. module -> its commits); None without a
        column. Computed once (:func:`positions_of`)."""
        if field not in self._positions:
            ready = self._ready(field) if self._ready is not None else None
            col = self._column(field) if ready is None else None
            self._positions[field] = ready if col is None else positions_of(col)
        return self._positions[field]

    def bounds(self, field: str) -> tuple[Any, Any] | None:
        """``(smallest, largest)`` value of a column (None: no column, or no facts)."""
        if field not in self._bounds:
            col = self._column(field) if self._count else None
            self._bounds[field] = (min(col), max(col)) if col else None
        return self._bounds[field]

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> Facts: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | Facts:
        return self.facts()[i]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.facts())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DeferredFacts):
            other = other.facts()
        return self.facts() == other

    __hash__ = None  # type: ignore[assignment]  # like a list

    def __repr__(self) -> str:
        built = "built" if self._facts is not None else "not built"
        return f"<DeferredFacts of {self._count} facts, {built}>"


def positions_of(lists: Sequence[Sequence[Any]]) -> dict[Any, Sequence[int]]:
    """Each value found in ``lists`` -> the positions (ascending) of the lists holding it.

    The lists are grouped by identity first, one append each: a column that
    gives equal lists the same object (the git cache's modules: a few hundred
    sets for thousands of commits) makes a few hundred groups, and each group
    counts for each of its values at once. Lists that are all distinct objects
    each form a group of one; the answer is the same.
    """
    groups: dict[int, list[int]] = {}
    members: dict[int, Sequence[Any]] = {}
    for i, values in enumerate(lists):
        if values:
            key = id(values)  # the lists live in ``lists`` throughout: ids stay unique
            group = groups.get(key)
            if group is None:
                group = groups[key] = []
                members[key] = values
            group.append(i)
    per: dict[Any, list[list[int]]] = {}
    for key, group in groups.items():
        for value in dict.fromkeys(members[key]):  # a value twice in a list counts once
            have = per.get(value)
            if have is None:
                per[value] = [group]
            else:
                have.append(group)
    return {v: gs[0] if len(gs) == 1 else sorted(itertools.chain.from_iterable(gs))
            for v, gs in per.items()}


class FactsByKind(dict[str, Facts]):
    """``kind -> facts``, where a kind may hold a :class:`DeferredFacts` until read.

    Every way of reading a value builds it first and keeps the list in its
    place (``[]``, ``get``, ``values``, ``items``, ``pop``, copies, ``==``);
    keys, ``in`` and ``len`` build nothing. :meth:`count` and
    :meth:`deferred` are the two reads that do not build.
    """

    def _built(self, kind: str, value: Any) -> Facts:
        if type(value) is DeferredFacts:
            # a list of its own, as FactStore.add copies any source's list
            value = list(value.facts())
            dict.__setitem__(self, kind, value)
        return value  # type: ignore[no-any-return]

    def _build_all(self) -> None:
        for kind, value in list(dict.items(self)):
            self._built(kind, value)

    def __getitem__(self, kind: str) -> Facts:
        return self._built(kind, dict.__getitem__(self, kind))

    def get(self, kind: str, default: Any = None) -> Any:  # type: ignore[override]
        return self._built(kind, dict.__getitem__(self, kind)) if kind in self else default

    def setdefault(self, kind: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[kind] if kind in self else dict.setdefault(self, kind, default)

    def pop(self, kind: str, *default: Any) -> Any:  # type: ignore[override]
        if kind in self:
            self[kind]  # noqa: B018 - build it before it leaves
        return dict.pop(self, kind, *default)

    def popitem(self) -> tuple[str, Facts]:
        self._build_all()
        return dict.popitem(self)

    def values(self):  # type: ignore[no-untyped-def, override]  # noqa: ANN201
        self._build_all()
        return dict.values(self)

    def items(self):  # type: ignore[no-untyped-def, override]  # noqa: ANN201
        self._build_all()
        return dict.items(self)

    def __iter__(self) -> Iterator[str]:
        # Defined here so that dict(x), {**x} and x | y take the slow path through
        # keys() and x[key] (CPython copies a dict's values raw only when the type
        # keeps dict's own __iter__): the copy gets built facts.
        return dict.__iter__(self)

    def copy(self) -> dict[str, Facts]:  # type: ignore[override]
        return dict(self.items())

    def __or__(self, other: Any) -> dict[str, Facts]:  # type: ignore[override]
        return {**self.copy(), **other}

    def __ror__(self, other: Any) -> dict[str, Facts]:  # type: ignore[override]
        return {**other, **self.copy()}

    def __eq__(self, other: object) -> bool:
        self._build_all()
        if isinstance(other, FactsByKind):
            other._build_all()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._build_all()
        return dict.__repr__(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self.copy(),))

    def put(self, kind: str, facts: Iterable[dict[str, Any]]) -> None:
        """Add ``facts`` of ``kind``: kept deferred when the kind is new and they are."""
        if type(facts) is DeferredFacts and kind not in self:
            dict.__setitem__(self, kind, facts)  # type: ignore[misc]  # built on read
            return
        have: Facts | None = self.get(kind)
        if have is None:
            have = []
            dict.__setitem__(self, kind, have)
        have.extend(facts)

    def count(self, kind: str) -> int:
        """How many facts of ``kind`` (0 when absent), building nothing."""
        return len(dict.get(self, kind, ()))

    def deferred(self, kind: str) -> DeferredFacts | None:
        """The kind's facts while still unbuilt (nobody has read them), else None."""
        value = dict.get(self, kind)
        return value if type(value) is DeferredFacts else None
