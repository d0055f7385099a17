"""Finding, loading and validating guardrails.yaml (or [tool.guardrails])."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails import validation, yamlio
from guardrails.errors import ConfigError, UsageError, raise_all
from guardrails.records import FACTORY, record
from guardrails.timeutil import local_date, parse_date, parse_duration, parse_timezone

if TYPE_CHECKING:
    import pluggy

    from guardrails.progress import Progress

CONFIG_NAMES = ("guardrails.yaml", "guardrails.yml")
BUILTIN_FOCUSES = ("stability", "throughput", "knowledge-sharing")
DEFAULT_WINDOW = "90d"
#: where ``check --record`` keeps history unless ``history_dir:`` says otherwise
DEFAULT_HISTORY_DIR = ".guardrails/history"
#: what ``guardrails init`` writes for focus.reviewed_on: the user fills in the real date
REVIEWED_ON_PLACEHOLDER = "YYYY-MM-DD"


@record(frozen=True)
class Waiver:
    """One entry of the config's ``waivers:`` (docs/configuration.md, "Waivers")."""

    rule: str
    reason: str
    expires: date
    subject: str | None = None
    line: int | None = None

    def __init__(self, rule: str, reason: str, expires: date, subject: str | None = None,
                 line: int | None = None) -> None:
        _set = object.__setattr__
        _set(self, "rule", rule)
        _set(self, "reason", reason)
        _set(self, "expires", expires)
        _set(self, "subject", subject)
        _set(self, "line", line)

    def active(self, now: datetime, tz: tzinfo | None = None) -> bool:
        # The expiry date is the last day the waiver applies, a whole day in
        # the config's timezone (UTC when unset), as every date without a time.
        return local_date(now, tz) <= self.expires

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason, "expires": self.expires.isoformat()}
        if self.subject:
            out["subject"] = self.subject
        return out


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

    def __init__(self, now: datetime | None = None, focus: str | None = None,
                 keyword: str | None = None, markexpr: str | None = None, exitfirst: bool = False,
                 maxfail: int = 0, verbosity: int = 0, strict: bool = False, offline: bool = False,
                 color: bool | None = None, paths: tuple[str, ...] = (),
                 disabled_plugins: tuple[str, ...] = (), plugins: tuple[str, ...] = (),
                 group_by: str | None = None, outputs: tuple[tuple[str, str | None], ...] = (),
                 junitxml: str | None = None, baseline: str | None = None,
                 write_baseline: str | None = None, progress: Progress | None = None) -> None:
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
        #: part of its value; :func:`guardrails.rulefile.known_kinds` keeps the kinds)
        self.memo: dict[Any, Any] = {}

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
    """The [tool.guardrails] table, None when absent; a non-table there is an error."""
    import tomllib

    text = yamlio.read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the place in its message only: "... (at line 3, column 14)"
        at = re.search(r"\(at line (\d+), column (\d+)\)$", str(exc))
        what = str(exc)[:at.start()].rstrip() if at else str(exc)
        raise ConfigError(f"invalid TOML: {what}",
                          file=_display(path), line=int(at.group(1)) if at else None,
                          column=int(at.group(2)) if at else None,
                          fix="correct the TOML there (pyproject.toml is read whole, "
                          "[tool.guardrails] or not)") from None
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ConfigError("invalid TOML: arrays or inline tables nested too deep to read",
                          file=_display(path),
                          fix="flatten the nesting (no config nests more than a few "
                          "levels)") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"'tool' is {_toml_type(tool)}, but pyproject.toml keeps tool "
                          "settings in tables ([tool.NAME])", file=_display(path),
                          line=_toml_line(text, r"tool\s*="),
                          fix="remove the 'tool = ...' line or make it a [tool] table")
    table = tool.get("guardrails")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"'tool.guardrails' is {_toml_type(table)}, not a table",
                          file=_display(path),
                          line=_toml_line(text, r"(tool\s*\.\s*)?guardrails\s*="),
                          fix="write the settings under a [tool.guardrails] table")
    return table


def _toml_type(value: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "an array"}.get(type(value), "a " + type(value).__name__)


def _toml_line(text: str, key: str) -> int | None:
    """The first line assigning ``key`` (a regex), for messages."""
    pattern = re.compile(r"^\s*" + key)
    for n, line in enumerate(text.splitlines()[:100_000], start=1):
        if pattern.match(line):
            return n
    return None


#: what an environment variable name looks like (POSIX: upper case, digits, underscore)
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
#: prefixes of well-known credentials (GitHub, GitLab, Slack, OpenAI-style, AWS key ids)
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox",
                   "sk-", "AKIA", "ASIA", "Bearer ", "token ")


def looks_like_token(value: str) -> bool:
    """True when ``value`` is not a plausible environment variable name (it may be a secret).

    Names are upper case with digits and underscores, at most 64 characters;
    anything else (lower case, dashes, hex runs, known token prefixes, long
    digit-heavy strings) is treated as a credential pasted in by mistake.
    """
    if value.startswith(_TOKEN_PREFIXES) or not _ENV_NAME.match(value):
        return True
    digits = sum(ch.isdigit() for ch in value)
    return len(value) >= 20 and digits >= 6


def _check_token_envs(data: Any, positions: dict[tuple[Any, ...], tuple[int, int]],
                      shown: str) -> None:
    """``token_env`` must name a variable; a token written there is refused, never echoed."""
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, dict):
        return
    for name, block in sources.items():
        value = block.get("token_env") if isinstance(block, dict) else None
        if value is None:
            continue
        if not isinstance(value, str) or looks_like_token(value):
            pos = yamlio.nearest(positions, ("sources", name, "token_env"))
            raise ConfigError(
                f"sources.{name}.token_env must be the NAME of an environment variable "
                "(like GITHUB_TOKEN), and this value does not look like one; it may be "
                "a token itself, so it is not shown",
                file=shown, line=pos[0] if pos else None,
                fix="put the token in an environment variable and write that variable's "
                "name here; if a real token was in this file, revoke it")


def _refuse_nul(data: dict[str, Any], positions: dict[tuple[Any, ...], tuple[int, int]],
                shown: str) -> None:
    """No key or text of the config holds a NUL character (YAML's ``"\\0"``,
    TOML's ``"\\u0000"``): no path, name or expression can, and the system
    refuses it in a path (``ValueError``, not an error a user could read)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:  # bounded: the loaders bound the document's nodes (aliases counted) and depth
        where, value = stack.pop()
        if type(value) is dict:
            for key, item in value.items():
                if type(key) is str and "\0" in key:
                    _nul_error((*where, key), positions, shown)
                stack.append(((*where, key), item))
        elif type(value) is list:
            stack.extend(((*where, i), item) for i, item in enumerate(value))
        elif type(value) is str and "\0" in value:
            _nul_error(where, positions, shown)


def _nul_error(where: tuple[Any, ...], positions: dict[tuple[Any, ...], tuple[int, int]],
               shown: str) -> None:
    pos = yamlio.nearest(positions, where)
    name = ".".join(str(part).replace("\0", "\\0") for part in where)
    raise ConfigError(f"{name} holds a NUL character (\\0), which no path, name or "
                      "expression of the config can hold",
                      file=shown, line=pos[0] if pos else None,
                      fix="remove the \\0 (or \\u0000) escape from that value")


# pyproject.toml's lines (compiled by re when a config is read from there, not at import)
_TABLE = r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$"
_KEY = r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*="


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
        m = re.match(_TABLE, line)
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
        k = re.match(_KEY, line)
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
        # The parse of these very bytes, kept by an earlier run (packcache.load_document):
        # a warm run parses no YAML, and never imports PyYAML.
        from guardrails import packcache

        raw = yamlio.read_bytes(path, shown)
        cached = packcache.load_document(path, raw)
        if cached is None:
            data, positions = yamlio.load(yamlio.decode_text(raw, shown), shown,
                                          positions=True)
            packcache.store_document(path, raw, data, positions)
        else:
            data, positions = cached
        if data is None:
            raise ConfigError("the config file is empty", file=shown,
                              fix="add at least 'rules:' (see 'guardrails init')")
    if isinstance(data, dict):
        _check_token_envs(data, positions, shown)  # first: schema messages quote values
        _refuse_nul(data, positions, shown)
    errors: list[UsageError] = []
    if not isinstance(data, dict):
        validation.validate(data, "config", file=shown, positions=positions,
                            what="config", error_cls=ConfigError)
    errors += validation.nonfinite_errors(data, file=shown, positions=positions,
                                          error_cls=ConfigError)
    errors += validation.errors_of(data, "config", file=shown, positions=positions,
                                   what="config", error_cls=ConfigError)
    config = Config(path=path.resolve(), root=path.resolve().parent, data=data,
                    positions=positions, options=options)
    schema_lines = {e.line for e in errors}
    errors += [e for e in _check_values(config, shown) if e.line not in schema_lines]
    if errors:
        # Every config error is reported at once; the rules are still collected
        # with what is valid (``partial_config``) so their errors show too.
        bad = {_top_key(config, e) for e in errors}
        partial = Config(path=config.path, root=config.root, positions=positions,
                         options=options,
                         data={k: v for k, v in data.items() if k not in bad})
        try:
            raise_all(errors)
        except UsageError as exc:
            exc.partial_config = partial  # type: ignore[attr-defined]
            raise
    if config.strict:
        options.strict = True  # one switch for everything that reads the run's options
    return config


def _top_key(config: Config, error: UsageError) -> str | None:
    """The top-level key an error's line belongs to (None: unknown)."""
    best: tuple[int, str] | None = None
    for path, (line, _col) in config.positions.items():
        if (len(path) == 1 and isinstance(path[0], str) and error.line
                and line <= error.line and (best is None or line > best[0])):
            best = (line, path[0])
    return best[1] if best else None


def _check_values(config: Config, shown: str) -> list[UsageError]:
    """What the schema cannot say: real dates, known timezones, windows above zero.

    Runs on a document that may have failed the schema: a value of the wrong
    type is left to the schema's error.
    """
    data = config.data
    raw_focus = data.get("focus")
    focus = raw_focus if isinstance(raw_focus, dict) else {}
    checks: list[tuple[tuple[Any, ...], Any, Any]] = [
        (("focus", "reviewed_on"), None if config.focus_reviewed_on_placeholder
         else focus.get("reviewed_on"), parse_date),
        (("timezone",), data.get("timezone"), _timezone),
        (("window",), data.get("window"), lambda v: parse_duration(v, positive=True)),
    ]
    waivers = data.get("waivers")
    for i, w in enumerate(waivers if isinstance(waivers, list) else []):
        if isinstance(w, dict):
            checks.append((("waivers", i, "expires"), w.get("expires"), parse_date))
    errors: list[UsageError] = []
    cache_dir = data.get("cache_dir")
    if isinstance(cache_dir, str) and cache_dir:
        where = config.root / cache_dir
        # The folder itself, or the first part of its path that exists, must be a folder.
        probe = where
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            errors.append(ConfigError(
                f"cache_dir {cache_dir!r} is not a folder"
                + (f" ({probe.name} is a file)" if probe != where else " (it is a file)"),
                file=shown, line=config.line_of("cache_dir"),
                fix="name a folder (it is created when missing), e.g. .guardrails-cache"))
    for path, value, parse in checks:
        if value is None:
            continue
        try:
            parse(value)
        except ValueError as exc:
            errors.append(ConfigError(
                f"invalid config value at {'.'.join(map(str, path))}: {exc}",
                file=shown, line=config.line_of(*path)))
    return errors


def empty_config(root: Path, options: RunOptions | None = None) -> Config:
    """A config for runs with explicit rule paths and no config file."""
    return Config(path=None, root=root.resolve(), data={}, options=options or RunOptions())


def known_focuses(extra: Iterable[str] = ()) -> list[str]:
    return sorted(set(BUILTIN_FOCUSES) | set(extra))


def _timezone(value: Any) -> Any:
    if not isinstance(value, str):
        return None  # the schema reports the type
    return parse_timezone(value)


def unknown_waiver_warning(config: Config, waiver: Waiver, known: set[str]) -> str:
    """The report-header warning for a waiver naming no rule: where it is, what was meant.

    Never fatal (DATA.md): a waiver may outlive a rule that was removed.
    """
    import difflib

    where = f"{config.display_path}:{waiver.line}: " if waiver.line else ""
    close = difflib.get_close_matches(waiver.rule, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}waiver for {waiver.rule} names a rule that is not collected{hint}"
