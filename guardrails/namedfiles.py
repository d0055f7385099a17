"""Which files named to ``guardrails validate FILE...`` guardrails reads, and as what.

pre-commit names every committed file matching the hook's pattern, links
included, so each is judged as ``check`` would meet it: a data file or a rule
file by its own name (its folder resolved, not the file: a link's name says
what it claims to hold, and ``check`` refuses a link out of the root there),
a YAML file elsewhere by a cheap ``pack:`` test opened as every input is
(:func:`guardrails.yamlio.read_bytes`: a link to ``/proc/kmsg`` or a file of
gigabytes is no pack, never waited on) and read a megabyte at a time, never
whole. Kept apart from
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
    """A YAML file with a line starting ``pack:`` (cheap text test, no parsing).

    Opened as every input file is (:func:`guardrails.yamlio.read_bytes`): a
    regular file only, opened without blocking, at most the loader's limit; a
    named file may be a link to anything (pre-commit passes a committed link to
    ``/proc/kmsg``, which a plain read waits on forever), and one that cannot be
    read so is no pack. Read in chunks of :data:`SNIFF_CHUNK`, stopping at the
    first ``pack:`` line, never whole: a YAML dump of a gigabyte named on the
    command line costs a megabyte of memory to classify, not a gigabyte."""
    if path.suffix not in RULE_SUFFIXES:
        return False
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        from guardrails.yamlbase import MAX_FILE_BYTES

        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            return False
        tail = b"\n"  # the file's start is a line's start
        left = MAX_FILE_BYTES
        while left > 0:
            chunk = os.read(fd, min(left, SNIFF_CHUNK))
            if not chunk:
                return False
            left -= len(chunk)
            if _pack_line(tail + chunk):
                return True
            tail = chunk[-7:]  # a line break (up to 3 bytes) and "pack" cut by the chunk's end
        return False  # grown past the loader's limit while read: no file it reads
    except OSError:
        return False
    finally:
        os.close(fd)


#: how much of a named YAML file :func:`is_pack` holds at once
SNIFF_CHUNK = 1 << 20
#: the line breaks of str.splitlines (as the test read the decoded text), in UTF-8
_BREAKS = frozenset(b"\n\r\x0b\x0c\x1c\x1d\x1e")
_WIDE_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")


def _pack_line(buf: bytes) -> bool:
    """Whether ``pack:`` starts a line of ``buf`` after its first byte (a match at 0
    lies in the bytes kept from the chunk before, already tested)."""
    i = buf.find(b"pack:", 1)
    while i > 0:
        if buf[i - 1] in _BREAKS or buf[max(i - 3, 0):i].endswith(_WIDE_BREAKS):
            return True
        i = buf.find(b"pack:", i + 1)
    return False


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
    collected are added to ``packs`` (ids given twice are refused across them),
    and so are the ids a file that fails to load declares, in its place among
    the files (:func:`guardrails.rulefile.duplicate_errors` names the first copy
    by that order, as ``check`` collects); a file already in ``collected`` is not
    collected again (``check x.yaml link-to-x.yaml`` reads it once too), and
    those collected are added to it."""
    from guardrails.errors import RuleFileError
    from guardrails.paths import check_file
    from guardrails.rulefile import declared_rules
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
            packs += declared_rules(exc)  # a bad file's ids count too, in its place
    return problems
