"""YAML loading that keeps line numbers and refuses duplicate keys.

PyYAML keeps the last of two equal keys silently; guardrails refuses them.
Timestamps and dates stay strings (as they are in JSON and CSV), so every
format reaches validation in the same shape. Positions are computed from the
node tree: exact lines for error messages, never guesses.

Every YAML text guardrails reads (config, rules, data files, postmortem front
matter) goes through :func:`load`, which bounds the work a document can ask
for before anything is built from it:

- aliases: the node tree a document expands to (each ``*alias`` counting the
  whole subtree it names) holds at most :data:`MAX_NODES` nodes beyond the
  nodes actually written, so a "billion laughs" is refused at once, in flat
  memory (the check walks each written node once);
- nesting: at most :data:`MAX_DEPTH` levels of mappings and sequences;
- numbers: no integer written with more than :data:`MAX_INT_DIGITS`
  characters (Python refuses to print integers of more than 4300 digits;
  nobody needs more than 100); with ``finite=True`` (org data) no NaN or
  infinity (``.nan``, ``.inf``, ``1e999``) either. Config and rule files
  check NaN in their validation, which lists every load error at once.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.errors import UsageError
from guardrails.yamlbase import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT_DIGITS,
    MAX_NODES,
    PathKey,
    Position,
    deep_offset,
    within_bounds,
)

if TYPE_CHECKING:
    import yaml

    from guardrails.safeopen import SafeOpener

def load(
    text: str, display: str, *, positions: bool = False, finite: bool = False
) -> tuple[Any, dict[PathKey, Position]]:
    """Parse one YAML document. With ``positions`` also map each path to (line, col).

    With ``finite`` (org data), ``.nan`` and ``.inf`` are refused at their position.
    The plainest texts are read by :mod:`guardrails.yamlfast` (same answer, no
    PyYAML import); everything else, and every error, by PyYAML.
    """
    from guardrails.yamlfast import load as fast

    done = fast(text, positions=positions)
    if done is not None:
        return done
    from guardrails.yamlparse import load as parse

    return parse(text, display, positions=positions, finite=finite)


def check_bounds(root: yaml.Node) -> None:
    """Refuse a node graph nested too deep or expanding too far (guardrails.yamlparse)."""
    from guardrails.yamlparse import check_bounds as check

    check(root)


def node_at(text: str, path: PathKey) -> yaml.Node | None:
    """The node at ``path`` of a YAML text, with its marks and style; None when absent
    (guardrails.yamlparse)."""
    from guardrails.yamlparse import node_at as find

    return find(text, path)


def read_bytes(path: Path, display: str | None = None,
               opener: SafeOpener | None = None) -> bytes:
    """The bytes of a regular file; a FIFO, device or socket is refused, never waited on.

    The file is opened without blocking (a FIFO with no writer would hang a
    plain ``open``) and checked on the open descriptor, so nothing can swap
    it between the check and the read. A file checked against the root is
    opened by its ``opener`` (:mod:`guardrails.safeopen`): no symbolic link
    swapped in after the check is followed out of the root.
    """
    shown = display or str(path)
    try:
        fd = (opener.open(path, shown) if opener is not None
              else os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)))
    except OSError as exc:
        raise UsageError(f"cannot read file: {exc.strerror}", file=shown) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            from guardrails.paths import kind_of

            raise UsageError(
                f"{kind_of(st.st_mode)}, not a regular file; guardrails reads only files",
                file=shown, fix="replace it with a regular file",
            )
        if st.st_size > MAX_FILE_BYTES:
            raise UsageError(
                f"the file has {st.st_size} bytes, more than guardrails reads "
                f"({MAX_FILE_BYTES} bytes)", file=shown, fix="split or trim the file",
            )
        chunks = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise UsageError(
                f"the file has more than {MAX_FILE_BYTES} bytes", file=shown,
                fix="split or trim the file",
            )
        return b"".join(chunks)
    except OSError as exc:
        raise UsageError(f"cannot read file: {exc.strerror}", file=shown) from None
    finally:
        os.close(fd)


def read_text(path: Path, display: str | None = None,
              opener: SafeOpener | None = None) -> str:
    """Read a UTF-8 text file (a BOM is tolerated); anything else is a UsageError."""
    shown = display or str(path)
    return decode_text(read_bytes(path, shown, opener), shown)


def decode_text(raw: bytes, shown: str) -> str:
    """The bytes of file ``shown`` as UTF-8 text (a BOM is tolerated), as :func:`read_text`."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            file=shown, line=line, fix="save the file as UTF-8",
        ) from None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a parser builds many objects.

    Parsing allocates containers by the hundred thousand and frees none, so
    every collection the allocations trigger walks a growing heap for
    nothing: a 44,000-record YAML file took 40-55 s with the collector on and
    about 4 s with it off. Reference counting still frees what dies; the
    collector is switched back on (only if it was on) when the block ends.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def load_file(path: Path, display: str | None = None, *, positions: bool = False):  # type: ignore[no-untyped-def]
    shown = display or str(path)
    return load(read_text(path, shown), shown, positions=positions)


def positions_of(text: str) -> dict[PathKey, Position]:
    """Positions of every node in a YAML (or JSON) text; empty when unparseable."""
    try:
        return load(text, "<text>", positions=True)[1]
    except UsageError:
        return {}


def nearest(pos: dict[PathKey, Position], path: PathKey) -> Position | None:
    """The position of ``path`` or of its closest ancestor that has one."""
    path = tuple(path)
    while True:
        if path in pos:
            return pos[path]
        if not path:
            return None
        path = path[:-1]


__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_INT_DIGITS", "MAX_NODES", "PathKey", "Position",
           "check_bounds", "decode_text", "deep_offset", "gc_paused", "load", "load_file",
           "nearest", "node_at", "positions_of", "read_bytes", "read_text", "within_bounds"]
