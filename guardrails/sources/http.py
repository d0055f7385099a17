"""The HTTP client shared by the code-host and incident sources.

One :class:`HttpClient` per source run: a ``requests`` session whose adapter
retries connection errors, read timeouts and 5xx answers with exponential
backoff (urllib3 ``Retry``), a timeout on every request, waits for rate
limits that reset soon, Link and offset pagination with a page cap, and an
on-disk cache of GET answers revalidated with ``If-None-Match`` /
``If-Modified-Since`` (a 304 costs no body) that also serves ``--offline``.

This module holds the client and the settings every HTTP source shares; the
cache lives in :mod:`guardrails.sources.http_cache` and the error messages in
:mod:`guardrails.sources.http_errors`. Sources import every public name from
here, which re-exports those modules' public names.

The token is read from the environment variable the config names and lives
only in the session's auth hook: never in URLs, cache keys, cache files,
log lines or exception texts (every message passes through ``_scrub``).
``requests`` is imported lazily so guardrails starts fast without HTTP
sources.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from guardrails.progress import ProgressTask
from guardrails.sources.http_cache import CacheEntry, CacheMiss, ResponseCache, offline_error
from guardrails.sources.http_errors import HttpErrors, config_error, rate_limit_wait
from guardrails.sources.http_shapes import Shape
from guardrails.textsafe import printable as _escape

if TYPE_CHECKING:
    import requests

    from guardrails.plugin import SourceEnv

# Sources and tests import these from here, whichever module defines them.
__all__ = ["COMMON_PROPERTIES", "Answer", "CacheEntry", "CacheMiss", "Cancelled", "HttpClient",
           "HttpSettings", "Page", "ResponseCache", "Shape", "Stats", "config_error",
           "offline_error"]

LOG = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


#: JSON Schema properties every HTTP source accepts (merged into its own schema)
COMMON_PROPERTIES: dict[str, Any] = {
    "token_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                  "description": "Environment variable holding the API token."},
    "api_url": {"type": "string", "pattern": "^https?://",
                "description": "Base URL of the API (e.g. a GitHub Enterprise Server's /api/v3)."},
    "timeout": {"type": "number", "exclusiveMinimum": 0,
                "description": "Seconds one attempt may wait for a connection or data; a "
                               "whole GET ends within timeout x (retries + 1), plus "
                               "backoff and 1 s."},
    "retries": {"type": "integer", "minimum": 0, "maximum": 10,
                "description": "Retries of connection errors, timeouts and 5xx answers."},
    "backoff_factor": {"type": "number", "minimum": 0,
                       "description": "Exponential backoff factor between retries, seconds."},
    "max_pages": {"type": "integer", "minimum": 1,
                  "description": "Most pages read from one listing before giving up."},
    "rate_limit_max_wait": {"type": "number", "minimum": 0,
                            "description": "Longest wait, seconds, for a rate limit to reset."},
    "workers": {"type": "integer", "minimum": 1, "maximum": 64,
                "description": "Concurrent requests for per-item details."},
    "max_body_bytes": {"type": "integer", "minimum": 1,
                       "description": "Largest answer body, decompressed, in bytes "
                                      "(default 64 MiB); a larger one fails the source."},
}

_RETRY_STATUSES = (500, 502, 503, 504)
# The content type of a cache entry that records a 404 (never a real answer's type).
_NOT_FOUND = "guardrails/not-found"
_MAX_RATE_LIMIT_WAITS = 4
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
#: default cap on one decompressed answer body
MAX_BODY_BYTES = 64 * 1024 * 1024
# Bodies are read in small pieces: each piece of compressed input decompresses
# to at most ~1000 times its size before the cap is checked again.
_CHUNK = 16 * 1024
# How often a thread waiting for an answer looks at the deadline and at Ctrl-C.
_POLL = 0.1


@dataclass(frozen=True)
class HttpSettings:
    """Connection settings of one source, from its config block."""

    api_url: str
    token_env: str
    timeout: float = 30.0
    retries: int = 3
    backoff_factor: float = 0.5
    max_pages: int = 100
    rate_limit_max_wait: float = 60.0
    workers: int = 8
    max_body_bytes: int = MAX_BODY_BYTES

    @property
    def deadline(self) -> float:
        """Seconds one GET may take in all, whatever the server does.

        Every attempt's timeout, the backoff between attempts, and one second
        of grace, so a plain read timeout is reported as such first.
        """
        backoff = sum(min(30.0, self.backoff_factor * 2 ** i) for i in range(self.retries))
        return self.timeout * (self.retries + 1) + backoff + 1.0

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], *, api_url: str, token_env: str
    ) -> HttpSettings:
        """Settings from a source's options, with the source's defaults."""
        return cls(
            api_url=str(options.get("api_url", api_url)).rstrip("/"),
            token_env=str(options.get("token_env", token_env)),
            timeout=float(options.get("timeout", 30.0)),
            retries=int(options.get("retries", 3)),
            backoff_factor=float(options.get("backoff_factor", 0.5)),
            max_pages=int(options.get("max_pages", 100)),
            rate_limit_max_wait=float(options.get("rate_limit_max_wait", 60.0)),
            workers=int(options.get("workers", 8)),
            max_body_bytes=int(options.get("max_body_bytes", MAX_BODY_BYTES)),
        )


@dataclass
class Page:
    """One decoded JSON answer."""

    data: Any
    url: str
    next_url: str | None
    from_cache: bool


@dataclass
class Stats:
    """What a run cost: requests sent, 304s, body bytes received, cache answers."""

    requests: int = 0
    not_modified: int = 0
    body_bytes: int = 0
    bodies: int = 0
    cache_answers: int = 0
    rate_limit_wait: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for key, amount in amounts.items():
                setattr(self, key, getattr(self, key) + amount)


# ---------------------------------------------------------------------------
# the client
# ---------------------------------------------------------------------------


class HttpClient:
    """GET JSON from one API for one source run.

    :param source: the source name, for error messages and the cache folder.
    :param service: the API's human name ("GitHub", "PagerDuty").
    :param settings: connection settings.
    :param env: the run's environment (``offline``, ``cache_dir``).
    :param headers: headers sent with every request.
    :param auth_scheme: turns the token into the auth header's value.
    :param token_required: fail when the token variable is unset (else warn).
    :param auth_header: the header carrying the token (GitLab: ``PRIVATE-TOKEN``).
    """

    def __init__(
        self,
        source: str,
        service: str,
        settings: HttpSettings,
        env: SourceEnv,
        headers: Mapping[str, str],
        auth_scheme: Callable[[str], str],
        *,
        token_required: bool = False,
        auth_header: str = "Authorization",
    ) -> None:
        self.source = source
        self.service = service
        self.settings = settings
        self.env = env
        self.headers = dict(headers)
        self.stats = Stats()
        self.warnings: list[str] = []
        self._token = (os.environ.get(settings.token_env) or "").strip() or None
        self._auth_scheme = auth_scheme
        self._auth_header = auth_header
        self._token_required = token_required
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._base = urlsplit(settings.api_url)
        self._in_map = 0  # listings read inside map() report through map's task
        self.cache = (
            ResponseCache(Path(env.cache_dir) / "http" / source) if env.cache_dir else None
        )
        self._errors = HttpErrors(source, service, settings, has_token=self._token is not None,
                                  netloc=self._base.netloc.rpartition("@")[2],
                                  scrub=self._scrub)

    # -- public ------------------------------------------------------------

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, purpose: str,
        shape: Shape | None = None,
    ) -> Page:
        """GET one JSON answer (``url`` is a path under api_url or a full URL).

        ``shape`` checks the decoded answer; one that does not fit is a SourceError
        naming the URL path, so the code reading it can trust its types.
        """
        page = self._get(url, params, purpose=purpose)
        assert page is not None
        if shape is not None:
            shape.check(page.data, self.shown(page.url), purpose, self._errors.error)
        return page

    def get_if_found(
        self, url: str, params: Mapping[str, Any] | None = None, *, purpose: str,
        shape: Shape | None = None,
    ) -> Page | None:
        """As :meth:`get`, but None when the API answers 404 (a reference that names
        nothing is data to warn about, not a failed source); every other failure
        still raises."""
        page = self._get(url, params, purpose=purpose, missing_ok=True)
        if page is None:
            return None
        if shape is not None:
            shape.check(page.data, self.shown(page.url), purpose, self._errors.error)
        return page

    def _get(self, url: str, params: Mapping[str, Any] | None, *, purpose: str,
             missing_ok: bool = False) -> Page | None:
        full = self._url(url, params)
        shown = self.shown(full)
        if self._cancelled.is_set():
            raise Cancelled()
        entry = self.cache.load(full) if self.cache else None
        if entry is not None and entry.content_type == _NOT_FOUND:
            # a 404 remembered for get_if_found: offline it answers "not found";
            # online it is asked again (it has no validator to revalidate with)
            if self.env.offline and missing_ok:
                self.stats.add(cache_answers=1)
                return None
            entry = None
        if self.env.offline:
            if entry is None:
                raise CacheMiss(self.source, shown, purpose)
            self.stats.add(cache_answers=1)
            return self._from_entry(entry, shown, purpose)
        conditional = entry.conditional_headers() if entry is not None else {}
        resp = self._send(full, conditional, shown, purpose)
        hops = 0
        while resp.status_code in _REDIRECTS:
            # Followed here, not by requests: only to a URL under api_url, a few times.
            target = urljoin(full, resp.headers.get("Location", "")[:8192])
            hops += 1
            if not self._under_base(target):
                raise self._errors.error(
                    f"GET {shown} ({purpose}) answered {resp.status_code}, a redirect outside "
                    f"api_url ({_escape(urlsplit(target).netloc or target)[:80]}); refusing to "
                    "follow it")
            if hops > _MAX_REDIRECTS:
                raise self._errors.error(
                    f"GET {shown} ({purpose}) redirected more than {_MAX_REDIRECTS} times "
                    "(a redirect loop?)")
            resp = self._send(target, {}, shown, purpose)
        if resp.status_code == 304 and entry is not None:
            self.stats.add(not_modified=1, cache_answers=1)
            return self._from_entry(entry, shown, purpose)
        if resp.status_code == 404 and missing_ok:
            if self.cache is not None:
                self.cache.save(CacheEntry(url=full, body="", content_type=_NOT_FOUND))
            return None
        if resp.status_code != 200:
            raise self._errors.status(resp, shown, purpose)
        body = resp.content
        self.stats.add(bodies=1, body_bytes=len(body))
        ctype = resp.headers.get("Content-Type", "")
        data = self._errors.decode(body, ctype, shown, purpose)
        next_url = resp.links.get("next", {}).get("url")
        headers: Mapping[str, str] = resp.headers
        if next_url:
            next_url = urljoin(full, next_url)
        else:
            # GitLab sends X-Next-Page with its Link header, and alone behind
            # some proxies; kept as a Link in the cache so --offline pages on too.
            next_url = _next_page(full, resp.headers.get("X-Next-Page"))
            if next_url:
                headers = {**resp.headers, "Link": f'<{next_url}>; rel="next"'}
        if self.cache is not None:
            self.cache.save(CacheEntry.from_answer(full, body, headers))
        return Page(data, full, next_url, from_cache=False)

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        purpose: str,
        items_key: str | None = None,
        shape: Shape | None = None,
    ) -> Iterator[list[Any]]:
        """Items of every page of a listing, following ``Link: rel="next"``.

        A next link must stay under api_url (never another host, scheme or
        path: the token goes with every request) and must not repeat a page
        already read (a loop). ``shape`` checks each item.
        """
        first_url = self._url(path, params)
        first = self.shown(first_url)
        url: str | None = first_url
        seen: set[str] = set()
        count = 0
        with self._task(purpose, "pages") as task:
            while url:
                count += 1
                if count > self.settings.max_pages:
                    raise self._errors.page_cap(first, purpose)
                seen.add(url)
                page = self.get(url, purpose=purpose)
                items = self._items(page, items_key, purpose)
                if shape is not None:
                    shape.check_items(items, self.shown(page.url), purpose,
                                      self._errors.error)
                task.advance()
                yield items
                url = self._next_page(page, first, purpose, count, seen)

    def _next_page(self, page: Page, first: str, purpose: str, count: int,
                   seen: set[str]) -> str | None:
        """The next page's URL, refused when it leaves api_url or repeats a page."""
        url = page.next_url
        if url and not self._under_base(url):
            target = urlsplit(url)
            shown_target = _escape(target.scheme + ":" + target.path)[:80]
            where = (f"to another host ({_escape(target.netloc)[:80]})"
                     if target.netloc.lower() != self._base.netloc.lower()
                     else f"outside api_url ({shown_target})")
            raise self._errors.error(
                f"GET {first} ({purpose}): the next-page link points {where}; refusing "
                "to follow it and send the token there")
        if url and url in seen:
            raise self._errors.error(
                f"GET {first} ({purpose}): the next-page link of page {count} repeats "
                "a page already read (a pagination loop); stopped rather than loop")
        return url

    def offset_pages(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        purpose: str,
        items_key: str,
        limit: int = 100,
        shape: Shape | None = None,
        page_shape: Shape | None = None,
        more: Callable[[Any], bool] | None = None,
        max_results: int | None = None,
    ) -> Iterator[list[Any]]:
        """Items of every page of an offset/limit listing, until ``more`` is false.

        ``more(data)`` says whether another page follows (default: the
        answer's ``more`` is true, as PagerDuty writes it). ``max_results`` is
        the API's own cap on ``offset + limit`` (Opsgenie: 20,000): a listing
        that would need a page past it fails rather than end short.
        """
        offset = 0
        count = 0
        first = self.shown(self._url(path, {**params, "limit": limit, "offset": 0}))
        with self._task(purpose, "pages") as task:
            while True:
                count += 1
                if count > self.settings.max_pages:
                    raise self._errors.page_cap(first, purpose)
                if max_results is not None and offset + limit > max_results:
                    raise self._errors.error(
                        f"GET {first} ({purpose}) has more than {offset} results, and the "
                        f"{self.service} API serves no more than {max_results} of one "
                        "listing; stopped rather than use partial data. Shorten the window "
                        "or narrow the source's filters")
                page = self.get(path, {**params, "limit": limit, "offset": offset},
                                purpose=purpose, shape=page_shape)
                items = self._items(page, items_key, purpose)
                if shape is not None:
                    shape.check_items(items, self.shown(page.url), purpose,
                                      self._errors.error)
                task.advance()
                yield items
                going_on = (more(page.data) if more is not None
                            else page.data.get("more") is True)
                if not going_on or not items:
                    return
                offset += len(items)

    def cursor_pages(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        purpose: str,
        items: Callable[[Any], Any],
        next_cursor: Callable[[Any], Any],
        cursor_param: str = "offset",
        shape: Shape | None = None,
        page_shape: Shape | None = None,
    ) -> Iterator[list[Any]]:
        """Items of every page of a listing paged by an opaque cursor the answer names.

        ``items(data)`` picks the page's list and ``next_cursor(data)`` the
        cursor of the next page (None or "" at the end); the cursor goes back as
        ``cursor_param``. A cursor that repeats one already sent is a loop and
        stops the source, as does a listing longer than ``max_pages``.
        """
        first = self.shown(self._url(path, params))
        cursor: str | None = None
        seen: set[str] = set()
        count = 0
        with self._task(purpose, "pages") as task:
            while True:
                count += 1
                if count > self.settings.max_pages:
                    raise self._errors.page_cap(first, purpose)
                query = dict(params) if cursor is None else {**params, cursor_param: cursor}
                page = self.get(path, query, purpose=purpose, shape=page_shape)
                found = items(page.data)
                if not isinstance(found, list):
                    raise self._errors.not_a_list(self.shown(page.url), purpose, None)
                if shape is not None:
                    shape.check_items(found, self.shown(page.url), purpose,
                                      self._errors.error)
                task.advance()
                yield found
                nxt = next_cursor(page.data)
                if nxt is None or nxt == "" or not found:
                    return
                cursor = str(nxt)[:1000]
                if cursor in seen:
                    raise self._errors.error(
                        f"GET {first} ({purpose}): the next-page cursor of page {count} "
                        "repeats one already sent (a pagination loop); stopped rather "
                        "than loop")
                seen.add(cursor)

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, label: str) -> list[R]:
        """``fn`` over ``items`` on at most ``workers`` threads, results in order.

        The first failure cancels what has not started and is raised. Ctrl-C
        (KeyboardInterrupt in the calling thread) cancels queued calls at once,
        tells running ones to give up at their next poll, and propagates without
        waiting for slow answers.
        """
        todo = list(items)
        if not todo:
            return []
        with self._task(None, label, total=len(todo)) as task:
            self._in_map += 1
            try:
                return self._map(fn, todo, task)
            finally:
                self._in_map -= 1

    def _map(self, fn: Callable[[T], R], todo: list[T], task: ProgressTask) -> list[R]:
        total = len(todo)
        if self.settings.workers <= 1 or total == 1:
            out = []
            for item in todo:
                out.append(fn(item))
                task.advance()
            return out
        pool = ThreadPoolExecutor(max_workers=self.settings.workers,
                                  thread_name_prefix=f"guardrails-{self.source}")
        futures = [pool.submit(fn, item) for item in todo]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                task.advance(len(done))
                failed = next((f for f in done if f.exception() is not None), None)
                if failed is not None:
                    raise failed.exception()  # type: ignore[misc]
        except BaseException as exc:
            # Cancel the queue and do not join the running calls: a slow server
            # must not hold up an error or Ctrl-C. An interrupt also stops the
            # running calls at their next poll; an ordinary failure lets them end.
            if not isinstance(exc, Exception):
                self._cancelled.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return [f.result() for f in futures]

    def cancel(self) -> None:
        """Make every request of this client, running or to come, give up promptly."""
        self._cancelled.set()

    def shown(self, url: str) -> str:
        """A URL as messages show it: path and query under api_url, never the token."""
        parts = urlsplit(url)
        path = parts.path
        base_path = self._base.path.rstrip("/")
        if parts.netloc == self._base.netloc and base_path and path.startswith(base_path):
            path = path[len(base_path):] or "/"
        query = _mask_query(parts.query)
        text = path + (f"?{query}" if query else "")
        return _escape(self._scrub(text))

    def close(self) -> None:
        """Close the session and collect cache warnings."""
        if self._session is not None:
            self._session.close()
            self._session = None
        note = self.cache.take_discard_note() if self.cache is not None else None
        if note:
            self.warnings.append(f"{self.source}: {note}")

    # -- internals -----------------------------------------------------------

    def _url(self, url: str, params: Mapping[str, Any] | None) -> str:
        if not url.startswith(("http://", "https://")):
            url = self.settings.api_url + "/" + url.lstrip("/")
        if params:
            query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
            url += ("&" if "?" in url else "?") + query
        return url

    def _under_base(self, url: str) -> bool:
        """True when ``url`` is api_url itself or below it (same scheme, host, port, path)."""
        parts = urlsplit(url)
        if (parts.scheme.lower(), parts.netloc.lower()) != (
                self._base.scheme.lower(), self._base.netloc.lower()):
            return False
        base_path = self._base.path.rstrip("/")
        path = parts.path
        if "/../" in path + "/" or "/./" in path + "/" or "\\" in path:
            return False
        return not base_path or path == base_path or path.startswith(base_path + "/")

    def _scrub(self, text: str) -> str:
        if self._token and len(self._token) >= 4:
            text = text.replace(self._token, "***")
        return text

    def _session_get(self) -> requests.Session:
        with self._session_lock:
            if self._session is None:
                self._session = self._make_session()
            return self._session

    def _make_session(self) -> requests.Session:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        s = self.settings
        retry = Retry(
            total=None, connect=s.retries, read=s.retries, status=s.retries, other=0,
            allowed_methods=frozenset({"GET"}), status_forcelist=_RETRY_STATUSES,
            backoff_factor=s.backoff_factor, backoff_max=30,
            # 429/403 waits are decided by rate_limit_wait and capped in _send.
            respect_retry_after_header=False, raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=2,
                              pool_maxsize=max(10, s.workers))
        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        from guardrails import __version__

        session.headers.update({"User-Agent": f"guardrails/{__version__}", **self.headers})
        if self._token:
            if not self._token.isascii() or not self._token.isprintable():
                raise self._errors.bad_token()
            session.auth = _HeaderAuth(self._auth_scheme(self._token), self._auth_header)
        elif self._token_required:
            raise self._errors.missing_token()
        else:
            self.warnings.append(
                f"{self.source}: ${self.settings.token_env} is not set; querying the "
                f"{self.service} API without a token (low rate limits, public data only)")
        return session

    def _send(self, url: str, headers: Mapping[str, str], shown: str, purpose: str) -> Answer:
        session = self._session_get()
        waited = 0.0
        for _ in range(_MAX_RATE_LIMIT_WAITS + 1):
            self.stats.add(requests=1)
            resp = self._fetch(session, url, headers, shown, purpose)
            LOG.debug("GET %s -> %s", shown, resp.status_code)
            pause = rate_limit_wait(resp)
            if pause is None:
                return resp
            if not math.isfinite(pause) or waited + pause > self.settings.rate_limit_max_wait:
                raise self._errors.rate_limited(resp, shown, purpose, pause)
            LOG.info("%s rate limit: waiting %.1fs", self.service, pause)
            # An Event, not time.sleep: Ctrl-C and cancel() end the wait at once.
            if self._cancelled.wait(pause):
                raise Cancelled()
            waited += pause
            self.stats.add(rate_limit_wait=pause)
        raise self._errors.error(
            f"GET {shown} ({purpose}): still rate limited after {_MAX_RATE_LIMIT_WAITS} waits")

    def _fetch(self, session: requests.Session, url: str, headers: Mapping[str, str],
               shown: str, purpose: str) -> Answer:
        """One GET, read whole, within ``settings.deadline`` seconds in all.

        The request runs on a daemon thread while this one waits, polling the
        deadline and cancel(): a server that drips a byte a second, or never
        ends its headers, costs at most the deadline, and Ctrl-C is never held
        up by a socket read (a daemon thread does not delay the exit).
        """
        deadline = time.monotonic() + self.settings.deadline
        box = _Box()
        worker = threading.Thread(
            target=self._fetch_into, args=(session, url, dict(headers), box, deadline),
            name=f"guardrails-{self.source}-get", daemon=True)
        worker.start()
        while not box.done.wait(_POLL):
            if self._cancelled.is_set():
                box.abandon()
                raise Cancelled()
            if time.monotonic() > deadline:
                box.abandon()
                raise self._errors.error(
                    f"GET {shown} ({purpose}) failed: no complete answer within "
                    f"{self.settings.deadline:g}s (timeout={self.settings.timeout:g}s per "
                    f"attempt, {self.settings.retries + 1} attempt(s), with backoff); the "
                    "server is too slow or sends its answer a trickle at a time")
        if box.error is not None:
            exc = box.error
            if isinstance(exc, _TooBig):
                raise self._errors.error(
                    f"GET {shown} ({purpose}) answered more than max_body_bytes="
                    f"{self.settings.max_body_bytes} bytes (after decompression); stopped "
                    "reading. Raise sources."
                    f"{self.source}.max_body_bytes if the answer is genuine")
            if isinstance(exc, _Late):
                raise self._errors.error(
                    f"GET {shown} ({purpose}) failed: no complete answer within "
                    f"{self.settings.deadline:g}s; the server sends its answer a trickle "
                    "at a time")
            if _is_transport_error(exc):
                raise self._errors.transport(exc, shown, purpose) from None
            raise exc
        assert box.answer is not None
        return box.answer

    def _fetch_into(self, session: requests.Session, url: str, headers: dict[str, str],
                    box: _Box, deadline: float) -> None:
        try:
            resp = session.get(url, headers=headers, stream=True, allow_redirects=False,
                               timeout=(self.settings.timeout, self.settings.timeout))
            box.response = resp
            if box.abandoned:
                box.abandon()
            try:
                body = bytearray()
                if resp.status_code != 304:
                    cap = self.settings.max_body_bytes
                    for chunk in resp.raw.stream(_CHUNK, decode_content=True):
                        body += chunk
                        if len(body) > cap:
                            raise _TooBig()
                        if box.abandoned or time.monotonic() > deadline:
                            raise _Late()
                box.answer = Answer(resp.status_code, resp.reason or "", resp.headers,
                                    bytes(body))
            finally:
                resp.close()
        except BaseException as exc:  # handed to the waiting thread
            box.error = exc
        finally:
            box.done.set()

    def _from_entry(self, entry: CacheEntry, shown: str, purpose: str) -> Page:
        data = self._errors.decode(entry.body.encode("utf-8"), entry.content_type, shown,
                                   purpose)
        next_url = entry.next_url()
        return Page(data, entry.url, urljoin(entry.url, next_url) if next_url else None,
                    from_cache=True)

    def _items(self, page: Page, items_key: str | None, purpose: str) -> list[Any]:
        data = page.data
        if items_key:
            items = data.get(items_key) if isinstance(data, dict) else None
        else:
            items = data
        if not isinstance(items, list):
            raise self._errors.not_a_list(self.shown(page.url), purpose, items_key)
        return items

    def _task(self, what: str | None, unit: str, total: int | None = None) -> ProgressTask:
        """A progress task ``SOURCE: what`` (silent inside map(): its task counts)."""
        if self._in_map:
            return ProgressTask()
        label = self.source if what is None else f"{self.source}: {what}"
        return self.env.progress.task(label, total=total, unit=unit)


class Cancelled(KeyboardInterrupt):
    """A request given up because the run was interrupted (Ctrl-C or cancel()).

    A KeyboardInterrupt, so it ends the run as an interrupt (exit 2) wherever
    it surfaces, and no ``except Exception`` turns it into a rule outcome.
    """


class _TooBig(Exception):
    """The body grew past max_body_bytes."""


class _Late(Exception):
    """The deadline passed while the body was still arriving."""


@dataclass
class Answer:
    """A whole HTTP answer: what the client and its error messages read of it."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def links(self) -> dict[str, dict[str, str]]:
        """The ``Link`` header by rel, as ``requests.Response.links`` gives it."""
        from requests.utils import parse_header_links

        header = self.headers.get("Link")
        if not header:
            return {}
        out: dict[str, dict[str, str]] = {}
        for link in parse_header_links(header[:64 * 1024]):
            key = link.get("rel") or link.get("url")
            if key:
                out[key] = link
        return out


@dataclass
class _Box:
    """Where a request thread leaves its answer or its exception."""

    done: threading.Event = field(default_factory=threading.Event)
    answer: Answer | None = None
    error: BaseException | None = None
    abandoned: bool = False
    response: Any = None

    def abandon(self) -> None:
        """Give the request up: shut its socket, so a blocked read ends at once and
        the server sees the client go (best effort: before the answer's headers
        arrived there is no socket to reach, and the read ends at its timeout)."""
        self.abandoned = True
        raw = getattr(self.response, "raw", None)
        # urllib3 keeps the socket on its connection, or (answers that close the
        # connection) http.client hands it to the response's file object.
        candidates = (getattr(getattr(raw, "_connection", None), "sock", None),
                      getattr(getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw",
                                      None), "_sock", None))
        for sock in candidates:
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _is_transport_error(exc: BaseException) -> bool:
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error

    return isinstance(exc, requests.RequestException | Urllib3Error | OSError)


_SECRET_PARAM = re.compile(r"token|key|secret|passw|sig|auth|code", re.IGNORECASE)


def _mask_query(query: str) -> str:
    """A query string with the values of secret-looking parameters replaced by ***."""
    if not query or not _SECRET_PARAM.search(query):
        return query
    out = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        out.append(f"{name}{eq}***" if eq and _SECRET_PARAM.search(name) else part)
    return "&".join(out)


def _next_page(url: str, header: str | None) -> str | None:
    """``url`` with its ``page`` parameter set to an ``X-Next-Page`` value (None: no next page)."""
    value = (header or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 7 and int(value) > 0):
        return None
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return parts._replace(query=urlencode([*query, ("page", str(int(value)))])).geturl()


class _HeaderAuth:
    """Sets the auth header (``Authorization`` unless the API wants another) on each request.

    Being the session's ``auth`` also stops requests from reading ~/.netrc
    over it. Redirects are followed by the client, never to another host.
    """

    def __init__(self, value: str, header: str = "Authorization") -> None:
        self._value = value
        self._header = header

    def __call__(self, request: Any) -> Any:
        request.headers[self._header] = self._value
        return request

    def __repr__(self) -> str:
        return "<token auth>"
