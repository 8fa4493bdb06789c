"""Whether the gateway answers CORS, for the config and for one route; what a
preflight looks like. Cheap on purpose: the route stage asks on every cold start,
while the policies themselves (``edgeway.stages.cors``) load only when the
config asks for CORS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def cors_configured(config: Any) -> bool:
    if config.section("cors"):
        return True
    return any(isinstance(rc.spec.get("cors"), Mapping) for rc in config.routes)


def cors_enabled(global_spec: Mapping[str, Any] | None, route_spec: Any) -> bool:
    """Whether the gateway answers CORS for a route (the rule of compile_policy)."""
    return route_spec is not False and (bool(global_spec) or isinstance(route_spec, Mapping))


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers
