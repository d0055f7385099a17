"""Dataclasses whose methods are compiled with their module, not at import.

``@dataclass`` on CPython 3.11 writes each class's ``__init__``, ``__repr__``
and ``__eq__`` (a frozen class's ``__setattr__``, ``__delattr__`` and
``__hash__`` too) as source text and compiles it with ``exec`` every time the
module is imported: ~0.12 ms a method. The 27 records a warm ``guardrails
check`` of the example org imports would take ~12 ms as ``@dataclass`` (99
methods) and take ~3 ms as records (measured 2026-12-01, CPython 3.11.7,
shared 2-CPU VM, best of 20; the script is in benchmarks/RESULTS.md,
"harden"; first measured in "start-up, boot3"). A class decorated with
:func:`record` is still a dataclass (``dataclasses.fields``, ``replace``,
``asdict``, ``__match_args__`` and subclassing with ``@dataclass`` work as
before) but writes its own ``__init__``, which Python compiles into the
module's bytecode once, and takes the shared :func:`_repr`, :func:`_eq` and
:func:`_hash` below, which give what the generated ones give. A frozen
record still gets its generated ``__setattr__``/``__delattr__`` (dataclasses
refuses a class that defines its own), so its ``__init__`` sets fields with
``object.__setattr__``.

A plain record (:func:`guardrails.recordfields.plain_fields`: a docstring, no base, no
``ClassVar``/``InitVar``/``KW_ONLY``, the usual case) is not given to ``dataclasses``
at all: :func:`guardrails.recordfields.mark` sets what that call sets and leaves
``__dataclass_fields__`` to be built when first read (~0.3M instructions a class
less at import).

The hand-written ``__init__`` must take the fields in order with their
defaults, a field with a ``default_factory`` defaulting to :data:`FACTORY`
(shown as ``<factory>``, as dataclasses shows it), and call ``__post_init__``
if the class has one; tests/unit/test_records.py compares each record's
signature and behaviour with what ``@dataclass`` would have made.
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

from guardrails.recordfields import mark as _mark
from guardrails.recordfields import plain_fields as _plain_fields

T = TypeVar("T", bound=type)


class _Factory:
    """The default of a field whose value comes from its ``default_factory``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


#: the default of a hand-written ``__init__``'s argument for a ``default_factory`` field
FACTORY: Any = _Factory()

#: (class) -> function giving the tuple of an instance's compared fields
_KEYS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
#: (class) -> function giving the tuple of an instance's hashed fields
_HASHED: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
#: (class) -> names of the fields its repr shows
_SHOWN: dict[type, tuple[str, ...]] = {}
#: (id, thread) of the records whose repr is being built: a cycle shows as "..."
_REPRS: set[tuple[int, int]] = set()


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) >= 2:
        return attrgetter(*names)

    def key(obj: Any) -> tuple[Any, ...]:
        return tuple(getattr(obj, n) for n in names)

    return key


def _key(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    key = _KEYS.get(cls)
    if key is None:
        key = _KEYS[cls] = _getter(tuple(f.name for f in dataclasses.fields(cls) if f.compare))
    return key


def _repr(self: Any) -> str:
    """``Class(field=value, ...)`` over the fields with ``repr=True``, as dataclasses."""
    cls = self.__class__
    mark = (id(self), get_ident())
    if mark in _REPRS:
        return "..."
    names = _SHOWN.get(cls)
    if names is None:
        names = _SHOWN[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.repr)
    _REPRS.add(mark)
    try:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
    finally:
        _REPRS.discard(mark)
    return f"{cls.__qualname__}({inner})"


def _eq(self: Any, other: Any) -> Any:
    """Equal when of the very same class with equal compared fields, as dataclasses."""
    if other.__class__ is self.__class__:
        key = _key(self.__class__)
        return key(self) == key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    """A frozen record's hash: of its compared fields (less ``hash=False``), as dataclasses."""
    cls = self.__class__
    key = _HASHED.get(cls)
    if key is None:
        key = _HASHED[cls] = _getter(tuple(
            f.name for f in dataclasses.fields(cls)
            if (f.compare if f.hash is None else f.hash)))
    return hash(key(self))


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: T | None = None, /, *, frozen: bool = False,
           slots: bool = False) -> Any:
    """``@dataclass`` (or ``@dataclass(frozen=True)``) for a class with its own ``__init__``.

    The class body declares its fields as for a dataclass and defines
    ``__init__``; a ``__repr__`` or ``__eq__`` it defines is kept.
    """

    def wrap(c: T) -> T:
        if "__init__" not in c.__dict__:
            raise TypeError(f"@record class {c.__qualname__} must define __init__")
        if "__repr__" not in c.__dict__:
            c.__repr__ = _repr  # type: ignore[assignment]
        if "__eq__" not in c.__dict__:
            c.__eq__ = _eq  # type: ignore[assignment]
            # eq without hash: unhashable, unless frozen (dataclasses' rule)
            c.__hash__ = _hash if frozen else None  # type: ignore[assignment]
        plain = None if slots else _plain_fields(c)
        if plain is None:
            if not frozen or slots:  # slots: dataclasses' own pickling support for frozen ones
                return dataclasses.dataclass(c, init=False, repr=False,  # type: ignore[return-value]
                                             eq=False, frozen=frozen, slots=slots)
            made: Any = dataclasses.dataclass(c, init=False, repr=False, eq=False)
            names = tuple(f.name for f in dataclasses.fields(made))
        else:
            made, names = _mark(c, plain), tuple(plain)
        if frozen:
            # Frozen: dataclasses would compile __setattr__/__delattr__ (two more exec calls,
            # ~0.2 ms a class); the closures below do what those do, and the class is then
            # marked frozen as dataclasses marks it (a subclass's frozenness is checked by it).
            for name in ("__setattr__", "__delattr__"):
                if name in c.__dict__:
                    raise TypeError(f"Cannot overwrite attribute {name} in class {c.__name__}")
            made.__setattr__, made.__delattr__ = _frozen_methods(made, names)
            made.__dataclass_params__.frozen = True
        return made  # type: ignore[no-any-return]

    return wrap if cls is None else wrap(cls)


def _frozen_methods(owner: type, fields: tuple[str, ...]
                    ) -> tuple[Callable[..., None], Callable[..., None]]:
    """A frozen class's ``__setattr__`` and ``__delattr__``, as dataclasses writes them."""
    cls: Any = owner
    names = frozenset(fields)
    error = dataclasses.FrozenInstanceError

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise error(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise error(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    for method in (__setattr__, __delattr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    return __setattr__, __delattr__
