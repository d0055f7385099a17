"""What every HTTP source's client is set up with and hands back.

The JSON Schema properties every HTTP source accepts (:data:`COMMON_PROPERTIES`),
the :class:`HttpSettings` read from them, a decoded :class:`Page`, and the
:class:`Stats` a run counts. Kept apart from the client so the transport,
pagination and concurrency modules can read them without importing the
client itself; :mod:`guardrails.sources.http` re-exports every name here.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: an API's base URL: no user info, query or fragment. Paths are appended to it (a query
#: would swallow them), pages and redirects are compared with its host, and a token
#: there would travel in every URL; a token goes in token_env.
API_URL_PATTERN = "^https?://[^/?#@\\s]+(/[^?#\\s]*)?(?![\\s\\S])"

#: JSON Schema properties every HTTP source accepts (merged into its own schema)
COMMON_PROPERTIES: dict[str, Any] = {
    "token_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                  "description": "Environment variable holding the API token."},
    "api_url": {"type": "string", "pattern": API_URL_PATTERN,
                "description": "Base URL of the API (e.g. a GitHub Enterprise Server's "
                               "/api/v3), without user info, query or fragment."},
    # At most a day: a socket's timeout past ~9.2e9 s overflows time_t (1e300 was an
    # OverflowError from urllib3, a traceback).
    "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400,
                "description": "Seconds one attempt may wait for a connection or data, "
                               "at most 86400 (a day); a whole GET ends within timeout x "
                               "(retries + 1), plus backoff and 1 s."},
    "retries": {"type": "integer", "minimum": 0, "maximum": 10,
                "description": "Retries of connection errors, timeouts and 5xx answers."},
    "backoff_factor": {"type": "number", "minimum": 0,
                       "description": "Exponential backoff factor between retries, seconds."},
    "max_pages": {"type": "integer", "minimum": 1,
                  "description": "Most pages read from one listing before giving up."},
    # At most a day: waiting past threading.TIMEOUT_MAX (~292 years) raised OverflowError.
    "rate_limit_max_wait": {"type": "number", "minimum": 0, "maximum": 86400,
                            "description": "Longest wait, seconds, for a rate limit to "
                                           "reset, at most 86400 (a day)."},
    "workers": {"type": "integer", "minimum": 1, "maximum": 64,
                "description": "Concurrent requests for per-item details."},
    "max_body_bytes": {"type": "integer", "minimum": 1,
                       "description": "Most answer bytes, decompressed, the source holds at "
                                      "once: one answer, and all the answers its workers "
                                      "read side by side together (default 64 MiB); past "
                                      "it the source fails."},
}

#: default cap on the decompressed answer bytes a source holds at once (one answer's too)
MAX_BODY_BYTES = 64 * 1024 * 1024


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
        """Add to the named counters (thread-safe: map() workers count at once)."""
        with self._lock:
            for key, amount in amounts.items():
                setattr(self, key, getattr(self, key) + amount)
