"""The postmortems part of the files source's cache: one file for a data folder.

A postmortem is remembered by the digest of its bytes
(:func:`guardrails.sources.files_cache.digest`) as its parsed form (front
matter, sections, section lines, lines), all of a folder's in one file beside
the tables (:mod:`guardrails.sources.files_cache` says what an entry rests on
and where the files live). The stored file is read on the first lookup;
what this run read or parsed is written back, once, when one was new or one
stored was not read again, and a folder of more than :data:`MAX_POSTMORTEMS`
keeps none.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from guardrails.sources.files_cachefile import (
    FORMAT,
    MARSHAL_VERSION,
    fits,
    loads,
    postmortem_shape,
    prune_kind,
    read_entry,
    write_entry,
)

#: postmortems kept for one folder; a bigger folder keeps none
MAX_POSTMORTEMS = 50_000


class PostmortemEntries(ABC):
    """The postmortems of :class:`~guardrails.sources.files_cache.FactCache`: digest
    -> stored entry, in the folder's one postmortems file.

    The host gives the abstract members below and ``_ctx`` (what an entry rests
    on). Abstract, so a host that misses one cannot be made (mypy says so where
    it is built, Python when it is): ``abc`` is loaded with the interpreter, so
    this costs no import.
    """

    #: the cache's context, written into each entry and compared on reading
    _ctx: list[Any]

    def __init__(self) -> None:
        # postmortems: digest -> stored entry (bytes), read on the first lookup
        self._pm_stored: dict[str, bytes] | None = None
        self._pm_kept: dict[str, bytes] = {}
        self._pm_new = False

    @abstractmethod
    def _file(self, kind: str) -> Path:
        """The cache file of ``kind`` (``"postmortems"`` here) for the host's folder."""

    @property
    @abstractmethod
    def max_data_bytes(self) -> int:
        """The largest data file kept (the host's)."""

    def postmortem(self, key: str) -> tuple[Any, ...] | None:
        """``(front, sections, section_lines, sections_normalized, lines, body_line)``
        stored for a postmortem whose bytes have digest ``key``, or None."""
        if self._pm_stored is None:
            self._pm_stored = self._postmortems()
        blob = self._pm_stored.get(key)
        if blob is None:
            return None
        value = loads(blob)
        if not postmortem_shape(value, len(blob)):
            return None
        self._pm_kept[key] = blob
        return value  # type: ignore[no-any-return]

    def snapshot_postmortem(self, value: tuple[Any, ...], size: int) -> bytes | None:
        """The stored form of a postmortem of ``size`` bytes just parsed, or None when
        it is not to be kept (too big, or a type marshal cannot keep)."""
        if size > self.max_data_bytes:
            return None
        try:
            return marshal.dumps(value, MARSHAL_VERSION)
        except (ValueError, RecursionError):
            return None

    def keep_postmortem(self, key: str, blob: bytes) -> None:
        """Keep a postmortem that loaded without an error (written by :meth:`flush`)."""
        if key not in self._pm_kept:
            self._pm_kept[key] = blob
            self._pm_new = True

    def flush_postmortems(self) -> None:
        """Write the postmortems this run read, when any was new or one stored was not
        read again (a deleted or edited file). Never raises."""
        stored = self._pm_stored or {}
        if not (self._pm_new or len(stored) != len(self._pm_kept)):
            return
        self._pm_stored, self._pm_new = dict(self._pm_kept), False  # written once
        if not self._pm_kept or len(self._pm_kept) > MAX_POSTMORTEMS:
            with contextlib.suppress(OSError):
                os.unlink(self._file("postmortems"))
            return
        try:
            payload = marshal.dumps(self._pm_kept, MARSHAL_VERSION)
        except (ValueError, RecursionError):
            return
        if not fits(payload):  # would never be read back
            with contextlib.suppress(OSError):
                os.unlink(self._file("postmortems"))
            return
        write_entry(self._file("postmortems"),
                    {"format": FORMAT, "context": self._ctx, "entry": ["postmortems"]},
                    payload)
        prune_kind(self._file("postmortems"))

    def _postmortems(self) -> dict[str, bytes]:
        payload = read_entry(self._file("postmortems"), ["postmortems"], self._ctx)
        if payload is None:
            return {}
        value = loads(payload)
        if (type(value) is not dict or len(value) > MAX_POSTMORTEMS
                or not set(map(type, value)) <= {str}
                or not set(map(type, value.values())) <= {bytes}):
            return {}
        return value
