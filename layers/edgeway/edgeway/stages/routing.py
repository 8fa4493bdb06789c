"""Route matching stage: request guards, then 404, 405 with Allow, or the
request with its route and typed path parameters.

The guards are always on (a gateway without them forwards whatever arrives): an
overlong path answers 414, oversized headers 431, and a CR, LF or NUL in any
header name or value 400 -- a header that carries a line break would let a
client smuggle extra headers into an HTTP backend's request.

A CORS preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) is matched by the method it asks about, not
by ``OPTIONS``: the CORS stage behind us answers it, so a GET-only route still
gets its preflight answered instead of a 405. On a route with ``cors: false``
the preflight is routed as the plain ``OPTIONS`` request it is, so a backend
that does its own CORS still gets it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edgeway.context import BuildContext, Handler
from edgeway.errors import (BadRequest, HeaderFieldsTooLarge, MethodNotAllowed, RouteError,
                            UriTooLong)
from edgeway.http import Request, Response
from edgeway.observability import bind
from edgeway.routing import Router

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig


DEFAULT_MAX_PATH_BYTES = 2048
DEFAULT_MAX_HEADER_BYTES = 16_384  # API Gateway itself stops at 10 KB
_BAD_HEADER_CHARS = re.compile(r"[\r\n\x00]")


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers


@dataclass(frozen=True, slots=True)
class RouteStage:
    app: Handler
    router: Router
    max_path_bytes: int
    max_header_bytes: int
    cors_routes: frozenset[str] = frozenset()  # the routes whose preflights the gateway answers

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        config = ctx.config
        router = config.spec("routing", Router) or compile(config)
        gateway = config.section("gateway") or {}
        # The CORS stage compiled a policy for exactly the routes it answers for.
        return cls(app, router, gateway.get("max_path_bytes", DEFAULT_MAX_PATH_BYTES),
                   gateway.get("max_header_bytes", DEFAULT_MAX_HEADER_BYTES),
                   frozenset(config.spec("cors", dict) or ()))

    def __call__(self, request: Request) -> Response:
        check_request(request, self.max_path_bytes, self.max_header_bytes)
        headers = request.headers
        match = None
        if self.cors_routes and is_preflight(request.method, headers):
            wanted = headers["access-control-request-method"].strip().upper()
            try:
                match = self.router.match(wanted, request.path, headers, preflight=True)
            except MethodNotAllowed:
                match = self.router.match(wanted, request.path, headers, preflight=True,
                                          any_method=True)
            if match.route.id not in self.cors_routes:
                match = None
        if match is None:
            match = self.router.match(request.method, request.path, headers)
        bind(route=match.route.id)  # the access log and every later line name the route
        return self.app(request.evolve(route=match.route, path_params=match.params))


def compile(config: GatewayConfig) -> Router:
    """The routes and ``versioning:`` as one Router (the gateway's, and the authorizer's);
    a route that can never match is a config error naming it."""
    versioning = config.section("versioning") or {}
    default = versioning.get("default")
    try:
        return Router(config.routes, version_header=versioning.get("header", "accept-version"),
                      default_version=None if default is None else str(default))
    except RouteError as exc:
        raise config.error(["routes", exc.route.index, "path"], exc.reason) from exc


def check_request(request: Request, max_path_bytes: int, max_header_bytes: int) -> None:
    # Lengths in characters: the adapters hand us text, and a byte count would
    # only be larger for non-ASCII, which the path may not carry unencoded anyway.
    if len(request.path) > max_path_bytes:
        raise UriTooLong(f"the path is longer than {max_path_bytes} bytes")
    headers = request.headers
    # One join and one C-level scan instead of a Python loop per header.
    text = "".join(headers) + "".join(headers.values())
    if len(text) > max_header_bytes:
        _refuse_oversized_credentials(headers, len(text), max_header_bytes)
        raise HeaderFieldsTooLarge(f"the request headers exceed {max_header_bytes} bytes")
    if _BAD_HEADER_CHARS.search(text):
        raise BadRequest("a header name or value contains CR, LF or NUL")


def _refuse_oversized_credentials(headers: Mapping[str, str], total: int, limit: int) -> None:
    """When a credential alone makes the headers too large, answer as auth would.

    A megabyte bearer token is an authentication failure to the client (401 with
    RFC 6750's invalid_token), not a generic 431; either way nothing parses it.
    """
    from edgeway.auth.challenge import invalid_key, invalid_token

    for name in ("authorization", "x-api-key"):
        value = headers.get(name, "")
        if total - len(name) - len(value) <= limit:
            if name == "authorization" and value[:7].lower() == "bearer ":
                raise invalid_token(f"the token is larger than the {limit}-byte header limit")
            if name == "x-api-key":
                raise invalid_key("the key is larger than the header limit", name)


build = RouteStage.build
