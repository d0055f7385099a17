"""How HTTP sources turn failed requests and unusable answers into SourceErrors.

Kept apart from the client because it is the part users read: each message
names the request (path under api_url, and the fact kind it was for), says
what went wrong in the API's own words when it gave any, and says what to do
(set or fix the token, grant a permission, wait for a rate limit, check
api_url). Also here: reading rate-limit headers into a wait, since both the
client's retry loop and the messages need it.

Every text goes through the client's scrubber before it becomes an error, so
the token never reaches a message. ``requests`` and ``urllib3`` are imported
only inside the functions that need them, so importing this is cheap.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from guardrails.errors import ConfigError, SourceError
from guardrails.textsafe import printable as _escape


class HttpAnswer(Protocol):
    """What the messages read of an HTTP answer (``http.Answer``, the whole body read).

    A protocol, like :class:`HttpSettings`; a ``requests.Response`` has these too.
    """

    @property
    def status_code(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...


class HttpSettings(Protocol):
    """What the messages quote of a client's settings (``http.HttpSettings`` has it all).

    A protocol, so this module needs nothing from the client that uses it. The
    members are read-only properties: the client's settings are a frozen dataclass.
    """

    @property
    def token_env(self) -> str: ...
    @property
    def retries(self) -> int: ...
    @property
    def timeout(self) -> float: ...
    @property
    def max_pages(self) -> int: ...
    @property
    def rate_limit_max_wait(self) -> float: ...


def config_error(source: Any, key: str, message: str, fix: str) -> ConfigError:
    """A config mistake in ``sources.<name>.<key>``, placed at its line when known."""
    cfg = source.env.config
    file = getattr(cfg, "display_path", None) if cfg is not None else None
    line = None
    if cfg is not None and hasattr(cfg, "line_of"):
        line = cfg.line_of("sources", source.name, key)
    return ConfigError(f"sources.{source.name}.{key}: {message}", file=file, line=line,
                       fix=fix)


class HttpErrors:
    """Builds the SourceErrors of one client.

    :param source: the source name every error carries.
    :param service: the API's human name ("GitHub", "PagerDuty").
    :param settings: the client's settings, quoted in hints (timeout, retries, token_env).
    :param has_token: whether the token variable was set.
    :param netloc: host (and port) of api_url, named when it cannot be reached.
    :param scrub: removes the token from a text.
    """

    def __init__(
        self,
        source: str,
        service: str,
        settings: HttpSettings,
        *,
        has_token: bool,
        netloc: str,
        scrub: Callable[[str], str],
    ) -> None:
        self.source = source
        self.service = service
        self.settings = settings
        self.has_token = has_token
        self.netloc = netloc
        self.scrub = scrub

    def error(self, text: str) -> SourceError:
        """A SourceError of this source with ``text`` scrubbed of the token."""
        return SourceError(self.source, self.scrub(text))

    # These two name only the variable, never its value, so need no scrubbing.
    def missing_token(self) -> SourceError:
        """The token variable is unset and the API cannot be read without one."""
        return SourceError(self.source, (
            f"${self.settings.token_env} is not set; the {self.service} API needs a "
            f"token: export {self.settings.token_env}=<token> (or set token_env)"))

    def bad_token(self) -> SourceError:
        """The token variable holds characters no HTTP header may carry."""
        return SourceError(self.source, (
            f"the value of ${self.settings.token_env} contains characters a token "
            "cannot have (control or non-ASCII characters); set it to the token only"))

    def transport(self, exc: BaseException, shown: str, purpose: str) -> SourceError:
        """A request that got no usable answer (after the adapter's retries)."""
        return self.error(f"GET {shown} ({purpose}) failed: {self._explain(exc)}")

    def status(self, resp: HttpAnswer, shown: str, purpose: str) -> SourceError:
        """An answer other than 200 (or a 304 the cache can serve)."""
        code = resp.status_code
        what = f"GET {shown} ({purpose}) answered {code} {resp.reason or ''}".rstrip()
        detail = api_message(resp)
        said = f" ({detail})" if detail else ""
        env_var = self.settings.token_env
        if code == 401:
            if self.has_token:
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
        return self.error(text)

    def rate_limited(
        self, resp: HttpAnswer, shown: str, purpose: str, pause: float
    ) -> SourceError:
        """A rate limit that resets later than ``rate_limit_max_wait`` allows waiting."""
        # A hostile Retry-After (10**9 s, or more digits than a float holds) must
        # still make a message: show the reset time only when it is a real date.
        in_words = f"in {pause:.0f}s" if pause < 1e9 else "in more than 30 years"
        try:
            resets = datetime.fromtimestamp(time.time() + pause, UTC).replace(microsecond=0)
            at = f"at {resets.isoformat().replace('+00:00', 'Z')} ({in_words})"
        except (OverflowError, ValueError, OSError):
            at = in_words
        which = "" if resp.headers.get("X-RateLimit-Remaining") == "0" else "secondary "
        if self.service != "GitHub":
            which = ""
        token = f" for ${self.settings.token_env}" if self.has_token else " (no token)"
        return self.error(
            f"GET {shown} ({purpose}): the {self.service} API {which}rate limit{token} "
            f"is exhausted; it resets {at}, longer than rate_limit_max_wait="
            f"{self.settings.rate_limit_max_wait:g}s. Run again after that.")

    def decode(self, body: bytes, ctype: str, shown: str, purpose: str) -> Any:
        """The JSON in ``body``, or an error saying why it is not JSON."""
        if "json" not in ctype.lower():
            looks_html = "html" in ctype.lower() or body.lstrip()[:1] == b"<"
            got = "an HTML page" if looks_html else f"content type {ctype or '(none)'!s}"
            raise self.error(
                f"GET {shown} ({purpose}) answered {got} instead of JSON; check api_url "
                "(a proxy, login or error page answers like this)")
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError:
            raise self.error(
                f"GET {shown} ({purpose}) answered JSON that is not UTF-8") from None
        except json.JSONDecodeError as exc:
            raise self.error(
                f"GET {shown} ({purpose}) answered invalid or truncated JSON "
                f"({len(body)} bytes, {exc.msg} at character {exc.pos})") from None
        except _NonFinite as exc:
            raise self.error(
                f"GET {shown} ({purpose}) answered JSON with {exc.args[0]}, which JSON "
                "does not allow (a number must be finite)") from None
        except (ValueError, RecursionError) as exc:
            # an integer of more than 4300 digits, or arrays nested thousands deep
            what = "nesting too deep" if isinstance(exc, RecursionError) else "a number too long"
            raise self.error(
                f"GET {shown} ({purpose}) answered JSON that cannot be read ({what})") from None

    def not_a_list(self, shown: str, purpose: str, items_key: str | None) -> SourceError:
        """A listing whose JSON does not hold the list of items it should."""
        want = f"an object with a list under {items_key!r}" if items_key else "a list"
        return self.error(f"GET {shown} ({purpose}) answered JSON that is not {want}")

    def page_cap(self, first: str, purpose: str) -> SourceError:
        """A listing longer than ``max_pages``."""
        return self.error(
            f"GET {first} ({purpose}) has more than max_pages={self.settings.max_pages} "
            f"pages; stopped rather than use partial data. Raise sources.{self.source}."
            "max_pages or shorten the window")

    def _explain(self, exc: BaseException) -> str:
        import requests
        from urllib3.exceptions import (
            ConnectTimeoutError,
            NewConnectionError,
            ProtocolError,
            ReadTimeoutError,
        )

        tries = f"{self.settings.retries + 1} attempt" + ("s" if self.settings.retries else "")
        # requests wraps urllib3's errors several layers deep (reason, args,
        # __cause__); walk the chain so the root cause decides the message.
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
            return f"could not connect to {self.netloc} ({tries}); check api_url"
        if any(isinstance(e, ConnectTimeoutError | requests.ConnectTimeout) for e in chain):
            return f"could not connect within timeout={self.settings.timeout:g}s ({tries})"
        import http.client

        # urllib3 carries http.client's refusal as the second argument of its error
        causes = chain + [a for e in chain for a in e.args if isinstance(a, BaseException)]
        if any(isinstance(e, http.client.LineTooLong) or (
                type(e) is http.client.HTTPException and "headers" in str(e))
               for e in causes):
            return ("the answer's headers are too large (a line over 64 KiB or more than "
                    "100 lines); check api_url")
        if any(isinstance(e, ProtocolError | requests.exceptions.ChunkedEncodingError)
               for e in chain):
            return "the connection broke before the whole answer arrived (truncated answer)"
        from urllib3.exceptions import DecodeError

        if any(isinstance(e, DecodeError | requests.exceptions.ContentDecodingError)
               for e in chain):
            return "the answer's Content-Encoding does not decode (a corrupt compressed body)"
        if isinstance(exc, requests.exceptions.SSLError):
            return "TLS error (certificate not trusted?)"
        if isinstance(exc, requests.exceptions.TooManyRedirects):
            return "too many redirects"
        return f"{type(exc).__name__} ({tries})"

    def _permission_hint(self, resp: HttpAnswer) -> str:
        env_var = self.settings.token_env
        if not self.has_token:
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
        scope = _wanted_scope(resp)
        if scope:
            needs.append(f"scope {scope}")
        if needs:
            return f"the token in ${env_var} lacks a permission: it needs " + " or ".join(needs)
        return (f"the token in ${env_var} is not allowed to read this; grant it read "
                "access to this resource")


def _wanted_scope(resp: HttpAnswer) -> str | None:
    """The scope an OAuth-style 403 asks for (GitLab: ``WWW-Authenticate: Bearer ...
    error="insufficient_scope", scope="read_api"``, or ``scope`` in the JSON body)."""
    import re

    header = resp.headers.get("WWW-Authenticate", "")[:1000]
    if "insufficient_scope" in header:
        m = re.search(r'scope="([^"]{1,100})"', header)
        if m:
            return _escape(m.group(1))
    if "json" in resp.headers.get("Content-Type", "").lower():
        data = _error_json(resp)
        if isinstance(data, dict) and data.get("error") == "insufficient_scope" \
                and isinstance(data.get("scope"), str):
            return _escape(data["scope"][:100])
    return None


def _error_json(resp: HttpAnswer) -> Any:
    """The JSON of an error answer, or None when it does not read: not UTF-8, not JSON,
    an integer of more than 4300 digits, or nesting deeper than Python's recursion
    limit (a RecursionError, which ended the run with a traceback)."""
    try:
        return json.loads(resp.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


class _NonFinite(ValueError):
    """NaN or Infinity in a JSON text."""


def _no_constant(name: str) -> Any:
    raise _NonFinite(name)


def rate_limit_wait(resp: HttpAnswer) -> float | None:
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
        seconds = parse_retry_after(retry_after)
        if seconds is not None:
            return seconds
    now = time.time()
    reset = h.get("X-RateLimit-Reset", "")[:30]
    if h.get("X-RateLimit-Remaining") == "0" and reset.isascii() and reset.isdigit():
        return max(0.0, float(reset) - now) + 0.25
    reset = h.get("RateLimit-Reset", "")[:30]
    if h.get("RateLimit-Remaining") == "0" and reset.isascii() and reset.isdigit():
        # seconds (IETF draft), or epoch seconds (GitLab): no delay is 30 years long
        seconds = float(reset)
        return max(0.0, seconds - now) + 0.25 if seconds > 1e9 else seconds
    if resp.status_code == 429 or "secondary rate limit" in (api_message(resp) or "").lower():
        return 60.0
    return None


def parse_retry_after(value: str) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or an HTTP date), None if neither."""
    value = value.strip()[:100]
    if value.isascii() and value.isdigit():
        return float(value)  # inf for a number too long: refused by the caller
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def api_message(resp: HttpAnswer) -> str | None:
    """The API's own short error text: GitHub ``message``, PagerDuty ``error.message``."""
    if "json" not in resp.headers.get("Content-Type", "").lower():
        return None
    data = _error_json(resp)
    if not isinstance(data, dict):
        return None
    msg = data.get("message")
    err = data.get("error")
    if msg is None and isinstance(err, str):
        # GitLab: {"error": "insufficient_scope", "error_description": "...", "scope": "..."}
        desc = data.get("error_description")
        msg = f"{err}: {desc}" if isinstance(desc, str) else err
    if msg is None and isinstance(err, dict):
        msg = err.get("message")
        extra = err.get("errors")
        if isinstance(extra, list) and extra:
            msg = f"{msg}: {'; '.join(str(e) for e in extra[:3])}"
    if not isinstance(msg, str):
        return None
    return _escape(msg[:200])
