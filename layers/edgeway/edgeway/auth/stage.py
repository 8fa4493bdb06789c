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
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from edgeway.auth.config import AuthConfig, parse_auth
from edgeway.context import BuildContext, Handler
from edgeway.http import Request, Response, routed
from edgeway.observability import bind

if TYPE_CHECKING:
    from edgeway.auth.authenticator import Authenticator, RoutePolicy
    from edgeway.config import GatewayConfig

MAX_CLAIM_HEADER = 1024
PUBLIC_MODE = "none"  # Mode.NONE.value, spelled here so public gateways skip the import


def forwarded_claims(claims: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """Each claim of ``names`` (claim -> header) that ``claims`` holds, as a header value;
    a claim that cannot travel safely is left out."""
    out: dict[str, str] = {}
    for claim, name in names.items():
        if claim not in claims:
            continue
        value = claims[claim]
        if isinstance(value, str):
            text = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            text = ",".join(value)
        else:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
        # CR/LF or non-ASCII in a header is a smuggling vector: never forward it.
        if len(text) <= MAX_CLAIM_HEADER and text.isprintable() and text.isascii():
            out[name] = text
    return out


def compile(config: GatewayConfig) -> AuthConfig:
    """The ``auth`` section (checked even when no route uses it) and every route's policy.

    Whether this deployment has a keys table (EDGEWAY_KEYS_TABLE) is not the
    config's to say: the policies are checked here as if it had one, and the
    build makes them again (``route_policies``) knowing whether it has.
    """
    auth = parse_auth(config)
    route_policies(config, auth, keys_table=True)
    return auth


def route_policies(config: GatewayConfig, auth: AuthConfig, *,
                   keys_table: bool) -> dict[str, RoutePolicy]:
    """Every route's policy, by route id, from its ``auth``/``scopes`` keys."""
    from edgeway.auth.authenticator import compile_policy

    policies = {}
    for rc in config.routes:
        error = partial(config.error, ["routes", rc.index, *(["auth"] if "auth" in rc.spec else [])])
        policies[rc.id] = compile_policy(rc.spec, auth, error, keys_table=keys_table)
    return policies


class AuthStage:
    def __init__(self, app: Handler, authenticator: Authenticator,
                 policies: Mapping[str, RoutePolicy], *,
                 claims_to_headers: Mapping[str, str]) -> None:
        self.app = app
        self.authenticator = authenticator
        self.policies = policies  # by route id: every route has one
        self.claims = claims_to_headers
        self.strip = frozenset(claims_to_headers.values()) | {authenticator.key_header}

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        auth = ctx.config.spec("auth", AuthConfig)
        public = all(rc.spec.get("auth") == PUBLIC_MODE for rc in ctx.config.routes)
        if auth is None or (public and not auth.claims_to_headers):
            return app  # every route is public and nothing is forwarded: zero cost
        from edgeway.auth.authenticator import build_authenticator

        authenticator = build_authenticator(ctx.config, ctx.settings, clients=ctx.clients,
                                            clock=ctx.clock, obs=ctx.obs, auth=auth)
        policies = route_policies(ctx.config, auth, keys_table=authenticator.keys is not None)
        return cls(app, authenticator, policies, claims_to_headers=auth.claims_to_headers)

    def __call__(self, request: Request) -> Response:
        policy = self.policies[routed(request).id]
        principal = self.authenticator.authenticate(request.headers, policy)
        if principal.consumer:
            bind(consumer=principal.consumer)
        headers = request.headers
        if any(name in headers for name in self.strip) or (self.claims and principal.claims):
            headers = {k: v for k, v in headers.items() if k not in self.strip}
            headers.update(forwarded_claims(principal.claims, self.claims))
        return self.app(request.evolve(principal=principal, headers=headers))


build = AuthStage.build
