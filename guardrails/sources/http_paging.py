"""How the HTTP client reads a listing page after page, in each API's style.

``Link: rel="next"`` (GitHub, GitLab), GitLab's ``X-Next-Page`` header (turned
into a next link by :func:`next_page_url`), offset/limit (PagerDuty, Opsgenie
alerts) and an opaque cursor the answer names (Opsgenie). Every style stops at
``max_pages``, refuses a next page outside api_url (the token goes with every
request) and stops on a page or cursor it has already seen (a loop), so no
listing can run on without end.

:class:`PagingMixin` is one part of :class:`guardrails.sources.http.HttpClient`;
its methods read the client's attributes and methods named in :class:`_Lister`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from guardrails.progress import ProgressTask
from guardrails.sources.http_errors import HttpErrors
from guardrails.sources.http_settings import HttpSettings, Page
from guardrails.sources.http_shapes import Shape
from guardrails.textsafe import printable as _escape


class _Lister(Protocol):
    """What pagination reads of the client it is part of."""

    service: str
    settings: HttpSettings
    _base: SplitResult
    _errors: HttpErrors

    def get(self, url: str, params: Mapping[str, Any] | None = None, *, purpose: str,
            shape: Shape | None = None) -> Page: ...
    def shown(self, url: str) -> str: ...
    def _url(self, url: str, params: Mapping[str, Any] | None) -> str: ...
    def _under_base(self, url: str) -> bool: ...
    def _task(self, what: str | None, unit: str, total: int | None = None) -> ProgressTask: ...
    def _next_page(self, page: Page, first: str, purpose: str, count: int,
                   seen: set[str]) -> str | None: ...
    def _items(self, page: Page, items_key: str | None, purpose: str) -> list[Any]: ...


class PagingMixin:
    """Link, offset and cursor pagination over the client's ``get``."""

    def pages(
        self: _Lister,
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
        already read (a loop). ``shape`` checks each item. An item whose
        ``id`` an earlier item of the listing had is left out (:func:`_new_items`).
        """
        first_url = self._url(path, params)
        first = self.shown(first_url)
        url: str | None = first_url
        seen: set[str] = set()
        ids: set[tuple[type, Any]] = set()
        count = 0
        asked = (params or {}).get("per_page")
        with self._task(purpose, "pages") as task:
            while url:
                count += 1
                if count > self.settings.max_pages:
                    raise self._errors.page_cap(first, purpose)
                seen.add(url)
                page = self.get(url, purpose=purpose)
                items = self._items(page, items_key, purpose)
                _page_size(self, items, asked, "per_page", page, purpose)
                if shape is not None:
                    shape.check_items(items, self.shown(page.url), purpose,
                                      self._errors.error)
                task.advance()
                yield _new_items(items, ids)
                url = self._next_page(page, first, purpose, count, seen)

    def _next_page(self: _Lister, page: Page, first: str, purpose: str, count: int,
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
        self: _Lister,
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
                _page_size(self, items, limit, "limit", page, purpose)
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
        self: _Lister,
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
                _page_size(self, found, params.get("limit"), "limit", page, purpose)
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

    def _items(self: _Lister, page: Page, items_key: str | None, purpose: str) -> list[Any]:
        data = page.data
        if items_key:
            items = data.get(items_key) if isinstance(data, dict) else None
        else:
            items = data
        if not isinstance(items, list):
            raise self._errors.not_a_list(self.shown(page.url), purpose, items_key)
        return items


def _page_size(client: _Lister, items: list[Any], asked: Any, name: str, page: Page,
               purpose: str) -> None:
    """Refuse a page holding more items than the request asked for.

    ``max_pages`` bounds a listing only together with the page size: one answer of
    700,000 pull requests (64 MB) was taken whole, and each then cost its own
    requests (an hour of them); an API never answers more than ``per_page``/``limit``.
    """
    if isinstance(asked, int) and not isinstance(asked, bool) and len(items) > asked:
        raise client._errors.error(
            f"GET {client.shown(page.url)} ({purpose}) answered {len(items)} items on one "
            f"page, more than the {name}={asked} asked for; stopped rather than read a "
            "listing without bound (check api_url: the API never does this)")


def next_page_url(url: str, header: str | None) -> str | None:
    """``url`` with its ``page`` parameter set to an ``X-Next-Page`` value (None: no next page)."""
    value = (header or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 7 and int(value) > 0):
        return None
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return parts._replace(query=urlencode([*query, ("page", str(int(value)))])).geturl()


def _new_items(items: list[Any], ids: set[tuple[type, Any]]) -> list[Any]:
    """``items`` less those whose ``id`` (a text or an integer) ``ids`` holds; adds theirs.

    A listing read page by page while the service adds to it (a pull request
    merged, a deployment made during the run) shifts by one: the last item of
    a page comes again at the top of the next, and counted twice it would be
    two deployments, two changes, one more failure in a rate. GitHub's and
    GitLab's items carry a unique ``id``; the first answer of it is kept.
    Items without one (a commit is named by ``sha``, a DORA point by its date)
    are kept as they come.
    """
    out = []
    for item in items:
        key = item.get("id") if type(item) is dict else None
        if type(key) is str or type(key) is int:
            k = (type(key), key)
            if k in ids:
                continue
            ids.add(k)
        out.append(item)
    return out
