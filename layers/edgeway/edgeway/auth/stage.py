"""AuthStage: 401/403 or the request with its Principal, per route policy.

Built once: every route's policy is compiled from its ``auth``/``scopes`` keys
and the verifiers are created for what the configuration uses. Per request the
stage also removes every inbound copy of the headers that
``auth.claims_to_headers`` fills, so a client can never present its own
``x-user-id``, and it drops the API-key header before the backend sees it (a
backend learns the consumer from ``requestContext.authorizer``, not the key).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edgeway.auth.config import AuthConfig, parse_auth
from edgeway.context import BuildContext, Handler
from edgeway.errors import ConfigError
from edgeway.http import Principal, Request, Response
from edgeway.observability import bind

if TYPE_CHECKING:
    from edgeway.auth.authenticator import Authenticator, RoutePolicy
    from edgeway.config import GatewayConfig

MAX_CLAIM_HEADER = 1024
PUBLIC_MODE = "none"  # Mode.NONE.value, spelled here so public gateways skip the import


def claim_header_value(value: Any) -> str | None:
    """A claim as a header value; None when it cannot travel safely."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ",".join(value)
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    if len(text) > MAX_CLAIM_HEADER or not text.isprintable() or not text.isascii():
        return None  # CR/LF or non-ASCII in a header is a smuggling vector: never forward it
    return text


def compile(config: GatewayConfig) -> AuthConfig:
    """The ``auth`` section, checked even when no route uses it.

    Each route's policy is compiled at build: whether ``auth: api_key`` can be
    honoured depends on the deployment's keys table (EDGEWAY_KEYS_TABLE).
    """
    return parse_auth(config)


def compile_policies(ctx: BuildContext, authenticator: Authenticator) -> dict[Any, RoutePolicy]:
    """Every compiled route's policy, from its ``auth``/``scopes`` keys (build time)."""
    index = {rc.id: rc.index for rc in ctx.config.routes}
    policies: dict[Any, RoutePolicy] = {}
    for route in ctx.routes:
        where: list[str | int] = ["routes", index[route.id]] if route.id in index else ["routes"]
        if "auth" in route.spec and route.id in index:
            where.append("auth")
        policies[route] = authenticator.policy(route.spec, _error_at(ctx.config, where))
    return policies


def _error_at(config: Any, where: list[str | int]) -> Callable[[str], Exception]:
    """A route's config error factory, for its auth/scopes keys."""

    def error(reason: str) -> Exception:
        found: Exception = config.error(where, reason)
        return found

    return error


class AuthStage:
    def __init__(self, app: Handler, authenticator: Authenticator,
                 policies: dict[Any, RoutePolicy], *, claims_to_headers: dict[str, str]) -> None:
        self.app = app
        self.authenticator = authenticator
        self.policies = policies
        self.default = authenticator.policy({}, ConfigError)
        self.claims = tuple(claims_to_headers.items())
        self.strip = frozenset(claims_to_headers.values()) | {authenticator.key_header}

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        auth = ctx.config.spec("auth", AuthConfig)
        public = all(route.spec.get("auth") == PUBLIC_MODE for route in ctx.routes)
        if auth is None or (public and not auth.claims_to_headers):
            return app  # every route is public and nothing is forwarded: zero cost
        from edgeway.auth.authenticator import build_authenticator

        authenticator = build_authenticator(ctx.config, ctx.settings, clients=ctx.clients,
                                            clock=ctx.clock, obs=ctx.obs, auth=auth)
        return cls(app, authenticator, compile_policies(ctx, authenticator),
                   claims_to_headers=dict(auth.claims_to_headers))

    def __call__(self, request: Request) -> Response:
        # A route built after us (none today) gets the default policy: deny by default.
        policy = self.policies.get(request.route, self.default)
        principal = self.authenticator.authenticate(request.headers, policy)
        if principal.consumer:
            bind(consumer=principal.consumer)
        headers = request.headers
        if any(name in headers for name in self.strip) or (self.claims and principal.claims):
            headers = self._forwarded(headers, principal)
        return self.app(request.evolve(principal=principal, headers=headers))

    def _forwarded(self, inbound: Any, principal: Principal) -> dict[str, str]:
        headers = {k: v for k, v in inbound.items() if k not in self.strip}
        for claim, header in self.claims:
            if claim in principal.claims:
                value = claim_header_value(principal.claims[claim])
                if value is not None:
                    headers[header] = value
        return headers


build = AuthStage.build
