"""Which files named to ``guardrails validate FILE...`` guardrails reads, and as what.

pre-commit names every committed file matching the hook's pattern, links
included, so each is judged as ``check`` would meet it: a data file or a rule
file by its own name (its folder resolved, not the file: a link's name says
what it claims to hold, and ``check`` refuses a link out of the root there),
a YAML file elsewhere by a cheap ``pack:`` test read as every input is read
(:func:`guardrails.yamlio.read_bytes`: a link to ``/proc/kmsg`` or a file of
gigabytes is no pack, never waited on nor read whole). Kept apart from
:mod:`guardrails.precommit`, which runs the validation and prints its errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.errors import UsageError

if TYPE_CHECKING:
    from guardrails.configmodel import Config

RULE_SUFFIXES = (".yaml", ".yml")


def is_pack(path: Path) -> bool:
    """A YAML file whose top level has ``pack:`` (cheap text test, no parsing).

    Read as every input file is (:func:`guardrails.yamlio.read_bytes`): a
    regular file only, opened without blocking, at most the loader's limit.
    A named file may be a link to anything (pre-commit passes a committed
    link to ``/proc/kmsg``, which a plain read waits on forever, or to a
    file of gigabytes, read whole); one that cannot be read so is no pack."""
    if path.suffix not in RULE_SUFFIXES:
        return False
    from guardrails.yamlio import read_bytes

    try:
        text = read_bytes(path).decode("utf-8", errors="replace")
    except UsageError:
        return False
    return any(line.startswith("pack:") for line in text.splitlines())


def in_rule_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` names a file of rule folder ``folder``: by its own name (its
    parent resolved), as :func:`in_data_folder` judges, so a link there is the
    folder's file that ``check`` refuses, not a stray that is passed over."""
    return (path.parent.resolve() / path.name).is_relative_to(folder.resolve())


def in_data_folder(path: Path, folder: Path | None) -> bool:
    """Whether ``path`` names a file of the data folder: its parent resolved, not the
    file, since a link's own name says what it holds (a link to /proc is refused there)."""
    return folder is not None and (path.parent.resolve() / path.name).is_relative_to(folder)


def rule_folders(config: Config) -> list[Path]:
    out = []
    for spec in config.rule_specs:
        if spec.startswith("builtin:"):
            continue
        out.append((config.root / spec).resolve())
    return out


def data_folder(config: Config) -> Path | None:
    files_opts = config.sources.get("files")
    if files_opts is None:
        return None
    return (config.root / str(files_opts.get("path", "org"))).resolve()


def missing(path: Path) -> str | None:
    """The problem with a named file that is not there to read, else None."""
    if not path.exists():
        return f"{path}: no such file (check the path; pre-commit passes only files that exist)"
    if not path.is_file():
        return f"{path}: not a regular file (name files, not folders)"
    return None


def distinct(files: list[str]) -> list[str]:
    """The named files, each once: ``x.yaml ./x.yaml`` name one file, validated once (its
    rule ids are not "given twice"). Known by name, its folder resolved, as the other
    tests here judge a file; links named apart are told apart by :func:`collect_named`."""
    seen: set[Path] = set()
    out = []
    for name in files:
        path = Path(name)
        key = path.parent.resolve() / path.name
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


def collect_named(session: Any, config: Config, path: Path, folders: list[Path],
                  packs: list[Any], collected: set[Path]) -> list[UsageError]:
    """The errors of rule file ``path``, named on the command line, as ``check``
    finds them: a file of a configured rule folder as that folder's listing checks
    it (a link out of the root or into /proc refused by its name: pre-commit
    names a committed link, which the gate would refuse), any other pack as
    ``check FILE`` does (let out of the root, never into /proc). The rules
    collected are added to ``packs`` (ids given twice are refused across them);
    a file already in ``collected`` is not collected again (``check x.yaml
    link-to-x.yaml`` reads it once too), and those collected are added to it."""
    from guardrails.errors import RuleFileError
    from guardrails.paths import check_file
    from guardrails.rulepaths import resolve_specs_all

    by_name = path.parent.resolve() / path.name
    problems: list[UsageError] = []
    if any(by_name.is_relative_to(f.resolve()) for f in folders):
        shown = (str(by_name.relative_to(config.root)) if by_name.is_relative_to(config.root)
                 else str(path))
        try:
            check_file(by_name, root=config.root, allow_outside=config.allow_outside_root,
                       display=shown, error=RuleFileError, what="rule file")
        except UsageError as exc:
            return [exc]
        named = [by_name]
    else:
        spec = str(path)  # a file named builtin:x.yaml is a file here, not a pack name
        spec = spec if not spec.startswith("builtin:") else os.path.join(".", spec)
        named, errors = resolve_specs_all(config, [spec], from_cli=True)
        problems.extend(errors)
    for one in named:
        if one in collected:
            continue
        collected.add(one)
        try:
            packs += session.pm.hook.guardrails_collect_file(path=one, config=config) or []
        except UsageError as exc:
            problems.append(exc)
    return problems
