"""The shared HTTP client against a real server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from httpfakes import json_response
from werkzeug.wrappers import Request, Response

from guardrails.errors import SourceError
from guardrails.plugin import SourceEnv
from guardrails.progress import Progress, TerminalProgress
from guardrails.sources.http import Cancelled, HttpClient, HttpSettings, ResponseCache

TOKEN = "tok_SECRET_value_for_client_tests"


def client(url: str, tmp_path: Path | None = None, *, offline: bool = False,
           progress: Progress | None = None, **settings: Any) -> HttpClient:
    values = {"timeout": 5, "retries": 2, "backoff_factor": 0.01,
              "rate_limit_max_wait": 2.0, "workers": 4, **settings}
    s = HttpSettings(api_url=url.rstrip("/"), token_env="TEST_API_TOKEN", **values)
    env = SourceEnv(root=Path("."), now=datetime(2026, 11, 30, tzinfo=UTC),
                    window=timedelta(days=30), offline=offline,
                    cache_dir=tmp_path / "cache" if tmp_path else None,
                    progress=progress or Progress())
    return HttpClient("test", "Test", s, env, headers={"Accept": "application/json"},
                      auth_scheme=lambda t: f"Bearer {t}")


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_API_TOKEN", TOKEN)


class Script:
    """Serves queued responses for one path, then a default; counts requests."""

    def __init__(self, *responses: Any, default: Any = None) -> None:
        self.queue = list(responses)
        self.default = default
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
            item = self.queue.pop(0) if self.queue else self.default
        return item(request) if callable(item) and not isinstance(item, Response) else item


def serve(httpserver: Any, path: str, script: Script) -> Script:
    httpserver.expect_request(path).respond_with_handler(script)
    return script


def test_5xx_is_retried_by_the_adapter(httpserver: Any) -> None:
    s = serve(httpserver, "/x", Script(json_response({}, 500), json_response({}, 503),
                                       default=json_response({"ok": 1})))
    assert client(httpserver.url_for("/")).get("/x", purpose="t").data == {"ok": 1}
    assert len(s.requests) == 3


def test_5xx_forever_gives_up_after_retries(httpserver: Any) -> None:
    s = serve(httpserver, "/x", Script(default=json_response({"message": "boom"}, 502)))
    with pytest.raises(SourceError, match=r"GET /x \(t\) answered 502.*boom.*after 2 retries"):
        client(httpserver.url_for("/")).get("/x", purpose="t")
    assert len(s.requests) == 3


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceError, match=r"could not connect to 127.0.0.1:\d+ \(2 attempts"):
        client(f"http://127.0.0.1:{port}", retries=1).get("/x", purpose="t")


def test_body_cut_short_is_a_source_error(httpserver: Any) -> None:
    def cut(request: Request) -> Response:
        resp = Response(b'{"items": [1, 2', content_type="application/json")
        resp.headers["Content-Length"] = "400"
        return resp

    serve(httpserver, "/x", Script(default=cut))
    with pytest.raises(SourceError, match="GET /x"):
        client(httpserver.url_for("/"), timeout=0.3, retries=0).get("/x", purpose="t")


def test_retry_after_as_http_date(httpserver: Any) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    s = serve(httpserver, "/x", Script(json_response({}, 429, {"Retry-After": when}),
                                       default=json_response([1])))
    assert client(httpserver.url_for("/")).get("/x", purpose="t").data == [1]
    assert len(s.requests) == 2


def test_long_retry_after_fails_without_waiting(httpserver: Any,
                                                rate_limit_waits: list[float]) -> None:
    serve(httpserver, "/x", Script(default=json_response({}, 429, {"Retry-After": "600"})))
    with pytest.raises(SourceError, match=r"rate limit.*is exhausted.*in 600s"):
        client(httpserver.url_for("/")).get("/x", purpose="t")
    assert rate_limit_waits == []


def test_plain_403_is_not_a_rate_limit(httpserver: Any) -> None:
    s = serve(httpserver, "/x", Script(default=json_response({"message": "nope"}, 403)))
    with pytest.raises(SourceError, match=r"403.*nope.*\$TEST_API_TOKEN is not allowed"):
        client(httpserver.url_for("/")).get("/x", purpose="t")
    assert len(s.requests) == 1


def test_offset_pages_until_more_is_false(httpserver: Any) -> None:
    def page(request: Request) -> Response:
        offset, limit = int(request.args["offset"]), int(request.args["limit"])
        items = list(range(offset, min(offset + limit, 7)))
        return json_response({"things": items, "more": offset + limit < 7})

    s = serve(httpserver, "/things", Script(default=page))
    c = client(httpserver.url_for("/"))
    got = [i for p in c.offset_pages("/things", {"q": "a"}, purpose="t", items_key="things",
                                      limit=3) for i in p]
    assert got == list(range(7))
    assert [r.args["offset"] for r in s.requests] == ["0", "3", "6"]


def test_next_link_to_another_host_is_refused(httpserver: Any) -> None:
    serve(httpserver, "/x", Script(default=json_response(
        [1], headers={"Link": '<https://evil.example/x?page=2>; rel="next"'})))
    pages = client(httpserver.url_for("/")).pages("/x", purpose="t")
    assert next(pages) == [1]
    with pytest.raises(SourceError, match="another host .evil.example"):
        next(pages)


def test_listing_that_is_not_a_list(httpserver: Any) -> None:
    serve(httpserver, "/x", Script(default=json_response({"message": "hi"})))
    with pytest.raises(SourceError, match="not a list"):
        list(client(httpserver.url_for("/")).pages("/x", purpose="t"))


def test_cache_files_are_keyed_by_url_and_written_whole(httpserver: Any, tmp_path: Path
                                                       ) -> None:
    serve(httpserver, "/x", Script(default=json_response(
        {"a": 1}, headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"})))
    c = client(httpserver.url_for("/"), tmp_path)
    c.get("/x", {"p": "1"}, purpose="t")
    url = httpserver.url_for("/x") + "?p=1"
    key = hashlib.sha256(url.encode()).hexdigest()
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files == [tmp_path / "cache" / "http" / "test" / key[:2] / f"{key}.json"]
    saved = json.loads(files[0].read_text())
    assert saved["etag"] == '"v1"' and json.loads(saved["body"]) == {"a": 1}
    assert TOKEN not in files[0].read_text()


def test_304_answers_from_cache(httpserver: Any, tmp_path: Path) -> None:
    def answer(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return json_response([1, 2], headers={"ETag": '"v1"'})

    s = serve(httpserver, "/x", Script(default=answer))
    first = client(httpserver.url_for("/"), tmp_path)
    assert first.get("/x", purpose="t").data == [1, 2]
    second = client(httpserver.url_for("/"), tmp_path)
    page = second.get("/x", purpose="t")
    assert page.data == [1, 2] and page.from_cache
    assert s.requests[1].headers["If-None-Match"] == '"v1"'
    assert (second.stats.requests, second.stats.not_modified, second.stats.body_bytes) == (
        1, 1, 0)


def test_corrupt_cache_entry_is_removed(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    path = cache.path_for("http://h/x")
    path.parent.mkdir(parents=True)
    path.write_text("{not json", "utf-8")
    assert cache.load("http://h/x") is None
    assert not path.exists() and cache.discarded == [path]


def test_map_keeps_order_and_raises_first_failure(httpserver: Any) -> None:
    c = client(httpserver.url_for("/"), workers=3)
    active = 0
    peak = 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with lock:
            active -= 1
        return n * n

    assert c.map(work, range(12), label="t") == [n * n for n in range(12)]
    assert 1 < peak <= 3

    def fail(n: int) -> int:
        if n == 2:
            raise SourceError("test", "item 2 failed")
        return n

    with pytest.raises(SourceError, match="item 2 failed"):
        c.map(fail, range(5), label="t")


def test_token_with_control_characters(httpserver: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_API_TOKEN", "abc\x01defSECRET")
    with pytest.raises(SourceError) as err:
        client(httpserver.url_for("/")).get("/x", purpose="t")
    assert "TEST_API_TOKEN" in str(err.value) and "SECRET" not in str(err.value)


def test_progress_goes_to_the_runs_progress_object_never_to_stderr(
        httpserver: Any, capsys: pytest.CaptureFixture[str]) -> None:
    client(httpserver.url_for("/"), workers=2).map(str, range(3), label="items")
    assert capsys.readouterr().err == ""  # no progress object: nothing drawn
    shown = io.StringIO()
    drawn = TerminalProgress(shown, live=False, ticker=False)
    assert client(httpserver.url_for("/"), workers=2, progress=drawn).map(
        str, range(3), label="items") == ["0", "1", "2"]
    assert capsys.readouterr().err == ""
    assert re.fullmatch(r"test  3/3 items  in \d+\.\ds\n", shown.getvalue())


def test_listing_pages_are_counted_and_pages_inside_map_are_not(httpserver: Any) -> None:
    base = httpserver.url_for("/")
    httpserver.expect_request("/list", query_string="page=2").respond_with_json(
        [3], headers={})
    httpserver.expect_request("/list").respond_with_json(
        [1, 2], headers={"Link": f'<{base}list?page=2>; rel="next"'})
    shown = io.StringIO()
    c = client(base, workers=1, progress=TerminalProgress(shown, live=False, ticker=False))
    assert [i for page in c.pages("/list", purpose="numbers") for i in page] == [1, 2, 3]
    assert re.fullmatch(r"test: numbers  2 pages  in \d+\.\ds\n", shown.getvalue())
    shown.seek(0)
    shown.truncate()
    # Listings read for each item of a map() are that map's progress, not tasks of their own.
    got = c.map(lambda _: sum(len(p) for p in c.pages("/list", purpose="numbers")),
                range(2), label="lists")
    assert got == [3, 3]
    assert re.fullmatch(r"test  2/2 lists  in \d+\.\ds\n", shown.getvalue())


# -- hostile answers (issue 9) -------------------------------------------------------


def _drip(body: bytes, interval: float) -> Any:
    def handler(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for i in range(len(body)):
                yield body[i:i + 1]
                time.sleep(interval)

        return Response(chunks(), headers={"Content-Type": "application/json"},
                        direct_passthrough=True)

    return handler


def test_a_dripping_answer_stops_at_the_total_deadline(httpserver: Any) -> None:
    # each byte comes well within the per-read timeout; the whole never does
    serve(httpserver, "/drip", Script(default=_drip(b"[" + b" " * 200 + b"]", 0.1)))
    c = client(httpserver.url_for("/"), timeout=0.5, retries=0)
    # only the deadline says this (200 bytes would take 20 s and then parse)
    with pytest.raises(SourceError, match=r"GET /drip \(t\) failed: no complete answer within"):
        c.get("/drip", purpose="t")


def test_a_decompressed_body_over_the_cap_is_a_source_error(httpserver: Any) -> None:
    import gzip

    bomb = gzip.compress(b"[" + b" " * 5_000_000 + b"]", 9)
    assert len(bomb) < 10_000
    serve(httpserver, "/bomb", Script(default=Response(bomb, headers={
        "Content-Type": "application/json", "Content-Encoding": "gzip"})))
    with pytest.raises(SourceError, match=r"GET /bomb \(t\) answered more than "
                                          r"max_body_bytes=65536 bytes"):
        client(httpserver.url_for("/"), max_body_bytes=65536).get("/bomb", purpose="t")


def test_a_body_under_the_cap_is_read_whole(httpserver: Any) -> None:
    serve(httpserver, "/ok", Script(default=json_response(list(range(1000)))))
    page = client(httpserver.url_for("/"), max_body_bytes=65536).get("/ok", purpose="t")
    assert page.data == list(range(1000))


@pytest.mark.parametrize(("body", "words"), [
    (b'[1, NaN]', "JSON with NaN"),
    (b'{"a": -Infinity}', "JSON with -Infinity"),
    (b"[" * 100_000, "nesting too deep"),
    (b"[" + b"9" * 5000 + b"]", "a number too long"),
    (b'[{"a": 1}, {"b"', "invalid or truncated JSON"),
])
def test_json_that_python_would_accept_or_crash_on_is_refused(
        httpserver: Any, body: bytes, words: str) -> None:
    serve(httpserver, "/j", Script(default=Response(body, content_type="application/json")))
    with pytest.raises(SourceError, match=re.escape(words)) as info:
        client(httpserver.url_for("/")).get("/j", purpose="t")
    assert "GET /j (t)" in str(info.value)


def test_a_next_link_back_to_a_page_already_read_stops(httpserver: Any) -> None:
    url = httpserver.url_for("/loop")
    serve(httpserver, "/loop", Script(default=json_response([1], headers={
        "Link": f'<{url}>; rel="next"'})))
    pages = client(httpserver.url_for("/")).pages("/loop", purpose="t")
    assert next(pages) == [1]
    with pytest.raises(SourceError, match="repeats a page already read"):
        next(pages)


def test_a_next_link_outside_the_base_path_is_refused(httpserver: Any) -> None:
    base = httpserver.url_for("/api/v3")
    serve(httpserver, "/api/v3/x", Script(default=json_response([1], headers={
        "Link": f'<{httpserver.url_for("/admin/x")}>; rel="next"'})))
    other = serve(httpserver, "/admin/x", Script(default=json_response([2])))
    pages = client(base).pages("/x", purpose="t")
    assert next(pages) == [1]
    with pytest.raises(SourceError, match=r"outside api_url \(http:/admin/x\)"):
        next(pages)
    assert other.requests == []


def test_a_redirect_to_another_host_is_not_followed(httpserver: Any) -> None:
    serve(httpserver, "/r", Script(default=Response("", status=302, headers={
        "Location": "http://evil.example/steal"})))
    with pytest.raises(SourceError, match=r"redirect outside api_url \(evil.example\)"):
        client(httpserver.url_for("/")).get("/r", purpose="t")


def test_a_redirect_under_the_base_is_followed_a_few_times(httpserver: Any) -> None:
    serve(httpserver, "/old", Script(default=Response("", status=301, headers={
        "Location": "/new"})))
    serve(httpserver, "/new", Script(default=json_response({"ok": True})))
    assert client(httpserver.url_for("/")).get("/old", purpose="t").data == {"ok": True}
    serve(httpserver, "/self", Script(default=Response("", status=301, headers={
        "Location": "/self"})))
    with pytest.raises(SourceError, match="redirected more than 5 times"):
        client(httpserver.url_for("/")).get("/self", purpose="t")


@pytest.mark.parametrize("value", ["1000000000", "9" * 400])
def test_an_absurd_retry_after_fails_at_once(httpserver: Any, value: str,
                                             rate_limit_waits: list[float]) -> None:
    serve(httpserver, "/rl", Script(default=json_response(
        {"message": "slow down"}, status=429, headers={"Retry-After": value})))
    with pytest.raises(SourceError, match=r"GET /rl \(t\): the Test API rate limit") as info:
        client(httpserver.url_for("/")).get("/rl", purpose="t")
    assert "in more than 30 years" in str(info.value)
    assert rate_limit_waits == []


def test_cancel_ends_a_request_in_flight(httpserver: Any) -> None:
    serve(httpserver, "/slow", Script(default=_drip(b"[" + b" " * 100 + b"]", 0.2)))
    c = client(httpserver.url_for("/"), timeout=30, retries=0)
    caught: list[BaseException] = []

    def run() -> None:
        try:
            c.get("/slow", purpose="t")
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            caught.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.5)
    c.cancel()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert caught and isinstance(caught[0], Cancelled) and isinstance(caught[0],
                                                                      KeyboardInterrupt)


def test_a_shape_mismatch_names_the_path_item_and_field(httpserver: Any) -> None:
    from guardrails.sources import http_shapes as shapes

    serve(httpserver, "/repos/a/b/pulls", Script(default=json_response(
        [{"number": 1, "updated_at": "2026-11-01T00:00:00Z"},
         {"number": 2, "updated_at": "not a time"}])))
    c = client(httpserver.url_for("/"))
    with pytest.raises(SourceError) as info:
        list(c.pages("/repos/a/b/pulls", purpose="changes", shape=shapes.GH_PULL_LISTED))
    text = str(info.value)
    assert "GET /repos/a/b/pulls (changes)" in text
    assert "pull request item 2 field 'updated_at' 'not a time'" in text
    assert TOKEN not in text


@pytest.mark.parametrize("raw", [
    {"url": "U", "body": "[]", "content_type": 5},
    {"url": "U", "body": "[]", "content_type": "application/json", "link": ["x"]},
    {"url": "U", "body": None, "content_type": "application/json"},
    [1, 2],
])
def test_a_cache_entry_of_the_wrong_types_is_discarded(tmp_path: Path, raw: Any) -> None:
    cache = ResponseCache(tmp_path)
    url = "https://api.example/x"
    if isinstance(raw, dict):
        raw = {**raw, "url": url}
    path = cache.path_for(url)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert cache.load(url) is None
    assert not path.exists()
    assert "discarded 1 unreadable cache entry" in (cache.take_discard_note() or "")


def test_messages_never_show_secret_query_values_or_url_credentials() -> None:
    c = client("https://user:pw@api.example/v3")
    shown = c.shown("https://user:pw@api.example/v3/x?per_page=100&access_token=abc123")
    assert shown == "/x?per_page=100&***"  # the one rule of guardrails.textsafe.safe_query
    assert "pw" not in c._errors.netloc


def test_a_failing_page_s_message_shows_its_paging_but_no_signature(httpserver: Any) -> None:
    """A next link's query (a server's, so any parameter) in the message of the page
    that failed: page and per_page say which request it was, a signature is ***."""
    base = httpserver.url_for("/")
    httpserver.expect_request("/list", query_string="per_page=2&page=2&sig=s3cr3tSIGvalue"
                              ).respond_with_json({"message": "down"}, status=502)
    httpserver.expect_request("/list").respond_with_json([1, 2], headers={
        "Link": f'<{base}list?per_page=2&page=2&sig=s3cr3tSIGvalue>; rel="next"'})
    c = client(base, retries=0)
    with pytest.raises(SourceError) as exc:
        list(c.pages("/list", {"per_page": 2}, purpose="numbers"))
    assert "GET /list?per_page=2&page=2&*** (numbers) answered 502" in str(exc.value)
    assert "s3cr3t" not in str(exc.value)


@pytest.mark.parametrize(("token", "text", "shown"), [
    # a fine-grained token: its public prefix is no secret, "github" stays readable
    ("github_pat_11ABCDEFG0123456789secret",
     "see https://docs.github.com/rest; sent github_pat_11ABCDEFG012",
     "see https://docs.github.com/rest; sent ***"),
    ("ghp_fake0123456789abcdefFAKE", "token ghp_fake01", "token ***"),  # cut inside
    ("ghp_fake0123456789abcdefFAKE", "ghp_ tokens start so", "ghp_ tokens start so"),
    ("glpat-SECRET0123456789", "was glpat-SECRET0123456789!", "was ***!"),
    # no known prefix: any 4 of its first characters are masked, an "_" is no prefix
    ("abcdefghij_kLMNOPQRST", "... 'abcdefghij", "... '***"),
    ("0123456789abcdef0123", "sent 0123456", "sent ***"),
])
def test_a_cut_token_is_masked_and_its_public_prefix_alone_is_not(
        monkeypatch: pytest.MonkeyPatch, token: str, text: str, shown: str) -> None:
    monkeypatch.setenv("TEST_API_TOKEN", token)
    assert client("http://127.0.0.1:9")._scrub(text) == shown


def test_an_item_a_shifted_listing_repeats_on_the_next_page_is_read_once(
        httpserver: Any) -> None:
    """A listing that grew while it was read repeats the last item of page 1 at the top
    of page 2: read once (counted twice it would be one more deployment or change).
    Items without an id, and ids of another type, are kept as they come."""
    serve(httpserver, "/deployments", Script(json_response(
        [{"id": 1, "n": "a"}, {"id": 2, "n": "b"}, {"sha": "f00"}],
        headers={"Link": f'<{httpserver.url_for("/deployments2")}>; rel="next"'})))
    serve(httpserver, "/deployments2", Script(json_response(
        [{"id": 2, "n": "b again"}, {"id": "2", "n": "text id"}, {"sha": "f00"},
         {"id": 3, "n": "c"}])))
    pages = list(client(httpserver.url_for("/")).pages("/deployments", purpose="t"))
    assert pages == [[{"id": 1, "n": "a"}, {"id": 2, "n": "b"}, {"sha": "f00"}],
                     [{"id": "2", "n": "text id"}, {"sha": "f00"}, {"id": 3, "n": "c"}]]
