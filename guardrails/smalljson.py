"""How the small schema engine reads an instance: plain JSON, exactly.

:mod:`guardrails.smallschema` compiles a schema into checks; this module holds
what those checks ask of a value, whatever the schema: its JSON type (only
``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``, ``bool`` and
``None`` of exactly those types), JSON equality (``1 == 1.0``, ``true`` is not
``1``), and :class:`Undecided` for what is not plain JSON (a tuple, a date, a
subclass, an integer beyond 2**53, a NaN or an infinity, a lone surrogate), so
jsonschema-rs decides it instead. It knows nothing of schemas, which is why it
is apart: :mod:`guardrails.schemabatch` reads values the same way.
"""

from __future__ import annotations

import math
from typing import Any

#: the largest integer (either sign) read exactly as a JSON number
BIG = 2 ** 53


class Undecided(Exception):
    """An instance this engine does not read exactly: ask jsonschema-rs."""


def is_number(value: Any) -> bool:
    """Whether ``value`` is a JSON number this engine reads (bool is not one)."""
    kind = type(value)
    if kind is int:
        if -BIG <= value <= BIG:
            return True
        raise Undecided("a big integer")
    if kind is float:
        if math.isfinite(value):
            return True
        raise Undecided("not a finite number")
    return False


def checked_text(value: str) -> str:
    """``value`` itself; Undecided when it holds a lone surrogate."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Undecided("a lone surrogate") from None
    return value


JSON_TYPES = {dict: "object", list: "array", bool: "boolean", type(None): "null"}


def json_type(value: Any) -> str:
    """The JSON type of ``value``; Undecided for what is not plain JSON."""
    kind = type(value)
    if kind is str:
        if not value.isascii():
            checked_text(value)
        return "string"
    found = JSON_TYPES.get(kind)
    if found is not None:
        return found  # an object's keys are checked where they are read (text_keys)
    if is_number(value):
        return "integer" if kind is int or value.is_integer() else "number"
    raise Undecided(f"a {kind.__name__}")


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality (``b`` from the schema, plain data): 1 == 1.0, true != 1."""
    ka, kb = json_type(a), json_type(b)
    numbers = ("integer", "number")
    if ka in numbers and kb in numbers:
        return bool(a == b)
    if ka != kb:
        return False
    if ka == "array":
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if ka == "object":
        return text_keys(a).keys() == text_keys(b).keys() and all(json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def unique_items(items: list[Any]) -> bool:
    """No two items equal as JSON values (1 and 1.0 are; true and 1 are not)."""
    for i, item in enumerate(items):
        for other in items[i + 1:]:
            if json_equal(item, other):
                return False
    return True


def text_keys(value: dict[str, Any]) -> dict[str, Any]:
    """An object's keys are read: each must be text (else jsonschema-rs cannot read it)."""
    for key in value:
        if type(key) is not str:
            raise Undecided("a key that is not text")
        if not key.isascii():  # checked_text's test inline: one call less a key
            checked_text(key)
    return value


def text_items(value: dict[str, Any]) -> Any:
    return text_keys(value).items()
