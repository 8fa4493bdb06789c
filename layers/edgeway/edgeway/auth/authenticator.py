"""Who is calling, and may they call this route? Shared by AuthStage and the authorizer.

Per route, ``auth`` says which credentials the route accepts:

    none     public: no credentials read, the principal is anonymous
    jwt      a bearer token only; an API key never satisfies such a route
    api_key  an API key only
    any      either (the default: a route without ``auth`` needs credentials)

and ``scopes`` lists scopes the caller must hold, all of them: a JWT's come
from its ``scope``/``scp`` claim, an API key's from its record plus its plan's
``auth.api_keys.plan_scopes``. On an ``any`` route a request carrying both a
bearer token and an API key is refused: which one identifies the caller (and
whose quota it spends) must never be a guess.

A plan belongs to the consumer: a bearer token whose consumer has a record in
KeysTable gets that record's plan, the plan every key of the consumer carries,
so a token cannot lift a consumer onto another plan (docs/ratelimit.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from edgeway.auth.challenge import (
    api_key_challenge,
    bearer_challenge,
    insufficient_scope,
    invalid_token,
    missing_credentials,
)
from edgeway.auth.config import AuthConfig, parse_auth
from edgeway.http import ANONYMOUS, Principal


class Mode(str, Enum):
    NONE = "none"  # public route
    JWT = "jwt"  # bearer token only
    API_KEY = "api_key"  # API key only
    ANY = "any"  # either; the default


@dataclass(frozen=True, slots=True)
class RoutePolicy:
    """What one route accepts (JWT, API key, either, none) and the scopes it requires."""
    mode: Mode
    scopes: frozenset[str] = frozenset()
    accepts_jwt: bool = False
    accepts_key: bool = False
    challenges: tuple[str, ...] = ()


PUBLIC = RoutePolicy(Mode.NONE)
NO_CREDENTIALS = ("this route requires credentials (a route without `auth` is `any`: deny by "
                  "default) but no issuer and no keys table is configured; say `auth: none` to "
                  "make it public")


def compile_policy(spec: Mapping[str, Any], auth: AuthConfig, error: Callable[[str], Exception],
                   *, keys_table: bool = True) -> RoutePolicy:
    """One route's ``auth``/``scopes``.

    API keys count as available when ``auth.api_keys.enabled`` and, at the
    build, when the deployment has a keys table (``keys_table``; the config
    compile checks the policy as if it had one).
    """
    mode = Mode(spec.get("auth", Mode.ANY.value))
    if mode is Mode.NONE:
        return PUBLIC
    accepts_jwt = mode in (Mode.JWT, Mode.ANY) and bool(auth.issuers)
    accepts_key = mode in (Mode.API_KEY, Mode.ANY) and auth.api_keys.enabled
    if mode is Mode.JWT and not accepts_jwt:
        raise error("auth: jwt needs at least one entry in auth.issuers")
    if mode is Mode.API_KEY and not accepts_key:
        raise error("auth: api_key needs API keys enabled (auth.api_keys.enabled)")
    if mode is Mode.API_KEY and not keys_table:
        raise error("auth: api_key needs a keys table (EDGEWAY_KEYS_TABLE)")
    accepts_key = accepts_key and keys_table
    if not (accepts_jwt or accepts_key):
        raise error(NO_CREDENTIALS)
    challenges = ((bearer_challenge(),) if accepts_jwt else ()) + (
        (api_key_challenge(auth.api_keys.header),) if accepts_key else ())
    return RoutePolicy(mode, frozenset(spec.get("scopes") or ()), accepts_jwt, accepts_key,
                       challenges)


class Authenticator:
    def __init__(self, auth: AuthConfig, *, jwt: Any = None, keys: Any = None,
                 consumer_plans: Any = None) -> None:
        self.auth = auth
        self.jwt = jwt  # JwtVerifier | None
        self.keys = keys  # ApiKeyVerifier | None
        self.consumer_plans = consumer_plans  # ConsumerPlans | None (with a keys table)
        self.key_header = auth.api_keys.header
        # The header may hold "Bearer " and a token of max_token_bytes; longer is refused unread.
        self.max_header = auth.max_token_bytes + 7

    def authenticate(self, headers: Mapping[str, str], policy: RoutePolicy) -> Principal:
        """The principal, or Unauthorized / Forbidden / ServiceUnavailable."""
        if policy.mode is Mode.NONE:
            return ANONYMOUS
        authorization = headers.get("authorization")
        key = headers.get(self.key_header)
        principal: Principal
        if authorization is not None and policy.accepts_jwt:
            if key is not None and policy.accepts_key:
                raise missing_credentials("send either a bearer token or an API key, not both",
                                          policy.challenges)
            principal = self._with_consumer_plan(self.jwt.verify(self.bearer_token(authorization)))
        elif key is not None and policy.accepts_key:
            principal = self.keys.verify(key)
        elif authorization is not None or key is not None:
            wanted = "a bearer token" if policy.accepts_jwt else f"an API key in {self.key_header}"
            raise missing_credentials(f"this route accepts only {wanted}", policy.challenges)
        else:
            raise missing_credentials("credentials are required", policy.challenges)
        if policy.scopes and not policy.scopes <= principal.scopes:
            raise insufficient_scope(policy.scopes - principal.scopes, policy.scopes,
                                     bearer=principal.kind == "jwt")
        return principal

    def _with_consumer_plan(self, principal: Principal) -> Principal:
        if self.consumer_plans is None or not principal.consumer:
            return principal
        plan = self.consumer_plans.plan_of(principal.consumer)
        if plan is None or plan == principal.plan:
            return principal  # no record: the token's plan claim, else default_plan
        return dataclasses.replace(principal, plan=plan)

    def bearer_token(self, authorization: str) -> str:
        if len(authorization) > self.max_header:
            raise invalid_token(f"the token is longer than {self.auth.max_token_bytes} bytes")
        if authorization[:7].lower() != "bearer ":
            raise invalid_token("the Authorization header must be 'Bearer <token>'")
        token = authorization[7:].lstrip(" ")
        if not token or any(c in token for c in " ,\t"):
            raise invalid_token("the Authorization header must hold exactly one bearer token")
        return token


def build_authenticator(config: Any, settings: Any, *, clients: Any, clock: Callable[[], float],
                        obs: Any = None, auth: AuthConfig | None = None,
                        fetch: Callable[[str], Any] | None = None,
                        with_plans: bool = True) -> Authenticator:
    """Build the verifiers the configuration needs, and nothing else.

    ``with_plans=False`` is for a caller that limits no rate (the console): a
    signed-in principal's consumer plan is then never read, so a KeysTable
    outage cannot lock an operator out of a bearer-token sign-in.

    PyJWT and cryptography are imported only when an issuer is configured; a
    gateway of public and API-key routes never loads them.
    """
    auth = auth or parse_auth(config)
    warn = (lambda message: obs.warning(message)) if obs is not None else None
    jwt_verifier = None
    if auth.issuers:
        from edgeway.auth.jwt_verifier import build_verifier

        jwt_verifier = build_verifier(auth.issuers, clients=clients, clock=clock,
                                      fetch=fetch, on_error=warn)
    keys = consumer_plans = None
    if auth.api_keys.enabled and settings.keys_table:
        from edgeway.auth.api_keys import ApiKeyVerifier, ConsumerPlans, KeyStore

        pepper = None
        if auth.api_keys.pepper is not None:
            from edgeway.auth.secrets import SecretSource

            pepper = SecretSource(auth.api_keys.pepper, clients, purpose="API-key pepper").get
        store = KeyStore(settings.keys_table, clients)
        if with_plans and jwt_verifier is not None and config.section("plans"):
            # Plans only matter to the rate-limit stage: without plans, no lookups.
            consumer_plans = ConsumerPlans(store, ttl_s=auth.api_keys.cache_ttl_s, clock=clock)
        keys = ApiKeyVerifier(store, header=auth.api_keys.header,
                              cache_ttl_s=auth.api_keys.cache_ttl_s, clock=clock,
                              pepper=pepper or (lambda: None),
                              plan_scopes=auth.api_keys.plan_scopes,
                              lookup_rate_per_s=auth.api_keys.lookup_rate_per_s)
    return Authenticator(auth, jwt=jwt_verifier, keys=keys, consumer_plans=consumer_plans)
