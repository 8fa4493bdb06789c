"""The gateway's verifier as an HTTP API Lambda authorizer (payload 2.0, simple responses).

For teams that route inside API Gateway itself: the authorizer finds the
request's route in the same gateway.yaml (method and path), applies that
route's ``auth`` and ``scopes`` with the same ``Authenticator`` AuthStage
uses, and answers ``{"isAuthorized": bool, "context": {...}}``. A request for
a path gateway.yaml does not know still needs credentials (deny by default).
Every refusal, including "cannot check right now", is ``isAuthorized: false``:
fail closed. API Gateway answers 403 for it; the reason is in the log.

``context`` (``$context.authorizer.<name>`` in parameter mappings): ``kind``,
``subject``, ``consumer``, ``plan``, ``scopes`` (space separated), ``keyId``,
and every claim named in ``auth.claims_to_headers`` under its claim name.
"""

from __future__ import annotations

import time
from functools import partial
from collections.abc import Callable, Mapping
from typing import Any

from edgeway.adapters import HttpApiV2Adapter
from edgeway.auth.authenticator import (Authenticator, RoutePolicy, build_authenticator,
                                        compile_policy)
from edgeway.auth.config import AuthConfig
from edgeway.auth.stage import compile as compile_auth
from edgeway.auth.stage import forwarded_claims, route_policies
from edgeway.clients import Clients
from edgeway.config import GatewayConfig, load_config
from edgeway.edge import begin
from edgeway.errors import HttpError
from edgeway.http import Request
from edgeway.observability import Observability
from edgeway.routing import Router
from edgeway.settings import Settings
from edgeway.stages import routing

DENY: dict[str, Any] = {"isAuthorized": False}
_ADAPTER = HttpApiV2Adapter()  # an authorizer event (payload 2.0) has the HTTP API v2 shape


class Authorizer:
    def __init__(self, authenticator: Authenticator, router: Router,
                 policies: Mapping[str, RoutePolicy], default: RoutePolicy,
                 claims: Mapping[str, str], obs: Observability) -> None:
        self.authenticator = authenticator
        self.router = router
        self.policies = policies
        self.default = default
        self.claims = claims  # claim -> its name in the context
        self.obs = obs

    @classmethod
    def from_config(cls, config: GatewayConfig, settings: Any, *, clients: Any,
                    obs: Observability, clock: Callable[[], float] = time.time) -> Authorizer:
        """The gateway's own compiled router and route policies, without backends."""
        auth = config.spec("auth", AuthConfig) or compile_auth(config)
        authenticator = build_authenticator(config, settings, clients=clients, clock=clock,
                                            obs=obs, auth=auth)
        keys_table = authenticator.keys is not None
        default = compile_policy({}, auth, partial(config.error, ["auth"]), keys_table=keys_table)
        return cls(authenticator, config.spec("routing", Router) or routing.compile(config),
                   route_policies(config, auth, keys_table=keys_table), default,
                   {claim: claim for claim in auth.claims_to_headers}, obs)

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        begin(event)  # the request id and the invocation's log context, as at every edge
        try:
            if not isinstance(event, Mapping) or not HttpApiV2Adapter.infer(event):
                return DENY
            return self._decide(_ADAPTER.to_request(event, context))
        except HttpError as exc:  # a malformed event
            self.obs.warning("authorizer denied", status=exc.status, reason=exc.detail)
            return DENY
        except Exception as exc:  # the outer boundary: fail closed, the traceback in the log
            self.obs.unexpected(exc)
            return DENY

    def _decide(self, request: Request) -> dict[str, Any]:
        try:
            principal = self.authenticator.authenticate(request.headers, self._policy(request))
        except HttpError as exc:
            self.obs.warning("authorizer denied", status=exc.status, reason=exc.detail,
                             method=request.method, path=request.path[:256])
            return DENY
        ctx: dict[str, Any] = {"kind": principal.kind, "subject": principal.subject,
                               "consumer": principal.consumer or "", "plan": principal.plan or "",
                               "scopes": " ".join(sorted(principal.scopes)),
                               "keyId": principal.key_id or ""}
        ctx.update(forwarded_claims(principal.claims, self.claims))
        return {"isAuthorized": True, "context": ctx}

    def _policy(self, request: Request) -> RoutePolicy:
        try:
            match = self.router.match(request.method, request.path, request.headers,
                                      host=request.header("host") or request.domain_name)
        except HttpError:
            return self.default  # unknown to gateway.yaml: credentials still required
        return self.policies[match.route.id]


def lambda_handler(settings: Any = None) -> Callable[[Any, Any], dict[str, Any]]:
    """Build the authorizer at import (cold start); run it per event."""
    settings = settings or Settings.from_env()
    obs = Observability(settings.service, settings.region)
    return Authorizer.from_config(load_config(settings.config_path), settings,
                                  clients=Clients(settings.region), obs=obs)
