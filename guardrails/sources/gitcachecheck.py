"""The layout of the git history cache, and the checks a loaded file must pass.

A cache file is input: :func:`problem` tells why a loaded object is not a
history the cache wrote (wrong types, lengths, numbers out of range), whole
columns at a time, before anything reads it; :func:`rest_problem` does the
same for the columns only building commit facts reads, when they are built.
"""

from __future__ import annotations

import itertools
import sys
from array import array
from collections.abc import Iterable
from typing import Any

#: bump when the layout changes
#: 2: an author whose name ends in "[bot]" or " bot" is a bot (facts.is_bot)
#: 3: marshalled columns with modules, tracked files and CODEOWNERS (was JSON)
#: 4: dates, file and module-set numbers as packed integers, paths and module sets
#:    stored once, each module's commits (a warm run unpacks a few dozen objects
#:    where it built ~40,000)
#: 5: the shas as one string (one object where there was one per commit), each
#:    module's authors counted
VERSION = 5
MAGIC = b"guardrails git history v5\n"
_EPOCH_MIN, _EPOCH_MAX = -62135596800, 253402300799
#: the marshal format written (4: shared objects stored once; readable since 3.4)
MARSHAL_VERSION = 4
#: packed columns: name -> array typecode (dates signed 64-bit, counts and numbers
#: unsigned 32-bit), stored little-endian whatever the machine
U32 = "I" if array("I").itemsize == 4 else "L"
PACKED = {"at": "q", "ct": "q", "nfiles": U32, "files": U32, "modules": U32}
#: packed columns with one entry per commit (``files`` has one per file of each commit)
PER_COMMIT = ("at", "ct", "nfiles", "modules")
SWAP = sys.byteorder != "little"

History = dict[str, Any]


def _only(values: Any, kind: type) -> bool:
    """``values`` is a list of exactly ``kind`` (no subclass): C loops, no generator."""
    return type(values) is list and set(map(type, values)) <= {kind}


def strs(values: Iterable[Any]) -> bool:
    """Every one of ``values`` is a string: ``str.join`` checks that in C, fastest."""
    try:
        "".join(values)
    except TypeError:
        return False
    return True


def is_sha(value: Any) -> bool:
    """A full commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. No regular
    expression: compiling one was a tenth of a millisecond of every warm run."""
    return (type(value) is str and len(value) in (40, 64) and value.isascii()
            and not value.strip("0123456789abcdef"))


def unpack(data: dict[str, Any]) -> str | None:
    """Turn the packed columns of a loaded file into arrays; why not, or None."""
    for name, code in PACKED.items():
        raw = data.get(name)
        if type(raw) is not bytes:
            return f"column {name!r} is malformed"
        col = _numbers(raw, code)
        if col is None:
            return f"column {name!r} is cut short"
        data[name] = col
    return None


def _numbers(raw: Any, code: str = U32) -> array[int] | None:
    """A packed column of numbers (array type ``code``) as an array, or None when it
    is not one."""
    col = array(code)
    if type(raw) is not bytes or len(raw) % col.itemsize:
        return None
    col.frombytes(raw)
    if SWAP:
        col.byteswap()
    return col


def problem(data: Any) -> str | None:
    """Why ``data`` is not a history the cache wrote, or None when it is (its
    packed columns then unpacked to arrays).

    Whole columns at a time (``set(map(type, ...))``, ``min``/``max`` run in C):
    this runs over every cached commit on every warm run. What only building
    commit facts reads (committer dates, files, each commit's module set) is checked by
    :func:`rest_problem` when they are built.
    """
    if type(data) is not dict or data.get("version") != VERSION:
        return "not a history object"
    if type(data.get("key")) is not str:
        return "no key"
    if not is_sha(data.get("head")):
        return "no valid head"
    if type(data.get("since")) is not int:
        return "no valid since"
    sha, width = data.get("sha"), len(data["head"])
    if not (type(sha) is str and sha.isascii() and len(sha) % width == 0):
        return "column 'sha' is malformed"
    n = len(sha) // width
    for name in ("author", "email"):
        col: Any = data.get(name)
        if not (type(col) is list and strs(col) and len(col) == n):
            return f"column {name!r} is malformed"
    problem = unpack(data)
    if problem is not None:
        return problem
    for name in PER_COMMIT:
        if len(data[name]) != n:
            return f"column {name!r} is malformed"
    bounds = (min(data["at"]), max(data["at"])) if n else (0, 0)
    if not (bounds[0] >= _EPOCH_MIN and bounds[1] <= _EPOCH_MAX):
        return "column 'at' holds a date out of range"
    data["_at_bounds"] = bounds  # the window's cut and the checks use them again
    if not (type(data.get("paths")) is list and strs(data["paths"])):
        return "the path table is malformed"
    sets: Any = data.get("modsets")
    if not (_only(sets, list) and strs(itertools.chain.from_iterable(sets))):
        return "the module sets are malformed"
    modpos: Any = data.get("modpos")
    if not (type(modpos) is dict and strs(modpos)):
        return "the module positions are malformed"
    for mid, raw in modpos.items():
        col = _numbers(raw)
        if not col or max(col) >= n:
            return "the module positions are malformed"
        modpos[mid] = col
    table: Any = data.get("authors")
    if not (type(table) is list and strs(table)):
        return "the author table is malformed"
    tally: Any = data.get("modauthors")
    if not (type(tally) is dict and tally.keys() == modpos.keys()):
        return "the module authors are malformed"
    for mid, raw in tally.items():  # [author, commits, author, commits, ...]
        col = _numbers(raw)
        if not col or len(col) % 2 or max(col[::2]) >= len(table) or min(col[1::2]) < 1:
            return "the module authors are malformed"
        tally[mid] = col
    for name in ("additions", "deletions"):
        col = data.get(name)
        if col is not None and not (_only(col, int) and len(col) == n):
            return f"column {name!r} is malformed"
    if (data.get("additions") is None) != (data.get("deletions") is None):
        return "line counts are half there"
    renames = data.get("renames")
    if type(renames) is not dict:
        return "no rename map"
    if renames:  # whole levels at a time: keys, lists of pairs, pairs, paths
        if not (_only(list(renames), int) and min(renames) >= 0 and max(renames) < n
                and _only(list(renames.values()), list)):
            return "a rename is malformed"
        pairs = list(itertools.chain.from_iterable(renames.values()))
        if not (_only(pairs, list) and set(map(len, pairs)) == {2}
                and _only(list(itertools.chain.from_iterable(pairs)), str)):
            return "a rename is malformed"
    if type(data.get("modules_key")) is not str:
        return "no modules key"
    owners = data.get("codeowners")
    if owners is not None and not (_only(owners, str) and len(owners) in (0, 2)):
        return "CODEOWNERS is malformed"
    tkey, tracked = data.get("tracked_key"), data.get("tracked")
    if tkey is not None and not (_only(tkey, int) and _only(tracked, str)):
        return "tracked files are malformed"
    return None


def rest_problem(data: History) -> str | None:
    """:func:`problem` for what only commit facts read (committer dates, files, each
    commit's module set); checked once, on first use."""
    if "_rest" not in data:
        ct, files, paths = data["ct"], data["files"], data["paths"]
        why = None
        if ct and not (min(ct) >= _EPOCH_MIN and max(ct) <= _EPOCH_MAX):
            why = "column 'ct' holds a date out of range"
        elif sum(data["nfiles"]) != len(files) or (files and max(files) >= len(paths)):
            why = "column 'files' is malformed"
        elif data["modules"] and max(data["modules"]) >= len(data["modsets"]):
            why = "column 'modules' is malformed"  # a warm run reads each module's commits
        data["_rest"] = why
    return data["_rest"]  # type: ignore[no-any-return]
