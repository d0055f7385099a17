"""The HTTP client shared by the code-host and incident sources.

One :class:`HttpClient` per source run: a ``requests`` session whose adapter
retries connection errors, read timeouts and 5xx answers with exponential
backoff (urllib3 ``Retry``), a timeout on every request, waits for rate
limits that reset soon, Link and offset pagination with a page cap, and an
on-disk cache of GET answers revalidated with ``If-None-Match`` /
``If-Modified-Since`` (a 304 costs no body) that also serves ``--offline``.

The token is read from the environment variable the config names and lives
only in the session's auth hook: never in URLs, cache keys, cache files,
log lines or exception texts (every message passes through ``_scrub``).
``requests`` is imported lazily so guardrails starts fast without HTTP
sources.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from guardrails.errors import ConfigError, SourceError

if TYPE_CHECKING:
    import requests

    from guardrails.plugin import SourceEnv

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
                "description": "Seconds to wait for a connection and for each answer."},
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
}

_RETRY_STATUSES = (500, 502, 503, 504)
_MAX_RATE_LIMIT_WAITS = 4


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


class CacheMiss(SourceError):
    """Offline, and the cache holds no answer for a request."""

    def __init__(self, source: str, shown: str, purpose: str) -> None:
        super().__init__(source, f"offline and no cached answer for GET {shown} ({purpose})")
        self.shown = shown
        self.purpose = purpose


def offline_error(source: str, misses: list[CacheMiss], cache_dir: Path | None) -> SourceError:
    """One error naming every fact kind (and its first URL) the cache could not answer."""
    lacks = "; ".join(f"{m.purpose} (GET {m.shown})" for m in misses)
    if cache_dir is None:
        return SourceError(source, f"offline, and no HTTP cache directory is configured, so "
                           f"nothing can answer: {lacks}. Run without --offline.")
    where = f" in {cache_dir}"
    return SourceError(
        source,
        f"offline, and the cache{where} lacks answers for: {lacks}. "
        "Run once without --offline to fill the cache.",
    )


def config_error(source: Any, key: str, message: str, fix: str) -> ConfigError:
    """A config mistake in ``sources.<name>.<key>``, placed at its line when known."""
    cfg = source.env.config
    file = getattr(cfg, "display_path", None) if cfg is not None else None
    line = None
    if cfg is not None and hasattr(cfg, "line_of"):
        line = cfg.line_of("sources", source.name, key)
    return ConfigError(f"sources.{source.name}.{key}: {message}", file=file, line=line,
                       fix=fix)


# ---------------------------------------------------------------------------
# on-disk cache
# ---------------------------------------------------------------------------


@dataclass
class CacheEntry:
    url: str
    body: str
    content_type: str
    link: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class ResponseCache:
    """GET answers on disk, one JSON file per URL (key: SHA-256 of the URL).

    Writes go to a temporary file in the same folder and are moved into place
    with ``os.replace``, so a crash never leaves half an entry; an entry that
    does not read back is deleted and treated as absent.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.discarded: list[Path] = []

    def path_for(self, url: str) -> Path:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def load(self, url: str) -> CacheEntry | None:
        path = self.path_for(url)
        try:
            raw = json.loads(path.read_text("utf-8"))
            entry = CacheEntry(**raw)
            if entry.url != url or not isinstance(entry.body, str):
                raise ValueError("entry does not belong to this URL")
            return entry
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            LOG.warning("discarding unreadable cache entry %s: %s", path, exc)
            self.discarded.append(path)
            path.unlink(missing_ok=True)
            return None

    def save(self, entry: CacheEntry) -> None:
        path = self.path_for(entry.url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(entry.__dict__, fh)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A cache that cannot be written costs speed, not correctness.
            LOG.warning("cannot write HTTP cache entry %s: %s", path, exc)


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
    :param auth_scheme: turns the token into the Authorization header value.
    :param token_required: fail when the token variable is unset (else warn).
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
        progress: bool | None = None,
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
        self._token_required = token_required
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()
        self._base = urlsplit(settings.api_url)
        self._progress = sys.stderr.isatty() if progress is None else progress
        self.cache = (
            ResponseCache(Path(env.cache_dir) / "http" / source) if env.cache_dir else None
        )

    # -- public ------------------------------------------------------------

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, purpose: str
    ) -> Page:
        """GET one JSON answer (``url`` is a path under api_url or a full URL)."""
        full = self._url(url, params)
        shown = self.shown(full)
        entry = self.cache.load(full) if self.cache else None
        if self.env.offline:
            if entry is None:
                raise CacheMiss(self.source, shown, purpose)
            self.stats.add(cache_answers=1)
            return self._from_entry(entry, shown, purpose)
        conditional: dict[str, str] = {}
        if entry is not None:
            if entry.etag:
                conditional["If-None-Match"] = entry.etag
            if entry.last_modified:
                conditional["If-Modified-Since"] = entry.last_modified
        resp = self._send(full, conditional, shown, purpose)
        if resp.status_code == 304 and entry is not None:
            self.stats.add(not_modified=1, cache_answers=1)
            return self._from_entry(entry, shown, purpose)
        if resp.status_code != 200:
            raise self._status_error(resp, shown, purpose)
        body = resp.content
        self.stats.add(bodies=1, body_bytes=len(body))
        ctype = resp.headers.get("Content-Type", "")
        data = self._decode(body, ctype, shown, purpose)
        next_url = resp.links.get("next", {}).get("url")
        if self.cache is not None:
            self.cache.save(CacheEntry(
                url=full, body=body.decode("utf-8"), content_type=ctype,
                link=resp.headers.get("Link"), etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
            ))
        return Page(data, full, next_url, from_cache=False)

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        purpose: str,
        items_key: str | None = None,
    ) -> Iterator[list[Any]]:
        """Items of every page of a listing, following ``Link: rel="next"``."""
        url: str | None = self._url(path, params)
        first = self.shown(url)
        count = 0
        while url:
            count += 1
            if count > self.settings.max_pages:
                raise self._page_cap(first, purpose)
            page = self.get(url, purpose=purpose)
            yield self._items(page, items_key, purpose)
            url = page.next_url
            if url and not self._same_origin(url):
                raise SourceError(self.source, self._scrub(
                    f"GET {first} ({purpose}): the next-page link points to another host "
                    f"({urlsplit(url).netloc}); refusing to send the token there"))

    def offset_pages(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        purpose: str,
        items_key: str,
        limit: int = 100,
    ) -> Iterator[list[Any]]:
        """Items of every page of an offset/limit listing, until ``more`` is false."""
        offset = 0
        count = 0
        first = self.shown(self._url(path, {**params, "limit": limit, "offset": 0}))
        while True:
            count += 1
            if count > self.settings.max_pages:
                raise self._page_cap(first, purpose)
            page = self.get(path, {**params, "limit": limit, "offset": offset}, purpose=purpose)
            items = self._items(page, items_key, purpose)
            yield items
            if not page.data.get("more") or not items:
                return
            offset += len(items)

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, label: str) -> list[R]:
        """``fn`` over ``items`` on at most ``workers`` threads, results in order.

        The first failure cancels what has not started and is raised.
        """
        todo = list(items)
        if not todo:
            return []
        total = len(todo)
        if self.settings.workers <= 1 or total == 1:
            out = []
            for i, item in enumerate(todo, 1):
                out.append(fn(item))
                self._show_progress(label, i, total)
            self._end_progress()
            return out
        with ThreadPoolExecutor(max_workers=self.settings.workers,
                                thread_name_prefix=f"guardrails-{self.source}") as pool:
            futures = [pool.submit(fn, item) for item in todo]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                self._show_progress(label, total - len(pending), total)
                failed = next((f for f in done if f.exception() is not None), None)
                if failed is not None:
                    for f in pending:
                        f.cancel()
                    self._end_progress()
                    raise failed.exception()  # type: ignore[misc]
            self._end_progress()
            return [f.result() for f in futures]

    def shown(self, url: str) -> str:
        """A URL as messages show it: path and query under api_url, never the token."""
        parts = urlsplit(url)
        path = parts.path
        base_path = self._base.path.rstrip("/")
        if parts.netloc == self._base.netloc and base_path and path.startswith(base_path):
            path = path[len(base_path):] or "/"
        text = path + (f"?{parts.query}" if parts.query else "")
        return self._scrub(text)

    def close(self) -> None:
        """Close the session and collect cache warnings."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self.cache is not None and self.cache.discarded:
            self.warnings.append(
                f"{self.source}: discarded {len(self.cache.discarded)} unreadable cache "
                "entr" + ("y" if len(self.cache.discarded) == 1 else "ies")
                + f" under {self.cache.root}")
            self.cache.discarded.clear()

    # -- internals -----------------------------------------------------------

    def _url(self, url: str, params: Mapping[str, Any] | None) -> str:
        if not url.startswith(("http://", "https://")):
            url = self.settings.api_url + "/" + url.lstrip("/")
        if params:
            query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
            url += ("&" if "?" in url else "?") + query
        return url

    def _same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == (self._base.scheme, self._base.netloc)

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
            # 429/403 waits are decided by _rate_limit_wait, which caps them.
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
                raise SourceError(self.source, (
                    f"the value of ${self.settings.token_env} contains characters a token "
                    "cannot have (control or non-ASCII characters); set it to the token only"))
            session.auth = _HeaderAuth(self._auth_scheme(self._token))
        elif self._token_required:
            raise SourceError(self.source, (
                f"${self.settings.token_env} is not set; the {self.service} API needs a "
                f"token: export {self.settings.token_env}=<token> (or set token_env)"))
        else:
            self.warnings.append(
                f"{self.source}: ${self.settings.token_env} is not set; querying the "
                f"{self.service} API without a token (low rate limits, public data only)")
        return session

    def _send(
        self, url: str, headers: Mapping[str, str], shown: str, purpose: str
    ) -> requests.Response:
        import requests

        session = self._session_get()
        waited = 0.0
        for _ in range(_MAX_RATE_LIMIT_WAITS + 1):
            self.stats.add(requests=1)
            try:
                resp = session.get(url, headers=dict(headers),
                                   timeout=(self.settings.timeout, self.settings.timeout))
            except requests.RequestException as exc:
                raise SourceError(self.source, self._scrub(
                    f"GET {shown} ({purpose}) failed: {self._explain(exc)}")) from None
            LOG.debug("GET %s -> %s", shown, resp.status_code)
            pause = _rate_limit_wait(resp)
            if pause is None:
                return resp
            if waited + pause > self.settings.rate_limit_max_wait:
                raise SourceError(self.source, self._scrub(self._rate_limit_text(
                    resp, shown, purpose, pause)))
            LOG.info("%s rate limit: waiting %.1fs", self.service, pause)
            time.sleep(pause)
            waited += pause
            self.stats.add(rate_limit_wait=pause)
        raise SourceError(self.source, self._scrub(
            f"GET {shown} ({purpose}): still rate limited after {_MAX_RATE_LIMIT_WAITS} waits"))

    def _explain(self, exc: BaseException) -> str:
        import requests
        from urllib3.exceptions import (
            ConnectTimeoutError,
            NewConnectionError,
            ProtocolError,
            ReadTimeoutError,
        )

        tries = f"{self.settings.retries + 1} attempt" + ("s" if self.settings.retries else "")
        chain: list[BaseException] = []
        seen: BaseException | None = exc
        while seen is not None and len(chain) < 10:
            chain.append(seen)
            reason = getattr(seen, "reason", None)
            nxt = reason if isinstance(reason, BaseException) else None
            if nxt is None and seen.args and isinstance(seen.args[0], BaseException):
                nxt = seen.args[0]
            seen = nxt or seen.__cause__ or seen.__context__
        if any(isinstance(e, ReadTimeoutError | requests.ReadTimeout) for e in chain):
            return f"no answer within timeout={self.settings.timeout:g}s ({tries})"
        # NewConnectionError subclasses ConnectTimeoutError: test it first
        if any(isinstance(e, NewConnectionError) for e in chain):
            return f"could not connect to {self._base.netloc} ({tries}); check api_url"
        if any(isinstance(e, ConnectTimeoutError | requests.ConnectTimeout) for e in chain):
            return f"could not connect within timeout={self.settings.timeout:g}s ({tries})"
        if any(isinstance(e, ProtocolError | requests.exceptions.ChunkedEncodingError)
               for e in chain):
            return "the connection broke before the whole answer arrived (truncated answer)"
        if isinstance(exc, requests.exceptions.SSLError):
            return "TLS error (certificate not trusted?)"
        if isinstance(exc, requests.exceptions.TooManyRedirects):
            return "too many redirects"
        return f"{type(exc).__name__} ({tries})"

    def _status_error(self, resp: requests.Response, shown: str, purpose: str) -> SourceError:
        code = resp.status_code
        what = f"GET {shown} ({purpose}) answered {code} {resp.reason or ''}".rstrip()
        detail = _api_message(resp)
        said = f" ({detail})" if detail else ""
        env_var = self.settings.token_env
        if code == 401:
            if self._token:
                text = (f"{what}{said}: the {self.service} API rejected the token in "
                        f"${env_var}; set {env_var} to a valid, unexpired token")
            else:
                text = (f"{what}{said}: the {self.service} API needs a token and "
                        f"${env_var} is not set")
        elif code == 403:
            text = f"{what}{said}: {self._permission_hint(resp)}"
        elif code == 404:
            text = (f"{what}{said}: check the source's config (names, ids, api_url); "
                    "a token that may not see a private resource also gets 404")
        elif code >= 500:
            text = (f"{what}{said} after {self.settings.retries} "
                    f"retr{'y' if self.settings.retries == 1 else 'ies'}; "
                    f"the {self.service} API is failing, try again later")
        else:
            text = f"{what}{said}"
        return SourceError(self.source, self._scrub(text))

    def _permission_hint(self, resp: requests.Response) -> str:
        env_var = self.settings.token_env
        if not self._token:
            return (f"access denied without a token; set ${env_var} to a token that may read "
                    "this resource")
        h = resp.headers
        needs = []
        if h.get("X-Accepted-GitHub-Permissions"):
            needs.append(f"permission {h['X-Accepted-GitHub-Permissions']} "
                         "(fine-grained token or GitHub App)")
        if h.get("X-Accepted-OAuth-Scopes"):
            have = h.get("X-OAuth-Scopes")
            has = f"; it has: {have}" if have is not None else ""
            needs.append(f"scope {h['X-Accepted-OAuth-Scopes']} (classic token{has})")
        if needs:
            return f"the token in ${env_var} lacks a permission: it needs " + " or ".join(needs)
        return (f"the token in ${env_var} is not allowed to read this; grant it read "
                "access to this resource")

    def _rate_limit_text(
        self, resp: requests.Response, shown: str, purpose: str, pause: float
    ) -> str:
        resets = datetime.fromtimestamp(time.time() + pause, UTC).replace(microsecond=0)
        which = "" if resp.headers.get("X-RateLimit-Remaining") == "0" else "secondary "
        if self.service != "GitHub":
            which = ""
        token = f" for ${self.settings.token_env}" if self._token else " (no token)"
        return (f"GET {shown} ({purpose}): the {self.service} API {which}rate limit{token} "
                f"is exhausted; it resets at {resets.isoformat().replace('+00:00', 'Z')} "
                f"(in {pause:.0f}s), longer than rate_limit_max_wait="
                f"{self.settings.rate_limit_max_wait:g}s. Run again after that.")

    def _decode(self, body: bytes, ctype: str, shown: str, purpose: str) -> Any:
        if "json" not in ctype.lower():
            looks_html = "html" in ctype.lower() or body.lstrip()[:1] == b"<"
            got = "an HTML page" if looks_html else f"content type {ctype or '(none)'!s}"
            raise SourceError(self.source, self._scrub(
                f"GET {shown} ({purpose}) answered {got} instead of JSON; check api_url "
                "(a proxy, login or error page answers like this)"))
        try:
            return json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise SourceError(self.source, self._scrub(
                f"GET {shown} ({purpose}) answered JSON that is not UTF-8")) from None
        except json.JSONDecodeError as exc:
            raise SourceError(self.source, self._scrub(
                f"GET {shown} ({purpose}) answered invalid or truncated JSON "
                f"({len(body)} bytes, {exc.msg} at character {exc.pos})")) from None

    def _from_entry(self, entry: CacheEntry, shown: str, purpose: str) -> Page:
        data = self._decode(entry.body.encode("utf-8"), entry.content_type, shown, purpose)
        next_url = None
        if entry.link:
            from requests.utils import parse_header_links

            for link in parse_header_links(entry.link):
                if link.get("rel") == "next":
                    next_url = link.get("url")
        return Page(data, entry.url, next_url, from_cache=True)

    def _items(self, page: Page, items_key: str | None, purpose: str) -> list[Any]:
        data = page.data
        items = data.get(items_key) if items_key and isinstance(data, dict) else data
        if not isinstance(items, list):
            want = f"an object with a list under {items_key!r}" if items_key else "a list"
            raise SourceError(self.source, self._scrub(
                f"GET {self.shown(page.url)} ({purpose}) answered JSON that is not {want}"))
        return items

    def _page_cap(self, first: str, purpose: str) -> SourceError:
        return SourceError(self.source, self._scrub(
            f"GET {first} ({purpose}) has more than max_pages={self.settings.max_pages} "
            f"pages; stopped rather than use partial data. Raise sources.{self.source}."
            "max_pages or shorten the window"))

    def _show_progress(self, label: str, done: int, total: int) -> None:
        if self._progress and total > 1:
            sys.stderr.write(f"\r{self.source}: {label} {done}/{total}")
            sys.stderr.flush()

    def _end_progress(self) -> None:
        if self._progress:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class _HeaderAuth:
    """Sets the Authorization header on each request.

    Being the session's ``auth`` also stops requests from reading ~/.netrc
    over it; requests drops the header itself on redirects to another host.
    """

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "<token auth>"


def _rate_limit_wait(resp: requests.Response) -> float | None:
    """Seconds to wait before retrying a rate-limited answer, or None when not limited.

    GitHub: 403/429 with ``x-ratelimit-remaining: 0`` waits for
    ``x-ratelimit-reset`` (epoch seconds); ``retry-after`` (seconds or a date)
    wins when present; a secondary limit without either waits a minute, as
    GitHub's docs ask. ``ratelimit-reset`` (seconds, IETF draft) covers others.
    """
    if resp.status_code not in (403, 429):
        return None
    h = resp.headers
    retry_after = h.get("Retry-After")
    if retry_after:
        seconds = _parse_retry_after(retry_after)
        if seconds is not None:
            return seconds
    now = time.time()
    if h.get("X-RateLimit-Remaining") == "0" and h.get("X-RateLimit-Reset", "").isdigit():
        return max(0.0, int(h["X-RateLimit-Reset"]) - now) + 0.25
    if h.get("RateLimit-Remaining") == "0" and h.get("RateLimit-Reset", "").isdigit():
        return float(h["RateLimit-Reset"])
    if resp.status_code == 429 or "secondary rate limit" in (_api_message(resp) or "").lower():
        return 60.0
    return None


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _api_message(resp: requests.Response) -> str | None:
    """The API's own short error text: GitHub ``message``, PagerDuty ``error.message``."""
    if "json" not in resp.headers.get("Content-Type", "").lower():
        return None
    try:
        data = json.loads(resp.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    msg = data.get("message")
    err = data.get("error")
    if msg is None and isinstance(err, dict):
        msg = err.get("message")
        extra = err.get("errors")
        if isinstance(extra, list) and extra:
            msg = f"{msg}: {'; '.join(str(e) for e in extra[:3])}"
    if not isinstance(msg, str):
        return None
    return msg[:200]
