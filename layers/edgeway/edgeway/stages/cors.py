"""CORS stage: answers preflights at the gateway (204, no backend call) and
adds Access-Control-Allow-Origin + Vary: Origin to every other response of a
CORS-enabled route -- errors from later stages included, so a browser can read
a 401 or a 429.

Policies are compiled per route from the global ``cors:`` section and the
route's own ``cors:`` override (a mapping merged over the global one, or
``false`` to switch CORS off for that route). This module loads only for a
config that uses CORS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgeway.context import BuildContext, Handler
from edgeway.errors import Forbidden, HttpError
from edgeway.http import Request, Response, routed
from edgeway.stages.routing import is_preflight

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig

_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

SAFE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_HEADERS = ("content-type", "authorization", "x-api-key", "x-request-id", "accept-version")


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """The ``cors`` section compiled: which origins, methods and headers are allowed."""
    origins: frozenset[str]  # exact origins; empty with any_origin
    wildcard_suffixes: tuple[tuple[str, str], ...]  # ("https://", ".example.com")
    any_origin: bool
    methods: tuple[str, ...]
    headers: tuple[str, ...] | None  # None: any requested header ("*")
    expose: tuple[str, ...]
    max_age: int | None
    credentials: bool

    def allowed_origin(self, origin: str) -> str | None:
        """The Access-Control-Allow-Origin value for ``origin``, or None."""
        if self.any_origin:
            return "*"  # never with credentials: the config refuses that pair
        if origin in self.origins:
            return origin
        for scheme, suffix in self.wildcard_suffixes:
            host = origin[len(scheme):]
            if origin.startswith(scheme) and host.endswith(suffix) and len(host) > len(suffix) \
                    and "/" not in host:
                return origin
        return None


def compile_policy(global_spec: Mapping[str, Any] | None, route_spec: Any,
                   route_methods: frozenset[str]) -> CorsPolicy | None:
    """The policy of one route, or None when CORS is off for it.

    Raises ValueError (the caller names the key) for ``*`` with credentials.
    """
    if route_spec is False or not (global_spec or isinstance(route_spec, Mapping)):
        return None
    spec: dict[str, Any] = dict(global_spec or {})
    if isinstance(route_spec, Mapping):
        spec.update(route_spec)
    origins: list[str] = spec.get("origins", ["*"])
    credentials: bool = spec.get("credentials", False)
    any_origin = "*" in origins
    if any_origin and credentials:
        raise ValueError("origins '*' cannot be combined with credentials: true "
                         "(browsers refuse it); list the origins instead")
    exact = frozenset(o for o in origins if "*" not in o)
    wildcards = []
    for origin in origins:
        if "*" in origin and origin != "*":
            scheme, sep, rest = origin.partition("://")
            if not sep or not rest.startswith("*.") or "*" in rest[1:]:
                raise ValueError(f"origin pattern {origin!r} must look like https://*.example.com")
            wildcards.append((scheme + "://", rest[1:]))
    methods = spec.get("methods")
    if methods is None:
        methods = SAFE_METHODS if "ANY" in route_methods else sorted(
            route_methods | ({"HEAD"} if "GET" in route_methods else set()))
    headers = spec.get("headers", DEFAULT_HEADERS)
    return CorsPolicy(
        origins=exact, wildcard_suffixes=tuple(wildcards), any_origin=any_origin,
        methods=tuple(methods),
        headers=None if "*" in headers else tuple(h.lower() for h in headers),
        expose=tuple(h.lower() for h in spec.get("expose", ())),
        max_age=spec.get("max_age"), credentials=credentials,
    )


def compile(config: GatewayConfig) -> dict[str, CorsPolicy]:
    """Each CORS route's policy, by route id (routes without CORS are absent)."""
    policies: dict[str, CorsPolicy] = {}
    for rc in config.routes:
        try:
            policy = compile_policy(config.section("cors"), rc.spec.get("cors"), rc.methods)
        except ValueError as exc:
            key: list[str | int] = ["routes", rc.index, "cors"] if "cors" in rc.spec else ["cors"]
            raise config.error(key, str(exc)) from exc
        if policy is not None:
            policies[rc.id] = policy
    return policies


@dataclass(frozen=True, slots=True)
class CorsStage:
    app: Handler
    policies: dict[str, CorsPolicy]  # by route id; routes without CORS are absent

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        policies = ctx.config.spec("cors", dict)
        return cls(app, policies) if policies is not None else app

    def __call__(self, request: Request) -> Response:
        policy = self.policies.get(routed(request).id)
        origin = request.headers.get("origin")
        if policy is None or origin is None:
            return self.app(request)  # (a preflight here was routed as a plain OPTIONS)
        if is_preflight(request.method, request.headers):
            return preflight(policy, request, origin)
        allowed = policy.allowed_origin(origin)
        if allowed is None:
            return self.app(request)  # no CORS headers: the browser keeps the answer from the page
        headers = simple_headers(policy, allowed)
        try:
            response = self.app(request)
        except HttpError as exc:
            _merge(exc.headers, headers)
            raise
        _merge(response.headers, headers)
        return response


def preflight(policy: CorsPolicy, request: Request, origin: str) -> Response:
    allowed = policy.allowed_origin(origin)
    if allowed is None:
        raise Forbidden(f"origin {origin!r} is not allowed to call this route")
    method = request.headers["access-control-request-method"].strip().upper()
    if method not in policy.methods:
        raise Forbidden(f"method {method} is not allowed for cross-origin calls on this route "
                        f"(allowed: {', '.join(policy.methods)})")
    requested = [h.strip() for h in request.headers.get(
        "access-control-request-headers", "").split(",") if h.strip()]
    refused = [] if policy.headers is None else [h for h in requested
                                                  if h.lower() not in policy.headers]
    if refused:
        raise Forbidden(f"header(s) {', '.join(refused)} not allowed for cross-origin calls")
    headers = {
        "access-control-allow-origin": allowed,
        "access-control-allow-methods": ", ".join(policy.methods),
        "vary": _PREFLIGHT_VARY,
    }
    allow_headers = ", ".join(requested) if policy.headers is None else ", ".join(policy.headers)
    if allow_headers:
        headers["access-control-allow-headers"] = allow_headers
    if policy.max_age is not None:
        headers["access-control-max-age"] = str(policy.max_age)
    if policy.credentials:
        headers["access-control-allow-credentials"] = "true"
    return Response(status=204, headers=headers)


def simple_headers(policy: CorsPolicy, allowed: str) -> dict[str, str]:
    headers = {"access-control-allow-origin": allowed, "vary": "Origin"}
    if policy.credentials:
        headers["access-control-allow-credentials"] = "true"
    if policy.expose:
        headers["access-control-expose-headers"] = ", ".join(policy.expose)
    return headers


def _merge(target: dict[str, str], cors: dict[str, str]) -> None:
    for name, value in cors.items():
        if name == "vary" and target.get("vary"):
            if "origin" not in target["vary"].lower():
                target["vary"] = f"{target['vary']}, {value}"
        else:
            target[name] = value


build = CorsStage.build
