"""HTTP backend: forward the request to a URL through one pooled client.

The urllib3 ``PoolManager`` is created on first use and kept for the life of
the container (urllib3 ships in the Lambda runtime with botocore), so warm
requests reuse connections. Only allow-listed request headers are forwarded;
redirects are returned to the client, never followed; the gateway decides on
retries, so urllib3 makes exactly one attempt.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from edgeway.backends import MAX_RESPONSE_BYTES, Site
from edgeway.context import BuildContext
from edgeway.errors import BackendError, BackendTimeout
from edgeway.http import Request, Response
from edgeway.routing import PathTemplate, canonical_path

DEFAULT_CONNECT_TIMEOUT_MS = 1000
DEFAULT_FORWARD_HEADERS = (
    "accept", "accept-encoding", "accept-language", "content-type", "if-match",
    "if-none-match", "if-modified-since", "if-unmodified-since", "range", "user-agent",
)
# Connection-scoped headers never cross a proxy (RFC 9110 section 7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "transfer-encoding", "upgrade", "content-length"})

_pool: Any = None
_pool_lock = threading.Lock()


def shared_pool() -> Any:
    """The container's one PoolManager (created lazily, thread-safe)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                import urllib3

                _pool = urllib3.PoolManager(num_pools=32, maxsize=16, retries=False)
    return _pool


@functools.cache
def _path_template(path: str, route_path: str) -> PathTemplate:
    return PathTemplate(path, route_path)  # once per route, then reused


@dataclass(frozen=True, slots=True)
class HttpBackend:
    """``type: http``: a base URL, an optional path template, the headers forwarded."""
    url: str
    path: str | None
    host: str | None
    forward_headers: tuple[str, ...]
    connect_timeout_s: float

    @classmethod
    def compile(cls, raw: Mapping[str, Any], site: Site) -> HttpBackend:
        headers = tuple(h.lower() for h in raw.get("forward_headers", DEFAULT_FORWARD_HEADERS))
        if "host" in headers:
            # The client's Host upstream is how an open redirect is built: the
            # upstream gets the URL's host, or the backend's own `host`.
            raise site.at("forward_headers").error(
                "forward_headers may not list host: the gateway sends the backend's own host "
                "(set `host` to choose another)")
        path = raw.get("path")
        if path is not None and site.route_path is not None:
            try:
                PathTemplate(path, site.route_path)
            except ValueError as exc:
                raise site.at("path").error(str(exc)) from exc
        return cls(raw["url"], path, raw.get("host"), headers,
                   raw.get("connect_timeout_ms", DEFAULT_CONNECT_TIMEOUT_MS) / 1000)

    def build(self, ctx: BuildContext) -> HttpBackend:
        return self  # no client of its own: the container's one pool is made on first use

    @property
    def name(self) -> str:
        return f"http:{urlsplit(self.url).netloc}"

    def target(self, request: Request) -> str:
        if self.path is not None:
            route_path = request.route.path if request.route else "/"
            path = _path_template(self.path, route_path).render(request.path_params)
        else:
            # The canonical path: exactly what the router matched, re-encoded, so the
            # upstream never decodes `%252e` a second time; the one trailing slash the
            # router tolerates is not sent (docs/routing.md, "One spelling").
            path = canonical_path(request.path)
        url = self.url.rstrip("/") + path
        return f"{url}?{request.raw_query}" if request.raw_query else url

    def headers_for(self, request: Request) -> dict[str, str]:
        headers = {name: request.headers[name] for name in self.forward_headers
                   if name in request.headers}
        headers["x-request-id"] = request.request_id
        if request.source_ip:
            prior = request.headers.get("x-forwarded-for")
            headers["x-forwarded-for"] = f"{prior}, {request.source_ip}" if prior else request.source_ip
        principal = request.principal
        if principal.kind != "anonymous":
            headers["x-edgeway-subject"] = principal.subject
            if principal.consumer:
                headers["x-edgeway-consumer"] = principal.consumer
        if self.host:
            headers["host"] = self.host
        return headers

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        import urllib3
        from urllib3.exceptions import (ConnectTimeoutError, HTTPError, NewConnectionError,
                                        ProtocolError, ReadTimeoutError)

        pool = shared_pool()
        timeout = urllib3.Timeout(connect=min(self.connect_timeout_s, timeout_s), read=timeout_s)
        try:
            raw = pool.request(request.method, self.target(request), body=request.body or None,
                               headers=self.headers_for(request), timeout=timeout,
                               retries=False, redirect=False, preload_content=False)
            try:
                # The bytes as sent: Content-Encoding stays true for the client.
                body = raw.read(MAX_RESPONSE_BYTES + 1, decode_content=False)
            finally:
                raw.release_conn()
        except (NewConnectionError, ProtocolError) as exc:
            # First: urllib3 makes NewConnectionError a ConnectTimeoutError subclass.
            raise BackendError(f"{self.name} could not be reached") from exc
        except (ConnectTimeoutError, ReadTimeoutError) as exc:
            raise BackendTimeout(f"{self.name} did not answer within {timeout_s:.1f} s") from exc
        except HTTPError as exc:  # retries=False: urllib3 raises the error itself, never wrapped
            raise BackendError(f"{self.name} failed ({type(exc).__name__})") from exc
        if len(body) > MAX_RESPONSE_BYTES:
            raise BackendError(f"{self.name} answered more than 6 MB")
        headers = {k.lower(): v for k, v in raw.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.pop("set-cookie", None)
        return Response(status=raw.status, headers=headers, body=body,
                        cookies=raw.headers.getlist("set-cookie"))

