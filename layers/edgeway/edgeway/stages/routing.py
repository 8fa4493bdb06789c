"""Route matching stage: request guards, then 404, 405 with Allow, or the
request with its route and typed path parameters.

A CORS preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) is matched by the method it asks about, not
by ``OPTIONS``: the CORS stage behind us answers it, so a GET-only route still
gets its preflight answered instead of a 405. On a route with ``cors: false``
the preflight is routed as the plain ``OPTIONS`` request it is, so a backend
that does its own CORS still gets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edgeway.context import BuildContext, Handler
from edgeway.errors import MethodNotAllowed, RouteError
from edgeway.guards import DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_PATH_BYTES, Limits, check_request
from edgeway.http import Request, Response
from edgeway.observability import bind
from edgeway.routing import Route, Router

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers


@dataclass(frozen=True, slots=True)
class RouteStage:
    app: Handler
    router: Router
    limits: Limits
    cors_routes: frozenset[str] = frozenset()  # the routes whose preflights the gateway answers

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        config = ctx.config
        router = config.spec("routing", Router) or compile(config)
        gateway = config.section("gateway") or {}
        limits = Limits(gateway.get("max_path_bytes", DEFAULT_MAX_PATH_BYTES),
                        gateway.get("max_header_bytes", DEFAULT_MAX_HEADER_BYTES))
        # The CORS stage compiled a policy for exactly the routes it answers for.
        return cls(app, router, limits, frozenset(config.spec("cors", dict) or ()))

    def __call__(self, request: Request) -> Response:
        check_request(request, self.limits)
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
    routes = (Route(id=rc.id, path=rc.path, methods=rc.methods, spec=rc.spec,
                    timeout_ms=rc.timeout_ms) for rc in config.routes)
    try:
        return Router(routes, version_header=str(versioning.get("header", "accept-version")),
                      default_version=None if default is None else str(default))
    except RouteError as exc:
        index = next((rc.index for rc in config.routes if rc.id == exc.route.id), None)
        raise config.error(["routes", index, "path"] if index is not None else ["routes"],
                           exc.reason) from exc


build = RouteStage.build
