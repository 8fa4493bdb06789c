"""The small threaded HTTP server every local listener is built on.

Bad framing never reaches an app and never costs a 500: a Content-Length that is
not a non-negative integer, Content-Length together with Transfer-Encoding, a
transfer coding other than ``chunked``, a chunk size that is not hex or whose
data is short or not followed by CRLF are all 400. A method no ``do_*`` serves
(TRACE, CONNECT, PROPFIND...) is 405 with ``Allow``. Both are problem+json with
``x-request-id``, the shape the gateway answers errors in; so is every other
error http.server itself sends (a bad request line, headers too long).
"""

from __future__ import annotations

import sys
import threading
import traceback
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from edgeway.errors import BadRequest, HttpError, MethodNotAllowed
from edgeway_local.errors import StackError

MAX_BODY = 10 * 1024 * 1024  # API Gateway's HTTP API payload limit
MAX_CHUNK_LINE = 1024  # a chunk-size line (with extensions); real ones are a few bytes
SERVED_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


class BadFraming(BadRequest):
    """The request body's framing cannot be read: the connection is closed after the 400."""


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
        """The request body, or None when it is over ``limit`` bytes; BadFraming (400)
        when its framing is malformed (RFC 9112 sections 6 and 7.1)."""
        coding = self.headers.get("transfer-encoding")
        length_header = self.headers.get("content-length")
        if coding is not None:
            if length_header is not None:
                raise BadFraming("Content-Length and Transfer-Encoding together are refused "
                                 "(a request smuggling vector)")
            if coding.strip().lower() != "chunked":
                raise BadFraming(f"unsupported transfer-encoding {coding[:40]!r}: only chunked")
            return self._read_chunked(limit)
        text = (length_header or "0").strip()
        if not text.isdigit() or not text.isascii():
            raise BadFraming("Content-Length must be a non-negative integer")
        length = int(text)
        if length > limit:
            return None
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) != length:
            raise BadFraming(f"the body ended after {len(body)} of {length} bytes")
        return body

    def _read_chunked(self, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE + 1)
            if len(line) > MAX_CHUNK_LINE or not line.endswith(b"\n"):
                raise BadFraming("malformed chunk size line (too long, or the body ended)")
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise BadFraming(f"malformed chunk size {size_text[:16].decode('latin-1')!r}: "
                                 f"a chunk size is hexadecimal digits")
            size = int(size_text, 16)
            if size == 0:
                for _ in range(100):  # trailer fields, bounded
                    trailer = self.rfile.readline(MAX_CHUNK_LINE + 1)
                    if trailer in (b"\r\n", b"\n", b""):
                        return b"".join(chunks)
                raise BadFraming("too many chunked trailer fields")
            total += size
            if total > limit:
                return None
            data = self.rfile.read(size)
            if len(data) != size:
                raise BadFraming(f"a chunk ended after {len(data)} of {size} bytes")
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise BadFraming("a chunk's data is not followed by CRLF")
            chunks.append(data)

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

    def error_headers(self) -> list[tuple[str, str]]:
        """Headers every error this server answers itself carries (a region, say)."""
        return []

    def send_problem(self, error: HttpError) -> None:
        """``error`` as problem+json, the way the gateway renders it; closes the connection."""
        from edgeway.edge import problem_response

        request_id = uuid.uuid4().hex
        response = problem_response(error, request_id)
        self.close_connection = True
        self.send(error.status, [*response.headers.items(), ("x-request-id", request_id),
                                 *self.error_headers(), ("connection", "close")], response.body)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method) as problem+json."""
        if code == HTTPStatus.NOT_IMPLEMENTED and str(message).startswith("Unsupported method"):
            method = str(getattr(self, "command", "") or "")[:16]
            self.send_problem(MethodNotAllowed(list(SERVED_METHODS),
                                               f"method {method!r} is not served here; "
                                               f"allowed: {', '.join(SERVED_METHODS)}"))
            return
        error = HttpError(message or HTTPStatus(code).phrase)
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        error.status, error.title = code, phrase
        error.type_slug = phrase.lower().replace(" ", "-")
        self.send_problem(error)

    def _dispatch(self) -> None:
        # The outer boundary: a bug here answers a plain 500, never a traceback.
        try:
            self.handle_any()
        except BadFraming as exc:
            self.send_problem(exc)
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
