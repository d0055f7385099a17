"""A plain record marked a dataclass without dataclasses' field processing at import.

``dataclasses.dataclass(init=False, repr=False, eq=False)``, which
:func:`guardrails.records.record` asked for every record, still builds a
``Field`` a field and tests each annotation three times against ``ClassVar``,
``InitVar`` and ``KW_ONLY`` with a regex and module look-ups: ~0.3M
instructions a class, ~10M of every ``guardrails check`` (32 records), though
a run reads the fields of only a few. For a *plain* record, :func:`mark` does
at import what that call does to the class (``__dataclass_params__``,
``__match_args__``, a ``field()`` default replaced by its value, abstract
methods updated) and leaves ``__dataclass_fields__`` to be built the first time
something reads it (``dataclasses.fields``, ``replace``, ``asdict``,
``is_dataclass``, a dataclass subclass), by the rules of dataclasses'
``_get_field``. Plain (:func:`plain_fields`): a docstring, ``object`` its only
base, no ``__slots__``, every annotation a string (``from __future__ import
annotations``) naming nothing dataclasses treats apart (``ClassVar``,
``InitVar``, ``KW_ONLY``, looked up as dataclasses looks them up), no
``field(kw_only=True)``, no mutable default, no ``field()`` without an
annotation. Any other class takes ``dataclasses.dataclass`` as before, so its
errors and oddities are dataclasses' own. tests/unit/test_records.py holds
every record of the package to what dataclasses makes of the same class.
"""

from __future__ import annotations

import abc
import dataclasses
import re
import sys
import types
from _thread import allocate_lock
from typing import Any

_MISSING: Any = dataclasses.MISSING
_Field = dataclasses.Field
#: dataclasses' own pattern for the name an annotation string starts with
_NAMED = getattr(dataclasses, "_MODULE_IDENTIFIER_RE", None) or re.compile(
    r"^(?:\s*(\w+)\s*\.)?\s*(\w+)")
_LOCK = allocate_lock()


#: what ``dataclass(init=False, repr=False, eq=False)`` sets in ``__dataclass_params__``
#: (3.11 has the first six; 3.12 adds the rest)
_GIVEN = {"init": False, "repr": False, "eq": False, "order": False, "unsafe_hash": False,
          "frozen": False, "match_args": True, "kw_only": False, "slots": False,
          "weakref_slot": False}
_PARAMS: Any = dataclasses._DataclassParams  # type: ignore[attr-defined]
try:
    _PARAM_VALUES = tuple(_GIVEN[n] for n in _PARAMS.__slots__)
except (AttributeError, KeyError):  # another Python's params: as a dataclass gives them

    @dataclasses.dataclass(init=False, repr=False, eq=False)
    class _Template:
        """Gives the ``__dataclass_params__`` dataclasses makes for a record."""

    _PARAMS = type(_Template.__dataclass_params__)  # type: ignore[attr-defined]
    _PARAM_VALUES = tuple(getattr(_Template.__dataclass_params__,  # type: ignore[attr-defined]
                                  n) for n in _PARAMS.__slots__)
    del _Template


def _special(value: Any) -> bool:
    """Whether dataclasses could take an annotation naming ``value`` as no plain field."""
    if value is dataclasses.InitVar or value is dataclasses.KW_ONLY:
        return True
    if isinstance(value, dataclasses.InitVar):
        return True
    typing = sys.modules.get("typing")
    return typing is not None and (
        value is typing.ClassVar or getattr(value, "__origin__", None) is typing.ClassVar)


def plain_fields(cls: type) -> dict[str, Any] | None:
    """A plain record's fields, in order, each with its class attribute as read at
    decoration (a ``Field``, a default, or ``MISSING``); None for any other class.
    Read now: a record may drop a class default later (guardrails/later.py)."""
    if cls.__bases__ != (object,) or not cls.__doc__ or "__slots__" in cls.__dict__:
        return None
    annotations = cls.__dict__.get("__annotations__", {})
    module = sys.modules.get(cls.__module__)
    ns = module.__dict__ if module is not None else {}
    found: dict[str, Any] = {}
    for name, kind in annotations.items():
        if not isinstance(kind, str):
            return None
        named = _named(kind)
        if named is not None:
            value = ns.get(named)
            if value is not None and _special(value):
                return None
        default = found[name] = getattr(cls, name, _MISSING)
        if isinstance(default, _Field):
            if default.kw_only is True:
                return None
            default = default.default
        if default.__class__.__hash__ is None:  # dataclasses' "mutable default" error
            return None
    for name, value in cls.__dict__.items():
        if isinstance(value, _Field) and name not in annotations:
            return None  # dataclasses' "a field but has no type annotation" error
    return found


#: annotation text -> the name dataclasses looks it up by (None: no name), once a process:
#: ~250 annotations of ~30 distinct texts a run, a regex match each (~1.1M instructions)
_NAMES: dict[str, str | None] = {}


def _named(kind: str) -> str | None:
    """The name in ``kind`` that dataclasses looks up (``_MODULE_IDENTIFIER_RE``'s
    second group), or None where it matches nothing."""
    try:
        return _NAMES[kind]
    except KeyError:
        m = _NAMED.match(kind)
        if len(_NAMES) >= 4096:  # a bound: a process defining ever new classes
            _NAMES.clear()
        got = _NAMES[kind] = None if m is None else m.group(2)
        return got


class _LazyFields:
    """A record's ``__dataclass_fields__``, built the first time it is read."""

    __slots__ = ("owner", "given")

    def __init__(self, owner: type, given: dict[str, Any]) -> None:
        self.owner = owner
        self.given = given

    def __get__(self, obj: object, objtype: type | None = None) -> dict[str, Any]:
        cls = self.owner
        with _LOCK:
            held: Any = cls.__dict__.get("__dataclass_fields__")
            if held is not self:  # another thread built it
                return held  # type: ignore[no-any-return]
            made = _fields(cls, self.given)
            type.__setattr__(cls, "__dataclass_fields__", made)
        return made


def _fields(cls: type, given: dict[str, Any]) -> dict[str, Any]:
    """``__dataclass_fields__`` of a plain record, as dataclasses' ``_get_field`` makes it."""
    made: dict[str, Any] = {}
    for name, kind in cls.__dict__.get("__annotations__", {}).items():
        f: Any = given[name]
        if not isinstance(f, _Field):
            f = dataclasses.field(
                default=_MISSING if isinstance(f, types.MemberDescriptorType) else f)
        f.name = name
        f.type = kind
        f._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
        if f.kw_only is _MISSING:
            f.kw_only = False
        made[name] = f
    return made


def mark(cls: type, given: dict[str, Any]) -> type:
    """Make a plain record a dataclass as ``dataclass(init=False, repr=False, eq=False)``;
    ``given`` is what :func:`plain_fields` found."""
    type.__setattr__(cls, "__dataclass_params__", _PARAMS(*_PARAM_VALUES))
    shown = []
    for name, value in given.items():
        if isinstance(value, _Field):
            if value.default is _MISSING:
                type.__delattr__(cls, name)
            else:
                type.__setattr__(cls, name, value.default)
            if not value.init:
                continue
        shown.append(name)
    type.__setattr__(cls, "__dataclass_fields__", _LazyFields(cls, given))
    if "__match_args__" not in cls.__dict__:
        type.__setattr__(cls, "__match_args__", tuple(shown))
    abc.update_abstractmethods(cls)
    return cls
