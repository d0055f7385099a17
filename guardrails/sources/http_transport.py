"""How the HTTP client puts one GET on the wire and reads its answer whole.

The ``requests`` session (a urllib3 ``Retry`` adapter that retries connection
errors, read timeouts and 5xx answers with exponential backoff, the token set
by :class:`_HeaderAuth` and never read from ~/.netrc), the rate-limit loop that
waits for a limit that resets soon, and the one GET that runs on a daemon
thread so a trickling server costs at most ``settings.deadline`` and Ctrl-C is
never held up by a socket read. :class:`Answer` is what it hands back;
:class:`Cancelled` is what an interrupted request raises. The answer bytes
a client holds at once, over all its worker threads, stay within
``max_body_bytes`` (:class:`BodyBudget`): a hostile server cannot make each
of ``workers`` threads hold a body of that size.

:class:`TransportMixin` is one part of :class:`guardrails.sources.http.HttpClient`;
its methods read the client's attributes named in :class:`_Wire`. ``requests``
is imported lazily so guardrails starts fast without HTTP sources.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from guardrails.sources.http_errors import HttpErrors, rate_limit_wait
from guardrails.sources.http_settings import HttpSettings, Stats

if TYPE_CHECKING:
    import requests

# The client's logger, so log lines keep the name they had.
LOG = logging.getLogger("guardrails.sources.http")

_RETRY_STATUSES = (500, 502, 503, 504)
_MAX_RATE_LIMIT_WAITS = 4
# Bodies are read in small pieces: each piece of compressed input decompresses
# to at most ~1000 times its size before the cap is checked again.
_CHUNK = 16 * 1024
# How often a thread waiting for an answer looks at the deadline and at Ctrl-C.
_POLL = 0.1


class _Wire(Protocol):
    """What the transport reads of the client it is part of."""

    source: str
    service: str
    settings: HttpSettings
    headers: dict[str, str]
    stats: Stats
    warnings: list[str]
    _token: str | None
    _auth_scheme: Callable[[str], str]
    _auth_header: str
    _token_required: bool
    _session: requests.Session | None
    _session_lock: threading.Lock
    _cancelled: threading.Event
    _errors: HttpErrors
    _budget: BodyBudget

    def _session_get(self) -> requests.Session: ...
    def _make_session(self) -> requests.Session: ...
    def _fetch(self, session: requests.Session, url: str, headers: Mapping[str, str],
               shown: str, purpose: str) -> Answer: ...
    def _fetch_into(self, session: requests.Session, url: str, headers: dict[str, str],
                    box: _Box, deadline: float) -> None: ...


class TransportMixin:
    """The client's requests session, rate-limit waits and deadline-bound GET."""

    _session: requests.Session | None

    def _session_get(self: _Wire) -> requests.Session:
        with self._session_lock:
            if self._session is None:
                self._session = self._make_session()
            return self._session

    def _make_session(self: _Wire) -> requests.Session:
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

    def _send(self: _Wire, url: str, headers: Mapping[str, str], shown: str,
              purpose: str) -> Answer:
        session = self._session_get()
        waited = 0.0
        for _ in range(_MAX_RATE_LIMIT_WAITS + 1):
            self.stats.add(requests=1)
            resp = self._fetch(session, url, headers, shown, purpose)
            LOG.debug("GET %s -> %s", shown, resp.status_code)
            pause = rate_limit_wait(resp)
            if pause is None:
                return resp
            resp.release()  # not kept (its message is read from it): out of the budget
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

    def _fetch(self: _Wire, session: requests.Session, url: str, headers: Mapping[str, str],
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
            if isinstance(exc, _TooBig) and exc.read is not None:
                raise self._errors.error(
                    f"GET {shown} ({purpose}) stopped reading at {exc.read} bytes: with the "
                    f"answers this source's other requests held, more than max_body_bytes="
                    f"{self.settings.max_body_bytes} bytes (after decompression) at once, "
                    f"the most a source holds over its {self.settings.workers} worker(s). "
                    f"Raise sources.{self.source}.max_body_bytes if the answers are genuine "
                    f"(or lower sources.{self.source}.workers)")
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

    def _fetch_into(self: _Wire, session: requests.Session, url: str, headers: dict[str, str],
                    box: _Box, deadline: float) -> None:
        budget = self._budget
        held = 0  # bytes of this answer taken from the budget
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
                        if not budget.take(len(chunk)):
                            raise _TooBig(len(body))  # with what the others hold
                        held += len(chunk)
                        if box.abandoned or time.monotonic() > deadline:
                            raise _Late()
                answer = Answer(resp.status_code, resp.reason or "", resp.headers,
                                bytes(body), budget.giver(held))
                held = 0  # the answer's now, given back by its release()
                box.deliver(answer)
            finally:
                resp.close()
        except BaseException as exc:  # handed to the waiting thread
            box.error = exc
        finally:
            budget.give(held)
            box.done.set()


class Cancelled(KeyboardInterrupt):
    """A request given up because the run was interrupted (Ctrl-C or cancel()).

    A KeyboardInterrupt, so it ends the run as an interrupt (exit 2) wherever
    it surfaces, and no ``except Exception`` turns it into a rule outcome.
    """


class _TooBig(Exception):
    """The body grew past max_body_bytes; ``read``: the bytes it had when the answers
    the client held at once did (None: this body alone)."""

    def __init__(self, read: int | None = None) -> None:
        super().__init__()
        self.read = read


class BodyBudget:
    """The answer bytes one client holds at once, over all its threads, bounded.

    A GET takes each piece of its body from here as it arrives (the piece that
    would pass ``total`` fails it); its :class:`Answer` gives the bytes back
    once the client has decoded and cached it (:meth:`Answer.release`), and a
    failed or abandoned read gives back what it took at once. So ``workers``
    threads reading side by side hold at most ``total`` bytes of bodies, not
    ``workers`` times it.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.held = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            if self.held + n > self.total:
                return False
            self.held += n
            return True

    def give(self, n: int) -> None:
        if n:
            with self._lock:
                self.held -= n

    def giver(self, n: int) -> Callable[[], None]:
        """What gives ``n`` bytes back once, however often it is called."""
        left = [n]

        def give_back() -> None:
            with self._lock:
                self.held -= left[0]
                left[0] = 0
        return give_back


class _Late(Exception):
    """The deadline passed while the body was still arriving."""


@dataclass
class Answer:
    """A whole HTTP answer: what the client and its error messages read of it."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    #: gives the body's bytes back to the client's BodyBudget (once it is decoded)
    _release: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def release(self) -> None:
        """Give the body's bytes back to the budget they came from (idempotent)."""
        if self._release is not None:
            self._release()

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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, answer: Answer) -> None:
        """Leave ``answer`` for the waiting thread; one it gave up on gives its bytes
        back at once (nobody will release it)."""
        with self.lock:
            self.answer = answer
            if not self.abandoned:
                return
        answer.release()

    def abandon(self) -> None:
        """Give the request up: shut its socket, so a blocked read ends at once and
        the server sees the client go (best effort: before the answer's headers
        arrived there is no socket to reach, and the read ends at its timeout)."""
        with self.lock:
            self.abandoned = True
            answer = self.answer
        if answer is not None:
            answer.release()
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
