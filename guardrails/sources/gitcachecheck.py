"""The layout of the git history cache, and the checks a loaded file must pass.

A cache file is input: :func:`problem` tells why a loaded object is not a
history the cache wrote (wrong types, lengths, numbers out of range), whole
columns at a time, before anything reads it; :func:`rest_problem` loads and
checks the same way the columns only building commit facts reads (the
file's second part, :data:`COLD`), when they are first read.
"""

from __future__ import annotations

import itertools
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

#: bump when the layout changes
#: 2: an author whose name ends in "[bot]" or " bot" is a bot (facts.is_bot)
#: 3: marshalled columns with modules, tracked files and CODEOWNERS (was JSON)
#: 4: dates, file and module-set numbers as packed integers, paths and module sets
#:    stored once, each module's commits (a warm run unpacks a few dozen objects
#:    where it built ~40,000)
#: 5: the shas as one string (one object where there was one per commit), each
#:    module's authors counted
#: 6: two parts, each with its checksum: what a warm run reads, then the columns
#:    only commit facts read (:data:`COLD`), unmarshalled when first read
VERSION = 6
MAGIC = b"guardrails git history v6\n"
_EPOCH_MIN, _EPOCH_MAX = -62135596800, 253402300799
#: the marshal format written (4: shared objects stored once; readable since 3.4)
MARSHAL_VERSION = 4
#: packed columns: name -> array typecode (dates signed 64-bit, counts and numbers
#: unsigned 32-bit), stored little-endian whatever the machine
U32 = "I" if array("I").itemsize == 4 else "L"
PACKED = {"at": "q", "ct": "q", "nfiles": U32, "files": U32, "modules": U32}
#: the file's second part: the columns only building commit facts (or reading the
#: log again on top of them) reads; a warm run that counts never unmarshals them
COLD = ("sha", "ct", "paths", "files", "nfiles", "renames", "modules", "additions",
        "deletions")
COLD_KEYS = frozenset(COLD)
_SIZES = {code: array(code).itemsize for code in set(PACKED.values())}
SWAP = sys.byteorder != "little"

History = dict[str, Any]


def _only(values: Any, kind: type) -> bool:
    """``values`` is a list of exactly ``kind`` (no subclass): C loops, no generator."""
    return type(values) is list and set(map(type, values)) <= {kind}


#: items joined at a time by :func:`strs`
_JOIN = 1024


def strs(values: Iterable[Any]) -> bool:
    """Every one of ``values`` is a string: ``str.join`` checks that in C, fastest.
    A long list a slice at a time: one joined string of a whole column (~0.25 MB
    for pytest's authors and emails) was fresh memory, and a fresh process pays
    a page fault for each page of it."""
    try:
        if type(values) is list and len(values) > _JOIN:
            for i in range(0, len(values), _JOIN):
                "".join(values[i:i + _JOIN])
        else:
            "".join(values)
    except TypeError:
        return False
    return True


def is_sha(value: Any) -> bool:
    """A full commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. No regular
    expression: compiling one was a tenth of a millisecond of every warm run."""
    return (type(value) is str and len(value) in (40, 64) and value.isascii()
            and not value.strip("0123456789abcdef"))


def unpack(data: dict[str, Any], names: Iterable[str]) -> str | None:
    """Turn the packed columns ``names`` of a loaded file into arrays; why not, or None."""
    for name in names:
        code = PACKED[name]
        raw = data.get(name)
        if type(raw) is not bytes:
            return f"column {name!r} is malformed"
        col = _numbers(raw, code)
        if col is None:
            return f"column {name!r} is cut short"
        data[name] = col
    return None


def _numbers(raw: Any, code: str = U32) -> Sequence[int] | None:
    """A packed column of numbers (array type ``code``), or None when it is not one:
    on a little-endian machine a view of the loaded bytes (no copy: fresh memory
    costs a fresh process a page fault a page), else an array in the machine's order."""
    size = _SIZES[code]
    if type(raw) is not bytes or len(raw) % size:
        return None
    if not SWAP:
        return memoryview(raw).cast(code)  # type: ignore[call-overload]
    col = array(code)
    col.frombytes(raw)
    col.byteswap()
    return col


_BYTE = bytes(range(256))


def below(raw: bytes, n: int, step: int = 1) -> bool:
    """Every ``step``-th number, from the first, of the packed column ``raw`` (unsigned
    32-bit, stored little-endian whatever the machine; as :func:`_numbers` takes it)
    is below ``n``.

    ``max`` over a column makes an int object of each number past 256 (a third
    of a warm run's millisecond for pytest's module positions); up to ``n`` of
    2**16 this reads the numbers a byte column at a time with ``bytes`` methods,
    in C: the two high bytes must be zero and the second at most that of
    ``n - 1``; only the numbers whose second byte is that very byte have their
    low byte compared (written ascending, as module positions are, they are the
    column's last: a slice; else picked out by a mask).
    """
    stride = 4 * step
    if len(raw) % stride:
        return False
    if not 0 < n <= 0x10000:
        col = _numbers(raw)
        return col is not None and max(col[::step], default=-1) < n
    hi, lo = (n - 1) >> 8, (n - 1) & 0xFF
    top = _BYTE[hi:hi + 1]
    if raw[2::stride].translate(None, b"\0") or raw[3::stride].translate(None, b"\0"):
        return False
    second = raw[1::stride]
    over = second.translate(None, _BYTE[:hi])  # the second bytes from hi up
    if not over:
        return True
    if over.translate(None, top):
        return False  # a second byte above hi
    lows = raw[0::stride]
    i = second.find(top)
    if second.endswith(top * (len(second) - i)):
        return max(lows[i:]) <= lo
    mask = second.translate(bytes(hi) + b"\1" + bytes(255 - hi))  # 1 where second is hi
    return max(itertools.compress(lows, mask)) <= lo


def problem(data: Any) -> str | None:
    """Why ``data`` is not a history the cache wrote, or None when it is (its
    packed columns then unpacked to arrays).

    Whole columns at a time (``set(map(type, ...))``, ``min``/``max``, :func:`below`
    run in C):
    this runs over every cached commit on every warm run. The file's second
    part (:data:`COLD`: shas, committer dates, files, each commit's module set)
    is loaded and checked by :func:`rest_problem` when first read.
    """
    if type(data) is not dict or data.get("version") != VERSION:
        return "not a history object"
    if type(data.get("key")) is not str:
        return "no key"
    if not is_sha(data.get("head")):
        return "no valid head"
    if type(data.get("since")) is not int:
        return "no valid since"
    if not COLD_KEYS.isdisjoint(data):
        return "a column is in the wrong part"
    author: Any = data.get("author")
    if not (type(author) is list and strs(author)):
        return "column 'author' is malformed"
    n = len(author)
    email: Any = data.get("email")
    if not (type(email) is list and strs(email) and len(email) == n):
        return "column 'email' is malformed"
    problem = unpack(data, ("at",))
    if problem is not None:
        return problem
    if len(data["at"]) != n:
        return "column 'at' is malformed"
    # The author dates' bounds as the writer found them (min/max over the column was
    # a tenth of a warm run's own cost): the window's cut and the bus factor read
    # them; that the column keeps within them is checked with the rest, before any
    # date becomes a datetime. A file whose bounds lie about its column was forged,
    # and could as well have forged the dates (or the counts) themselves.
    bounds: Any = data.get("at_bounds")
    if not (_only(bounds, int) and len(bounds) == 2
            and _EPOCH_MIN <= bounds[0] <= bounds[1] <= _EPOCH_MAX):
        return "the author dates' bounds are malformed"
    data["_at_bounds"] = (bounds[0], bounds[1]) if n else None
    sets: Any = data.get("modsets")
    if not (_only(sets, list) and strs(itertools.chain.from_iterable(sets))):
        return "the module sets are malformed"
    modpos: Any = data.get("modpos")
    if not (type(modpos) is dict and strs(modpos)):
        return "the module positions are malformed"
    for mid, raw in modpos.items():
        col = _numbers(raw)
        if not col or not below(raw, n):
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
        if not col or not below(raw, len(table), 2) or min(col[1::2]) < 1:
            return "the module authors are malformed"
        tally[mid] = col
    if type(data.get("modules_key")) is not str:
        return "no modules key"
    owners = data.get("codeowners")
    if owners is not None and not (_only(owners, str) and len(owners) in (0, 2)):
        return "CODEOWNERS is malformed"
    tkey, tracked = data.get("tracked_key"), data.get("tracked")
    if tkey is not None and not (_only(tkey, int) and _only(tracked, str)):
        return "tracked files are malformed"
    return None


def cold_problem(data: History, cold: Any) -> str | None:
    """Why ``cold`` (the file's second part, loaded) is not the columns :data:`COLD`
    of the history ``data`` (checked by :func:`problem`), or None; its packed
    columns are then unpacked to arrays."""
    if type(cold) is not dict or cold.keys() != COLD_KEYS:
        return "the second part is not the commits' columns"
    n, width = len(data["author"]), len(data["head"])
    sha = cold["sha"]
    if not (type(sha) is str and sha.isascii() and len(sha) == n * width):
        return "column 'sha' is malformed"
    problem = unpack(cold, ("ct", "nfiles", "files", "modules"))
    if problem is not None:
        return problem
    for name in ("ct", "nfiles", "modules"):
        if len(cold[name]) != n:
            return f"column {name!r} is malformed"
    if not (type(cold["paths"]) is list and strs(cold["paths"])):
        return "the path table is malformed"
    for name in ("additions", "deletions"):
        col = cold[name]
        if col is not None and not (_only(col, int) and len(col) == n):
            return f"column {name!r} is malformed"
    if (cold["additions"] is None) != (cold["deletions"] is None):
        return "line counts are half there"
    renames = cold["renames"]
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
    return None


def _load_cold(data: History) -> str | None:
    """Load the file's second part into ``data`` (:func:`cold_problem`), when it was
    read from a file and not loaded yet; why not, or None."""
    raw = data.pop("_cold", None)
    if raw is None:
        return None  # built in this run, or loaded already
    if callable(raw):  # read from the file now (gitcache.load)
        raw = raw()
        if raw is None:
            data.pop("_cold_crc")
            return "the file was replaced or cut while in use"
    if zlib.crc32(raw) != data.pop("_cold_crc"):
        return "cut short or damaged (checksum)"
    from guardrails.cachefiles import load_marshal

    try:
        cold = load_marshal(raw)
    # MemoryError: a forged size (a list "of 2**31 items"): load_marshal caps memory
    except (ValueError, EOFError, TypeError, RecursionError, MemoryError) as exc:
        return f"unreadable ({type(exc).__name__})"
    why = cold_problem(data, cold)
    if why is None:
        data.update(cold)
    return why


def cold_pending(data: History) -> bool:
    """The file's second part is still unread (see :func:`rest_problem`)."""
    return "_cold" in data


def rest_problem(data: History) -> str | None:
    """:func:`problem` for what only commit facts read (shas, committer dates, files,
    each commit's module set: the file's second part, loaded here); checked
    once, on first use. Until it answers None those columns may be missing."""
    if "_rest" not in data:
        why = _load_cold(data)
        if why is None:
            ct, files, paths, at = data["ct"], data["files"], data["paths"], data["at"]
            if at and "at_bounds" in data and (min(at), max(at)) != data["_at_bounds"]:
                why = "column 'at' is not within its bounds"
            elif ct and not (min(ct) >= _EPOCH_MIN and max(ct) <= _EPOCH_MAX):
                why = "column 'ct' holds a date out of range"
            elif sum(data["nfiles"]) != len(files) or (files and max(files) >= len(paths)):
                why = "column 'files' is malformed"
            elif data["modules"] and max(data["modules"]) >= len(data["modsets"]):
                why = "column 'modules' is malformed"  # a warm run reads module positions
        data["_rest"] = why
    return data["_rest"]  # type: ignore[no-any-return]
