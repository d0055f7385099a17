"""The jsonschema validators guardrails builds: no retrieval, RE2 for rules' patterns.

Apart from :mod:`guardrails.validation` (which turns errors into words) so
that :mod:`guardrails.fastvalid` can fall back on them without importing the
module that imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

__all__ = ["RefusedRetrieval", "make_rule_validator", "make_validator"]


class RefusedRetrieval(Exception):
    """A ``$ref`` outside the schema: guardrails never fetches schemas."""


def _refuse(uri: str) -> Any:
    raise RefusedRetrieval(f"schema retrieval is off; {uri!r} is not fetched")


@functools.cache
def _registry() -> Any:
    """A registry that never retrieves: no network, no file, for any ``$ref``."""
    from referencing import Registry

    return Registry(retrieve=_refuse)  # type: ignore[call-arg]


def make_validator(schema: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_registry())


def _re2_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    from jsonschema.exceptions import ValidationError

    from guardrails.saferegex import compile_pattern

    if isinstance(instance, str) and compile_pattern(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _re2_pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any,
                            schema: Any) -> Any:
    from guardrails.saferegex import compile_pattern

    if not isinstance(instance, Mapping):
        return
    for pattern, subschema in patterns.items():
        compiled = compile_pattern(pattern)
        for k, v in instance.items():
            if compiled.search(k) is not None:
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


@functools.cache
def _rule_validator_class() -> Any:
    import jsonschema

    return jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        {"pattern": _re2_pattern, "patternProperties": _re2_pattern_properties},
    )


def make_rule_validator(schema: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    """A Draft 2020-12 validator for a schema a *rule* wrote (``where``/``expect``).

    Its regular expressions run on RE2 (linear time) and it never retrieves a
    ``$ref`` target: such schemas are checked at load time by
    :func:`guardrails.checks.conditions.condition_problems`.
    """
    cls = _rule_validator_class()
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_registry())
