"""The ``guardrails`` entry points read from the ``*.dist-info`` folders themselves.

What ``importlib.metadata.entry_points(group="guardrails")`` finds, and
pluggy's version as ``importlib.metadata.version("pluggy")`` gives it, for
the usual layout of ``sys.path`` (folders holding ``*.dist-info`` and
``*.egg-info`` folders), without importing ``importlib.metadata`` and the
``email`` package it parses every metadata file with: ~11 ms of a run whose
entry-point cache is empty or off (:mod:`guardrails.installed`;
benchmarks/RESULTS.md, "start-up, boot5"). It follows that module's rules:
``sys.path`` in order, the first distribution of each normalised name wins,
``entry_points.txt`` read as its ``Sectioned`` parser reads it, ``Name`` and
``Version`` the first such header of ``METADATA`` (else ``PKG-INFO``).

Anything it does not read the way ``importlib.metadata`` would returns None,
and the caller asks ``importlib.metadata``: a ``sys.path`` entry that is a
file (a zip) or an ``.egg``, another finder on ``sys.meta_path`` that lists
distributions, two distributions of one name in one folder, a metadata
folder whose suffix is not lower case, a header folded over lines, an
``entry_points.txt`` line without ``=``, text that is not UTF-8.
tests/unit/test_distscan.py compares both on this interpreter and on
folders of made-up distributions.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: (entry point name, its value, distribution name, distribution version)
Found = tuple[str, str, str | None, str | None]
#: the most bytes read of one metadata or entry-point file (a real one is a few KiB)
_MAX_BYTES = 1 << 20
#: each of ``-_.`` as ``_``: runs of them are then folded to one
_SEPARATORS = str.maketrans("-.", "__")
#: what str.splitlines ends a line at besides \n and \r
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


class _Unread(Exception):
    """A layout read otherwise by importlib.metadata: it is asked instead."""


def _normalize(name: str) -> str:
    """importlib.metadata's ``Prepared.normalize`` (``re.sub(r"[-_.]+", "-", name)
    .lower().replace("-", "_")``), without compiling the regex every run."""
    out = name.translate(_SEPARATORS)
    while "__" in out:  # halves every run of them: a few passes
        out = out.replace("__", "_")
    return out.lower()


def scan(group: str) -> tuple[list[Found], str | None] | None:
    """(the entry points of ``group``, pluggy's version), or None (see the module)."""
    try:
        return _scan(group)
    except Exception:  # noqa: BLE001 - whatever it is, importlib.metadata decides
        return None


def _finders_ok() -> bool:
    from importlib.machinery import PathFinder

    return all(getattr(f, "find_distributions", None) is None or f is PathFinder
               for f in sys.meta_path)


def _dists() -> list[tuple[str, str]]:
    """(path, normalised name) of every distribution, in importlib.metadata's order,
    the first of each name kept."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for entry in sys.path:
        root = entry or "."
        if os.path.basename(entry).lower().endswith(".egg"):
            raise _Unread(entry)
        try:
            children = os.listdir(root)
        except OSError:
            if os.path.isfile(root):  # a zip file: importlib.metadata reads it
                raise _Unread(entry) from None
            continue
        here: dict[str, str] = {}
        for child in children:
            low = child.lower()
            if not low.endswith((".dist-info", ".egg-info")):
                continue
            if not child.endswith((".dist-info", ".egg-info")):
                raise _Unread(child)  # its name would come from its metadata
            name = _normalize(low.rpartition(".")[0].partition("-")[0])
            if name in here:
                raise _Unread(child)  # which one wins is the listing's order
            here[name] = os.path.join(entry, child)
        for name, path in here.items():
            if name not in seen:
                seen.add(name)
                out.append((path, name))
    return out


def _read(path: str, name: str) -> str | None:
    """A file of a metadata folder, as importlib.metadata's ``read_text`` (None when
    it is not there)."""
    try:
        with open(os.path.join(path, name) if name else path, "rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None
    if len(data) > _MAX_BYTES:
        raise _Unread(path)
    return data.decode("utf-8")


def _entry_points(text: str, group: str) -> list[tuple[str, str]]:
    """``entry_points.txt``'s pairs of ``group``, as ``Sectioned.section_pairs``."""
    out: list[tuple[str, str]] = []
    section: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        if "=" not in line:
            raise _Unread(line)  # importlib.metadata fails on it
        if section == group:
            key, _, value = line.partition("=")
            out.append((key.strip(), value.strip()))
    return out


def _headers(path: str) -> dict[str, str]:
    """``Name`` and ``Version`` of a distribution's metadata, as email's parser reads
    them (the first of each; the value after the colon, leading blanks dropped)."""
    # As importlib.metadata: an empty METADATA falls through to PKG-INFO, then to
    # the path itself (an old egg-info file); none of them there fails it.
    text = _read(path, "METADATA") or _read(path, "PKG-INFO") or _read(path, "")
    if text is None:
        raise _Unread(path)
    if any(c in text for c in _OTHER_BREAKS):
        raise _Unread(path)  # email's parser does not end a line there; splitlines does
    got: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            break
        if line[0] in " \t":
            if last in ("name", "version"):
                raise _Unread(path)  # folded: email joins it
            continue
        key, colon, value = line.partition(":")
        if not colon or not key or any(not 33 <= ord(c) <= 126 for c in key):
            raise _Unread(path)  # email ends the headers there, with a defect
        last = key.lower()
        if last in ("name", "version") and last not in got:
            got[last] = value.lstrip(" \t")
    return got


def _scan(group: str) -> tuple[list[Found], str | None]:
    if not _finders_ok():
        raise _Unread("sys.meta_path")
    found: list[Found] = []
    pluggy_version: str | None = None
    for path, name in _dists():
        text = _read(path, "entry_points.txt")
        pairs = _entry_points(text, group) if text is not None else []
        if pairs or name == "pluggy":
            meta = _headers(path)
            if name == "pluggy":
                pluggy_version = meta.get("version")
            found.extend((key, value, meta.get("name"), meta.get("version"))
                         for key, value in pairs)
    return found, pluggy_version


def pluggy_version(scanned: str | None) -> Any:
    """pluggy's ``__version__``: its own text when it has one, else ``scanned`` (what
    ``importlib.metadata.version("pluggy")`` reads) or None when nothing was found."""
    import pluggy

    own = vars(pluggy).get("__version__")
    return own if own is not None else scanned
