"""The history store: one summary line per run, one JSON Lines file per month.

``guardrails check --record`` and ``guardrails history --backfill`` append
entries here; ``guardrails history`` and ``guardrails trend`` read them back.
The store is a folder inside the project (``.guardrails/history/`` by
default, ``history_dir:`` in the config), never outside it: a folder (or a
file in it) that resolves out of the root through a symbolic link is refused.

Writing: every append takes an exclusive lock on ``.lock`` in the folder
(``fcntl.flock`` on POSIX, ``msvcrt.locking`` elsewhere), then appends the
new lines to the month file in place (``O_APPEND``), never rewriting it: the
cost of an append does not grow with the file, and the file keeps its inode,
owner and mode. The file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and
checked on its descriptor (a symbolic link, a FIFO or a device is refused,
exit 4); only its last byte is read, to start the new lines on a line of
their own. Two concurrent runs serialise on the lock, so both entries land.
Files only grow: nothing already written is changed. A crash in the middle
of an append can leave a torn last line: it is skipped on reading, with a
warning, and the next append starts after it on a new line.

Reading is hostile-input safe: a line that is not JSON, not an entry, or
longer than :data:`MAX_LINE` bytes is skipped with a warning naming
``file:line``; it never stops the read.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from guardrails.configmodel import DEFAULT_HISTORY_DIR
from guardrails.errors import ConfigError, UsageError
from guardrails.jsonfile import finite_number
from guardrails.timeutil import iso, parse_timestamp

#: the default store, relative to the folder holding the config
DEFAULT_DIR = DEFAULT_HISTORY_DIR
#: an entry's ``format`` and the version this guardrails writes and reads
FORMAT = "guardrails-history"
VERSION = 1
#: a line longer than this (bytes) is skipped, read in bounded chunks
MAX_LINE = 8 * 1024 * 1024
#: at most this many month files are read (about 80 years)
MAX_FILES = 1000
_MONTH_FILE = re.compile(r"history-(\d{4})-(\d{2})\.jsonl", re.ASCII)
#: result keys a history entry leaves out: the evidence and words of one run,
#: and the metric samples (``series``: up to 10,000 per metric, ~200 kB; a
#: history is one value per run, and the samples stay in the run's report for
#: ``guardrails merge``; ``measures``, one figure per team or module, likewise
#: stay in the report that charts them). Everything else a result carries (value, outcome,
#: threshold, the sample count, and whatever later report versions add) is kept.
_DROPPED = frozenset({"evidence", "details", "longrepr", "message", "file", "line",
                      "duration", "waiver", "series", "measures"})


@dataclass
class Entry:
    """One recorded (or backfilled) run: its time and each rule's summary."""

    now: datetime
    results: dict[str, dict[str, Any]]
    origin: str = "check"  # check | backfill
    focus: str | None = None
    exit_code: int | None = None
    where: str = ""  # file:line it was read from

    def to_json(self) -> dict[str, Any]:
        """The JSON line of this entry."""
        return {"format": FORMAT, "version": VERSION, "now": iso(self.now),
                "origin": self.origin, "focus": self.focus, "exit_code": self.exit_code,
                "results": list(self.results.values())}


@dataclass
class Loaded:
    """What a read gave: the entries (oldest first) and a warning per skipped line."""

    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def summarize(result: Mapping[str, Any]) -> dict[str, Any]:
    """A report result's JSON without its evidence and words (see ``_DROPPED``), floats
    rounded as the JSON report writes them (so an entry equals ``check --format json``'s)."""
    from guardrails.reporters.json import stable

    return {k: stable(v) for k, v in result.items() if k not in _DROPPED}


def entry_from_report(report: Any, origin: str = "check") -> Entry:
    """The history entry of a :class:`guardrails.model.Report`."""
    data = report.to_json()
    results = {r["id"]: summarize(r) for r in data["results"]}
    return Entry(now=parse_timestamp(data["now"]), results=results, origin=origin,
                 focus=data.get("focus"), exit_code=data["summary"].get("exit_code"))


def history_dir(config: Any) -> Path:
    """The store folder of ``config``: resolved, inside the root, not yet created.

    Raises :class:`ConfigError` (exit 4) when it resolves outside the folder
    holding the config (``..``, an absolute path, or a symbolic link anywhere
    on the way), or when something on the way is not a folder.
    """
    root = Path(os.path.realpath(config.root))
    text = config.data.get("history_dir") or DEFAULT_DIR
    line = config.line_of("history_dir") if config.data.get("history_dir") else None
    shown = config.display_path if config.path is not None else None
    resolved = Path(os.path.realpath(root / text))
    if resolved != root and not resolved.is_relative_to(root):
        raise ConfigError(
            f"history folder {text!r} resolves to {resolved}, outside the folder holding the "
            f"config ({root}); guardrails never writes or reads history outside it",
            file=shown, line=line,
            fix="name a folder inside the project in 'history_dir:' (default "
            f"{DEFAULT_DIR}), and no symbolic link that leads out of it")
    probe = resolved
    while not probe.exists() and probe != root:
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"history folder {text!r}: {probe} is not a folder", file=shown,
                          line=line, fix="remove the file or name another 'history_dir:'")
    return resolved


def month_file(folder: Path, when: datetime) -> Path:
    """``history-2026-12.jsonl``: the file of ``when``'s month (UTC)."""
    return folder / f"history-{iso(when)[:7]}.jsonl"  # type: ignore[index]


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the store's exclusive lock (blocks until the other writer is done)."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(folder / ".lock", flags, 0o666)
    except OSError as exc:
        raise UsageError(f"cannot lock the history folder {folder}: {exc.strerror}",
                         fix="the history folder must be writable (and .lock a file)") from None
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _not_regular(path: Path, mode: int) -> UsageError:
    from guardrails.paths import kind_of

    return UsageError(f"the history file is {kind_of(mode)}, not a regular file; guardrails "
                      "appends history only to a regular file in the store",
                      file=str(path), fix="remove it (the next --record creates the file "
                      "anew), or point 'history_dir:' at another folder")


def _refuse_link(path: Path) -> None:
    """Refuse what is not a regular file before the folder and its lock are made."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode)


def _open_append(path: Path) -> int:
    """``path`` opened to append (created when missing), checked on its descriptor:
    a symbolic link (``O_NOFOLLOW``), a FIFO or a device (``O_NONBLOCK``: never
    waits for a reader, then ``fstat``) is refused, whatever was swapped in
    after :func:`_refuse_link` looked."""
    flags = (os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise _not_regular(path, stat.S_IFLNK) from None
        if exc.errno == errno.ENXIO:  # a FIFO no one reads, a device without a driver
            try:
                mode = os.lstat(path).st_mode
            except OSError:  # gone since (a race): it was no regular file either
                mode = stat.S_IFIFO
            raise _not_regular(path, mode) from None
        raise UsageError(f"cannot open the history file: {exc.strerror}", file=str(path),
                         fix="the history folder and its files must be writable") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _not_regular(path, st.st_mode)
    return fd


def _byte_at(fd: int, offset: int) -> bytes:
    """The byte at ``offset`` (``os.pread`` where there is one; appends ignore the
    file position either way)."""
    if hasattr(os, "pread"):
        return os.pread(fd, 1, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows
    return os.read(fd, 1)  # pragma: no cover


def _append_lines(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` in place, on a line of its own."""
    fd = _open_append(path)
    try:
        size = os.fstat(fd).st_size
        if size and _byte_at(fd, size - 1) != b"\n":
            data = b"\n" + data  # a torn last line stays a line of its own (skipped on read)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            if written <= 0:  # a file system that takes nothing and says no error
                raise OSError(errno.EIO, "the file took no more bytes")
            view = view[written:]
    except OSError as exc:
        raise UsageError(f"cannot append to the history file: {exc.strerror}",
                         file=str(path), fix="check the free space and permissions of the "
                         "history folder; a line cut short is skipped when read") from None
    finally:
        os.close(fd)


def append(folder: Path, entries: Iterable[Entry]) -> list[Path]:
    """Append ``entries`` to their month files, under the lock; returns the files written."""
    by_file: dict[Path, list[str]] = {}
    for e in entries:
        line = json.dumps(e.to_json(), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"), sort_keys=False)
        by_file.setdefault(month_file(folder, e.now), []).append(line + "\n")
    if not by_file:
        return []
    for path in by_file:  # before the lock file is made: a refused store stays as it was
        _refuse_link(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the history folder {folder}: {exc.strerror}") from None
    with locked(folder):
        for path, lines in sorted(by_file.items()):
            _append_lines(path, "".join(lines).encode("utf-8"))
    return sorted(by_file)


def _lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; ``None`` for a line over :data:`MAX_LINE`."""
    n = 0
    while True:
        chunk = fh.readline(MAX_LINE + 1)
        if not chunk:
            return
        n += 1
        if len(chunk) > MAX_LINE and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):  # skip the rest, bounded reads
                chunk = fh.readline(1 << 20)
            yield n, None
            continue
        yield n, chunk


def _number(v: Any) -> bool:
    return v is None or finite_number(v)


def parse_entry(data: Any, where: str) -> Entry:
    """An :class:`Entry` from a decoded line; ``ValueError`` says what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a guardrails history entry ('format' must be {FORMAT!r})")
    version = data.get("version")
    if not isinstance(version, int) or not 1 <= version <= VERSION:
        raise ValueError(f"history entry version {version!r}; this guardrails reads "
                         f"versions 1 to {VERSION}")
    now = parse_timestamp(data.get("now"))
    results = data.get("results")
    if not isinstance(results, list):
        raise ValueError("'results' must be a list")
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        if not isinstance(r, dict) or not isinstance(r.get("id"), str):
            raise ValueError("every result needs an 'id'")
        if not _number(r.get("value")):
            raise ValueError(f"{r['id']}: 'value' must be a finite number or null")
        thr = r.get("threshold")
        if thr is not None and not (isinstance(thr, dict)
                                    and all(_number(v) for v in thr.values())):
            raise ValueError(f"{r['id']}: 'threshold' must map min/max to numbers")
        out[r["id"]] = r
    origin = data.get("origin")
    return Entry(now=now, results=out, origin=origin if isinstance(origin, str) else "check",
                 focus=data.get("focus") if isinstance(data.get("focus"), str) else None,
                 exit_code=data.get("exit_code") if isinstance(data.get("exit_code"), int)
                 else None, where=where)


def load(folder: Path, root: Path | None = None) -> Loaded:
    """Every entry of the store, oldest first; bad lines become warnings."""
    got = Loaded()
    if not folder.is_dir():
        return got
    names = sorted(p.name for p in folder.iterdir() if _MONTH_FILE.fullmatch(p.name))
    if len(names) > MAX_FILES:
        got.warnings.append(f"{folder}: {len(names)} month files; reading the last {MAX_FILES}")
        names = names[-MAX_FILES:]
    shown_root = root or folder
    for name in names:
        path = folder / name
        shown = os.path.relpath(path, shown_root)
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            got.warnings.append(f"{shown}: not a regular file (a symbolic link?); skipped")
            continue
        with path.open("rb") as fh:
            for n, raw in _lines(fh):
                where = f"{shown}:{n}"
                if raw is None:
                    got.warnings.append(f"{where}: line longer than {MAX_LINE} bytes; skipped")
                    continue
                if not raw.strip():
                    continue
                try:
                    entry = parse_entry(json.loads(raw), where)
                except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                    if not raw.endswith(b"\n"):  # the file's last line, cut short
                        got.warnings.append(
                            f"{where}: torn last line skipped (a run ended while appending "
                            "it; the next --record starts on a new line after it)")
                        continue
                    text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                    got.warnings.append(f"{where}: corrupt history line skipped ({text})")
                    continue
                got.entries.append(entry)
    got.entries.sort(key=lambda e: e.now)  # stable: same-time entries keep file order
    return got


__all__ = ["DEFAULT_DIR", "MAX_LINE", "Entry", "Loaded", "append", "entry_from_report",
           "history_dir", "load", "locked", "month_file", "parse_entry", "summarize"]
