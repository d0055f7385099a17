"""Finding, loading and validating guardrails.yaml (or [tool.guardrails]).

A config is found from a folder upwards, read (a YAML file's parse kept by
an earlier run, or pyproject.toml's table: :mod:`guardrails.configtoml`),
and refused with every error at once: the schema, what the schema cannot say
(real dates, known time zones, windows above zero, a cache folder that is a
folder), a token pasted where a variable's name belongs (never echoed), a
NUL character. The result is a :class:`guardrails.configmodel.Config`; the
model's names (and :class:`guardrails.waivers.Waiver`) stay importable from
here, where commands, tests and plugins have always imported them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from guardrails import validation, yamlio
from guardrails.configmodel import (
    BUILTIN_FOCUSES,
    DEFAULT_HISTORY_DIR,
    DEFAULT_WINDOW,
    REVIEWED_ON_PLACEHOLDER,
    Config,
    RunOptions,
    empty_config,
    known_focuses,
)
from guardrails.errors import ConfigError, UsageError, raise_all
from guardrails.paths import shown_path
from guardrails.textsafe import excerpt
from guardrails.timeutil import parse_date, parse_duration, parse_timezone
from guardrails.waivers import Waiver, unknown_waiver_warning

__all__ = [
    "BUILTIN_FOCUSES", "CONFIG_NAMES", "DEFAULT_HISTORY_DIR", "DEFAULT_WINDOW",
    "REVIEWED_ON_PLACEHOLDER", "Config", "RunOptions", "Waiver", "empty_config",
    "find_config", "known_focuses", "load_config", "looks_like_token", "toml_positions",
    "unknown_waiver_warning",
]

CONFIG_NAMES = ("guardrails.yaml", "guardrails.yml")


# pyproject.toml's [tool.guardrails] is guardrails.configtoml's, imported only for
# such a config: a run from guardrails.yaml never loads it (nor tomllib).
def pyproject_table(path: Path) -> dict[str, Any] | None:
    """:func:`guardrails.configtoml.pyproject_table`."""
    from guardrails.configtoml import pyproject_table as table

    return table(path)


def toml_positions(text: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    """:func:`guardrails.configtoml.toml_positions`."""
    from guardrails.configtoml import toml_positions as positions

    return positions(text)


def find_config(start: Path) -> Path | None:
    """guardrails.yaml, or a pyproject.toml with [tool.guardrails], from start upwards."""
    start = start.resolve()
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and pyproject_table(pyproject) is not None:
            return pyproject
    return None


def refuse_foreign(found: Path, start: Path) -> None:
    """Refuse a config :func:`find_config` found in a folder above ``start`` that
    another account owns: anyone can create ``/tmp/guardrails.yaml`` (with a
    ``guardrails_plugins.py`` beside it, run as code, or an ``api_url`` that
    receives the token ``token_env`` names), and a run from ``/tmp/project``
    without a config of its own would load it, as git's repository discovery did
    before ``safe.directory``. Accepted owners: the user running guardrails, the
    owner of ``start`` (a checkout owned by another user, read by root in a
    container) and root. A config in ``start`` itself, or named by ``-c``, is the
    user's choice and not checked."""
    if found.parent == start or not hasattr(os, "getuid"):
        return
    try:
        trusted = {0, os.getuid(), os.stat(start).st_uid}
        # the name's owner too: a link planted there to a file of yours would make
        # its folder the root, and the guardrails_plugins.py planted beside it run
        owners = [os.lstat(found).st_uid, os.stat(found).st_uid]
    except OSError:
        return  # unreadable: loading it says so
    owner = next((o for o in owners if o not in trusted), None)
    if owner is not None:
        raise ConfigError(
            f"the config found above this folder belongs to another user (uid {owner}); "
            "guardrails does not load a config another account may have planted in a "
            "folder above yours (it can run code and receive your tokens)",
            file=str(found),
            fix=f"run guardrails from the folder holding your own config, or pass "
                f"-c {found} if you trust this one")


#: what an environment variable name looks like (POSIX: upper case, digits, underscore)
#: (compiled at first use, by re's own cache: only a config naming a token asks)
_ENV_NAME = r"[A-Z_][A-Z0-9_]{0,63}"  # whole text: fullmatch ("$" lets a final newline by)
#: prefixes of well-known credentials (GitHub, GitLab, Slack, OpenAI-style, AWS key ids)
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox",
                   "sk-", "AKIA", "ASIA", "Bearer ", "token ")


def looks_like_token(value: str) -> bool:
    """True when ``value`` is not a plausible environment variable name (it may be a secret).

    Names are upper case with digits and underscores, at most 64 characters;
    anything else (lower case, dashes, hex runs, known token prefixes, long
    digit-heavy strings) is treated as a credential pasted in by mistake.
    """
    if value.startswith(_TOKEN_PREFIXES) or not re.fullmatch(_ENV_NAME, value):
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


def load_config(path: Path, options: RunOptions | None = None) -> Config:
    """Load and validate one config file."""
    options = options or RunOptions()
    shown = shown_path(path)
    if not path.is_file():
        raise ConfigError("config file not found", file=shown,
                          fix="check the -c/--config path, or run 'guardrails init'")
    if path.name == "pyproject.toml":
        data = pyproject_table(path)
        if data is None:
            raise ConfigError("pyproject.toml has no [tool.guardrails] table", file=shown,
                              fix="add [tool.guardrails] or use a guardrails.yaml")
        positions = toml_positions(yamlio.read_text(path, shown))
    else:
        # The parse of these very bytes, kept by an earlier run (configcache.load_document):
        # a warm run parses no YAML, and never imports PyYAML.
        from guardrails import configcache

        raw = yamlio.read_bytes(path, shown)
        cached = configcache.load_document(path, raw)
        if cached is None:
            data, positions = yamlio.load(yamlio.decode_text(raw, shown), shown,
                                          positions=True)
            configcache.store_document(path, raw, data, positions)
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
    nonfinite = validation.nonfinite_errors(data, file=shown, positions=positions,
                                            error_cls=ConfigError)
    errors += nonfinite + validation.without_places_of(
        validation.errors_of(data, "config", file=shown, positions=positions,
                             what="config", error_cls=ConfigError), nonfinite)
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
    errors: list[UsageError] = []
    first: dict[tuple[str, str | None], int] = {}  # (rule, subject) -> index of its first waiver
    for i, w in enumerate(waivers if isinstance(waivers, list) else []):
        if isinstance(w, dict):
            checks.append((("waivers", i, "expires"), w.get("expires"), parse_date))
            rule, subject = w.get("rule"), w.get("subject")
            if not isinstance(rule, str) or not isinstance(subject, str | None):
                continue  # the schema reports the type
            key = (rule, subject)
            if key in first:
                errors.append(_duplicate_waiver(config, shown, key, first[key], i))
            else:
                first[key] = i
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
        elif not config.allow_outside_root and not _inside(where, config.root):
            # Caches are trusted by later runs: a config (input like any other) may not
            # send them, nor what they hold, out of the project (as history_dir).
            errors.append(ConfigError(
                f"cache_dir {cache_dir!r} resolves outside the folder holding the config "
                "(through '..', an absolute path or a symbolic link); guardrails writes "
                "no cache a config names outside it",
                file=shown, line=config.line_of("cache_dir"),
                fix="name a folder inside the project (e.g. .guardrails-cache), set "
                    "$GUARDRAILS_CACHE_DIR instead, or set 'allow_outside_root: true'"))
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


def _duplicate_waiver(config: Config, shown: str, key: tuple[str, str | None], earlier: int,
                      i: int) -> ConfigError:
    """Two waivers of one rule and subject: which reason and expiry hold is a guess
    (the first active one waives; the other's date silently extends it)."""
    rule, subject = key
    what = f"{rule} ({subject})" if subject else f"{rule} (the whole rule)"
    return ConfigError(
        f"a second waiver for {excerpt(what, 120)}; the first is on line "
        f"{config.line_of('waivers', earlier)}",
        file=shown, line=config.line_of("waivers", i),
        fix="keep one waiver per rule and subject: to renew one, change its expires "
            "and reason rather than adding another",
    )


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, every link on the way followed, is ``root`` or below it."""
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real == top or real.is_relative_to(top)


def _timezone(value: Any) -> Any:
    if not isinstance(value, str):
        return None  # the schema reports the type
    return parse_timezone(value)

