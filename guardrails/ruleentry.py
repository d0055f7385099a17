"""One rule of a pack read into a :class:`~guardrails.model.Rule`.

A rule entry's common keys and its check's own keys are validated, its focus
overrides and the config's override of it are validated and applied, and
every variant it can run with (its own keys, each focus, the config's
override) is checked for soundness (:mod:`guardrails.ruleparams`), each error
pointing at the line and column of the key at fault. Reading the pack file
around the entries, and the caches that spare a builtin pack this work, is
:mod:`guardrails.rulefile`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from guardrails import validation, yamlio
from guardrails.configmodel import Config
from guardrails.errors import RuleFileError, UsageError, raise_all
from guardrails.kinds import KindRegistry
from guardrails.model import Rule, Severity
from guardrails.plugin import Check, Metric
from guardrails.ruleparams import (
    check_schema,
    fact_kinds,
    known_kinds,
    override_schema,
    variant_problems,
)
from guardrails.rulepaths import is_builtin, rule_opener

COMMON_KEYS = (
    "id", "title", "check", "severity", "tags", "enabled", "window", "on_no_data",
    "description", "focus", "explain",
)


@functools.cache
def _base_rule_schema() -> dict[str, Any]:
    """The common rule keys' schema, built once (callers only read it)."""
    return copy.deepcopy(validation.load_schema("rules")["$defs"]["rule"])


class RuleEntries:
    """Turns the rule entries of a pack into Rules, every error pointing at a line
    (:class:`guardrails.rulefile.RuleParser` reads the pack around them)."""

    def __init__(self, config: Config, checks: Mapping[str, Check],
                 metrics: Mapping[str, Metric]) -> None:
        self.config = config
        self.checks = checks
        self.metrics = metrics
        self._kinds: set[str] | None = None
        self._registry: KindRegistry | None = None
        self._source: tuple[str, Path] | None = None  # the file being parsed
        self._remember = True  # whether schema verdicts of the file's own content are kept

    @property
    def kinds(self) -> set[str]:
        if self._kinds is None:
            self._kinds = known_kinds(self.config, self.checks, self.metrics)
        return self._kinds

    @property
    def registry(self) -> KindRegistry:
        """The registered fact kinds (their fields are checked in rules)."""
        if self._registry is None:
            self._registry = fact_kinds(self.config)
        return self._registry

    def _err(self, msg: str, shown: str, pos: dict[Any, Any], path: tuple[Any, ...],
             fix: str | None = None) -> RuleFileError:
        loc = yamlio.nearest(pos, path)
        return RuleFileError(msg, file=shown, line=loc[0] if loc else None,
                             column=loc[1] if loc else None, fix=fix)

    def _rule(self, entry: dict[str, Any], pack: str, pack_tags: tuple[str, ...], shown: str,
              pos: dict[Any, Any], where: tuple[Any, ...], builtin: bool,
              trusted: bool = False) -> Rule | None:
        """One rule; ``trusted``: its own keys were validated when it was cached
        (the config's override of it is still validated here)."""
        if not trusted:
            raise_all(validation.errors_of(entry, _base_rule_schema(), file=shown,
                                           positions=pos, what="rule file", base_path=where,
                                           error_cls=RuleFileError, remember=self._remember))
        name = entry["check"]
        check = self.checks.get(name)
        if check is None:
            import difflib  # only for an error message

            close = difflib.get_close_matches(name, list(self.checks), n=1)
            raise self._err(
                f"rule {entry['id']!r}: unknown check {name!r}", shown, pos, (*where, "check"),
                fix=(f"did you mean {close[0]!r}? " if close else "")
                + f"known checks: {', '.join(sorted(self.checks))}",
            )
        metric = None
        if name == "metric" and isinstance(entry.get("metric"), str):
            metric = self.metrics.get(entry["metric"])
            if metric is None:
                import difflib  # only for an error message

                close = difflib.get_close_matches(str(entry["metric"]), list(self.metrics), n=1)
                raise self._err(
                    f"rule {entry['id']!r}: unknown metric {entry['metric']!r}",
                    shown, pos, (*where, "metric"),
                    fix=(f"did you mean {close[0]!r}? " if close else "")
                    + f"known metrics: {', '.join(sorted(self.metrics))}",
                )
        if not trusted:
            raise_all(validation.errors_of(entry, check_schema(check, metric), file=shown,
                                           positions=pos, what=f"rule {entry['id']!r}",
                                           base_path=where, error_cls=RuleFileError,
                                           remember=self._remember))
        errors: list[UsageError] = [] if trusted else [
            self._err(f"rule {entry['id']!r}: {msg}", shown, pos, (*where, "tags", i), fix)
            for i, msg, fix in tag_problems(entry.get("tags"))]
        ov_schema = override_schema(check, metric)
        for focus, override in () if trusted else (entry.get("focus") or {}).items():
            errors += validation.errors_of(
                override, ov_schema, file=shown, positions=pos,
                what=f"focus override {focus!r} of rule {entry['id']!r}",
                base_path=(*where, "focus", focus), error_cls=RuleFileError,
                remember=self._remember)
        nodeid = f"{pack}::{entry['id']}"
        cfg_override = self.config.overrides.get(nodeid)
        if cfg_override is not None:
            cfg_errors = validation.nonfinite_errors(
                cfg_override, file=self.config.display_path, positions=self.config.positions,
                base_path=("overrides", nodeid), error_cls=RuleFileError)
            cfg_errors += validation.without_places_of(validation.errors_of(
                cfg_override, ov_schema, file=self.config.display_path,
                positions=self.config.positions, what=f"override of {nodeid}",
                base_path=("overrides", nodeid), error_cls=RuleFileError), cfg_errors)
            if cfg_errors:
                errors += cfg_errors
                cfg_override = None
        raise_all(errors)
        params = {k: copy.deepcopy(v) for k, v in entry.items() if k not in COMMON_KEYS}
        # Common keys the checks read as parameters.
        for common in ("window", "on_no_data"):
            if common in entry:
                params[common] = entry[common]
        defaults = dict(params)
        severity = entry.get("severity", "error")
        enabled = entry.get("enabled", True)
        focus = self.config.focus
        applied = None
        focus_ov = (entry.get("focus") or {}).get(focus) if focus else None
        for override in (focus_ov, cfg_override):
            if not override:
                continue
            if override is focus_ov:
                applied = focus
            for k, v in override.items():
                if k == "severity":
                    severity = v
                elif k == "enabled":
                    enabled = v
                else:
                    params[k] = copy.deepcopy(v)
        # Load-time checks of every variant the rule can run with: its own keys,
        # each focus override, the config's override (whether active or not).
        variants: list[tuple[dict[str, Any], tuple[Any, ...], str, Any]] = [] if trusted else [
            (defaults, where, shown, pos)]
        for f, ov in () if trusted else (entry.get("focus") or {}).items():
            variants.append(({**defaults, **{k: v for k, v in ov.items()
                                             if k not in ("severity", "enabled")}},
                             (*where, "focus", f), shown, pos))
        if cfg_override:
            variants.append(({**defaults, **{k: v for k, v in cfg_override.items()
                                             if k not in ("severity", "enabled")}},
                             ("overrides", nodeid), self.config.display_path,
                             self.config.positions))
        seen: set[str] = set()
        for values, base, file, positions in variants:
            # An override is judged on what it changes; the rest is the rule's own.
            own = (None if base is where else
                   set((entry.get("focus") or {}).get(base[-1], {}) if base[0] != "overrides"
                       else cfg_override or {}))
            for key, err in self._variant_problems(check, metric, entry["id"], values, base,
                                                   where, file, positions):
                if own is not None and key not in own and not (
                        key in ("min", "max") and own & {"min", "max"}):
                    continue
                if str(err) not in seen:
                    seen.add(str(err))
                    errors.append(err)
        raise_all(errors)
        if not enabled:
            self.config.disabled_rules.add(nodeid)
            return None
        loc = yamlio.nearest(pos, where)
        return Rule(
            pack=pack,
            id=entry["id"],
            title=entry.get("title") or entry["id"],
            check=name,
            params=params,
            severity=Severity(severity),
            tags=tuple(dict.fromkeys((*pack_tags, *(entry.get("tags") or ())))),
            file=shown,
            line=loc[0] if loc else 0,
            builtin=builtin,
            description=entry.get("description", ""),
            explain=dict(entry.get("explain") or {}),
            defaults=defaults,
            focus_applied=applied,
            focus_overrides={k: dict(v) for k, v in (entry.get("focus") or {}).items()},
        )

    def _variant_problems(self, check: Check, metric: Metric | None, rid: str,
                          values: dict[str, Any], base: tuple[Any, ...],
                          where: tuple[Any, ...], file: str,
                          positions: Any) -> list[tuple[str | None, UsageError]]:
        """(key, error) for one set of parameters; a key the variant overrides points at it."""
        def err(key: str | None, msg: str, fix: str | None,
                sub: tuple[Any, ...] = (), offset: int | None = None) -> UsageError:
            if key is None:
                path = base
            elif base is not where and (*base, key) in positions:
                path = (*base, key, *sub)
            elif base is not where:
                path = base
            else:
                path = (*where, key, *sub)
            loc = yamlio.nearest(positions, path)
            if offset is not None and path[-1:] == (key,):
                loc = self._expression_position(file, path, offset) or loc
            return RuleFileError(f"rule {rid!r}: {msg}", file=file,
                                 line=loc[0] if loc else None,
                                 column=loc[1] if loc else None, fix=fix)

        return [(key, err(key, msg, fix, sub, offset))
                for key, msg, fix, sub, offset in variant_problems(
                    check, metric, values, lambda: self.kinds, lambda: self.registry,
                    self.metrics)]

    def _expression_position(self, file: str, path: tuple[Any, ...],
                             offset: int) -> tuple[int, int] | None:
        """File line and column of character ``offset`` of the expression at ``path``."""
        from guardrails.celrules.position import expression_position

        opener = None
        if self._source is not None and self._source[0] == file:
            source = self._source[1]
            if not is_builtin(source):
                opener = rule_opener(self.config, source)
        elif file == self.config.display_path and self.config.path is not None:
            source = Path(self.config.path)
        else:
            return None
        try:
            with opener if opener is not None else contextlib.nullcontext():
                text = yamlio.read_text(source, file, opener)
        except UsageError:
            return None
        return expression_position(text, path, offset)


#: what -k and -m read as an operator, not a name (guardrails.expressions)
_EXPRESSION_WORDS = ("and", "or", "not")


def tag_problems(tags: Any) -> list[tuple[int, str, str]]:
    """(index, message, fix) for each tag ``-m``/``-k`` could never select.

    A ``-m`` expression splits names at spaces and parentheses and reads
    ``and``/``or``/``not`` as operators, so a tag such as ``x or y`` would sit in
    the report while no selection can name it: refused at load, not discovered
    when ``-m 'x or y'`` quietly selects rules tagged ``x`` or ``y``.
    """
    import re

    out: list[tuple[int, str, str]] = []
    for i, tag in enumerate(tags if isinstance(tags, list) else ()):
        if not isinstance(tag, str):
            continue  # the schema's error
        if tag and tag.isprintable() and not re.search(r"[\s()]", tag) \
                and tag not in _EXPRESSION_WORDS:
            continue
        clean = "".join(c for c in tag if c.isprintable() or c.isspace())
        one = "-".join(re.split(r"[\s()]+", clean)).strip("-")
        shown = ascii(tag) if len(tag) <= 60 else ascii(tag[:57] + "...")
        why = ("is empty" if not tag else
               f"is the operator {tag!r} of -m/-k expressions" if tag in _EXPRESSION_WORDS
               else "holds a space or a parenthesis" if re.search(r"[\s()]", tag)
               else "holds a control character")
        out.append((i, f"tag {shown} {why}, so no -m or -k expression can select it",
                    (f"write it as one word, e.g. {one!r}; " if one and one != tag
                     and one not in _EXPRESSION_WORDS else "")
                    + "a tag is one word: no spaces, no parentheses, not 'and', 'or' or 'not'"))
    return out
