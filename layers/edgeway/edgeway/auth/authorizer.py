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
from collections.abc import Callable, Mapping
from typing import Any

from edgeway.auth.authenticator import Authenticator, RoutePolicy, build_authenticator
from edgeway.auth.config import parse_auth
from edgeway.auth.stage import _error_at, claim_header_value
from edgeway.errors import HttpError
from edgeway.errors import RouteError
from edgeway.routing import Route, Router

DENY: dict[str, Any] = {"isAuthorized": False}


class Authorizer:
    def __init__(self, authenticator: Authenticator, router: Router,
                 policies: Mapping[Route, RoutePolicy], default: RoutePolicy,
                 claims: tuple[str, ...], log: Callable[[str, dict[str, Any]], None]) -> None:
        self.authenticator = authenticator
        self.router = router
        self.policies = policies
        self.default = default
        self.claims = claims
        self.log = log

    @classmethod
    def from_config(cls, config: Any, settings: Any, *, clients: Any,
                    clock: Callable[[], float] = time.time, obs: Any = None) -> Authorizer:
        auth = parse_auth(config)
        authenticator = build_authenticator(config, settings, clients=clients, clock=clock,
                                            obs=obs, auth=auth)
        routes, policies = [], {}
        for rc in config.routes:
            route = Route(id=rc.id, path=rc.path, methods=rc.methods, spec=rc.spec)
            where = ["routes", rc.index, "auth"] if "auth" in rc.spec else ["routes", rc.index]
            policies[route] = authenticator.policy(rc.spec, _error_at(config, where))
            routes.append(route)
        default = authenticator.policy({}, lambda reason: config.error(["auth"], reason))
        versioning = config.section("versioning") or {}
        version_default = versioning.get("default")
        try:
            router = Router(routes, version_header=str(versioning.get("header", "accept-version")),
                            default_version=None if version_default is None
                            else str(version_default))
        except RouteError as exc:  # the gateway's RouteStage reports the same way
            index = next((rc.index for rc in config.routes if rc.id == exc.route.id), None)
            raise config.error(["routes", index, "path"] if index is not None else ["routes"],
                               exc.reason) from exc
        log = (lambda message, fields: obs.warning(message, **fields)) if obs else (
            lambda message, fields: None)
        return cls(authenticator, router, policies, default,
                   tuple(auth.claims_to_headers), log)

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        if not isinstance(event, Mapping):
            return DENY
        headers = event.get("headers") or {}
        http = (event.get("requestContext") or {}).get("http") or {}
        if not isinstance(headers, Mapping) or not isinstance(http, Mapping):
            return DENY
        headers = {str(k).lower(): str(v) for k, v in headers.items()}
        method = str(http.get("method") or "GET").upper()
        path = event.get("rawPath") or http.get("path") or "/"
        host = headers.get("host") or (event.get("requestContext") or {}).get("domainName")
        policy = self._policy(method, str(path), headers, str(host) if host else None)
        try:
            principal = self.authenticator.authenticate(headers, policy)
        except HttpError as exc:
            self.log("authorizer denied", {"status": exc.status, "reason": exc.detail,
                                           "method": method, "path": str(path)[:256]})
            return DENY
        ctx: dict[str, Any] = {"kind": principal.kind, "subject": principal.subject,
                               "consumer": principal.consumer or "", "plan": principal.plan or "",
                               "scopes": " ".join(sorted(principal.scopes)),
                               "keyId": principal.key_id or ""}
        for claim in self.claims:
            if claim in principal.claims:
                value = claim_header_value(principal.claims[claim])
                if value is not None:
                    ctx[claim] = value
        return {"isAuthorized": True, "context": ctx}

    def _policy(self, method: str, path: str, headers: Mapping[str, str],
                host: str | None) -> RoutePolicy:
        try:
            match = self.router.match(method, path, headers, host=host)
        except HttpError:
            return self.default  # unknown to gateway.yaml: credentials still required
        return self.policies[match.route]


def lambda_handler(settings: Any = None) -> Callable[[Any, Any], dict[str, Any]]:
    """Build the authorizer at import (cold start); run it per event."""
    from edgeway.clients import Clients
    from edgeway.config import load_config
    from edgeway.observability import Observability
    from edgeway.settings import Settings

    settings = settings or Settings.from_env()
    obs = Observability(settings.service, settings.region)
    authorizer = Authorizer.from_config(load_config(settings.config_path), settings,
                                        clients=Clients(settings.region), obs=obs)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return authorizer(event, context)

    return handler
