"""The small threaded HTTP server every local listener is built on."""

from __future__ import annotations

import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from edgeway_local.errors import StackError

MAX_BODY = 10 * 1024 * 1024  # API Gateway's HTTP API payload limit


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 app: Any) -> None:
        self.app = app  # what the handler serves (a listener, the Invoke API)
        super().__init__(address, handler)


class Handler(BaseHTTPRequestHandler):
    """Reads bodies (Content-Length or chunked); subclasses implement ``handle_any``."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK, 40 ms per request on Linux.
    disable_nagle_algorithm = True
    server: Server

    def read_body(self, limit: int = MAX_BODY) -> bytes | None:
        """The request body, or None when it is over ``limit`` bytes."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > limit:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        if length > limit:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status: int, headers: list[tuple[str, str]] | tuple[tuple[str, str], ...],
             body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            # Framing headers are this server's business, whatever the function said.
            if name in ("content-length", "connection", "transfer-encoding", "date", "server"):
                continue
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _dispatch(self) -> None:
        # The outer boundary: a bug here answers a plain 500, never a traceback.
        try:
            self.handle_any()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            try:
                self.send(500, [("content-type", "application/json")],
                          b'{"message":"Internal Server Error"}')
            except OSError:
                pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def version_string(self) -> str:
        return "edgeway-local"

    def log_message(self, format: str, *args: Any) -> None:
        """Access logging is the app's job (or nobody's with --quiet)."""


def start_server(host: str, port: int, handler: type[Handler], app: Any, what: str) -> Server:
    try:
        server = Server((host, port), handler, app)
    except OSError as exc:
        raise StackError(f"{what}: cannot listen on {host}:{port}: {exc.strerror}") from exc
    # shutdown() waits for the loop to look at its flag: poll often, so that stopping
    # the stack's several listeners one after the other takes no noticeable time.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                     name=what).start()
    return server


def stop_server(server: Server) -> None:
    server.shutdown()
    server.server_close()


class Listening:
    """start/stop/url for a dataclass that has ``host``, ``port`` and ``_server``.

    Subclasses name their request handler and what they are (for errors and
    thread names); ``port`` 0 becomes the port the system chose.
    """

    handler: type[Handler]
    host: str
    port: int
    _server: Server | None

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def url(self) -> str:
        from edgeway_local.ports import url_host

        return f"http://{url_host(self.host)}:{self.port}"

    def start(self) -> Any:
        self._server = start_server(self.host, self.port, self.handler, self, self.describe())
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            stop_server(self._server)
            self._server = None
