"""The builtin packs' validation, done ahead: when a run may take "valid" on trust.

A run without its caches (a CI job's first run, ``GUARDRAILS_NO_STARTUP_CACHE``)
validated the six builtin packs (the pack schema, each rule's check schema and
focus overrides, thresholds, tags, the checks' ``validate_rule``): ~5-7 ms of
CPU (benchmarks/RESULTS.md, "s24-coldstart7") that gives the same answer for
every user of the same pack bytes and the same code. ``python -m
guardrails.packgen`` runs that full validation on each builtin pack and writes,
for each one that passes, its verdict into :mod:`guardrails.packdata`
(``VALIDATED``): a :func:`fingerprint` of what the validation read.

A run takes a pack as validated (:func:`trusted`) only when all of these hold;
otherwise it validates the pack in full, as before:

- the pack is a builtin one and its file's bytes are exactly those its shipped
  parse was made from (the BLAKE2b digest in ``packdata.PACKS``,
  :func:`guardrails.packcache.precompiled`): any edit of an installed pack,
  one byte, is validated in full;
- every registered plugin is guardrails' own and none is blocked with
  ``-p no:NAME`` (a plugin could bring a check or a kind the verdict did not
  know; a blocked builtin could take one away);
- the :func:`fingerprint` of this run equals the shipped one: guardrails'
  version, the rule schema (``schemas/rules.json`` as loaded), and for each
  rule of the pack its check's and metric's names, classes, schemas, kinds and
  unit, as the running code defines them. An edited check schema, a renamed
  check or metric, a check whose kinds changed, another release's file: no
  verdict.

What the fingerprint does not hold is the validating code itself (the
checks' ``validate_rule``, :mod:`guardrails.ruleparams`, the schema engines):
reading and digesting those files' bytes at every start would cost a good
part of what the verdict saves. That code is held by tests that cannot rot:
tests/unit/test_packdata.py regenerates :mod:`guardrails.packdata` (running
the full validation of every builtin pack, no verdict trusted) and fails on
one byte of difference, naming the command; a change that makes a builtin
pack invalid leaves that pack without a verdict, which
tests/unit/test_packverdict.py refuses, and fails every test that collects
the packs with the verdicts off. The fingerprint is the ``ascii()`` text of
those definitions (literals of the code, so in the code's order); one that
holds an object's address never matches twice, so has no verdict.

What the config adds is validated on every run as before: its overrides of
builtin rules, its own packs, ``focus``. The fact kinds a rule may name are
the only input that grows with the config (its sources add kinds); a verdict
is made with none of them, and validity only widens with more kinds, so it
holds under any config.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from guardrails.cachefiles import blake2

#: what a fingerprint's digest is personalised with
PERSON = b"guardrails-vrd"


def trusted(path: Path, data: Any, pm: Any, checks: Mapping[str, Any],
            metrics: Mapping[str, Any]) -> bool:
    """True when builtin pack ``path``, whose shipped parse ``data`` is (the bytes
    matched), carries a shipped verdict that holds in this run (module docstring)."""
    from guardrails import packdata

    shipped = getattr(packdata, "VALIDATED", {}).get(path.stem)
    if shipped is None or not only_ours(pm):
        return False
    return fingerprint(data, checks, metrics) == shipped


def only_ours(pm: Any) -> bool:
    """True when every plugin ``pm`` holds is guardrails' own and none is blocked."""
    from guardrails.packcache import ours

    if pm is None or getattr(pm, "blocked_names", None):
        return False
    try:
        plugins = pm.list_name_plugin()
    except AttributeError:
        return False
    for _name, plugin in plugins:
        if plugin is None:
            return False  # a blocked name
        known = _OURS.get(id(plugin))
        if known is not None and known[0] is plugin:
            if not known[1]:
                return False
            continue
        module = plugin if isinstance(plugin, ModuleType) else sys.modules.get(
            type(plugin).__module__)
        found = ours(module)
        if len(_OURS) < 256:
            _OURS[id(plugin)] = (plugin, found)
        if not found:
            return False
    return True


#: id -> (plugin, whether it is guardrails' own), asked once a plugin a process
_OURS: dict[int, tuple[Any, bool]] = {}


def fingerprint(data: Any, checks: Mapping[str, Any], metrics: Mapping[str, Any]) -> str | None:
    """A digest of what validating pack ``data`` reads besides its bytes and the code
    (module docstring); None when a rule names no known check or metric (no verdict
    then)."""
    from guardrails import __version__
    from guardrails.validation import load_schema

    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        return None
    parts: dict[str, str] = {}
    try:
        for entry in rules:
            name = entry.get("check") if isinstance(entry, dict) else None
            if not isinstance(name, str):
                return None
            if name not in parts:
                check = checks.get(name)
                if check is None:
                    return None
                parts[name] = _text(check, ("schema", "kinds"))
            if name == "metric":
                metric_name = entry.get("metric")
                if not isinstance(metric_name, str):
                    return None
                if f"metric:{metric_name}" not in parts:
                    metric = metrics.get(metric_name)
                    if metric is None:
                        return None
                    parts[f"metric:{metric_name}"] = _text(metric, ("params", "unit", "kinds"))
        schema = load_schema("rules")
        text = "\n".join([__version__, _text(schema, None),
                          *(f"{k}\0{parts[k]}" for k in sorted(parts))])
    except (TypeError, ValueError, RecursionError):
        return None
    return blake2(text.encode("ascii"), PERSON)


#: (ids of a schema, or of a check's or metric's class, name and the values read) ->
#: (those objects, the text): each described once a process (six packs name the same
#: few), and again when any of them is another object (a check's schema replaced)
_TEXTS: dict[tuple[int, ...], tuple[tuple[Any, ...], str]] = {}


def _text(item: Any, fields: tuple[str, ...] | None) -> str:
    """:func:`_describe`, once for the same objects (a schema changed in place, not
    replaced, is not seen: the schemas are literals of the code)."""
    # A check's instance is made anew by each collection of its plugin's hook: its
    # class, name and the values read (class attributes) are what stay the same.
    values = (item,) if fields is None else (
        type(item), getattr(item, "name", None), *(getattr(item, f, None) for f in fields))
    key = tuple(map(id, values))
    known = _TEXTS.get(key)
    if known is not None and all(map(operator.is_, known[0], values)):
        return known[1]
    text = _describe(item, fields)
    if len(_TEXTS) < 1024:
        _TEXTS[key] = (values, text)
    return text


def _describe(item: Any, fields: tuple[str, ...] | None) -> str:
    """``ascii()`` of ``item`` (a schema), or of its class, name and ``fields``: the
    schemas are literals of the code, so their order is the code's; an object whose
    text holds its address (``<... at 0x...>``) never matches, so has no verdict."""
    if fields is None:
        described: Any = item
    else:
        cls = type(item)
        described = [getattr(item, "name", None), cls.__module__, cls.__qualname__]
        for field in fields:
            value = getattr(item, field, None)
            described.append(sorted(value) if field == "kinds" and value is not None
                             else value)
    return ascii(described)
