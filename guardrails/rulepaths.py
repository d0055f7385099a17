"""Where rule files are: builtin packs, config and command-line specs, display paths.

A spec is ``builtin:NAME`` (a pack shipped in the wheel), a file, or a folder
of ``*.yaml`` packs; paths stay inside the folder holding the config unless
``allow_outside_root`` says otherwise.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from guardrails.configmodel import Config
from guardrails.errors import RuleFileError, UsageError, raise_all
from guardrails.paths import check_file
from guardrails.safeopen import SafeOpener

BUILTIN_PREFIX = "builtin:"


@functools.cache
def builtin_rules_dir() -> Path:
    """The folder of the builtin packs (found once a process: it is asked for
    twice per pack collected).

    Installed (wheel or editable), they are the package data
    ``guardrails.builtin_rules``. Imported from a source checkout while a
    wheel is installed elsewhere (as tox and nox run the suite), that
    subpackage does not exist beside the checkout's ``guardrails/``: the
    packs are then the checkout's top-level ``rules/`` folder.
    """
    here = Path(__file__).resolve().parent
    # Looked for beside us first: importlib.resources costs a start-up more to
    # import than these two stat calls (an editable install maps the package
    # to the checkout's rules/, the second folder).
    for folder in (here / "builtin_rules", here.parent / "rules"):
        if (folder / "stability.yaml").is_file():
            return folder
    from importlib import resources

    try:
        found = Path(str(resources.files("guardrails.builtin_rules")))
    except ModuleNotFoundError:
        found = None
    if found is not None and found.is_dir():
        return found
    return here.parent / "rules"


def builtin_packs() -> dict[str, Path]:
    """Builtin pack name -> its YAML file."""
    folder = builtin_rules_dir()
    return {
        p.name.rsplit(".", 1)[0]: p
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".yaml")
    }


def resolve_specs(config: Config, specs: Iterable[str], from_cli: bool = False) -> list[Path]:
    """``builtin:<pack>`` and paths (files or folders) -> rule files, in order."""
    paths, errors = resolve_specs_all(config, specs, from_cli)
    raise_all(errors)
    return paths


def resolve_specs_all(config: Config, specs: Iterable[str],
                      from_cli: bool = False) -> tuple[list[Path], list[UsageError]]:
    """Like :func:`resolve_specs`, with every bad spec as an error instead of the first."""
    out: list[Path] = []
    errors: list[UsageError] = []
    for i, spec in enumerate(specs):
        try:
            out.extend(_resolve_one(config, spec, i, from_cli))
        except UsageError as exc:
            errors.append(exc)
    if from_cli:  # checked as named on the command line: opened so too (rule_opener)
        config.memo.setdefault(_ANYWHERE, set()).update(out)
    # The same file named twice is collected once.
    seen: set[Path] = set()
    return [p for p in out if not (p in seen or seen.add(p))], errors  # type: ignore[func-returns-value]


def _resolve_one(config: Config, spec: str, i: int, from_cli: bool) -> list[Path]:
    out: list[Path] = []
    where: tuple[Any, ...] = ("rules", i)
    if spec.startswith(BUILTIN_PREFIX):
        name = spec[len(BUILTIN_PREFIX):]
        packs = builtin_packs()
        if name not in packs:
            import difflib  # only for an error message

            close = difflib.get_close_matches(name, list(packs), n=1)
            raise UsageError(
                f"unknown builtin pack {name!r}",
                file=None if from_cli else config.display_path,
                line=None if from_cli else config.line_of(*where),
                fix=(f"did you mean 'builtin:{close[0]}'? " if close else "")
                + f"builtin packs: {', '.join(packs)}",
            )
        out.append(packs[name])
        config.memo.setdefault(_ANYWHERE, set()).add(packs[name])  # guardrails' own
        return out
    if from_cli:
        path = Path(spec).resolve()
    else:
        path = config.resolve_inside(spec, *where)
    if path.is_dir():
        entries = list(path.rglob("*"))
        files = sorted(
            p for p in entries if p.suffix in (".yaml", ".yml")
            and (p.is_symlink() or not p.is_dir())
        )
        refused: list[UsageError] = []
        # rglob lists a link to a folder but does not enter it: the packs behind it
        # would be left out without a word, a rule folder quietly smaller
        refused += [RuleFileError(
            "a symbolic link to a folder in a rule folder; guardrails does not follow it "
            "when collecting rule files, so its packs would not run",
            file=_as_written(p, config),
            fix="name the linked folder in 'rules:' itself (inside the root), or remove "
            "the link") for p in sorted(entries)
            if p.suffix not in (".yaml", ".yml") and p.is_symlink() and p.is_dir()]
        # Packs are collected by their suffix in lower case (as pytest's test_*.py):
        # a Stability.YAML would be left out without a word
        refused += [RuleFileError(
            f"the suffix {p.suffix!r} is not in lower case: only .yaml and .yml files "
            "of a rule folder are collected, so its rules would not run",
            file=_as_written(p, config), fix=f"rename it to {p.stem + p.suffix.lower()!r}")
            for p in sorted(entries) if p.suffix.lower() in (".yaml", ".yml")
            and p.suffix not in (".yaml", ".yml") and not p.is_dir()]
        for p in files:  # a link out of the root, to /proc, a FIFO...: refused by name
            try:
                check_file(p, root=config.root,
                           allow_outside=from_cli or config.allow_outside_root,
                           display=_as_written(p, config), error=RuleFileError, what="rule file")
            except UsageError as exc:
                refused.append(exc)
        raise_all(refused)
        if not files:
            raise UsageError(f"rule folder {spec!r} holds no .yaml files",
                             file=None if from_cli else config.display_path,
                             line=None if from_cli else config.line_of(*where),
                             fix="add a pack to it (a .yaml file with 'pack:' and 'rules:', "
                             "see 'guardrails schema rules'), or stop naming the folder")
        out.extend(files)
    elif path.is_file() or os.path.lexists(path):
        check_file(path, root=config.root, allow_outside=from_cli or config.allow_outside_root,
                   display=spec, error=RuleFileError, what="rule file")
        out.append(path)
    else:
        fix = "check the path (relative to the config's folder), or use builtin:<pack>"
        if from_cli and "::" in spec and "/" not in spec:
            import shlex

            # a pytest node id habit: 'guardrails check pack::rule' runs one rule there
            fix = (f"PATHS are rule files, folders or builtin:<pack>; to run the rule "
                   f"{spec} alone, select it: guardrails check -k {shlex.quote(spec)}")
        raise UsageError(
            f"rule file or folder {spec!r} does not exist",
            file=None if from_cli else config.display_path,
            line=None if from_cli else config.line_of(*where),
            fix=fix,
        )
    return out


#: config.memo's key of the rule files not held to the root: named on the command line
#: (check_file let them out) or builtin packs (guardrails' own files)
_ANYWHERE = "rule files not held to the root"


def rule_opener(config: Config, path: Path) -> SafeOpener:
    """What opens rule file ``path`` as :func:`_resolve_one` checked it: a link swapped
    in since is followed only where the check would follow it (guardrails.safeopen)."""
    allow = config.allow_outside_root or path in config.memo.get(_ANYWHERE, ())
    return SafeOpener(config.root, allow_outside=allow, error=RuleFileError,
                      what="rule file")


def _as_written(path: Path, config: Config) -> str:
    """A collected path relative to the config's folder, symbolic links not followed."""
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


@functools.cache
def _builtin_rules_real() -> Path:
    """:func:`builtin_rules_dir` with its links resolved (once a process, as that is)."""
    return builtin_rules_dir().resolve()


def is_builtin(path: Path) -> bool:
    try:
        # A pack named in the builtin folder (as collection names them) that is no
        # link lies where that folder resolves to, which is resolved once a process:
        # one lstat, not a resolve of every component (~150,000 instructions a pack).
        if path.parent == builtin_rules_dir() and path.name not in ("", ".", "..") \
                and not path.is_symlink():
            return True
        return _builtin_rules_real() in path.resolve().parents
    except OSError:
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
