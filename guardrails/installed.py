"""What is installed: the ``guardrails`` entry points and pluggy's version, cached.

Third-party plugins are found through their entry points, and every report
header names pluggy's version, which pluggy itself reads from its metadata.
``importlib.metadata`` costs a start-up about as much as importing PyYAML
(it imports the ``email`` package, then reads every distribution's
metadata): measured in benchmarks/RESULTS.md, "start-up". The scan reads the
metadata folders itself where their layout is the usual one
(:mod:`guardrails.distscan`), else asks ``importlib.metadata``. The answers only
changes when a distribution is installed, removed or rewritten, so it is kept
in a small JSON file keyed by what such a change touches: the modification
time of every ``sys.path`` folder (as ``importlib.metadata`` itself keys its
in-process cache) and of every ``*.dist-info``/``*.egg-info`` folder's
``entry_points.txt`` in them. A stale, unreadable or foreign cache file is
ignored and rewritten; a cache folder that cannot be written costs only the
scan. Every install, virtual environment and ``sys.path`` has files of its
own there, so each family of files is pruned to its
:data:`~guardrails.cacheprune.KEEP` most recently written when a new one is
written. The folder is ``$GUARDRAILS_PLUGIN_CACHE_DIR``, else
``$XDG_CACHE_HOME/guardrails``, else ``~/.cache/guardrails`` (the builtin
packs' cache, :mod:`guardrails.packcache`, lives there too);
``GUARDRAILS_NO_STARTUP_CACHE=1`` turns both off. How such a file is found,
read, written and pruned is :mod:`guardrails.cachefiles`, which every
start-up cache shares.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import stat
import sys
from pathlib import Path

from guardrails.cachefiles import cache_dir, caches_disabled, checksum, read_regular, write_cache

GROUP = "guardrails"
#: a project's own plugin module, next to its config (loaded like pytest's conftest.py)
LOCAL_PLUGIN_FILE = "guardrails_plugins.py"
#: (entry point name, module, distribution name, distribution version)
Entry = tuple[str, str, str | None, str | None]
_FORMAT = 1
#: the biggest entry-point cache file read (thousands of plugins fit)
_MAX_BYTES = 4 << 20


def third_party_plugins() -> list[Entry]:
    """The ``guardrails`` entry points of distributions other than ours (ours are
    :data:`guardrails.builtins.BUILTINS`; an old install's metadata may still
    name them as entry points)."""
    return entry_points(skip_dist="execution-guardrails")


def entry_points(skip_dist: str | None = None) -> list[Entry]:
    """The ``guardrails`` entry points installed, ordered by distribution and name.

    ``skip_dist``: a distribution whose entries are left out (ours: its
    builtins are listed in :mod:`guardrails.builtins`, and an old install's
    metadata may still name them as entry points).
    """
    return [e for e in _cached(tuple(sys.path))[0] if skip_dist is None or e[2] != skip_dist]


def pluggy_version() -> str:
    """pluggy's version (its ``__version__`` asks ``importlib.metadata`` each time)."""
    return _cached(tuple(sys.path))[1]


def python_version(version: str | None = None) -> str:
    """``platform.python_version()``, without importing :mod:`platform` for CPython.

    ``platform`` compiles about twenty regular expressions as it is imported,
    ~1.5 ms of every ``check`` (whose report names the Python version;
    benchmarks/RESULTS.md, "start-up, boot5"). CPython's ``sys.version`` starts
    with the version ``platform`` reads from it (``3.11.7``, ``3.13.0rc1``,
    ``3.14.0a1+``); any other text, or another interpreter, asks ``platform``.
    ``version`` stands for ``sys.version`` (tests).
    """
    text = sys.version if version is None else version
    head = text.split(" ", 1)[0]
    parts = head.split(".")
    if (sys.implementation.name == "cpython" and len(parts) == 3
            and text[len(head):len(head) + 2] == " (" and ") [" in text
            and all(p.isascii() and p.isdigit() for p in parts[:2])
            and parts[2][:1].isdigit() and parts[2].isascii()
            and parts[2].rstrip("+").isalnum()):
        return head
    import platform

    if version is None:
        return platform.python_version()
    return str(platform._sys_version(version)[1])  # type: ignore[attr-defined]


@functools.cache
def _cached(path: tuple[str, ...]) -> tuple[tuple[Entry, ...], str]:
    """Once per process and ``sys.path`` (a test run builds many managers)."""
    if caches_disabled():  # no file to name nor to check: the key's ~70 stat calls are moot
        return _scan_plainly() or (_scan(), _pluggy_version())
    key = _key(path)
    file = _cache_file(key)
    if file is not None:
        got = _read(file, key)
        if got is not None:
            return got
    got = _scan_plainly() or (_scan(), _pluggy_version())
    if file is not None:
        _write(file, key, got)
    return got


def _key(path: tuple[str, ...]) -> list[list[object]]:
    """What an install or removal changes: folder and entry_points.txt mtimes."""
    out: list[list[object]] = [[sys.version, GROUP]]
    for entry in path:
        try:
            st = os.stat(entry or ".")
        except OSError:
            continue
        out.append([entry, st.st_mtime_ns])
        if not stat.S_ISDIR(st.st_mode):
            continue
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    ep = os.stat(os.path.join(entry or ".", name, "entry_points.txt"))
                except OSError:
                    continue
                out.append([name, ep.st_mtime_ns, ep.st_size])
    return out


def _cache_file(key: list[list[object]]) -> Path | None:
    if caches_disabled():
        return None
    folder = cache_dir()
    if folder is None:
        return None
    # A name, not a proof: the whole key is stored in the file and compared.
    text = json.dumps(key).encode("utf-8", "surrogatepass")
    return folder / f"entry-points-{checksum(text)}.json"


def _read(file: Path, key: list[list[object]]) -> tuple[tuple[Entry, ...], str] | None:
    raw = read_regular(file, _MAX_BYTES)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("key") != key:
        return None
    entries, pluggy = data.get("entries"), data.get("pluggy")
    if not isinstance(entries, list) or not isinstance(pluggy, str):
        return None
    out: list[Entry] = []
    for e in entries:
        if not (isinstance(e, list) and len(e) == 4 and all(isinstance(x, str) for x in e[:2])
                and all(x is None or isinstance(x, str) for x in e[2:])):
            return None
        out.append((e[0], e[1], e[2], e[3]))
    return tuple(out), pluggy


def _write(file: Path, key: list[list[object]], got: tuple[tuple[Entry, ...], str]) -> None:
    """Write whole or not at all; a cache that cannot be written is no error."""
    with contextlib.suppress(OSError, ValueError):
        write_cache(file, json.dumps({"format": _FORMAT, "key": key,
                                      "entries": [list(e) for e in got[0]],
                                      "pluggy": got[1]}).encode("utf-8"))


def _scan_plainly() -> tuple[tuple[Entry, ...], str] | None:
    """:func:`_scan` and pluggy's version read from the metadata folders themselves
    (:mod:`guardrails.distscan`), or None where only ``importlib.metadata`` reads
    them as it does."""
    from guardrails.distscan import pluggy_version, scan

    got = scan(GROUP)
    if got is None:
        return None
    found, scanned = got
    version = pluggy_version(scanned)
    if version is None:
        return None
    out = [(name, value.split(":", 1)[0], dist, ver) for name, value, dist, ver in found]
    out.sort(key=lambda e: (e[2] or "", e[0]))
    return tuple(out), str(version)


def _pluggy_version() -> str:
    import pluggy

    return str(pluggy.__version__)


def _scan() -> tuple[Entry, ...]:
    """Ask ``importlib.metadata``; each distribution's metadata is parsed once
    (``ep.dist.name`` and ``.version`` would each re-read and re-parse it)."""
    from importlib.metadata import entry_points as installed

    out: list[Entry] = []
    seen: dict[int, tuple[str | None, str | None]] = {}
    for ep in installed(group=GROUP):
        if ep.dist is None:
            dist, version = None, None
        else:
            if id(ep.dist) not in seen:
                meta = ep.dist.metadata
                # the first of each header, None without one: meta[...] of a missing
                # header is None, deprecated in 3.13 (a KeyError to come)
                seen[id(ep.dist)] = (meta.get_all("Name", [None])[0],
                                     meta.get_all("Version", [None])[0])
            dist, version = seen[id(ep.dist)]
        out.append((ep.name, ep.value.split(":", 1)[0], dist, version))
    out.sort(key=lambda e: (e[2] or "", e[0]))
    return tuple(out)
