"""A plain record is marked a dataclass as ``dataclass(init=False, repr=False,
eq=False)`` would mark it (guardrails/recordfields.py): the same fields (every
attribute of every ``Field``, built when first read), params, ``__match_args__``
and class attributes; and a class that is not plain takes dataclasses itself,
its errors included."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import KW_ONLY, InitVar, field
from typing import Any, ClassVar

import pytest

from guardrails import recordfields
from guardrails.records import FACTORY, record

_ATTRS = ("name", "type", "default", "default_factory", "init", "repr", "hash",
          "compare", "metadata", "kw_only", "_field_type")


def _twins(body: dict[str, Any], *, frozen: bool = False,
           bases: tuple[type, ...] = ()) -> tuple[type, type]:
    """The same class body made a record and made by dataclasses (its own methods kept)."""

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        pass

    made = []
    for kind in ("record", "dataclass"):
        ns = {"__module__": __name__, "__qualname__": "Twin", "__init__": init,
              "__annotations__": dict(body.get("__annotations__", {}))}
        for key, value in body.items():
            if key != "__annotations__":
                # a Field is mutated by its processing: each twin gets its own
                ns[key] = (field(default=value.default, default_factory=value.default_factory,
                                 init=value.init, repr=value.repr, hash=value.hash,
                                 compare=value.compare, metadata=value.metadata,
                                 kw_only=value.kw_only)
                           if isinstance(value, dataclasses.Field) else value)
        cls = type("Twin", bases, ns)
        if kind == "record":
            made.append(record(cls, frozen=frozen))
        else:
            made.append(dataclasses.dataclass(cls, init=False, repr=False, eq=False))
    return made[0], made[1]


def _same(ours: type, theirs: type) -> None:
    assert "__dataclass_fields__" in vars(ours)
    ours_fields = ours.__dataclass_fields__  # type: ignore[attr-defined]
    theirs_fields = theirs.__dataclass_fields__  # type: ignore[attr-defined]
    assert list(ours_fields) == list(theirs_fields)
    for name, f in ours_fields.items():
        g = theirs_fields[name]
        assert type(f) is type(g)
        for attr in _ATTRS:
            assert getattr(f, attr) == getattr(g, attr), (name, attr)
    assert type(vars(ours)["__dataclass_fields__"]) is dict  # built, then kept
    ours_params = ours.__dataclass_params__  # type: ignore[attr-defined]
    theirs_params = theirs.__dataclass_params__  # type: ignore[attr-defined]
    for slot in type(theirs_params).__slots__:
        if slot != "frozen":  # a frozen record's is set after, as before
            assert getattr(ours_params, slot) == getattr(theirs_params, slot), slot
    assert ours.__match_args__ == theirs.__match_args__  # type: ignore[attr-defined]
    assert ours.__doc__ == theirs.__doc__
    for name in theirs_fields:
        assert (name in vars(ours)) == (name in vars(theirs)), name
        if name in vars(theirs):
            mine, other = vars(ours)[name], vars(theirs)[name]
            if isinstance(other, types.MemberDescriptorType):  # a slot: each class its own
                assert type(mine) is type(other), name
            else:
                assert mine == other, name


BODIES: dict[str, dict[str, Any]] = {
    "plain": {"__doc__": "Doc.", "__annotations__": {"a": "int", "b": "str", "c": "list[int]",
                                                   "d": "int", "e": "str | None"},
              "b": "x", "c": field(default_factory=list), "d": field(default=3, repr=False),
              "e": field(default=None, compare=False, hash=True, metadata={"m": 1})},
    "not in init": {"__doc__": "Doc.", "__annotations__": {"a": "int", "b": "int"},
                    "b": field(default=0, init=False)},
    "no fields": {"__doc__": "Doc."},
    "dotted annotation": {"__doc__": "Doc.", "__annotations__": {"a": "typing.Any"}},
}


@pytest.mark.parametrize("name", BODIES)
def test_a_plain_record_is_marked_as_dataclasses_marks_it(name: str) -> None:
    ours, theirs = _twins(BODIES[name])
    assert "__dataclass_fields__" in vars(ours)
    assert type(vars(ours)["__dataclass_fields__"]) is not dict  # not built yet
    _same(ours, theirs)
    assert dataclasses.is_dataclass(ours)


def test_fields_are_built_once_and_read_through_an_instance_and_a_subclass() -> None:
    ours, _ = _twins(BODIES["plain"])

    class Sub(ours):  # type: ignore[misc, valid-type]
        pass

    first = Sub.__dataclass_fields__
    assert ours.__dataclass_fields__ is first
    assert dataclasses.fields(object.__new__(ours)) == tuple(first.values())


def test_a_default_dropped_after_decoration_is_still_the_fields() -> None:
    ours, theirs = _twins(BODIES["plain"])
    del ours.b  # as guardrails.later.no_class_defaults does
    assert dataclasses.fields(ours)[1].default == "x"
    _ = theirs


def test_a_dataclass_subclass_of_a_record() -> None:
    ours, _ = _twins(BODIES["plain"])
    sub = dataclasses.dataclass(type("Sub", (ours,), {"__annotations__": {"z": "int"},
                                                      "z": 0, "__module__": __name__}))
    assert [f.name for f in dataclasses.fields(sub)] == ["a", "b", "c", "d", "e", "z"]


def test_a_frozen_plain_record() -> None:
    ours, theirs = _twins(BODIES["plain"], frozen=True)
    _same(ours, theirs)
    assert ours.__dataclass_params__.frozen is True  # type: ignore[attr-defined]
    one = object.__new__(ours)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.a = 1


class _Base:
    pass


NOT_PLAIN: dict[str, tuple[dict[str, Any], tuple[type, ...]]] = {
    "no docstring": ({"__annotations__": {"a": "int"}}, ()),
    "a base": ({"__doc__": "Doc.", "__annotations__": {"a": "int"}}, (_Base,)),
    "ClassVar": ({"__doc__": "Doc.", "__annotations__": {"a": "int", "k": "ClassVar[int]"},
                  "k": 1}, ()),
    "typing.ClassVar": ({"__doc__": "Doc.", "__annotations__": {"k": "typing.ClassVar[int]"},
                         "k": 1}, ()),
    "InitVar": ({"__doc__": "Doc.", "__annotations__": {"a": "int", "v": "InitVar[int]"}}, ()),
    "KW_ONLY": ({"__doc__": "Doc.", "__annotations__": {"a": "int", "_": "KW_ONLY",
                                                        "b": "int"}}, ()),
    "kw_only field": ({"__doc__": "Doc.", "__annotations__": {"a": "int", "b": "int"},
                       "b": field(default=0, kw_only=True)}, ()),
    "not a string": ({"__doc__": "Doc.", "__annotations__": {"a": int}}, ()),
    "slots": ({"__doc__": "Doc.", "__annotations__": {"a": "int"}, "__slots__": ("a",)}, ()),
}


@pytest.mark.parametrize("name", NOT_PLAIN)
def test_any_other_class_is_left_to_dataclasses(name: str) -> None:
    body, bases = NOT_PLAIN[name]
    cls = type("Twin", bases, {"__module__": __name__, **body})
    assert recordfields.plain_fields(cls) is None
    ours, theirs = _twins(body, bases=bases)
    assert type(vars(ours)["__dataclass_fields__"]) is dict
    _same(ours, theirs)


@pytest.mark.parametrize(("body", "error"), [
    ({"__doc__": "Doc.", "__annotations__": {"a": "list[int]"}, "a": []}, ValueError),
    ({"__doc__": "Doc.", "__annotations__": {"a": "int"}, "b": field(default=1)}, TypeError),
])
def test_dataclasses_errors_stay_dataclasses(body: dict[str, Any], error: type) -> None:
    cls = type("Twin", (), {"__module__": __name__, **body})
    assert recordfields.plain_fields(cls) is None
    with pytest.raises(error) as theirs:
        _twins(body)
    with pytest.raises(error) as ours:
        record(type("Twin", (), {"__module__": __name__, "__init__": lambda self: None,
                                 **body}))
    assert str(ours.value) == str(theirs.value)


def test_a_record_written_as_the_package_writes_them() -> None:
    @record
    class Item:
        """A test record."""

        name: str
        tags: list[str] = field(default_factory=list)
        size: int = 0

        def __init__(self, name: str, tags: list[str] = FACTORY, size: int = 0) -> None:
            self.name = name
            self.tags = [] if tags is FACTORY else tags
            self.size = size

    one = Item("a")
    assert dataclasses.asdict(one) == {"name": "a", "tags": [], "size": 0}
    assert dataclasses.replace(one, size=2) == Item("a", [], 2)
    assert Item.__match_args__ == ("name", "tags", "size")
    assert "tags" not in vars(Item) and Item.size == 0
    match one:
        case Item("a", [], 0):
            pass
        case _:
            pytest.fail("no match")


def test_the_names_looked_up_are_the_ones_dataclasses_asks() -> None:
    # the module of these tests imports ClassVar, InitVar and KW_ONLY by name and typing:
    # each is seen by plain_fields as dataclasses sees it
    for value in (ClassVar, ClassVar[int], InitVar, InitVar[int], KW_ONLY, typing.ClassVar):
        assert recordfields._special(value), value
    for value in (int, Any, None, list[int], typing.Literal["a"]):
        assert not recordfields._special(value), value
