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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from edgeway.auth.config import AuthConfig, parse_auth
from edgeway.context import BuildContext, Handler
from edgeway.http import Principal, Request, Response, routed
from edgeway.observability import bind

if TYPE_CHECKING:
    from edgeway.auth.authenticator import Authenticator, RoutePolicy
    from edgeway.config import GatewayConfig, RouteConfig

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


@dataclass(frozen=True, slots=True)
class AuthSpec:
    """What the compile makes of ``auth:`` and of every route's ``auth``/``scopes``."""
    auth: AuthConfig
    policies: Mapping[str, RoutePolicy]  # by route id


def compile(config: GatewayConfig) -> AuthSpec:
    """The ``auth`` section (checked even when no route uses it) and every route's policy.

    Whether this deployment has a keys table (EDGEWAY_KEYS_TABLE) is not the
    config's to say: the build narrows the policies to it (``wire_policies``).
    """
    from edgeway.auth.authenticator import compile_policy

    auth = parse_auth(config)
    return AuthSpec(auth, {rc.id: compile_policy(rc.spec, auth, _error_at(config, rc))
                           for rc in config.routes})


def wire_policies(config: GatewayConfig, spec: AuthSpec,
                  authenticator: Authenticator) -> dict[str, RoutePolicy]:
    """The compiled policies as this deployment can honour them (the build)."""
    if authenticator.keys is not None:
        return dict(spec.policies)
    from edgeway.auth.authenticator import without_keys

    return {rc.id: without_keys(spec.policies[rc.id], authenticator.key_header,
                                _error_at(config, rc)) for rc in config.routes}


def _error_at(config: GatewayConfig, rc: RouteConfig) -> Callable[[str], Exception]:
    """A route's config error factory, for its auth/scopes keys."""
    return partial(config.error, ["routes", rc.index, *(["auth"] if "auth" in rc.spec else [])])


class AuthStage:
    def __init__(self, app: Handler, authenticator: Authenticator,
                 policies: Mapping[str, RoutePolicy], *, claims_to_headers: dict[str, str]) -> None:
        self.app = app
        self.authenticator = authenticator
        self.policies = policies  # by route id: every route has one
        self.claims = tuple(claims_to_headers.items())
        self.strip = frozenset(claims_to_headers.values()) | {authenticator.key_header}

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        spec = ctx.config.spec("auth", AuthSpec)
        public = all(rc.spec.get("auth") == PUBLIC_MODE for rc in ctx.config.routes)
        if spec is None or (public and not spec.auth.claims_to_headers):
            return app  # every route is public and nothing is forwarded: zero cost
        from edgeway.auth.authenticator import build_authenticator

        authenticator = build_authenticator(ctx.config, ctx.settings, clients=ctx.clients,
                                            clock=ctx.clock, obs=ctx.obs, auth=spec.auth)
        return cls(app, authenticator, wire_policies(ctx.config, spec, authenticator),
                   claims_to_headers=dict(spec.auth.claims_to_headers))

    def __call__(self, request: Request) -> Response:
        policy = self.policies[routed(request).id]
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
