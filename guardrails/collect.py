"""Collecting rules: resolve rule specs, parse YAML packs, validate, select.

This module is an essential plugin: it implements ``guardrails_collect_file``
for YAML packs. Validation is two-step so errors are precise: the pack schema
(common keys), then the rule's check schema (its own keys, unknown keys are
errors with a suggestion).
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from guardrails import validation, yamlio
from guardrails.config import Config
from guardrails.errors import RuleFileError, UsageError
from guardrails.model import Rule, Severity
from guardrails.paths import check_file
from guardrails.plugin import Check, Metric, hookimpl

COMMON_KEYS = (
    "id", "title", "check", "severity", "tags", "enabled", "window", "on_no_data",
    "description", "focus", "explain",
)
OVERRIDE_KEYS = ("severity", "enabled")
BUILTIN_PREFIX = "builtin:"


# ---------------------------------------------------------------------------
# where rule files are
# ---------------------------------------------------------------------------


def builtin_packs() -> dict[str, Any]:
    """Builtin pack name -> importlib resource of its YAML file."""
    folder = resources.files("guardrails.builtin_rules")
    return {
        p.name.rsplit(".", 1)[0]: p
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".yaml")
    }


def resolve_specs(config: Config, specs: Iterable[str], from_cli: bool = False) -> list[Path]:
    """``builtin:<pack>`` and paths (files or folders) -> rule files, in order."""
    out: list[Path] = []
    for i, spec in enumerate(specs):
        where: tuple[Any, ...] = ("rules", i)
        if spec.startswith(BUILTIN_PREFIX):
            name = spec[len(BUILTIN_PREFIX):]
            packs = builtin_packs()
            if name not in packs:
                close = difflib.get_close_matches(name, list(packs), n=1)
                raise UsageError(
                    f"unknown builtin pack {name!r}",
                    file=None if from_cli else config.display_path,
                    line=None if from_cli else config.line_of(*where),
                    fix=(f"did you mean 'builtin:{close[0]}'? " if close else "")
                    + f"builtin packs: {', '.join(packs)}",
                )
            with resources.as_file(packs[name]) as p:
                out.append(Path(p))
            continue
        if from_cli:
            path = Path(spec).resolve()
        else:
            path = config.resolve_inside(spec, *where)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")
                and (p.is_symlink() or not p.is_dir())
            )
            for p in files:  # a link out of the root, to /proc, a FIFO...: refused by name
                check_file(p, root=config.root, allow_outside=from_cli or config.allow_outside_root,
                           display=_as_written(p, config), error=RuleFileError, what="rule file")
            if not files:
                raise UsageError(f"rule folder {spec!r} holds no .yaml files",
                                 file=None if from_cli else config.display_path,
                                 line=None if from_cli else config.line_of(*where))
            out.extend(files)
        elif path.is_file() or os.path.lexists(path):
            check_file(path, root=config.root, allow_outside=from_cli or config.allow_outside_root,
                       display=spec, error=RuleFileError, what="rule file")
            out.append(path)
        else:
            raise UsageError(
                f"rule file or folder {spec!r} does not exist",
                file=None if from_cli else config.display_path,
                line=None if from_cli else config.line_of(*where),
                fix="check the path (relative to the config's folder), or use builtin:<pack>",
            )
    # The same file named twice is collected once.
    seen: set[Path] = set()
    return [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


def _as_written(path: Path, config: Config) -> str:
    """A collected path relative to the config's folder, symbolic links not followed."""
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


def is_builtin(path: Path) -> bool:
    try:
        with resources.as_file(resources.files("guardrails.builtin_rules")) as folder:
            return Path(folder).resolve() in path.resolve().parents
    except (FileNotFoundError, TypeError):
        return False


def display_rule_path(path: Path, config: Config) -> str:
    if is_builtin(path):
        return f"rules/{path.name}"
    for base in (config.root, Path.cwd()):
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


# ---------------------------------------------------------------------------
# parsing one pack
# ---------------------------------------------------------------------------


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


class RuleParser:
    """Turns one pack file into Rules, with every error pointing at a line."""

    def __init__(self, config: Config, checks: Mapping[str, Check],
                 metrics: Mapping[str, Metric]) -> None:
        self.config = config
        self.checks = checks
        self.metrics = metrics

    def parse(self, path: Path) -> list[Rule]:
        shown = display_rule_path(path, self.config)
        data, pos = yamlio.load_file(path, shown, positions=True)
        if data is None:
            raise RuleFileError("the rule file is empty", file=shown,
                                fix="add 'pack:' and 'rules:' (see 'guardrails schema rules')")
        validation.validate(data, "rules", file=shown, positions=pos, what="rule file",
                            error_cls=RuleFileError)
        builtin = is_builtin(path)
        pack = data["pack"]
        pack_tags = tuple(data.get("tags") or ())
        rules = []
        for i, entry in enumerate(data["rules"]):
            rule = self._rule(entry, pack, pack_tags, shown, pos, ("rules", i), builtin)
            if rule is not None:
                rules.append(rule)
        return rules

    def _err(self, msg: str, shown: str, pos: dict[Any, Any], path: tuple[Any, ...],
             fix: str | None = None) -> RuleFileError:
        loc = yamlio.nearest(pos, path)
        return RuleFileError(msg, file=shown, line=loc[0] if loc else None,
                             column=loc[1] if loc else None, fix=fix)

    def _rule(self, entry: dict[str, Any], pack: str, pack_tags: tuple[str, ...], shown: str,
              pos: dict[Any, Any], where: tuple[Any, ...], builtin: bool) -> Rule | None:
        name = entry["check"]
        check = self.checks.get(name)
        if check is None:
            close = difflib.get_close_matches(name, list(self.checks), n=1)
            raise self._err(
                f"rule {entry['id']!r}: unknown check {name!r}", shown, pos, (*where, "check"),
                fix=(f"did you mean {close[0]!r}? " if close else "")
                + f"known checks: {', '.join(sorted(self.checks))}",
            )
        metric = None
        if name == "metric" and "metric" in entry:
            metric = self.metrics.get(entry["metric"])
            if metric is None:
                close = difflib.get_close_matches(str(entry["metric"]), list(self.metrics), n=1)
                raise self._err(
                    f"rule {entry['id']!r}: unknown metric {entry['metric']!r}",
                    shown, pos, (*where, "metric"),
                    fix=(f"did you mean {close[0]!r}? " if close else "")
                    + f"known metrics: {', '.join(sorted(self.metrics))}",
                )
        validation.validate(entry, check_schema(check, metric), file=shown, positions=pos,
                            what=f"rule {entry['id']!r}", base_path=where,
                            error_cls=RuleFileError)
        ov_schema = override_schema(check, metric)
        for focus, override in (entry.get("focus") or {}).items():
            validation.validate(override, ov_schema, file=shown, positions=pos,
                                what=f"focus override {focus!r} of rule {entry['id']!r}",
                                base_path=(*where, "focus", focus), error_cls=RuleFileError)
        nodeid = f"{pack}::{entry['id']}"
        cfg_override = self.config.overrides.get(nodeid)
        if cfg_override is not None:
            validation.validate(cfg_override, ov_schema, file=self.config.display_path,
                                positions=self.config.positions,
                                what=f"override of {nodeid}", base_path=("overrides", nodeid),
                                error_cls=RuleFileError)
        params = {k: copy.deepcopy(v) for k, v in entry.items() if k not in COMMON_KEYS}
        # Common keys the checks read as parameters.
        for key in ("window", "on_no_data"):
            if key in entry:
                params[key] = entry[key]
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
        if not enabled:
            self.config.disabled_rules.add(nodeid)
            return None
        check_validate = getattr(check, "validate_rule", None)
        if check_validate is not None:
            try:
                check_validate(params)
            except ValueError as exc:
                key = getattr(exc, "key", None)
                raise self._err(f"rule {entry['id']!r}: {exc}", shown, pos,
                                (*where, key) if key else where) from None
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


@hookimpl(trylast=True)
def guardrails_collect_file(path: Path, config: Config) -> list[Rule] | None:
    if path.suffix not in (".yaml", ".yml"):
        return None
    pm = config.pluginmanager
    assert pm is not None
    checks, metrics = registered_checks(pm), registered_metrics(pm)
    return RuleParser(config, checks, metrics).parse(path)


def registered_checks(pm: Any) -> dict[str, Check]:
    out: dict[str, Check] = {}
    for group in pm.hook.guardrails_collect_checks():
        for check in group or ():
            out[check.name] = check
    return out


def registered_metrics(pm: Any) -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    for group in pm.hook.guardrails_collect_metrics():
        for metric in group or ():
            out[metric.name] = metric
    return out


def check_duplicates(rules: list[Rule]) -> None:
    seen: dict[str, Rule] = {}
    for r in rules:
        if r.nodeid in seen:
            first = seen[r.nodeid]
            raise RuleFileError(
                f"duplicate rule id {r.nodeid!r} (first defined at {first.file}:{first.line})",
                file=r.file, line=r.line, fix="give each rule of a pack its own id",
            )
        seen[r.nodeid] = r


# ---------------------------------------------------------------------------
# selection: -k and -m expressions, pytest-style
# ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def compile_expression(expr: str, option: str) -> Callable[[Callable[[str], bool]], bool]:
    """Parse ``a and not (b or c)``; returns a function of a name matcher."""
    tokens = _TOKEN.findall(expr)
    pos = 0

    def err(msg: str) -> UsageError:
        return UsageError(f"invalid {option} expression {expr!r}: {msg}",
                          fix="use names with 'and', 'or', 'not' and parentheses")

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        return tok

    def parse_or():  # type: ignore[no-untyped-def]
        left = parse_and()
        while peek() == "or":
            take()
            right = parse_and()
            left = (lambda a, b: lambda m: a(m) or b(m))(left, right)
        return left

    def parse_and():  # type: ignore[no-untyped-def]
        left = parse_not()
        while peek() == "and":
            take()
            right = parse_not()
            left = (lambda a, b: lambda m: a(m) and b(m))(left, right)
        return left

    def parse_not():  # type: ignore[no-untyped-def]
        if peek() == "not":
            take()
            inner = parse_not()
            return lambda m: not inner(m)
        return parse_atom()

    def parse_atom():  # type: ignore[no-untyped-def]
        tok = peek()
        if tok is None:
            raise err("unexpected end")
        if tok == "(":
            take()
            inner = parse_or()
            if peek() != ")":
                raise err("missing ')'")
            take()
            return inner
        if tok in (")", "and", "or"):
            raise err(f"unexpected {tok!r}")
        name = take()
        return lambda m: m(name)

    if not tokens:
        raise err("empty expression")
    result = parse_or()
    if pos != len(tokens):
        raise err(f"unexpected {tokens[pos]!r}")
    return result


def select(rules: list[Rule], keyword: str | None, markexpr: str | None) -> tuple[list[Rule], int]:
    """Apply -k (substring of id or tag, case-insensitive) and -m (exact tag)."""
    selected = rules
    if keyword:
        match_k = compile_expression(keyword, "-k")

        def k_ok(r: Rule) -> bool:
            hay = [r.nodeid.lower(), *(t.lower() for t in r.tags)]
            return match_k(lambda name: any(name.lower() in h for h in hay))

        selected = [r for r in selected if k_ok(r)]
    if markexpr:
        match_m = compile_expression(markexpr, "-m")
        selected = [r for r in selected if match_m(lambda name, r=r: name in r.tags)]
    return selected, len(rules) - len(selected)
