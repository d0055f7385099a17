"""A fake API of the tests served on 127.0.0.1 (bench_http.py, bench_gitlab.py).

The fakes are tests/httpfakes.py's and tests/acmegitlab.py's; the server is a
threaded werkzeug one speaking HTTP/1.1 with keep-alive, as api.github.com and
GitLab do, and logging no request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as api.github.com and GitLab speak it."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@contextmanager
def serving(handle: Callable[[Request], Any]) -> Iterator[str]:
    """Serve ``handle`` (a fake's ``handle``) until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, Request.application(handle), threaded=True,
                         request_handler=KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
