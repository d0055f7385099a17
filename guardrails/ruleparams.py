"""Judging a rule's parameters: the schemas of its keys, its thresholds, the fact
kinds it may name, and its check's own ``validate_rule``.

:mod:`guardrails.rulefile` reads a pack into Rules: the file's structure,
focus and config overrides, and where each error points. What it asks here
is only "is this set of parameters sound for this check?", once for the rule
and once for every variant an override makes; the answers name the key at
fault and never a file position, which stays the parser's to work out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from guardrails import validation
from guardrails.configmodel import Config
from guardrails.datakinds import BUILTIN
from guardrails.kinds import KindRegistry
from guardrails.plugin import Check, Metric
from guardrails.timeutil import parse_duration

#: (key or None, message, fix, path under the key, character offset in an expression)
Problem = tuple[str | None, str, str | None, tuple[Any, ...], int | None]


def check_schema(check: Check, metric: Metric | None = None) -> dict[str, Any]:
    """Schema of a rule's own keys under one check (common keys included)."""
    base = validation.load_schema("rules")["$defs"]["rule"]
    props = dict(base["properties"])
    props.update(check.schema.get("properties", {}))
    if metric is not None:
        props.update(metric.params)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": sorted({"id", "check", *check.schema.get("required", [])}),
        "additionalProperties": False,
    }
    for key in ("anyOf", "oneOf", "allOf", "not", "dependentRequired"):
        if key in check.schema:
            schema[key] = check.schema[key]
    return schema


def override_schema(check: Check, metric: Metric | None = None) -> dict[str, Any]:
    own = dict(check.schema.get("properties", {}))
    if metric is not None:
        own.update(metric.params)
    own.pop("metric", None)
    own["severity"] = {"enum": ["error", "warning"]}
    own["enabled"] = {"type": "boolean"}
    own["window"] = validation.load_schema("rules")["$defs"]["rule"]["properties"]["window"]
    return {"type": "object", "properties": own, "additionalProperties": False}


#: Units a metric may be measured in, and what its thresholds may be.
_NONNEGATIVE_UNITS = ("seconds", "ratio", "per_week", "lines", "count", "score")


def threshold_problems(values: Mapping[str, Any], unit: str | None,
                       what: str) -> list[tuple[str, str, str | None]]:
    """(key, message, fix) for ``min``/``max`` that cannot mean what was written."""
    out: list[tuple[str, str, str | None]] = []
    numbers: dict[str, float] = {}
    for key in ("min", "max"):
        if key not in values:
            continue
        v = values[key]
        if isinstance(v, str):
            if unit is not None and unit != "seconds":
                out.append((key, f"{key}: {v!r} is a duration, but {what} is measured in {unit}",
                            "write a number" + (" between 0 and 1" if unit == "ratio" else "")))
                continue
            try:
                numbers[key] = parse_duration(v, positive=True).total_seconds()
            except ValueError as exc:
                out.append((key, f"{key}: {exc}", "write a duration above zero, e.g. 36h or 7d"))
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            continue  # the schema or the NaN check reports it
        if unit == "ratio" and not 0 <= v <= 1:
            fix = (f"did you mean {v / 100:g}? ratios are written 0..1 ({v:g}% is {v / 100:g})"
                   if 1 < v <= 100 else "write a ratio between 0 and 1")
            out.append((key, f"{key}: {v:g} is outside 0..1, but {what} is a ratio", fix))
            continue
        if unit in _NONNEGATIVE_UNITS and v < 0:
            out.append((key, f"{key}: {v:g} is negative, but {what} never is",
                        "write a number of zero or more"))
            continue
        if unit == "seconds" and key == "max" and v <= 0:
            out.append((key, f"{key}: {v:g} seconds is no duration at all",
                        "write a duration above zero, e.g. 36h or 7d"))
            continue
        numbers[key] = float(v)
    if "min" in numbers and "max" in numbers and numbers["min"] > numbers["max"]:
        out.append(("min", f"min {values['min']!r} is above max {values['max']!r}: "
                    "nothing can pass", "swap them, or lower min"))
    return out


def fact_kinds(config: Config) -> KindRegistry:
    """The kinds registered through ``guardrails_fact_kinds`` (DATA.md's without plugins)."""
    pm = config.pluginmanager
    if pm is None:
        return BUILTIN
    return KindRegistry.from_hook(pm.hook.guardrails_fact_kinds())


def known_kinds(config: Config, checks: Mapping[str, Check],
                metrics: Mapping[str, Metric], with_sources: bool = True) -> set[str]:
    """Fact kinds a rule may name: guardrails' own, and what plugins bring
    (and, ``with_sources``, what the config's sources provide).

    Worked out once per config, plugin set and sources (``config.memo``): every
    pack of a run asked it again, each time listing every check and metric and
    asking each source (the files source looks through the org folder), ~1 ms a
    pack of a cold run. A new plugin, another ``sources:`` or other check and
    metric mappings are another key."""
    memo = getattr(config, "memo", None)
    if not isinstance(memo, dict) or _mapping_key(checks) is None or \
            _mapping_key(metrics) is None:
        return _known_kinds(config, checks, metrics, with_sources)
    key = _kinds_key(config, checks, metrics, with_sources)
    if key in memo:
        return set(memo[key])
    kinds = _known_kinds(config, checks, metrics, with_sources)
    if len(memo) > 16:  # bounded: a long-lived config asked under many plugin sets
        memo.clear()
    # Keyed by the plugins registered after: listing the checks registers them all.
    memo[_kinds_key(config, checks, metrics, with_sources)] = frozenset(kinds)
    return kinds


def _kinds_key(config: Config, checks: Mapping[str, Check], metrics: Mapping[str, Metric],
               with_sources: bool) -> tuple[Any, ...]:
    pm = config.pluginmanager
    plugins = tuple(name for name, _ in pm.list_name_plugin()) if pm is not None else ()
    return ("known_kinds", with_sources, pm, plugins, _mapping_key(checks),
            _mapping_key(metrics), repr(config.data.get("sources")) if with_sources else "",
            str(config.root))


def _mapping_key(mapping: Mapping[str, Any]) -> Any:
    """What a checks or metrics mapping answers from: the plugin manager of a
    :class:`~guardrails.manager.Provided` (the same for every pack of a run);
    None for any other mapping (not remembered)."""
    from guardrails.manager import Provided

    if isinstance(mapping, Provided):
        return (mapping.what, mapping.pm)
    return None


def _known_kinds(config: Config, checks: Mapping[str, Check],
                 metrics: Mapping[str, Metric], with_sources: bool) -> set[str]:
    from guardrails.plugin import SourceEnv
    from guardrails.timeutil import parse_now

    pm = config.pluginmanager
    kinds = set(fact_kinds(config))
    for check in checks.values():
        kinds |= set(getattr(check, "kinds", ()) or ())
    for metric in metrics.values():
        kinds |= set(metric.kinds)
    if pm is None or not with_sources:
        return kinds
    from guardrails.manager import Provided

    types: Mapping[str, Any] = Provided(pm, "sources")
    env = SourceEnv(root=config.root, now=parse_now(None), window=timedelta(days=90))
    for name, opts in config.sources.items():
        cls = types.get(name)
        if cls is None:
            continue
        try:
            kinds |= set(cls(opts, env).provides())
        except Exception:  # noqa: BLE001 - a broken source is reported when gathering
            continue
    return kinds


def variant_problems(check: Check, metric: Metric | None, values: Mapping[str, Any],
                     kinds: Callable[[], set[str]], registry: Callable[[], KindRegistry],
                     metrics: Mapping[str, Metric]) -> list[Problem]:
    """What is wrong with one set of a rule's parameters under ``check``: its window,
    its ``min``/``max`` (:func:`threshold_problems`), then the check's own
    ``validate_rule``, in that order. ``kinds`` and ``registry`` are asked only when
    the check has a ``validate_rule`` (listing the kinds may ask every source)."""
    out: list[Problem] = []
    if "window" in values:
        try:
            parse_duration(values["window"], positive=True)
        except ValueError as exc:
            out.append(("window", f"window: {exc}", "write a window above zero, e.g. 30d",
                        (), None))
    unit = metric.unit if metric is not None else ("count" if check.name == "count"
                                                   else None)
    what = metric.name if metric is not None else f"check {check.name}"
    for key, msg, fix in threshold_problems(values, unit, what):
        out.append((key, msg, fix, (), None))
    check_validate = getattr(check, "validate_rule", None)
    if check_validate is not None:
        try:
            accepted = _keywords(check_validate)
            # Both asked whatever the check takes, as before the split: listing the
            # kinds is what tells the pack cache whether the config's sources mattered.
            extra = {k: v for k, v in (("known_kinds", kinds()),
                                       ("fact_kinds", registry()),
                                       ("metrics", metrics)) if k in accepted}
            check_validate(values, **extra)
        except ValueError as exc:
            for one in getattr(exc, "errors", None) or [exc]:
                out.append((getattr(one, "key", None), str(one), getattr(one, "fix", None),
                            tuple(getattr(one, "path", ()) or ()),
                            getattr(one, "offset", None)))
    return out


def _keywords(func: Callable[..., Any]) -> frozenset[str]:
    """Parameter names of a check's ``validate_rule`` (``known_kinds``, ``fact_kinds``
    and ``metrics`` are passed only to those that take them). Read once per function:
    ``inspect.signature`` is ~40 us, asked for every rule and variant of a cold run."""
    # A bound method's function, bound the same way for every instance; only a
    # method or a plain function is remembered (a callable object may change).
    inner = getattr(func, "__func__", None)
    key = (inner, True) if inner is not None and getattr(func, "__self__", None) is not None \
        else (func, False) if type(func).__name__ == "function" else None
    if key is not None and key in _SIGNATURES:
        return _SIGNATURES[key]
    import inspect

    try:
        names = frozenset(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        names = frozenset()
    if key is not None and len(_SIGNATURES) < 256:
        _SIGNATURES[key] = names
    return names


_SIGNATURES: dict[tuple[Any, bool], frozenset[str]] = {}
