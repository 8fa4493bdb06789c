"""Fixtures of the GSLB tests: region listeners whose /health a test turns up and down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Region:
    """A listener whose /health answers `status` (and can hang to force a timeout)."""

    def __init__(self) -> None:
        self.status = 200
        self.hang = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if outer.hang.is_set():
                    outer.release.wait(5)
                body = b'{"status": "ok", "load": 0.25}' if self.path == "/health" else b"{}"
                self.send_response(outer.status if self.path == "/health" else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def region_listeners() -> Iterator[Callable[..., dict[str, Region]]]:
    """``region_listeners("us-east-1", ...)``: a listening Region per name, closed after the test."""
    made: list[Region] = []

    def make(*names: str) -> dict[str, Region]:
        listeners = {name: Region() for name in names}
        made.extend(listeners.values())
        return listeners

    yield make
    for listener in made:
        listener.close()


@pytest.fixture()
def listeners(region_listeners: Callable[..., dict[str, Region]]) -> dict[str, Region]:
    """The demo's three regions, each a listener answering 200 until a test says otherwise."""
    return region_listeners("us-east-1", "eu-west-1", "ap-southeast-1")


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
