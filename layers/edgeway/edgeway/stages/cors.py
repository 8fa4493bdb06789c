"""CORS stage: answers preflights at the gateway (204, no backend call) and
adds Access-Control-Allow-Origin + Vary: Origin to every other response of a
CORS-enabled route -- errors from later stages included, so a browser can read
a 401 or a 429.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edgeway.context import BuildContext, Handler
from edgeway.cors import cors_configured, is_preflight
from edgeway.errors import Forbidden, HttpError
from edgeway.http import Request, Response

if TYPE_CHECKING:
    from edgeway.cors_policy import CorsPolicy

_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class CorsStage:
    def __init__(self, app: Handler, policies: dict[str, CorsPolicy]) -> None:
        self.app = app
        self.policies = policies  # by route id; routes without CORS are absent

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        config = ctx.config
        if not cors_configured(config):
            return app
        from edgeway.cors_policy import compile_policy  # only for a config that uses CORS

        policies: dict[str, CorsPolicy] = {}
        for rc in config.routes:
            try:
                policy = compile_policy(config.section("cors"), rc.spec.get("cors"), rc.methods)
            except ValueError as exc:
                key = ["routes", rc.index, "cors"] if "cors" in rc.spec else ["cors"]
                raise config.error(key, str(exc)) from exc
            if policy is not None:
                policies[rc.id] = policy
        return cls(app, policies)

    def __call__(self, request: Request) -> Response:
        policy = self.policies.get(request.route.id)
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
    refused = policy.disallowed_headers(requested)
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
