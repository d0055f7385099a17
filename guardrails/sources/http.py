"""The HTTP client shared by the code-host and incident sources: its core.

One :class:`HttpClient` per source run GETs JSON from one API: a URL under
api_url (redirects followed only below it), an on-disk cache of GET answers
revalidated with ``If-None-Match`` / ``If-Modified-Since`` (a 304 costs no
body) that also serves ``--offline``, 404s that may mean "not found", and
every URL shown in messages without the token or secret-looking parameters.

The client is put together from rooms of its own, each a mixin that reads
the client's attributes:

- :mod:`guardrails.sources.http_settings`: the options every HTTP source
  accepts, :class:`HttpSettings`, :class:`Page`, :class:`Stats`;
- :mod:`guardrails.sources.http_transport`: the ``requests`` session with
  retries and backoff, rate-limit waits, the deadline-bound GET, ``Answer``
  and ``Cancelled``;
- :mod:`guardrails.sources.http_paging`: Link, ``X-Next-Page``, offset and
  cursor pagination with a page cap and loop checks;
- :mod:`guardrails.sources.http_map`: per-item requests on worker threads;
- :mod:`guardrails.sources.http_cache` the cache, :mod:`guardrails.sources.http_errors`
  the error messages, :mod:`guardrails.sources.http_shapes` the answer shapes.

Sources import every public name from here, which re-exports those modules'
public names. The token is read from the environment variable the config
names and lives only in the session's auth hook: never in URLs, cache keys,
cache files, log lines or exception texts (every message passes through
``_scrub``). ``requests`` is imported lazily so guardrails starts fast
without HTTP sources.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from guardrails.progress import ProgressTask
from guardrails.sources.http_cache import CacheEntry, CacheMiss, ResponseCache, offline_error
from guardrails.sources.http_errors import HttpErrors, config_error
from guardrails.sources.http_map import ConcurrencyMixin
from guardrails.sources.http_paging import PagingMixin, next_page_url
from guardrails.sources.http_settings import (
    COMMON_PROPERTIES,
    MAX_BODY_BYTES,
    HttpSettings,
    Page,
    Stats,
)
from guardrails.sources.http_shapes import Shape
from guardrails.sources.http_transport import Answer, BodyBudget, Cancelled, TransportMixin
from guardrails.textsafe import printable as _escape
from guardrails.textsafe import safe_query

if TYPE_CHECKING:
    import requests

    from guardrails.plugin import SourceEnv

# Sources and tests import these from here, whichever module defines them.
__all__ = ["COMMON_PROPERTIES", "MAX_BODY_BYTES", "Answer", "CacheEntry", "CacheMiss",
           "Cancelled", "HttpClient", "HttpSettings", "Page", "ResponseCache", "Shape", "Stats",
           "config_error", "gathering", "next_page_url", "offline_error"]


# The content type of a cache entry that records a 404 (never a real answer's type).
_NOT_FOUND = "guardrails/not-found"
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5


# ---------------------------------------------------------------------------
# the client
# ---------------------------------------------------------------------------


#: prefixes that name a kind of token (GitHub's and GitLab's), no secret of their own
_PUBLIC_PREFIXES = ("github_pat_", "ghp_", "gho_", "ghs_", "ghu_", "ghr_", "glpat-")


class HttpClient(TransportMixin, PagingMixin, ConcurrencyMixin):
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
            ResponseCache(Path(env.cache_dir) / "http" / source, base=Path(env.cache_dir))
            if env.cache_dir else None
        )
        self._budget = BodyBudget(settings.max_body_bytes)  # bodies held at once, all threads
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
        try:
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
                resp.release()
                resp = self._send(target, {}, shown, purpose)
            return self._answered(resp, full, shown, purpose, entry, missing_ok)
        finally:
            resp.release()  # decoded and cached: its bytes leave the client's budget

    def _answered(self, resp: Answer, full: str, shown: str, purpose: str,
                  entry: CacheEntry | None, missing_ok: bool) -> Page | None:
        """The page of answer ``resp`` to GET ``full`` (no redirect)."""
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
            next_url = next_page_url(full, resp.headers.get("X-Next-Page"))
            if next_url:
                headers = {**resp.headers, "Link": f'<{next_url}>; rel="next"'}
        if self.cache is not None:
            self.cache.save(CacheEntry.from_answer(full, body, headers))
        return Page(data, full, next_url, from_cache=False)

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
        query = safe_query(parts.query)
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
        # Dot segments climb out of api_url's path, also percent-encoded: requests
        # decodes %2e to '.' and sends '/api/../other' (a server reads '/other'), and
        # some read '..;' as '..'. Decoded a few times, so '%252e' is one too.
        decoded = path
        for _ in range(3):
            decoded = unquote(decoded)
        if "\\" in decoded or any(seg.split(";", 1)[0] in (".", "..")
                                   for seg in decoded.split("/")):
            return False
        return not base_path or path == base_path or path.startswith(base_path + "/")

    def _scrub(self, text: str) -> str:
        token = self._token
        if not token or len(token) < 4:
            return text
        text = text.replace(token, "***")
        # A quote cut short (an API's message is kept to 200 characters, a wrong
        # value to 60) can end inside the token: mask a start of it as well, any 4
        # characters of it, or 4 past a well-known public prefix ("ghp_",
        # "github_pat_", "glpat-"), so "docs.github.com" stays readable beside a
        # github_pat_ token while no more than 3 secret characters can show.
        public = next((p for p in _PUBLIC_PREFIXES if token.startswith(p)), "")
        least = min(len(token), len(public) + 4)
        head = token[:least]
        start = text.find(head)
        while start != -1:
            end = start + least
            while end < len(text) and end - start < len(token) and \
                    text[end] == token[end - start]:
                end += 1
            text = text[:start] + "***" + text[end:]
            start = text.find(head, start + 3)
        return text

    def _from_entry(self, entry: CacheEntry, shown: str, purpose: str) -> Page:
        data = self._errors.decode(entry.body.encode("utf-8"), entry.content_type, shown,
                                   purpose)
        next_url = entry.next_url()
        return Page(data, entry.url, urljoin(entry.url, next_url) if next_url else None,
                    from_cache=True)

    def _task(self, what: str | None, unit: str, total: int | None = None) -> ProgressTask:
        """A progress task ``SOURCE: what`` (silent inside map(): its task counts)."""
        if self._in_map:
            return ProgressTask()
        label = self.source if what is None else f"{self.source}: {what}"
        return self.env.progress.task(label, total=total, unit=unit)


@contextmanager
def gathering(client: HttpClient, warnings: list[str]) -> Iterator[list[CacheMiss]]:
    """One source run's reads with ``client``: yields the list to add cache misses to.

    On the way out the client is closed and its warnings join ``warnings``
    (each once), whatever happened; then, when ``--offline`` could not answer
    something (a CacheMiss that escaped the block, or any added to the list),
    one error names every miss. Any other exception passes through unchanged.
    """
    misses: list[CacheMiss] = []
    try:
        yield misses
    except CacheMiss as miss:
        misses.append(miss)
    finally:
        client.close()
        warnings.extend(w for w in client.warnings if w not in warnings)
    if misses:
        raise offline_error(client.source, misses, client.cache.root if client.cache else None,
                            cached=client.stats.cache_answers)
