"""The on-disk cache of GET answers that HTTP sources revalidate and read offline.

Kept apart from the client because it has its own contract: one JSON file per
URL, written atomically, an unreadable entry deleted and treated as absent,
and a key derived from the URL alone. The token travels only in the
Authorization header, never in a URL, so it can reach neither a cache key nor
a cache file. :class:`CacheMiss` and :func:`offline_error` say what
``--offline`` could not answer from here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from guardrails.cachefiles import read_regular, write_whole
from guardrails.errors import SourceError
from guardrails.sources.http_settings import MAX_BODY_BYTES

LOG = logging.getLogger(__name__)
#: the biggest entry read back: a body of MAX_BODY_BYTES, each byte escaped as JSON
#: (``\u0000``, 6 bytes) at worst, and its headers
_MAX_ENTRY_BYTES = 6 * MAX_BODY_BYTES + (1 << 20)


class CacheMiss(SourceError):
    """Offline, and the cache holds no answer for a request."""

    def __init__(self, source: str, shown: str, purpose: str) -> None:
        super().__init__(source, f"offline and no cached answer for GET {shown} ({purpose})")
        self.shown = shown
        self.purpose = purpose


class OfflineMiss(SourceError):
    """Offline, and the cache could not answer every request a source needed.

    ``cached`` counts the answers the cache did give in that run (None when
    the source did not say): 0 means nothing was ever cached for it, which
    the commit hook reports as one line and a skip rather than an error.
    """

    def __init__(self, source: str, message: str, misses: list[CacheMiss],
                 cached: int | None) -> None:
        super().__init__(source, message)
        self.misses = misses
        self.cached = cached


def offline_error(source: str, misses: list[CacheMiss], cache_dir: Path | None,
                  cached: int | None = None) -> OfflineMiss:
    """One error naming every fact kind (and its first URL) the cache could not answer.

    :param cached: how many answers the cache gave this source in the run.
    """
    lacks = "; ".join(f"{m.purpose} (GET {m.shown})" for m in misses)
    if cache_dir is None:
        return OfflineMiss(source, f"offline, and no HTTP cache directory is configured, so "
                           f"nothing can answer: {lacks}. Run without --offline.", misses, cached)
    where = f" in {cache_dir}"
    return OfflineMiss(
        source,
        f"offline, and the cache{where} lacks answers for: {lacks}. "
        "Run once without --offline to fill the cache.", misses, cached,
    )


@dataclass
class CacheEntry:
    """One stored answer: its body and the headers needed to revalidate and page on."""

    url: str
    body: str
    content_type: str
    link: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def from_answer(cls, url: str, body: bytes, headers: Mapping[str, str]) -> CacheEntry:
        """The entry for a 200 answer: its body and the validators it came with."""
        return cls(
            url=url, body=body.decode("utf-8"), content_type=headers.get("Content-Type", ""),
            link=headers.get("Link"), etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
        )

    def conditional_headers(self) -> dict[str, str]:
        """Headers that ask the server to answer 304 if this entry is still current."""
        conditional: dict[str, str] = {}
        if self.etag:
            conditional["If-None-Match"] = self.etag
        if self.last_modified:
            conditional["If-Modified-Since"] = self.last_modified
        return conditional

    def next_url(self) -> str | None:
        """The ``rel="next"`` target of the stored ``Link`` header, if any."""
        if not self.link:
            return None
        # requests is imported here, not at the top, so guardrails starts fast
        # without HTTP sources.
        from requests.utils import parse_header_links

        next_url = None
        for link in parse_header_links(self.link):
            if link.get("rel") == "next":
                next_url = link.get("url")
        return next_url


class ResponseCache:
    """GET answers on disk, one JSON file per URL (key: SHA-256 of the URL).

    Writes go to a new, randomly named temporary file in the same folder and
    are moved into place with ``os.replace``, so a crash never leaves half an
    entry, and nothing is ever written through a symbolic link: not one at an
    entry's name (it is replaced), nor a folder under ``base`` that is one
    (the entry is not kept). An entry that does not read back (a link, a FIFO
    or a folder in its place too) is deleted and treated as absent.
    """

    def __init__(self, root: Path, base: Path | None = None) -> None:
        self.root = root
        #: the cache folder the user chose (``root`` is a folder under it)
        self.base = root if base is None else base
        self.discarded: list[Path] = []

    def path_for(self, url: str) -> Path:
        """Where the answer for ``url`` lives; the key hashes the URL and nothing else."""
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def load(self, url: str) -> CacheEntry | None:
        """The stored answer for ``url``, or None when absent or unreadable."""
        path = self.path_for(url)
        try:
            data = read_regular(path, _MAX_ENTRY_BYTES)
            if data is None:
                if not os.path.lexists(path):
                    return None
                raise ValueError("not a regular file, or too big")
            raw = json.loads(data.decode("utf-8"))
            entry = CacheEntry(**raw)
            if entry.url != url:
                raise ValueError("entry does not belong to this URL")
            for name in ("body", "content_type"):
                if not isinstance(getattr(entry, name), str):
                    raise ValueError(f"{name} is not text")
            for name in ("link", "etag", "last_modified"):
                if not isinstance(getattr(entry, name), str | None):
                    raise ValueError(f"{name} is not text")
            return entry
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, RecursionError) as exc:
            LOG.warning("discarding unreadable cache entry %s: %s", path, exc)
            self.discarded.append(path)
            with contextlib.suppress(OSError):  # a folder there: left, never used
                path.unlink(missing_ok=True)
            return None

    def take_discard_note(self) -> str | None:
        """A note on the entries discarded since the last call (None if none), then forget them."""
        if not self.discarded:
            return None
        count = len(self.discarded)
        self.discarded.clear()
        return (f"discarded {count} unreadable cache entr" + ("y" if count == 1 else "ies")
                + f" under {self.root}")

    def save(self, entry: CacheEntry) -> None:
        """Store ``entry`` atomically; a failed write is logged, not raised."""
        path = self.path_for(entry.url)
        try:
            write_whole(path, json.dumps(entry.__dict__).encode("utf-8"), root=self.base)
        except OSError as exc:
            # A cache that cannot be written costs speed, not correctness.
            LOG.warning("cannot write HTTP cache entry %s: %s", path, exc)
