"""``guardrails validate [FILES...]``: the fast, offline pre-commit check.

Given the files a commit touches, it validates those guardrails reads: the
config (guardrails.yaml or [tool.guardrails]), rule packs (YAML with a
top-level ``pack:``, or under a configured rule folder) and org data files
(under the files source's folder). Other files are ignored, so the hook can
match broadly. No source is asked for facts and nothing touches the network.
Every problem is printed as ``file:line: message``, each once, all of them
(like pytest's collection errors; a data file's first 20, then how many more,
see :mod:`guardrails.sources.files_allerrors`); the exit code is 0 or 4. A named file that
does not exist is a problem too: a typo in a hook's ``files:`` must not pass.
The warnings ``check`` would print about what was validated (a misspelt field
or file name, a waiver expiring more than a year out) go to stderr first, in
``check``'s words (``warning: ...``); they never change the exit code.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from guardrails import namedfiles as named
from guardrails.errors import LoadErrors, UsageError

if TYPE_CHECKING:
    from guardrails.configmodel import Config

# ExitCode.OK and ExitCode.USAGE_ERROR (guardrails.model): that module, ~20
# dataclasses, is not imported to validate one data file (tests hold them equal).
OK, USAGE_ERROR = 0, 4


def validate(files: list[str], config_file: str | None, err: TextIO) -> int:
    """Validate the given files (all of the project's when none given); return 0 or 4.

    Named files are validated one by one: a data file alone (see
    :func:`guardrails.sources.files.validate_file`), a rule file alone, the
    config (always loaded). With no names, everything the config names.
    """
    files = named.distinct(files)
    if files:
        code = _validate_data_only(files, config_file, err)
        if code is not None:
            return code
    return _validate_in_session(files, config_file, err)


def _validate_data_only(files: list[str], config_file: str | None, err: TextIO) -> int | None:
    """The pre-commit case, without the plugin manager: None when it does not apply.

    It applies when every named file exists and is the config or not a rule
    file, the config loads cleanly, and nothing but the builtins could take
    part (no ``plugins:``, no local guardrails_plugins.py, no third-party
    entry point). The session's path would then do exactly this: load the
    config, build the files source, validate each named data file.
    """
    from guardrails.config import (
        CONFIG_NAMES,
        RunOptions,
        find_config,
        load_config,
        refuse_foreign,
    )
    from guardrails.installed import LOCAL_PLUGIN_FILE, third_party_plugins

    paths = [Path(f) for f in files]
    if any(named.missing(p) for p in paths):
        return None
    try:
        found = Path(config_file) if config_file else find_config(Path.cwd())
        if found is None:
            return None
        if not config_file:
            refuse_foreign(found, Path.cwd().resolve())  # the session's path says why
        config = load_config(found, RunOptions(offline=True))
    except UsageError:
        return None  # reported with the rules' errors by the session's path
    if (config.plugins or (config.root / LOCAL_PLUGIN_FILE).is_file()
            or third_party_plugins()):
        return None
    folders = named.rule_folders(config)
    data_folder = named.data_folder(config)
    data: list[Path] = []
    for path in paths:
        if path.name in CONFIG_NAMES or path.name == "pyproject.toml":
            if config.waivers or config.overrides:
                return None  # its warnings (a waiver expiring years out) need the rules
            continue  # loaded above
        if named.in_data_folder(path, data_folder):
            data.append(path)
        elif named.is_pack(path) or any(named.in_rule_folder(path, f) for f in folders):
            return None  # a rule file: read by the check plugins
    problems, warnings = _validate_data_files(config, data)
    show_warnings(warnings, "guardrails validate", err)
    show_errors(problems, "guardrails validate", err)
    return USAGE_ERROR if problems else OK


def _validate_data_files(config: Config, paths: list[Path]) -> tuple[list[str], list[str]]:
    """Each named org data file validated alone: (its problems as lines, the warnings
    about it)."""
    if not paths:
        return [], []
    from datetime import UTC, datetime

    from guardrails import validation
    from guardrails.errors import ConfigError
    from guardrails.sourcebase import SourceEnv
    from guardrails.sources.files import FilesSource, validate_file
    from guardrails.sources.files_allerrors import collecting

    options = config.sources["files"]
    try:
        # As Session.source_class does, for the one source a data file needs.
        validation.validate(options, FilesSource.schema, file=config.display_path,
                            positions=config.positions, what="source 'files'",
                            base_path=("sources", "files"), error_cls=ConfigError)
    except UsageError as exc:
        return error_lines(exc), []
    env = SourceEnv(root=config.root, now=datetime.now(UTC), window=config.window,
                    timezone=config.timezone, offline=True, cache_dir=config.cache_dir,
                    allow_outside_root=config.allow_outside_root, config=config)
    source = FilesSource(options, env)
    problems: list[str] = []
    strays: set[Path] = set()  # named files of the folder that are no data file
    for path in paths:
        try:
            with collecting():  # up to LIMIT problems of a file, not the first alone
                if not validate_file(source, path):
                    strays.add(path.parent.resolve() / path.name)  # as the source lists it
        except UsageError as exc:
            problems.extend(error_lines(exc))
    warnings = list(source.warnings)
    if strays:  # a misspelt name (deploymnets.csv): check's warning about that file
        try:
            source.provides()
        except UsageError:
            return problems, warnings
        # by the file's path, not its name's start (org/pull_request.csv is not
        # org/pull_request.csv s.csv, which check would warn of too)
        warnings += [w for p, w in source.stray_warnings.items()
                     if p in strays and w not in warnings]
    return problems, warnings


def _validate_in_session(files: list[str], config_file: str | None, err: TextIO) -> int:
    """Through the session: plugins loaded, rule files collected by the check plugins."""
    from guardrails.config import CONFIG_NAMES, RunOptions, empty_config
    from guardrails.rulefile import duplicate_errors
    from guardrails.session import NoConfigError, Session, build_config

    options = RunOptions(offline=True)
    problems: list[str] = []
    try:
        config = build_config(config_file, options)
    except NoConfigError:
        config = empty_config(Path.cwd(), options)
    except UsageError as exc:
        # The config itself is broken (its rules' errors, if any, are listed with it).
        for line in error_lines(exc):
            print(line, file=err)
        return USAGE_ERROR
    session = Session(config)
    warnings: list[str] = []
    try:
        session.configure()
        assert session.pm is not None
        paths = [Path(f) for f in files]
        folders = named.rule_folders(config)
        data_folder = named.data_folder(config)
        data: list[Path] = []
        packs: list[Any] = []  # the named packs' rules, for ids given twice (as check)
        collected: set[Path] = set()  # each pack once, however it was named
        for path in paths:
            missing = named.missing(path)
            if missing:
                problems.append(missing)
                continue
            if path.name in CONFIG_NAMES or path.name == "pyproject.toml":
                if path.resolve() == config.path:
                    _config_warnings(session)
                continue  # loaded above
            if named.in_data_folder(path, data_folder):
                data.append(path)
            elif any(named.in_rule_folder(path, f) for f in folders) or named.is_pack(path):
                for refused in named.collect_named(session, config, path, folders, packs,
                                                     collected):
                    problems.extend(error_lines(refused))
        for twice in duplicate_errors(packs):
            problems.extend(error_lines(twice))
        found, warnings = _validate_data_files(config, data)
        problems.extend(found)
        if not files:
            try:
                session.collect()
            except UsageError as exc:
                problems.extend(error_lines(exc))
            if config.sources:
                # No names: every data file, and every configured source's
                # eager validate() (a plugin's source checks its own files
                # there; HTTP sources check only their config, and nothing
                # goes to the network). No facts are gathered.
                from guardrails.sources.files_allerrors import collecting

                try:
                    with collecting():
                        session.gather(kinds=set())
                except UsageError as exc:
                    problems.extend(error_lines(exc))
    finally:
        session.unconfigure()
    show_warnings([*session.warnings, *warnings], "guardrails validate", err)
    show_errors(problems, "guardrails validate", err)
    return USAGE_ERROR if problems else OK


def _config_warnings(session: Any) -> None:
    """The named config's warnings, which need its rules (a waiver or override naming
    no rule, a waiver expiring years out): in ``session.warnings`` as ``check`` words
    them. A rule that fails to load is the check hook's to report, not this file's."""
    with contextlib.suppress(UsageError):
        session.collect()


def error_lines(exc: UsageError) -> list[str]:
    """One line per error (a LoadErrors holds several)."""
    from guardrails.textsafe import inert_line, printable

    # each error one line: a newline in a file name or a quoted value is shown as \n,
    # and a line starting with "::" (a file named so) is no workflow command
    errors = exc.errors if isinstance(exc, LoadErrors) else [exc]
    return [inert_line(printable(str(e))) for e in errors]


# ---------------------------------------------------------------------------
# each error once per pre-commit run
# ---------------------------------------------------------------------------
# pre-commit runs guardrails-validate and guardrails-check as two processes,
# one after the other, in one `git commit`; both load the same files, so a bad
# file would be described twice. The first hook to meet an error prints it and
# notes it in the git folder; the second prints only what is new. A run is
# known by pre-commit's process (the parent of both hooks): its id and, where
# /proc tells, its start time, since a container may give every run the same
# pid; a record older than RECORD_TTL is stale anyway. Only when pre-commit
# says it runs us (PRE_COMMIT=1): run by hand, every error shows.

RECORD_NAME = "guardrails-hook-errors.json"
_RECORD_MAX = 64 * 1024  # a record is a few hashes; a bigger file is not ours
RECORD_TTL = 600.0  # seconds: longer than the hooks of one commit take


def run_id() -> str:
    """pre-commit's run: the parent process id, with its start time where /proc has it."""
    ppid = os.getppid()
    try:
        with open(f"/proc/{ppid}/stat", "rb") as fh:
            stat = fh.read(4096)
        # Field 22, counted after the command name, which may hold spaces and ')'.
        started = stat.rsplit(b")", 1)[1].split()[19].decode("ascii")
    except (OSError, IndexError, UnicodeDecodeError):
        started = ""
    return f"{ppid}:{started}"


def _git_dir(start: Path) -> Path | None:
    """The ``.git`` folder of the repository holding ``start`` (a worktree's too)."""
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            try:  # a gitdir line is short: its first 4 KiB, not the whole file
                with open(dot_git, "rb") as fh:
                    text = fh.read(4096).decode("utf-8", errors="replace")
            except OSError:
                return None
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:"):].strip())
                target = target if target.is_absolute() else folder / target
                return target if target.is_dir() else None
            return None
    return None


def _record_path() -> Path | None:
    if os.environ.get("PRE_COMMIT") != "1":
        return None
    git_dir = _git_dir(Path.cwd().resolve())
    if git_dir is None or (git_dir / RECORD_NAME).is_symlink():
        return None  # a link would send our write elsewhere
    return git_dir / RECORD_NAME


def _digest(line: str) -> str:
    import hashlib

    return hashlib.sha256(line.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _shown_before(path: Path) -> dict[str, str]:
    """Digest of each error line already shown in this pre-commit run -> by which hook."""
    try:
        if path.stat().st_size > _RECORD_MAX:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("run") != run_id():
        return {}  # another run's record
    written = data.get("time")
    if not isinstance(written, int | float) or not 0 <= time.time() - written < RECORD_TTL:
        return {}  # stale
    shown = data.get("shown")
    if not isinstance(shown, dict):
        return {}
    return {k: v for k, v in shown.items() if isinstance(k, str) and isinstance(v, str)}


def show_warnings(warnings: list[str], who: str, err: TextIO) -> None:
    """Print each warning as ``check`` does (``warning: ...``), once, and once per
    pre-commit run: the check hook leaves out a warning this one printed
    (:func:`not_shown_yet`). Never a reason to fail."""
    show_errors([f"warning: {w}" for w in warnings], who, err, note_repeats=False)


def not_shown_yet(lines: list[str]) -> list[str]:
    """The ``lines`` no guardrails hook of this pre-commit run printed yet (all of them
    outside pre-commit)."""
    path = _record_path()
    before = _shown_before(path) if path is not None else {}
    return [line for line in lines if _digest(line) not in before]


def show_errors(lines: list[str], who: str, err: TextIO, *, note_repeats: bool = True) -> int:
    """Print each error line once: once here, and once per pre-commit run.

    Lines another guardrails hook of the same pre-commit run already printed
    are left out, with one line saying so (unless not ``note_repeats``).
    Returns how many were left out.
    """
    from guardrails.textsafe import inert_line, printable

    lines = list(dict.fromkeys(lines))
    path = _record_path()
    before = _shown_before(path) if path is not None else {}
    fresh = [line for line in lines if _digest(line) not in before]
    for line in fresh:
        print(inert_line(printable(line)), file=err)
    repeated = len(lines) - len(fresh)
    if repeated and note_repeats:
        by = sorted({before[_digest(line)] for line in lines if _digest(line) in before})
        what = "error" if repeated == 1 else "errors"
        also = f" (and {len(fresh)} more above)" if fresh else ""
        print(f"{repeated} {what} shown by {' and '.join(by)} above{also}: fix "
              f"{'it' if repeated == 1 else 'them'} first", file=err)
    if path is not None and fresh:
        from guardrails.fileio import atomic_write

        shown = {**before, **{_digest(line): who for line in fresh}}
        with contextlib.suppress(OSError):  # a courtesy: never fatal
            atomic_write(path, json.dumps({"run": run_id(), "time": time.time(),
                                           "shown": shown}))
    return repeated
