"""Records (guardrails/records.py) behave as the dataclasses they replaced.

Each ``@record`` class writes its ``__init__`` by hand so that importing it
compiles nothing (issue 15, start-up); these tests hold every such class in the
package to what ``@dataclass`` would have generated from the same fields: the
signature, the values set, fresh factory defaults, repr, equality, hash and
frozenness, and ``dataclasses.replace``/``asdict``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import pytest

import guardrails
from guardrails.records import FACTORY, record

SKIP = ("guardrails.pytest_plugin", "guardrails.testing")


def _records() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(guardrails.__path__, "guardrails."):
        if info.name in SKIP:
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (isinstance(obj, type) and obj.__module__ == info.name
                    and dataclasses.is_dataclass(obj)
                    and not obj.__dataclass_params__.init):  # type: ignore[attr-defined]
                found.append(obj)
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


RECORDS = _records()


def test_the_package_has_records() -> None:
    names = {c.__qualname__ for c in RECORDS}
    assert {"Rule", "Result", "CheckResult", "Evidence", "Report"} <= names


def _sample(cls: type) -> tuple[Any, dict[str, Any]]:
    """An instance made with a distinct object for every required field, and those."""
    given = {f.name: object() for f in dataclasses.fields(cls)
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    return cls(**given), given


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_record_is_what_dataclass_would_make(cls: type) -> None:
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields], "fields and __init__ disagree"
    for p, f in zip(params, fields, strict=True):
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, p
        assert p.annotation == f.type, (f.name, p.annotation, f.type)
        if f.default is not dataclasses.MISSING:
            assert p.default is f.default or p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert p.default is FACTORY, f.name
        else:
            assert p.default is inspect.Parameter.empty, f.name

    one, given = _sample(cls)
    two, _ = _sample(cls)
    for f in fields:
        got = getattr(one, f.name)
        if f.name in given:
            assert got is given[f.name], f.name
        elif f.default_factory is not dataclasses.MISSING:
            made = f.default_factory()
            assert type(got) is type(made), f.name
            if type(made).__eq__ is not object.__eq__:
                assert got == made, f.name
            if not isinstance(made, tuple | frozenset | str | int | float):
                assert got is not getattr(two, f.name), f"{f.name}: a shared default"
        else:
            assert got is f.default or got == f.default, f.name

    shown = ", ".join(f"{f.name}={getattr(one, f.name)!r}" for f in fields if f.repr)
    assert repr(one) == f"{cls.__qualname__}({shown})"

    same = dataclasses.replace(one)
    assert same == one
    assert (same != one) is False
    assert one.__eq__(object()) is NotImplemented
    assert dataclasses.asdict(one).keys() == {f.name for f in fields}
    if given:
        name = next(iter(given))
        assert dataclasses.replace(one, **{name: object()}) != one

    if cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(one, fields[0].name, 1)
        try:
            expected = hash(tuple(getattr(one, f.name) for f in fields
                                  if (f.compare if f.hash is None else f.hash)))
        except TypeError:  # a dict field: unhashable, as with dataclass
            with pytest.raises(TypeError):
                hash(one)
        else:
            assert hash(one) == expected == hash(same)
    else:
        assert cls.__hash__ is None  # type: ignore[comparison-overlap]


def test_repr_of_a_cycle_and_eq_across_classes() -> None:
    @record
    class Node:
        """A test record."""

        name: str
        children: list[Any] = dataclasses.field(default_factory=list)

        def __init__(self, name: str, children: list[Any] = FACTORY) -> None:
            self.name = name
            self.children = [] if children is FACTORY else children

    @dataclasses.dataclass
    class Twin:
        """The same fields, made by dataclass."""

        name: str
        children: list[Any] = dataclasses.field(default_factory=list)

    node, twin = Node("a"), Twin("a")
    node.children.append(node)
    twin.children.append(twin)
    assert repr(node) == repr(twin).replace("Twin", "Node")
    assert Node("b") != Twin("b") and Node("b") == Node("b")

    @dataclasses.dataclass
    class Sub(Node):
        """A dataclass subclass of a record gets dataclass's own methods."""

        extra: int = 0

    assert Sub("x", [], 2) == Sub("x", [], 2) and Sub("x").extra == 0


def test_a_record_must_write_its_init() -> None:
    with pytest.raises(TypeError, match="must define __init__"):
        @record
        class Bare:
            """No __init__."""

            name: str
