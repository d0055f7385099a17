"""``guardrails validate [FILES...]``: the fast, offline pre-commit check.

Given the files a commit touches, it validates those guardrails reads: the
config (guardrails.yaml or [tool.guardrails]), rule packs (YAML with a
top-level ``pack:``, or under a configured rule folder) and org data files
(under the files source's folder). Other files are ignored, so the hook can
match broadly. No source is asked for facts and nothing touches the network.
Every problem is printed as ``file:line: message``, each once, all of them
(like pytest's collection errors); the exit code is 0 or 4. A named file that
does not exist is a problem too: a typo in a hook's ``files:`` must not pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from guardrails.errors import LoadErrors, UsageError
from guardrails.model import ExitCode

if TYPE_CHECKING:
    from guardrails.config import Config

RULE_SUFFIXES = (".yaml", ".yml")


def _is_pack(path: Path) -> bool:
    """A YAML file whose top level has ``pack:`` (cheap text test, no parsing)."""
    if path.suffix not in RULE_SUFFIXES:
        return False
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.startswith("pack:") for line in text.splitlines())


def _under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _rule_folders(config: Config) -> list[Path]:
    out = []
    for spec in config.rule_specs:
        if spec.startswith("builtin:"):
            continue
        out.append((config.root / spec).resolve())
    return out


def validate(files: list[str], config_file: str | None, err: TextIO) -> int:
    """Validate the given files (all of the project's when none given); return 0 or 4."""
    from guardrails.config import CONFIG_NAMES, RunOptions, empty_config
    from guardrails.session import NoConfigError, Session, build_config

    options = RunOptions(offline=True)
    problems: list[str] = []
    try:
        config = build_config(config_file, options)
    except NoConfigError:
        config = empty_config(Path.cwd(), options)
    except UsageError as exc:
        # The config itself is broken (its rules' errors, if any, are listed with it).
        for line in _lines(exc):
            print(line, file=err)
        return ExitCode.USAGE_ERROR
    session = Session(config)
    try:
        session.configure()
        assert session.pm is not None
        paths = [Path(f) for f in files]
        folders = _rule_folders(config)
        data_folder = None
        files_opts = config.sources.get("files")
        if files_opts is not None:
            data_folder = (config.root / str(files_opts.get("path", "org"))).resolve()

        check_sources = not files and bool(config.sources)  # no names: validate everything
        for path in paths:
            if not path.exists():
                problems.append(f"{path}: no such file (check the path; pre-commit passes only "
                                "files that exist)")
                continue
            if not path.is_file():
                problems.append(f"{path}: not a regular file (name files, not folders)")
                continue
            if path.name in CONFIG_NAMES or path.name == "pyproject.toml":
                continue  # loaded above
            if data_folder is not None and _under(path, data_folder):
                check_sources = True
            elif _is_pack(path) or any(_under(path, f) for f in folders):
                try:
                    session.pm.hook.guardrails_collect_file(path=path.resolve(), config=config)
                except UsageError as exc:
                    problems.extend(_lines(exc))
        if not files:
            try:
                session.collect()
            except UsageError as exc:
                problems.extend(_lines(exc))
        if check_sources:
            # Every data file is validated when the files source is built; no facts are
            # gathered. With no names, every configured source runs its eager
            # validate() (a plugin's source checks its own files there; HTTP sources
            # check only their config, and nothing goes to the network).
            try:
                session.gather(kinds=set(), sources=None if not files else ["files"])
            except UsageError as exc:
                problems.extend(_lines(exc))
    finally:
        session.unconfigure()
    for p in dict.fromkeys(problems):  # each problem once
        print(p, file=err)
    return ExitCode.USAGE_ERROR if problems else ExitCode.OK


def _lines(exc: UsageError) -> list[str]:
    """One line per error (a LoadErrors holds several)."""
    return [str(e) for e in exc.errors] if isinstance(exc, LoadErrors) else [str(exc)]
