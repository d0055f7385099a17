"""The config's model: :class:`Config` (a validated guardrails.yaml) and :class:`RunOptions`.

What one run is configured with: the document and the positions of its
keys, the command line's additions, and the views the rest of guardrails
reads (focus, window, time zone, sources, waivers, cache folder, paths kept
inside the config's folder). Finding and loading a config file (YAML or
``[tool.guardrails]``) and refusing a bad one is :mod:`guardrails.config`'s;
pyproject.toml's table is :mod:`guardrails.configtoml`'s; one waiver is
:mod:`guardrails.waivers`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails import yamlio
from guardrails.errors import ConfigError
from guardrails.records import FACTORY, record
from guardrails.timeutil import parse_date, parse_duration, parse_timezone
from guardrails.waivers import Waiver

if TYPE_CHECKING:
    import pluggy

    from guardrails.progress import Progress

BUILTIN_FOCUSES = ("stability", "throughput", "knowledge-sharing")
DEFAULT_WINDOW = "90d"
#: where ``check --record`` keeps history unless ``history_dir:`` says otherwise
DEFAULT_HISTORY_DIR = ".guardrails/history"
#: what ``guardrails init`` writes for focus.reviewed_on: the user fills in the real date
REVIEWED_ON_PLACEHOLDER = "YYYY-MM-DD"


@record
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
    #: modules named with ``-p NAME``, loaded after the config's ``plugins:``
    plugins: tuple[str, ...] = ()
    group_by: str | None = None
    #: ``(format, file or None for stdout)`` pairs, one reporter each
    outputs: tuple[tuple[str, str | None], ...] = ()
    #: the file of ``--junitxml`` (one of ``outputs``), so messages name that option
    junitxml: str | None = None
    #: options of the baseline plugin (``--baseline``/``--write-baseline``)
    baseline: str | None = None
    write_baseline: str | None = None
    #: draws the sources' progress (``guardrails check`` on a terminal, ``--progress``);
    #: None: nothing is drawn
    progress: Progress | None = None
    #: ``check --example``: the bundled demo, the same report wherever it runs (no
    #: history read from the example's folder, none recorded)
    example: bool = False

    def __init__(self, now: datetime | None = None, focus: str | None = None,
                 keyword: str | None = None, markexpr: str | None = None, exitfirst: bool = False,
                 maxfail: int = 0, verbosity: int = 0, strict: bool = False, offline: bool = False,
                 color: bool | None = None, paths: tuple[str, ...] = (),
                 disabled_plugins: tuple[str, ...] = (), plugins: tuple[str, ...] = (),
                 group_by: str | None = None, outputs: tuple[tuple[str, str | None], ...] = (),
                 junitxml: str | None = None, baseline: str | None = None,
                 write_baseline: str | None = None, progress: Progress | None = None,
                 example: bool = False) -> None:
        self.now = now
        self.focus = focus
        self.keyword = keyword
        self.markexpr = markexpr
        self.exitfirst = exitfirst
        self.maxfail = maxfail
        self.verbosity = verbosity
        self.strict = strict
        self.offline = offline
        self.color = color
        self.paths = paths
        self.disabled_plugins = disabled_plugins
        self.plugins = plugins
        self.group_by = group_by
        self.outputs = outputs
        self.junitxml = junitxml
        self.baseline = baseline
        self.write_baseline = write_baseline
        self.progress = progress
        self.example = example


@record
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

    def __init__(self, path: Path | None, root: Path, data: dict[str, Any],
                 positions: dict[tuple[Any, ...], tuple[int, int]] = FACTORY,
                 options: RunOptions = FACTORY, pluginmanager: pluggy.PluginManager | None = None,
                 disabled_rules: set[str] = FACTORY) -> None:
        self.path = path
        self.root = root
        self.data = data
        self.positions = {} if positions is FACTORY else positions
        self.options = RunOptions() if options is FACTORY else options
        self.pluginmanager = pluginmanager
        self.disabled_rules = set() if disabled_rules is FACTORY else disabled_rules
        #: what loading the rules worked out once for this config (not a field: no
        #: part of its value; :func:`guardrails.ruleparams.known_kinds` keeps the kinds)
        self.memo: dict[Any, Any] = {}
        #: (rule, subject) of every waiver that met a failure of its rule while rules
        #: ran (subject None: the whole rule): run state, read by the stale-waiver
        #: warning (guardrails.waivers.unused_waiver_warnings), not a field
        self.waivers_met: set[tuple[str, str | None]] = set()

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
        return parse_date(text) if text and text != REVIEWED_ON_PLACEHOLDER else None

    @property
    def focus_reviewed_on_placeholder(self) -> bool:
        """True while reviewed_on is still the placeholder ``guardrails init`` wrote."""
        focus = self.data.get("focus")
        return isinstance(focus, dict) and focus.get("reviewed_on") == REVIEWED_ON_PLACEHOLDER

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
    def strict(self) -> bool:
        """``--strict`` or ``strict: true``: warning failures and no-data skips fail."""
        return bool(self.options.strict or self.data.get("strict", False))

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
    def cache_dir(self) -> Path | None:
        """The project caches' folder; None when there is none to name (no config
        value, no variable, and no home folder: $HOME unset and the user not in the
        password database, as in a container run under an arbitrary uid)."""
        configured = self.data.get("cache_dir")
        if configured:
            return (self.root / configured).resolve()
        env = os.environ.get("GUARDRAILS_CACHE_DIR")
        if env:
            return Path(env)
        base = os.environ.get("XDG_CACHE_HOME")
        if not base or not os.path.isabs(base):  # the XDG spec: a relative one is ignored
            try:
                base = os.path.join(Path.home(), ".cache")
            except RuntimeError:  # "Could not determine home directory": run without
                return None
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


def empty_config(root: Path, options: RunOptions | None = None) -> Config:
    """A config for runs with explicit rule paths and no config file."""
    return Config(path=None, root=root.resolve(), data={}, options=options or RunOptions())


def known_focuses(extra: Iterable[str] = ()) -> list[str]:
    """The focus names a run knows: the builtin ones and ``extra`` (rules' own)."""
    return sorted(set(BUILTIN_FOCUSES) | set(extra))

