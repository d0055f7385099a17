"""Parsing and validating one rule file (a pack) into Rules.

Validation is two-step so errors are precise: the pack schema (common keys),
then the rule's check schema (its own keys; unknown keys are errors with a
suggestion). Every error of a file is collected and raised together.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from guardrails import packcache, validation, yamlio
from guardrails.config import Config
from guardrails.datakinds import BUILTIN
from guardrails.errors import LoadErrors, RuleFileError, UsageError, raise_all
from guardrails.kinds import KindRegistry
from guardrails.model import Rule, Severity
from guardrails.plugin import Check, Metric
from guardrails.rulepaths import builtin_packs, display_rule_path, is_builtin
from guardrails.timeutil import parse_duration

COMMON_KEYS = (
    "id", "title", "check", "severity", "tags", "enabled", "window", "on_no_data",
    "description", "focus", "explain",
)




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


@functools.cache
def _pack_schema() -> dict[str, Any]:
    """The pack schema with rules left to the per-rule validation (errors once each).

    Built once (callers only read it)."""
    schema = copy.deepcopy(validation.load_schema("rules"))
    schema["properties"]["rules"]["items"] = {"type": "object"}
    return schema


@functools.cache
def _base_rule_schema() -> dict[str, Any]:
    """The common rule keys' schema, built once (callers only read it)."""
    return copy.deepcopy(validation.load_schema("rules")["$defs"]["rule"])


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


class RuleParser:
    """Turns one pack file into Rules, with every error pointing at a line.

    Every error of the file is collected (bad rules do not hide the next
    ones) and raised together as :class:`guardrails.errors.LoadErrors`.
    """

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

    def parse(self, path: Path) -> list[Rule]:
        shown = display_rule_path(path, self.config)
        self._source = (shown, path)
        builtin = is_builtin(path)
        # A builtin pack that loaded without an error before, under the same code
        # and plugins, is not validated again (guardrails/packcache.py).
        ctx = packcache.context(self.config.pluginmanager) if builtin else None
        key, raw = packcache.read_pack(path) if builtin else (None, None)
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
            # used for exactly the bytes it was made from; any other file is parsed.
            ready = packcache.precompiled(path, raw) if raw is not None else None
            data, pos = ready if ready is not None else yamlio.load_file(
                path, shown, positions=True)
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
        rules = []
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
        errors.sort(key=lambda e: (e.line or 0, e.column or 0))
        raise_all(errors)
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
        errors: list[UsageError] = []
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
            cfg_errors += validation.errors_of(
                cfg_override, ov_schema, file=self.config.display_path,
                positions=self.config.positions, what=f"override of {nodeid}",
                base_path=("overrides", nodeid), error_cls=RuleFileError)
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

        out: list[tuple[str | None, UsageError]] = []
        if "window" in values:
            try:
                parse_duration(values["window"], positive=True)
            except ValueError as exc:
                out.append(("window", err("window", f"window: {exc}",
                                          "write a window above zero, e.g. 30d")))
        unit = metric.unit if metric is not None else ("count" if check.name == "count"
                                                       else None)
        what = metric.name if metric is not None else f"check {check.name}"
        for key, msg, fix in threshold_problems(values, unit, what):
            out.append((key, err(key, msg, fix)))
        check_validate = getattr(check, "validate_rule", None)
        if check_validate is not None:
            try:
                accepted = _keywords(check_validate)
                extra = {k: v for k, v in (("known_kinds", self.kinds),
                                           ("fact_kinds", self.registry),
                                           ("metrics", self.metrics)) if k in accepted}
                check_validate(values, **extra)
            except ValueError as exc:
                for one in getattr(exc, "errors", None) or [exc]:
                    one_key = getattr(one, "key", None)
                    out.append((one_key, err(one_key, str(one), getattr(one, "fix", None),
                                         tuple(getattr(one, "path", ()) or ()),
                                         getattr(one, "offset", None))))
        return out

    def _expression_position(self, file: str, path: tuple[Any, ...],
                             offset: int) -> tuple[int, int] | None:
        """File line and column of character ``offset`` of the expression at ``path``."""
        from guardrails.celrules.position import expression_position

        if self._source is not None and self._source[0] == file:
            source = self._source[1]
        elif file == self.config.display_path and self.config.path is not None:
            source = Path(self.config.path)
        else:
            return None
        try:
            text = yamlio.read_text(source, file)
        except UsageError:
            return None
        return expression_position(text, path, offset)


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


def duplicate_errors(rules: list[Rule]) -> list[UsageError]:
    seen: dict[str, Rule] = {}
    out: list[UsageError] = []
    for r in rules:
        if r.nodeid in seen:
            first = seen[r.nodeid]
            out.append(RuleFileError(
                f"duplicate rule id {r.nodeid!r} (first defined at {first.file}:{first.line})",
                file=r.file, line=r.line, fix="give each rule of a pack its own id",
            ))
        else:
            seen[r.nodeid] = r
    return out
