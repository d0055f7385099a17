"""The answer bytes an HTTP client holds at once, over all its workers, stay within
max_body_bytes (guardrails/sources/http_transport.py's BodyBudget), against a real
server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpfakes import json_response
from werkzeug.wrappers import Request, Response

from guardrails.errors import SourceError
from guardrails.plugin import SourceEnv
from guardrails.sources.http import HttpClient, HttpSettings

TOKEN = "tok_SECRET_value_for_budget_tests"


def client(url: str, tmp_path: Path | None = None, **settings: Any) -> HttpClient:
    values = {"timeout": 5, "retries": 0, "backoff_factor": 0.01,
              "rate_limit_max_wait": 2.0, "workers": 2, **settings}
    s = HttpSettings(api_url=url.rstrip("/"), token_env="TEST_API_TOKEN", **values)
    env = SourceEnv(root=Path("."), now=datetime(2026, 11, 30, tzinfo=UTC),
                    window=timedelta(days=30),
                    cache_dir=tmp_path / "cache" if tmp_path else None)
    return HttpClient("test", "Test", s, env, headers={"Accept": "application/json"},
                      auth_scheme=lambda t: f"Bearer {t}")


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_API_TOKEN", TOKEN)


def test_workers_reading_big_answers_side_by_side_share_one_cap(httpserver: Any) -> None:
    """Two answers of 50,000 bytes, each under the cap of 80,000, both held at once
    (the server sends most of each, then waits for the test): their sum passes the
    cap, so one GET stops, naming its URL (no token) and the keys to change."""
    go_on = threading.Event()

    def half_then_wait(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b"[" + b" " * 50_000
            go_on.wait(20)  # released by the test (a bound, should it never be)
            yield b"]"
        return Response(body(), content_type="application/json")

    httpserver.expect_request("/big").respond_with_handler(half_then_wait)
    c = client(httpserver.url_for("/"), max_body_bytes=80_000)
    try:
        with pytest.raises(SourceError) as info:
            c.map(lambda n: c.get("/big", {"n": n, "private_token": TOKEN}, purpose="big"),
                  [1, 2], label="pages")
    finally:
        go_on.set()
    message = str(info.value)
    assert "GET /big?" in message and "(big) stopped reading at " in message
    assert "max_body_bytes=80000 bytes" in message and "2 worker(s)" in message
    assert "Raise sources.test.max_body_bytes" in message
    assert "sources.test.workers" in message
    assert TOKEN not in message and TOKEN[4:12] not in message


def test_answers_read_one_after_another_each_get_the_whole_cap(
        httpserver: Any, tmp_path: Path) -> None:
    """The cap is of bytes held at once: every answer gives its bytes back once it is
    decoded and cached, whatever it was (a page, a 404, a 304, a redirect, a rate limit,
    an error), so a source reads any number of pages, each up to the cap."""
    page = [" " * 100] * 500  # ~52,000 bytes of JSON
    httpserver.expect_request("/page").respond_with_json(page, headers={"ETag": '"v1"'})
    httpserver.expect_request("/moved").respond_with_response(
        Response(b"x" * 1000, status=301, headers={"Location": "/page"}))
    httpserver.expect_request("/gone").respond_with_response(json_response({}, 404))
    httpserver.expect_request("/broken").respond_with_response(
        json_response({"message": "no"}, 400))
    limited = {"n": 0}

    def limit_once(request: Request) -> Response:
        limited["n"] += 1
        if limited["n"] == 1:
            return json_response({"message": "slow down"}, 429, {"Retry-After": "0"})
        return json_response(page)

    httpserver.expect_request("/limited").respond_with_handler(limit_once)
    c = client(httpserver.url_for("/"), tmp_path, max_body_bytes=200_000, workers=3)
    for _ in range(2):  # the second time the page answers 304 from the cache's ETag
        assert c.map(lambda n: c.get("/page", {"n": n}, purpose="p").data,
                     range(6), label="pages") == [page] * 6
    assert c.get("/moved", purpose="p").data == page
    assert c.get_if_found("/gone", purpose="p") is None
    with pytest.raises(SourceError, match="answered 400"):
        c.get("/broken", purpose="p")
    assert c.get("/limited", purpose="p").data == page
    assert c._budget.held == 0
    with pytest.raises(SourceError, match=r"answered more than max_body_bytes=200000"):
        httpserver.expect_request("/huge").respond_with_json([" " * 250_000])
        c.get("/huge", purpose="p")  # one answer over the cap: the message it always had
    assert c._budget.held == 0


def test_an_answer_given_up_on_gives_its_bytes_back(httpserver: Any) -> None:
    """A GET the waiting thread abandons (its deadline passed) leaves nothing taken."""
    def drip(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b"[" + b" " * 30_000
            for _ in range(20):  # a byte every 0.2 s: past the 1.5 s deadline below
                threading.Event().wait(0.2)
                yield b" "
            yield b"]"
        return Response(body(), content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(drip)
    c = client(httpserver.url_for("/"), max_body_bytes=60_000, timeout=0.5)
    with pytest.raises(SourceError, match="no complete answer within"):
        c.get("/slow", purpose="p")
    httpserver.expect_request("/ok").respond_with_response(json_response([10] * 13_000))
    # the abandoned read gives its 30,000 bytes back when it stops (at its next piece);
    # then a GET of 40,000 bytes fits
    for _ in range(50):
        if c._budget.held == 0:
            break
        threading.Event().wait(0.1)
    assert c._budget.held == 0
    assert len(c.get("/ok", purpose="p").data) == 13_000
