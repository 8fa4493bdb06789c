"""Bearer JWT verification: one verifier, shared by AuthStage and the authorizer.

Order of checks, cheapest and most hostile first:

1. size (``max_token_bytes``) before anything is parsed: the Authenticator
   checks it on the whole Authorization header, before this module runs;
2. shape: three base64url segments, nothing else;
3. the header: ``alg`` must be on the issuer's allow-list (``none`` and HS*
   never are, unless the issuer is configured for HS256 with a secret);
   ``jku``, ``x5u`` and ``jwk`` are never read: only the configured JWKS
   decides which key verifies;
4. the key: HS256 -> the issuer's secret; anything else -> the JWKS key of the
   token's ``kid`` whose type and curve fit ``alg`` (a key can never be used
   with an algorithm of another family: no RSA-public-key-as-HMAC-secret);
5. the dates: ``exp``, ``nbf`` and ``iat`` must be JSON numbers (RFC 7519
   NumericDate; a string or a boolean is refused, though PyJWT would cast it);
6. ``jwt.decode``: signature, ``iss``, ``aud``, ``exp``/``nbf``/``iat`` with the
   leeway, required claims;
7. the subject: the consumer claim (``sub`` by default) must be a non-empty
   string. It names whose rate limit, quota and cache entries a request uses;
   a token that names nobody is refused, never served unlimited.

Every rejection is a 401 with ``error="invalid_token"``; a JWKS that was never
reachable is a 503 (we cannot tell a good token from a bad one).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import jwt
from jwt import exceptions as jwt_errors

from edgeway.auth.challenge import invalid_token
from edgeway.auth.config import SYMMETRIC, IssuerConfig
from edgeway.auth.jwks import FetchJwks, JwksCache, KeySet, http_fetch
from edgeway.auth.secrets import SecretSource
from edgeway.errors import KeysUnavailable, ServiceUnavailable
from edgeway.http import Principal

HEADER_CACHE_SIZE = 64
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (jwt_errors.ExpiredSignatureError, "the token has expired"),
    (jwt_errors.ImmatureSignatureError, "the token is not valid yet"),
    (jwt_errors.InvalidAudienceError, "the token audience is not accepted"),
    (jwt_errors.InvalidIssuerError, "the token issuer is not trusted"),
    (jwt_errors.InvalidSignatureError, "the token signature is invalid"),
    (jwt_errors.InvalidAlgorithmError, "the token algorithm is not accepted"),
    (jwt_errors.InvalidSubjectError, "the token's sub claim must be a non-empty string"),
    (jwt_errors.DecodeError, "the token is malformed"),
)


def _b64json(segment: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise invalid_token("the token is malformed") from exc


def check_dates(payload: Any) -> None:
    """Refuse ``exp``/``nbf``/``iat`` that are not JSON numbers (RFC 7519 NumericDate).

    Read from the unverified payload, before the signature: PyJWT casts with
    ``int()``, so ``"exp": "9999999999"`` or ``"nbf": true`` would pass it.
    """
    if not isinstance(payload, dict):
        raise invalid_token("the token payload is not an object")
    for name in ("exp", "nbf", "iat"):
        value = payload.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise invalid_token(f"the token's {name} claim must be a number "
                                f"(a NumericDate, RFC 7519)")


def scopes_of(claims: dict[str, Any]) -> frozenset[str]:
    """Scopes from ``scope`` (space separated, RFC 6749/8693) or ``scp`` (list or string)."""
    scope = claims.get("scope")
    if not isinstance(scope, str):
        scope = claims.get("scp")
    if isinstance(scope, str):
        # RFC 6749 section 3.3: scope tokens are separated by spaces (%x20) only. A tab,
        # newline or any other whitespace is part of a token, never a separator.
        return frozenset(s for s in scope.split(" ") if s)
    if isinstance(scope, list):
        return frozenset(s for s in scope if isinstance(s, str))
    return frozenset()


class IssuerVerifier:
    """The keys, secret and claim rules of one configured issuer (an inline JWKS was
    parsed by the config compile; a remote one is fetched on first use)."""

    def __init__(self, config: IssuerConfig, *, clients: Any, clock: Callable[[], float],
                 fetch: FetchJwks, on_error: Callable[[str], None] | None) -> None:
        self.config = config
        self.keys: JwksCache | KeySet | None = config.jwks
        if config.jwks_uri is not None:
            self.keys = JwksCache(config.jwks_uri, fetch, config.algorithms - SYMMETRIC,
                                  ttl_s=config.jwks_ttl_s, clock=clock, on_error=on_error,
                                  cooldown_s=config.jwks_refetch_cooldown_s)
        self.secret = SecretSource(config.hs256_secret, clients,
                                   purpose=f"signing secret of issuer {config.name!r}") \
            if config.hs256_secret else None
        self.audiences = list(config.audiences)
        self.options: Any = {"require": list(config.required_claims)}

    def key(self, alg: str, kid: str | None) -> Any:
        if alg == "HS256":
            assert self.secret is not None  # config guarantees it
            return self.secret.get()
        try:
            key = self.keys.key_for(kid, alg) if self.keys is not None else None
        except KeysUnavailable as exc:
            retry = str(self.config.jwks_refetch_cooldown_s)
            raise ServiceUnavailable("the token issuer's signing keys cannot be fetched right now",
                                     headers={"retry-after": retry}) from exc
        if key is None:
            raise invalid_token("the token signing key is unknown")
        return key

    def decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        c = self.config
        check_dates(_b64json(token.split(".", 2)[1]))
        try:
            claims = jwt.decode(token, key, algorithms=[alg], audience=self.audiences,
                                issuer=c.issuer, leeway=c.leeway_s, options=self.options)
        except jwt_errors.MissingRequiredClaimError as exc:
            raise invalid_token(f"the token lacks the {exc.claim} claim") from exc
        except jwt_errors.PyJWTError as exc:
            description = next((d for kind, d in _ERRORS if isinstance(exc, kind)),
                                "the token is invalid")
            raise invalid_token(description) from exc
        except (ValueError, TypeError) as exc:  # odd claim types deep in PyJWT: still a no
            raise invalid_token("the token is malformed") from exc
        return claims

    def principal(self, claims: dict[str, Any], kid: str | None) -> Principal:
        c = self.config
        subject = claims.get("sub")
        consumer = claims.get(c.consumer_claim)
        if not isinstance(consumer, str) or not consumer.strip():
            raise invalid_token(f"the token names no subject: its {c.consumer_claim} claim "
                                f"must be a non-empty string")
        plan = claims.get(c.plan_claim) if c.plan_claim else None
        return Principal(
            subject=subject if isinstance(subject, str) else consumer,
            kind="jwt",
            consumer=consumer,
            plan=str(plan) if plan is not None else None,
            scopes=scopes_of(claims), claims=claims, key_id=kid,
        )


class JwtVerifier:
    def __init__(self, issuers: Sequence[IssuerVerifier]) -> None:
        self.issuers = tuple(issuers)
        self._by_iss = {i.config.issuer: i for i in self.issuers}
        self._single = self.issuers[0] if len(self.issuers) == 1 else None
        self._headers: dict[str, tuple[str, str | None]] = {}  # header segment -> (alg, kid)

    def verify(self, token: str) -> Principal:
        if not _SHAPE.fullmatch(token):
            raise invalid_token("the token is malformed")
        head, body, _ = token.split(".")
        alg, kid = self._headers.get(head) or self._header(head)
        issuer = self._single or self._issuer_of(body)
        if alg not in issuer.config.algorithms:
            raise invalid_token(f"the token algorithm {alg[:16]!r} is not accepted")
        key = issuer.key(alg, kid)
        claims = issuer.decode(token, key, alg)
        return issuer.principal(claims, kid)

    def _header(self, head: str) -> tuple[str, str | None]:
        header = _b64json(head)
        if not isinstance(header, dict):
            raise invalid_token("the token is malformed")
        alg = header.get("alg")
        kid = header.get("kid")
        if not isinstance(alg, str) or (kid is not None and not isinstance(kid, str)):
            raise invalid_token("the token header is malformed")
        # An issuer's tokens share a handful of headers (one per kid): decoding one
        # once saves most of our cost over jwt.decode. Bounded: a flood of distinct
        # headers only ever empties it.
        if len(self._headers) >= HEADER_CACHE_SIZE:
            self._headers.clear()
        self._headers[head] = (alg, kid)
        return alg, kid

    def _issuer_of(self, body: str) -> IssuerVerifier:
        # Unverified, only to pick whose keys verify it; jwt.decode checks iss again.
        payload = _b64json(body)
        iss = payload.get("iss") if isinstance(payload, dict) else None
        issuer = self._by_iss.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise invalid_token("the token issuer is not trusted")
        return issuer


def build_verifier(issuers: Sequence[IssuerConfig], *, clients: Any, clock: Callable[[], float],
                   fetch: FetchJwks | None = None,
                   on_error: Callable[[str], None] | None = None) -> JwtVerifier:
    return JwtVerifier([IssuerVerifier(cfg, clients=clients, clock=clock, on_error=on_error,
                                       fetch=fetch or http_fetch) for cfg in issuers])
