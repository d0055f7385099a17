"""Finding, loading and validating guardrails.yaml (or [tool.guardrails])."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails import validation, yamlio
from guardrails.errors import ConfigError
from guardrails.timeutil import local_date, parse_date, parse_duration, parse_timezone

if TYPE_CHECKING:
    import pluggy

CONFIG_NAMES = ("guardrails.yaml", "guardrails.yml")
BUILTIN_FOCUSES = ("stability", "throughput", "knowledge-sharing")
DEFAULT_WINDOW = "90d"


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    expires: date
    subject: str | None = None
    line: int | None = None

    def active(self, now: datetime, tz: tzinfo | None = None) -> bool:
        # The expiry date is the last day the waiver applies, a whole day in
        # the config's timezone (UTC when unset), as every date without a time.
        return local_date(now, tz) <= self.expires

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason, "expires": self.expires.isoformat()}
        if self.subject:
            out["subject"] = self.subject
        return out


@dataclass
class RunOptions:
    """What the command line adds to the config for one run."""

    now: datetime | None = None
    focus: str | None = None
    keyword: str | None = None
    markexpr: str | None = None
    exitfirst: bool = False
    maxfail: int = 0
    verbosity: int = 0
    strict: bool = False
    offline: bool = False
    color: bool | None = None
    paths: tuple[str, ...] = ()
    disabled_plugins: tuple[str, ...] = ()
    group_by: str | None = None


@dataclass
class Config:
    """The validated configuration of one run."""

    path: Path | None
    root: Path
    data: dict[str, Any]
    positions: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    options: RunOptions = field(default_factory=RunOptions)
    pluginmanager: pluggy.PluginManager | None = None
    #: ids of rules parsed but switched off (enabled: false): known, not collected
    disabled_rules: set[str] = field(default_factory=set)

    # -- derived views -----------------------------------------------------
    @property
    def display_path(self) -> str:
        if self.path is None:
            return "(none)"
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    def line_of(self, *path: Any) -> int | None:
        pos = yamlio.nearest(self.positions, path)
        return pos[0] if pos else None

    @property
    def focus(self) -> str | None:
        return self.options.focus or (self.data.get("focus") or {}).get("current")

    @property
    def focus_reviewed_on(self) -> date | None:
        text = (self.data.get("focus") or {}).get("reviewed_on")
        return parse_date(text) if text else None

    @property
    def rule_specs(self) -> list[str]:
        return list(self.data.get("rules") or [])

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in (self.data.get("sources") or {}).items()}

    @property
    def window(self) -> timedelta:
        return parse_duration(self.data.get("window", DEFAULT_WINDOW))

    @property
    def timezone(self) -> tzinfo | None:
        name = self.data.get("timezone")
        return parse_timezone(name) if name else None

    @property
    def allow_outside_root(self) -> bool:
        return bool(self.data.get("allow_outside_root", False))

    @property
    def overrides(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("overrides") or {})

    @property
    def plugins(self) -> list[str]:
        return list(self.data.get("plugins") or [])

    @property
    def waivers(self) -> list[Waiver]:
        out = []
        for i, w in enumerate(self.data.get("waivers") or []):
            out.append(Waiver(
                rule=w["rule"], reason=w["reason"], expires=parse_date(w["expires"]),
                subject=w.get("subject"), line=self.line_of("waivers", i),
            ))
        return out

    @property
    def cache_dir(self) -> Path:
        configured = self.data.get("cache_dir")
        if configured:
            return (self.root / configured).resolve()
        env = os.environ.get("GUARDRAILS_CACHE_DIR")
        if env:
            return Path(env)
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        return Path(base) / "guardrails"

    def resolve_inside(self, text: str, *path: Any) -> Path:
        """A path from the config, relative to its folder; outside is refused."""
        p = (self.root / text).resolve()
        if not self.allow_outside_root:
            try:
                p.relative_to(self.root.resolve())
            except ValueError:
                raise ConfigError(
                    f"path {text!r} resolves outside the folder holding the config ({self.root})",
                    file=self.display_path, line=self.line_of(*path),
                    fix="move it inside, or set 'allow_outside_root: true' in the config",
                ) from None
        return p


def find_config(start: Path) -> Path | None:
    """guardrails.yaml, or a pyproject.toml with [tool.guardrails], from start upwards."""
    start = start.resolve()
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            return pyproject
    return None


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        data = tomllib.loads(yamlio.read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=str(path)) from None
    table = data.get("tool", {}).get("guardrails")
    return table if isinstance(table, dict) else None


_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*=")


def toml_positions(text: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Lines of the keys under [tool.guardrails] in a pyproject.toml.

    tomllib keeps no positions; this maps table headers and ``key =`` lines
    (arrays of tables counted) so errors can name a line. Keys inside inline
    tables and multi-line values map to the line of their outer key.
    """
    pos: dict[tuple[Any, ...], tuple[int, int]] = {}
    current: tuple[Any, ...] | None = None
    counts: dict[tuple[Any, ...], int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        m = _TABLE.match(line)
        if m:
            parts = [p.strip().strip("\"'") for p in m.group(2).split(".")]
            if parts[:2] != ["tool", "guardrails"]:
                current = None
                continue
            path = tuple(parts[2:])
            if m.group(1) == "[[":
                i = counts.get(path, 0)
                counts[path] = i + 1
                path = (*path, i)
            current = path
            pos.setdefault(path, (n, 1))
            continue
        k = _KEY.match(line)
        if k and current is not None:
            pos.setdefault((*current, k.group(1).strip("\"'")), (n, 1))
    return pos


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_config(path: Path, options: RunOptions | None = None) -> Config:
    """Load and validate one config file."""
    options = options or RunOptions()
    shown = _display(path)
    if not path.is_file():
        raise ConfigError("config file not found", file=shown,
                          fix="check the -c/--config path, or run 'guardrails init'")
    if path.name == "pyproject.toml":
        data = _pyproject_table(path)
        if data is None:
            raise ConfigError("pyproject.toml has no [tool.guardrails] table", file=shown,
                              fix="add [tool.guardrails] or use a guardrails.yaml")
        positions = toml_positions(yamlio.read_text(path, shown))
    else:
        data, positions = yamlio.load_file(path, shown, positions=True)
        if data is None:
            raise ConfigError("the config file is empty", file=shown,
                              fix="add at least 'rules:' (see 'guardrails init')")
    validation.validate(data, "config", file=shown, positions=positions,
                        what="config", error_cls=ConfigError)
    config = Config(path=path.resolve(), root=path.resolve().parent, data=data,
                    positions=positions, options=options)
    _check_values(config, shown)
    return config


def _check_values(config: Config, shown: str) -> None:
    """What the schema cannot say: real dates, known timezones."""
    data = config.data
    checks: list[tuple[tuple[Any, ...], Any, Any]] = [
        (("focus", "reviewed_on"), (data.get("focus") or {}).get("reviewed_on"), parse_date),
        (("timezone",), data.get("timezone"), parse_timezone),
        (("window",), data.get("window"), parse_duration),
    ]
    for i, w in enumerate(data.get("waivers") or []):
        checks.append((("waivers", i, "expires"), w.get("expires"), parse_date))
    for path, value, parse in checks:
        if value is None:
            continue
        try:
            parse(value)
        except ValueError as exc:
            raise ConfigError(f"invalid config value at {'.'.join(map(str, path))}: {exc}",
                              file=shown, line=config.line_of(*path)) from None


def empty_config(root: Path, options: RunOptions | None = None) -> Config:
    """A config for runs with explicit rule paths and no config file."""
    return Config(path=None, root=root.resolve(), data={}, options=options or RunOptions())


def known_focuses(extra: Mapping[str, Any] | list[str] = ()) -> list[str]:
    return sorted(set(BUILTIN_FOCUSES) | set(extra))
