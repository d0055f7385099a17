"""Fields of a record filled when first read, not when the record is made.

A 100,000-fact run makes work whose answer only some reports read: the row
of a data file each evidence item names (~25,000 items, through an index of
the whole table), a metric's samples sorted and thinned (seven series of
~25,000). The terminal report without ``-v`` reads neither; a JSON report,
``-v`` and every other reader read them all (benchmarks/RESULTS.md,
"s24-cold100k"). :func:`fill_later` takes such fields out of a record and
leaves a function that gives them; the record's class, whose ``__getattr__``
is :func:`filled` and which has no class-level default for those fields (so
that reading one reaches ``__getattr__``), fills them on the first read of
any. To every reader they are plain attributes: read, set, compared, copied
(``__getstate__`` is :func:`state`) and written as before.

What is filled later must not depend on anything that changes after the
record is made: the facts and a source's tables are read-only once gathered
(docs/plugins.md, "Facts"), and :func:`guardrails.series.build` reads its
samples at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

#: the one key a record keeps its groups under, and no other: CPython shares an
#: instance dict's keys among a class's instances up to a few keys, and a record with
#: one key more has a dict of its own (~320 bytes more an evidence item)
_LATER = "_later"

#: ``(names, fill)`` (filled by ``fill(obj)``) or ``(names, fill, arg)`` (by
#: ``fill(arg, obj)``): fields filled together. A group without ``arg`` may be shared by
#: many records, and ``arg`` lets records share ``fill``: a 100k run has ~25,000 items,
#: and a closure each was megabytes of its peak.
Group = tuple[Any, ...]


def fill_later(obj: Any, names: tuple[str, ...], fill: Callable[[Any], tuple[Any, ...]],
               keep: tuple[str, ...] = ()) -> None:
    """Take ``names`` out of ``obj`` (but those in ``keep``), to be filled with
    ``fill(obj)``'s values, one for each of ``names`` in order, when first read. A
    field still present (in ``keep``, or set since) keeps its value.

    A record may have several such groups (an evidence item's detail from its check,
    its team from the runner, its place from the source): reading a field fills its
    own group only. A name already waiting in another group is refused (ValueError):
    :func:`amend` changes what that group gives instead.
    """
    wait(obj, (names, fill), keep)


def wait(obj: Any, group: Group, keep: tuple[str, ...] = ()) -> None:
    """:func:`fill_later` with a group (:data:`Group`), maybe one shared by many records."""
    state = obj.__dict__
    names = group[0]
    groups = state.get(_LATER)
    if groups is not None:
        for g in groups:
            for name in names:
                if name in g[0]:
                    raise ValueError(f"{name} is already filled later")
    for name in names:
        if name not in keep:
            del state[name]
    state[_LATER] = (group,) if groups is None else (*groups, group)


def _call(group: Group, obj: Any) -> tuple[Any, ...]:
    return group[1](group[2], obj) if len(group) > 2 else group[1](obj)  # type: ignore[no-any-return]


def amend(obj: Any, name: str, fix: Callable[[Any], Any],
          made: dict[Any, Any] | None = None) -> bool:
    """When ``name`` waits in a group of :func:`fill_later`: that group gives
    ``fix(obj)`` for it where its own fill gives a false value (None, ``""``).
    Whether it waits (else nothing is done). ``made``: the amended fills so far, by
    the fill amended, so that records sharing a fill share its amended one."""
    groups = obj.__dict__.get(_LATER)
    for i, group in enumerate(groups or ()):
        names, fill = group[0], group[1]
        if name in names:
            key = (fill, len(group) > 2)
            new = made.get(key) if made is not None else None
            if new is None:
                new = partial(_amended, fill, len(group) > 2, names.index(name), fix)
                if made is not None:
                    made[key] = new
            # the amended fill takes (arg, obj) always: a group without one gets None
            obj.__dict__[_LATER] = (*groups[:i], (names, new, group[2] if len(group) > 2
                                                  else None), *groups[i + 1:])
            return True
    return False


def _amended(fill: Callable[..., tuple[Any, ...]], with_arg: bool, at: int,
             fix: Callable[[Any], Any], arg: Any, obj: Any) -> tuple[Any, ...]:
    values = fill(arg, obj) if with_arg else fill(obj)
    if values[at]:
        return values
    return (*values[:at], fix(obj), *values[at + 1:])


def pending(obj: Any, name: str | None = None) -> bool:
    """Whether ``obj`` has fields still to be filled (with ``name``: that one)."""
    groups = obj.__dict__.get(_LATER)
    if groups is None:
        return False
    return name is None or any(name in g[0] for g in groups)


def filled(obj: Any, name: str) -> Any:
    """A record's ``__getattr__``: fill the group of its fields left by
    :func:`fill_later` that holds ``name``."""
    state = obj.__dict__
    groups = state.get(_LATER)
    for group in groups or ():
        if name in group[0]:
            break
    else:
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")
    values = _call(group, obj)  # the group waits until its fill succeeded (a retry raises)
    for key, value in zip(group[0], values, strict=True):
        state.setdefault(key, value)
    groups = state.get(_LATER)  # as the fill left them (it may have filled others)
    if groups is not None:
        rest = tuple(g for g in groups if g is not group)
        if rest:
            state[_LATER] = rest
        else:
            del state[_LATER]
    return state[name]


def state(obj: Any) -> dict[str, Any]:
    """A record's ``__getstate__``: its fields, filled first (for copy and pickle)."""
    while True:
        groups = obj.__dict__.get(_LATER)
        if not groups:
            return obj.__dict__  # type: ignore[no-any-return]
        filled(obj, groups[0][0][0])


def no_class_defaults(cls: type, names: tuple[str, ...]) -> None:
    """Drop the class-level defaults of ``names`` (dataclasses sets them), so an
    instance without them reaches ``__getattr__``; ``__init__`` keeps the defaults."""
    for name in names:
        if name in cls.__dict__:
            delattr(cls, name)
