"""The start-up caches' files: where they live, how one is read, written and pruned.

Every cache a run keeps between runs (:mod:`guardrails.installed`'s entry
points, :mod:`guardrails.packcache`, :mod:`guardrails.verdictcache`,
:mod:`guardrails.celrules.typecache`, the git, HTTP and files sources' caches)
is a file in a folder anyone with the same account can write, so each is read
and written the same careful way, here: read only when it is a regular file
under a size limit, opened without following a final link and without
blocking (:func:`read_regular`); named and checked by a cheap checksum
(:func:`checksum`: zlib, not hashlib, which loads OpenSSL); written whole or
not at all through a new temporary file of random name, never through a link
(:func:`create_temp`, :func:`write_whole`, :func:`within`); each family of
files pruned to the most recently written, and files of a name this version
no longer writes (an earlier version's) deleted by the same listing when a
cache is written, never on a read (:mod:`guardrails.cacheprune`); and a
:mod:`marshal` payload loaded with its memory bounded (:func:`load_marshal`).
The install-wide caches' folder is ``$GUARDRAILS_PLUGIN_CACHE_DIR``, else
``$XDG_CACHE_HOME/guardrails``, else ``~/.cache/guardrails`` (:func:`cache_dir`;
the sources' caches follow the config's ``cache_dir``);
``GUARDRAILS_NO_STARTUP_CACHE=1`` turns them off (:func:`caches_disabled`).
Kept apart from :mod:`guardrails.installed`, which was both this plumbing and
the entry-point scan that is one of its users.
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import functools
import json
import math
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardrails.cacheprune import KEEP, prune_families, startup_retired


def caches_disabled() -> bool:
    """True when ``GUARDRAILS_NO_STARTUP_CACHE`` asks for no start-up cache at all."""
    return os.environ.get("GUARDRAILS_NO_STARTUP_CACHE", "") not in ("", "0")


def cache_dir() -> Path | None:
    """The folder of the install-wide start-up caches (None: no home folder known)."""
    explicit = os.environ.get("GUARDRAILS_PLUGIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    if base and os.path.isabs(base):  # the XDG spec: a relative one is invalid, ignored
        return Path(base) / "guardrails"
    try:
        return Path.home() / ".cache" / "guardrails"
    except RuntimeError:  # no home folder known
        return None


def checksum(data: bytes | memoryview) -> str:
    """16 hex digits naming or checking a cache file's content (not a proof: every
    cache also stores and compares its whole key)."""
    # zlib, not hashlib: hashlib loads OpenSSL, a start-up cost the caches exist to avoid.
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def blake2(data: bytes, person: bytes) -> str:
    """BLAKE2b-256 (hex) of ``data`` personalised by ``person``: what a cache keys a
    file's or an expression's exact content by. CPython's own ``_blake2``:
    ``hashlib`` would load OpenSSL (~3 ms of a start)."""
    try:
        from _blake2 import blake2b  # type: ignore[import-not-found]
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    return blake2b(data, digest_size=32, person=person).hexdigest()


@functools.cache
def package_files(name: str) -> tuple[str, ...]:
    """The files of installed package ``name`` (name, size, modification time; an
    extension module among them), found without importing it: what a cached parse
    or check rests on besides our code. Empty when it is not found or unreadable."""
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
        folders = list(spec.submodule_search_locations or ()) if spec is not None else []
        return tuple(sorted(f"{e.name}\0{e.stat().st_size}\0{e.stat().st_mtime_ns}"
                            for folder in folders for e in os.scandir(folder) if e.is_file()))
    except (ImportError, ValueError, OSError):
        return ()


_PACKAGE = os.path.dirname(__file__)


@functools.cache
def code_fingerprint() -> str:
    """The code a cache entry was made by, which every start-up cache keys on:
    a checksum of (name, size, mtime) of every file of the package: ~130 stat calls,
    once per process (a process runs the code it imported, whatever changes later)."""
    # try/except, not contextlib.suppress: its object and two calls a file were a
    # third of this (~0.75M instructions of every run; benchmarks/RESULTS.md, "s26-startup")
    seen: list[str] = []
    stack = [_PACKAGE]
    while stack:
        folder = stack.pop()
        try:
            listing = os.scandir(folder)
        except OSError:
            continue
        with listing as it:
            try:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != "__pycache__":
                            stack.append(entry.path)
                    elif entry.name.endswith((".py", ".json", ".yaml")):
                        try:
                            st = entry.stat()
                        except OSError:
                            continue
                        seen.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}")
            except OSError:  # the folder's listing failed midway: what it gave is kept
                pass
    return checksum("\n".join(sorted(seen)).encode("utf-8", "surrogatepass"))


def json_exact(value: Any, depth: int = 0) -> bool:
    """True when JSON gives ``value`` back equal and of the same types (what a cache may
    store as JSON and trust on reading back: no tuple, no float NaN, no key not text)."""
    if depth > 64:
        return False
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and json_exact(v, depth + 1) for k, v in value.items())
    if kind is list:
        return all(json_exact(v, depth + 1) for v in value)
    if kind is float:
        return math.isfinite(value)
    return value is None or kind in (str, int, bool)


def read_regular(file: Path, limit: int) -> bytes | None:
    """The bytes of cache file ``file`` when it is a regular file of at most
    ``limit`` bytes, else None; never raises ``OSError``. Opened without
    following a final symbolic link and without blocking: a FIFO, folder or
    device put at a cache's path is a miss, never a run that waits forever for
    a writer (``Path.read_bytes`` would)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(
        os, "O_CLOEXEC", 0)
    try:
        fd = os.open(file, flags)
    except OSError:
        return None
    chunks: list[bytes] = []
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        left = limit + 1  # one byte more: a file that grew past the limit is refused
        while left > 0:
            chunk = os.read(fd, min(left, 16 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return None if len(data) > limit else data


def load_json_cache(file: Path, limit: int, head: dict[str, Any]) -> Any:
    """The JSON payload of a cache file :func:`store_json_cache` wrote with exactly
    ``head``, or None: a header line (``head`` plus the payload's checksum), then
    the payload. Anything else (another format, context or file, a damaged
    payload, no regular file) is a miss; never raises ``OSError``."""
    raw = read_regular(file, limit)
    if raw is None:
        return None
    line, _, payload = raw.partition(b"\n")
    try:
        meta = json.loads(line)
        if not isinstance(meta, dict):
            return None
        stored = meta.pop("payload", None)
        if meta != head or stored != checksum(payload):
            return None
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def store_json_cache(file: Path, head: dict[str, Any], payload: bytes) -> None:
    """Write what :func:`load_json_cache` reads back (through :func:`write_cache`:
    whole or not at all, the family pruned). Raises ``OSError`` like it."""
    line = json.dumps({**head, "payload": checksum(payload)}).encode("utf-8")
    write_cache(file, line + b"\n" + payload)


#: a cache file's mode: the owner's alone. The HTTP cache holds answers read with a
#: token (a private repository's pull requests, incidents), the files and git caches
#: the org's data and its people's names and e-mails: nobody else on the machine
#: reads them, whatever the umask (0o644 under the usual 022)
FILE_MODE = 0o600
#: a cache folder's mode when guardrails creates it (also ~/.cache: the XDG Base
#: Directory specification asks for 0700)
FOLDER_MODE = 0o700


def create_temp(file: Path, mode: int = FILE_MODE) -> tuple[int, Path]:
    """A new, empty temporary file beside ``file``, open for writing: ``(fd, path)``.

    Named ``.NAME.<16 random hex digits>.tmp`` and created with ``O_EXCL`` and
    ``O_NOFOLLOW``, so whatever was put at a name beforehand (a link to a file
    elsewhere, a FIFO, a file) is never opened, nor written through: a name
    that is taken is passed over. ``mode`` as ``open`` (less the umask): the
    owner's alone (:data:`FILE_MODE`). The folder is created when missing, it and
    each folder above it that is missing too with :data:`FOLDER_MODE`
    (:func:`make_folder`). Raises ``OSError``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(
        os, "O_CLOEXEC", 0)
    made = False
    for _ in range(5):
        # Random, not the process id: a name known in advance could be taken on purpose.
        tmp = file.with_name(f".{file.name}.{os.urandom(8).hex()}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            # The folder is made only when missing (open first: a mkdir before every
            # write was a system call of every cache file a cold run writes).
            if made:
                raise
            make_folder(file.parent)
            made = True
    raise FileExistsError(errno.EEXIST, "no free temporary name beside", str(file))


def make_folder(folder: Path) -> None:
    """Create ``folder`` and each missing folder above it with :data:`FOLDER_MODE`
    (``Path.mkdir(parents=True)`` gives the folders above the umask's default,
    0o755: ``~/.cache`` made readable by everyone). An existing folder keeps its
    mode: the user chose it. Raises ``OSError``."""
    missing = []
    here = folder
    while not os.path.isdir(here) and here != here.parent:
        missing.append(here)
        here = here.parent
    for one in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile (another run)
            os.mkdir(one, FOLDER_MODE)


def within(folder: Path, root: Path) -> None:
    """Raise ``OSError`` when ``folder``, a folder under ``root``, is reached through a
    symbolic link below ``root``: a cache's own subfolder linked elsewhere (by a
    repository checked out there, say) must not have the cache written into the
    link's target. ``root`` itself may be a link (the user chose it)."""
    here = os.path.realpath(root)
    for part in folder.relative_to(root).parts:
        here = os.path.join(here, part)
        if os.path.islink(here):
            raise OSError(errno.ELOOP, "a symbolic link in a cache folder", here)


def write_whole(file: Path, *chunks: bytes, root: Path | None = None) -> None:
    """Write a cache file whole or not at all (``chunks`` one after the other, so a
    big payload is not copied to join a header): a new temporary file beside it
    (:func:`create_temp`: never through a link), then ``os.replace``, which
    replaces a link at ``file`` itself, never its target. With ``root``, the
    cache folder ``file`` must stay in: no folder between them may be a link
    (:func:`within`). Raises ``OSError`` like ``open``; callers treat that as a
    cache they cannot keep. (Not :func:`guardrails.fileio.atomic_write`: its
    ``tempfile`` import brings shutil, bz2 and lzma, ~2 ms of every start-up.)"""
    if root is not None:
        within(file.parent, root)
    tmp = write_temp(file, *chunks)
    try:
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_temp(file: Path, *chunks: bytes) -> Path:
    """``chunks`` written to a new temporary file beside ``file`` (:func:`create_temp`),
    whose path is returned for the caller to put in place; removed again when the
    write fails. Raises ``OSError``."""
    fd, tmp = create_temp(file)
    try:
        with os.fdopen(fd, "wb") as fh:
            for data in chunks:
                fh.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def write_cache(file: Path, data: bytes, *, keep: int = KEEP,
                retired: Callable[[str], bool] | None = startup_retired) -> None:
    """A start-up cache's write: :func:`write_whole`, then prune the folder
    to the ``keep`` most recent files of ``file``'s family: its name up to the
    16-digit checksum, and delete the ``retired`` files there (by default what
    earlier releases' start-up caches wrote, :func:`~guardrails.cacheprune.startup_retired`;
    see :func:`~guardrails.cacheprune.prune_families`). Whichever start-up cache a run writes (a new
    release's first run writes several) tidies them: the packs file, whose
    write alone did, is rarely written now that the builtin packs' shipped
    verdict holds. Raises ``OSError`` like :func:`write_whole`."""
    write_whole(file, data)
    name = file.name
    cut = len(name) - len(file.suffix) - 16
    if cut > 0:
        prune_families(file.parent, ((name[:cut], file.suffix),), keep, retired)



#: room a marshal load may take beyond what the process holds: bytes per payload byte
#: (a real payload needs at most ~36, a list of empty dicts; records ~5) and a floor
_MARSHAL_ROOM_PER_BYTE = 64
_MARSHAL_ROOM = 128 << 20
_CAP_LOCK = _thread.allocate_lock()  # _thread: builtin, threading is not on check's path


def load_marshal(payload: bytes | memoryview) -> Any:
    """``marshal.loads(payload)``, its memory bounded by the payload's size.

    marshal makes a list or tuple as long as the data claims before it reads
    one item, so five forged bytes claiming 2**31 - 1 items cost ~4.5 s of CPU
    (a list) or ~43 s and 16 GiB (a tuple) before it finds that the data ends
    (CPython 3.11, measured 2026-12-01). The claims sit anywhere in the stream;
    checking each against the bytes left would mean walking the stream in
    Python, slower than the parse a cache saves. So, where the system offers
    it (Linux: ``RLIMIT_DATA`` counts ``malloc``'s mappings, not the stack),
    the load runs with the process's data capped at what it holds now plus
    :data:`_MARSHAL_ROOM_PER_BYTE` bytes a payload byte plus
    :data:`_MARSHAL_ROOM`: such a claim fails at once with ``MemoryError``, and
    no forged file costs more than that room. The cap is lifted right after,
    and loads take turns (each puts back the limit it found);
    another thread allocating during the load shares it (guardrails runs none
    that allocates much then). Elsewhere, marshal's own bounds. Raises what
    ``marshal.loads`` raises.
    """
    import marshal

    # One capped load at a time: two threads each saving the limit they found
    # and putting it back could otherwise leave the other's cap in place.
    with _CAP_LOCK:
        lift = _cap_data(len(payload))
        if lift is None:
            return marshal.loads(payload)
        try:
            return marshal.loads(payload)
        finally:
            lift()


def _cap_data(size: int) -> Callable[[], None] | None:
    """Cap the process's data for a load of ``size`` bytes (see :func:`load_marshal`);
    returns what lifts the cap, or None when there is none to set (not Linux, or
    the process's own limit is already as tight)."""
    try:
        fd = os.open("/proc/self/status", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:  # not Linux
        return None
    try:
        status = os.read(fd, 1 << 14)
    finally:
        os.close(fd)
    try:
        held = int(status.split(b"VmData:", 1)[1].split(None, 1)[0]) * 1024
        import resource  # here: ~0.4 ms, paid only by a run that reads a cache

        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = held + _MARSHAL_ROOM_PER_BYTE * size + _MARSHAL_ROOM
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft != resource.RLIM_INFINITY and soft <= cap:
            return None
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    except (IndexError, ValueError, OSError, ImportError):
        return None
    return lambda: resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
