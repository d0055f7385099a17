"""Parsing and validating one rule file (a pack) into Rules.

Validation is two-step so errors are precise: the pack schema (common keys),
then the rule's check schema (its own keys; unknown keys are errors with a
suggestion). Every error of a file is collected and raised together.

This module reads the file: its structure, the pack's keys and tags, and
the caches that spare a builtin pack the work. Each rule entry (its keys,
the focus and config overrides, the line and column every error points at)
is :mod:`guardrails.ruleentry`'s. Whether a set of parameters is sound for its
check (the key schemas, thresholds, fact kinds, the check's
``validate_rule``) is :mod:`guardrails.ruleparams`'s question; its public
names are re-exported here, where they always were.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from guardrails import packcache, packverdict, validation, yamlio
from guardrails.errors import LoadErrors, RuleFileError, UsageError, raise_all
from guardrails.model import Rule
from guardrails.ruleentry import COMMON_KEYS, RuleEntries, tag_problems
from guardrails.ruleparams import (
    check_schema,
    fact_kinds,
    known_kinds,
    override_schema,
    threshold_problems,
)
from guardrails.rulepaths import builtin_packs, display_rule_path, is_builtin, rule_opener

# Where they were before guardrails.ruleparams held them (the CLI, tests and plugins
# import them from here).
__all__ = ["COMMON_KEYS", "DECLARED", "RuleParser", "builtin_rule_ids", "check_schema",
           "declared_rules", "duplicate_errors",
           "fact_kinds", "known_kinds", "override_schema", "threshold_problems"]


@functools.cache
def _pack_schema() -> dict[str, Any]:
    """The pack schema with rules left to the per-rule validation (errors once each).

    Built once (callers only read it)."""
    schema = copy.deepcopy(validation.load_schema("rules"))
    schema["properties"]["rules"]["items"] = {"type": "object"}
    return schema


class RuleParser(RuleEntries):
    """Turns one pack file into Rules, with every error pointing at a line.

    Every error of the file is collected (bad rules do not hide the next
    ones) and raised together as :class:`guardrails.errors.LoadErrors`.
    """


    def parse(self, path: Path) -> list[Rule]:
        builtin = is_builtin(path)  # resolves the path: once a pack
        shown = f"rules/{path.name}" if builtin else display_rule_path(path, self.config)
        self._source = (shown, path)
        key, raw = packcache.read_pack(path) if builtin else (None, None)
        # A builtin pack whose validation ships with the package and holds in this
        # run (guardrails/packverdict.py) is neither validated nor cached; one that
        # loaded without an error before, under the same code and plugins, is not
        # validated again (guardrails/packcache.py).
        cached = ctx = ready = None
        if raw is not None:
            cached = packcache.precompiled(path, raw)
            if cached is not None and not packverdict.trusted(
                    path, cached[0], self.config.pluginmanager, self.checks, self.metrics):
                ready, cached = cached, None
        if cached is None and builtin:
            ctx = packcache.context(self.config.pluginmanager)
            cached = packcache.load(path, ctx, key) if ctx is not None and key else None
        # A pack the pack cache will keep is not also remembered entry by entry in
        # the schema verdicts (~2 ms of a cold run's canonical JSON and digests).
        self._remember = ctx is None
        errors: list[UsageError] = []
        nan_rules: set[Any] = set()
        if cached is not None:
            data, pos = cached
        else:
            # A builtin pack's parse ships with the package (guardrails/packdata.py),
            # used for exactly the bytes it was made from; any other file is parsed,
            # an edited builtin pack from the bytes read_pack already has.
            if ready is not None:
                data, pos = ready
            else:
                if raw is not None:
                    text = yamlio.decode_text(raw, shown)
                else:
                    with rule_opener(self.config, path) as opener:
                        text = yamlio.read_text(path, shown, opener)
                data, pos = yamlio.load(text, shown, positions=True)
            if data is None:
                raise RuleFileError("the rule file is empty", file=shown,
                                    fix="add 'pack:' and 'rules:' (see 'guardrails schema rules')")
            if not isinstance(data, dict):
                raise RuleFileError(
                    f"a rule file is a mapping with 'pack:' and 'rules:', not a "
                    f"{_type_name(data)}", file=shown, line=1,
                    fix="start the file with 'pack: NAME' and put the rules under 'rules:'")
            if ready is None:  # guardrails.packgen writes finite numbers only
                errors += validation.nonfinite_errors(
                    data, file=shown, positions=pos, error_cls=RuleFileError)
                nan_rules = {p[1] for p in validation.nonfinite_paths(data)
                             if len(p) > 1 and p[0] == "rules"}
            errors += validation.errors_of(data, _pack_schema(), file=shown, positions=pos,
                                           what="rule file", error_cls=RuleFileError,
                                           remember=self._remember)
        if not isinstance(data.get("rules"), list) or not isinstance(data.get("pack"), str):
            raise_all(errors)
        pack = data["pack"]
        tags = data.get("tags")
        pack_tags = tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()
        if cached is None:
            errors += [self._err(msg, shown, pos, ("tags", i), fix)
                       for i, msg, fix in tag_problems(tags)]
        rules = []
        off: set[int] = set()  # entries switched off (enabled: false): their ids do not count
        for i, entry in enumerate(data["rules"]):
            if not isinstance(entry, dict) or i in nan_rules:
                continue  # reported above
            try:
                rule = self._rule(entry, pack, pack_tags, shown, pos, ("rules", i), builtin,
                                  trusted=cached is not None)
            except LoadErrors as exc:
                errors.extend(exc.errors)
                continue
            except UsageError as exc:
                errors.append(exc)
                continue
            if rule is not None:
                rules.append(rule)
            else:
                off.add(i)
        errors.sort(key=lambda e: (e.line or 0, e.column or 0))
        try:
            raise_all(errors)
        except UsageError as exc:
            # The ids this file declares, for the ids given twice across files: a
            # file with an error still holds the first copy of an id (see
            # :func:`duplicate_errors`); not a rule switched off, which is not
            # collected (as when the file loads).
            setattr(exc, DECLARED, [
                (f"{pack}::{entry['id']}", shown, (yamlio.nearest(pos, ("rules", i))
                                                   or (0, 0))[0])
                for i, entry in enumerate(data["rules"])
                if i not in off and isinstance(entry, dict)
                and isinstance(entry.get("id"), str)])
            raise
        if ctx is not None and cached is None and not self._kinds_from_sources():
            packcache.store(path, data, pos, ctx, key)
        return rules

    def _kinds_from_sources(self) -> bool:
        """True when the kinds the rules were checked against include some that only
        this config's sources bring: a pack valid here need not be under another config."""
        if self._kinds is None:  # no rule asked: nothing depended on them
            return False
        return bool(self._kinds - known_kinds(self.config, self.checks, self.metrics,
                                              with_sources=False))


def _type_name(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number",
            bool: "boolean"}.get(type(value), type(value).__name__)


def builtin_rule_ids() -> set[str]:
    """``pack::id`` of every rule of the builtin packs (read, not validated)."""
    out: set[str] = set()
    for name, path in builtin_packs().items():
        try:
            data, _ = yamlio.load_file(path, f"rules/{name}.yaml")
        except UsageError:
            continue
        if not isinstance(data, dict):
            continue
        pack = data.get("pack", name)
        for entry in data.get("rules") or []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                out.add(f"{pack}::{entry['id']}")
    return out


#: the attribute of a rule file's load error that lists the ``(full id, file, line)``
#: of every rule entry with an id in that file (:meth:`RuleParser.parse`)
DECLARED = "declared_rules"


def declared_rules(exc: UsageError) -> list[tuple[str, str, int]]:
    """The ``(full id, file, line)`` of the rules a file that failed to load declares
    (none when it failed before its ``pack:`` and ``rules:`` could be read)."""
    return list(getattr(exc, DECLARED, None) or ())


def duplicate_errors(rules: Iterable[Rule | tuple[str, str, int]]) -> list[UsageError]:
    """An error for every rule id given again, at the repeat, naming the first copy.

    ``rules`` in collection order: the rules collected, and for a file that
    failed to load the ids it declares (:func:`declared_rules`). So the first
    copy is the first one written, even when its file (or the copy itself) has
    another error: the repeat is reported in the same run, against the right
    file and line.
    """
    seen: dict[str, tuple[str, int]] = {}
    out: list[UsageError] = []
    for r in rules:
        nodeid, file, line = (r.nodeid, r.file, r.line) if isinstance(r, Rule) else r
        if nodeid in seen:
            first_file, first_line = seen[nodeid]
            out.append(RuleFileError(
                f"duplicate rule id {nodeid!r} (first defined at {first_file}:{first_line})",
                file=file, line=line, fix="give each rule of a pack its own id",
            ))
        else:
            seen[nodeid] = (file, line)
    return out
