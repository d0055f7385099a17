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
from typing import Any

_LATER = "_later"


def fill_later(obj: Any, names: tuple[str, ...], fill: Callable[[Any], tuple[Any, ...]],
               keep: tuple[str, ...] = ()) -> None:
    """Take ``names`` out of ``obj`` (but those in ``keep``), to be filled with
    ``fill(obj)``'s values, one for each of ``names`` in order, when first read. A
    field still present (in ``keep``, or set since) keeps its value."""
    state = obj.__dict__
    for name in names:
        if name not in keep:
            del state[name]
    state[_LATER] = (names, fill)


def pending(obj: Any) -> bool:
    """Whether ``obj`` has fields still to be filled."""
    return _LATER in obj.__dict__


def filled(obj: Any, name: str) -> Any:
    """A record's ``__getattr__``: fill its fields left by :func:`fill_later`."""
    state = obj.__dict__
    later = state.get(_LATER)
    if later is None or name not in later[0]:
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")
    names, fill = later
    for key, value in zip(names, fill(obj), strict=True):
        state.setdefault(key, value)
    state.pop(_LATER, None)
    return state[name]


def state(obj: Any) -> dict[str, Any]:
    """A record's ``__getstate__``: its fields, filled first (for copy and pickle)."""
    later = obj.__dict__.get(_LATER)
    if later is not None:
        filled(obj, later[0][0])
    return obj.__dict__  # type: ignore[no-any-return]


def no_class_defaults(cls: type, names: tuple[str, ...]) -> None:
    """Drop the class-level defaults of ``names`` (dataclasses sets them), so an
    instance without them reaches ``__getattr__``; ``__init__`` keeps the defaults."""
    for name in names:
        if name in cls.__dict__:
            delattr(cls, name)
