"""CORS policies: compiled per route from the global ``cors:`` section and the
route's own ``cors:`` override (a mapping merged over the global one, or
``false`` to switch CORS off for that route). Pure: no request state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.cors import cors_enabled

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

    def disallowed_headers(self, requested: Iterable[str]) -> list[str]:
        if self.headers is None:
            return []
        allowed = {h.lower() for h in self.headers}
        return [h for h in requested if h.lower() not in allowed]


def compile_policy(global_spec: Mapping[str, Any] | None, route_spec: Any,
                   route_methods: Iterable[str]) -> CorsPolicy | None:
    """The policy of one route, or None when CORS is off for it.

    Raises ValueError (the caller names the key) for ``*`` with credentials.
    """
    if not cors_enabled(global_spec, route_spec):
        return None
    spec: dict[str, Any] = dict(global_spec or {})
    if isinstance(route_spec, Mapping):
        spec.update(route_spec)
    origins = [str(o) for o in spec.get("origins", ["*"])]
    credentials = bool(spec.get("credentials", False))
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
        route_methods = set(route_methods)
        methods = SAFE_METHODS if "ANY" in route_methods else sorted(
            route_methods | ({"HEAD"} if "GET" in route_methods else set()))
    headers = spec.get("headers", DEFAULT_HEADERS)
    return CorsPolicy(
        origins=exact, wildcard_suffixes=tuple(wildcards), any_origin=any_origin,
        methods=tuple(str(m).upper() for m in methods),
        headers=None if "*" in headers else tuple(str(h).lower() for h in headers),
        expose=tuple(str(h).lower() for h in spec.get("expose", [])),
        max_age=int(spec["max_age"]) if spec.get("max_age") is not None else None,
        credentials=credentials,
    )
