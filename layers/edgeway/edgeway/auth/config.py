"""The ``auth:`` section of gateway.yaml as typed values, checked at build time.

The JSON Schema checks shapes; this module checks what a schema cannot: that
HS256 comes with a secret reference, that a JWKS is fetched over HTTPS, that
issuer values are unique, that forwarded claim headers do not shadow headers
the gateway itself relies on. Every failure names the file, line and key.

Each dataclass's fields are the keys of its object in the schema (which allows
no other key), so a checked mapping is passed as it is and a key it leaves out
takes the field's default: every default is written once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from edgeway.auth.jwks import KeySet

DEFAULT_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
SYMMETRIC = frozenset({"HS256"})

# Headers a claim may never be copied into: the gateway or the backend protocol
# depends on them, so a claim there would be a spoofing or smuggling vector.
_RESERVED_HEADERS = frozenset({
    "authorization", "host", "content-length", "content-type", "transfer-encoding",
    "connection", "cookie", "x-request-id", "x-forwarded-for", "x-amzn-trace-id",
})


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A secret by reference: never the value itself in gateway.yaml."""

    ssm: str | None = None
    secretsmanager: str | None = None
    max_age_s: int = 300

    @property
    def label(self) -> str:
        return f"ssm:{self.ssm}" if self.ssm else f"secretsmanager:{self.secretsmanager}"


@dataclass(frozen=True, slots=True)
class IssuerConfig:
    """One trusted JWT issuer: where its keys come from and what its tokens must carry."""
    index: int
    name: str
    issuer: str
    audiences: tuple[str, ...]
    algorithms: frozenset[str]
    jwks_uri: str | None = None
    jwks: KeySet | None = None  # an inline JWKS, parsed
    leeway_s: int = 30
    required_claims: tuple[str, ...] = ("exp",)
    hs256_secret: SecretRef | None = None
    plan_claim: str | None = None
    consumer_claim: str = "sub"
    jwks_ttl_s: int = 600
    jwks_refetch_cooldown_s: int = 30


@dataclass(frozen=True, slots=True)
class ApiKeyConfig:
    """How API keys are read, hashed, cached and mapped to scopes by plan."""
    enabled: bool = True
    header: str = "x-api-key"
    cache_ttl_s: int = 30
    pepper: SecretRef | None = None
    plan_scopes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    lookup_rate_per_s: float = 50.0


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """The ``auth`` section of gateway.yaml, parsed and checked."""
    issuers: tuple[IssuerConfig, ...] = ()
    api_keys: ApiKeyConfig = field(default_factory=ApiKeyConfig)
    claims_to_headers: Mapping[str, str] = field(default_factory=dict)  # claim -> header
    max_token_bytes: int = 8192


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    import ipaddress  # build time only, and only for a jwks_uri

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_jwks_uri(uri: str) -> str | None:
    """Why ``uri`` may not serve a JWKS, or None when it may."""
    parts = urlsplit(uri)
    if not parts.hostname:
        return "must be an absolute URL"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return None  # local development: the edgeway local issuer
    return "must use https (plain http is allowed only for a loopback host)"


def parse_auth(config: Any) -> AuthConfig:
    """Typed ``auth:`` section of ``config`` (an edgeway.config.GatewayConfig)."""
    raw = config.section("auth") or {}
    issuers = tuple(_issuer(config, i, spec) for i, spec in enumerate(raw.get("issuers") or ()))
    _unique(config, issuers)
    keys = dict(raw.get("api_keys") or {})
    if "header" in keys:
        keys["header"] = keys["header"].lower()
    if "pepper" in keys:
        keys["pepper"] = SecretRef(**keys["pepper"])
    keys["plan_scopes"] = {plan: frozenset(scopes)
                           for plan, scopes in keys.get("plan_scopes", {}).items()}
    api_keys = ApiKeyConfig(**keys)
    if api_keys.header in _RESERVED_HEADERS:
        raise config.error(["auth", "api_keys", "header"],
                           f"{api_keys.header!r} is reserved; choose another header")
    claims_to_headers: dict[str, str] = {}
    for claim, header in (raw.get("claims_to_headers") or {}).items():
        name = header.lower()
        if name in _RESERVED_HEADERS or name == api_keys.header:
            raise config.error(["auth", "claims_to_headers", claim],
                               f"header {name!r} is reserved and cannot carry a claim")
        if name in claims_to_headers.values():
            raise config.error(["auth", "claims_to_headers", claim],
                               f"header {name!r} already carries another claim")
        claims_to_headers[str(claim)] = name
    return AuthConfig(**{**raw, "issuers": issuers, "api_keys": api_keys,
                         "claims_to_headers": claims_to_headers})


def _issuer(config: Any, index: int, spec: Mapping[str, Any]) -> IssuerConfig:
    where: list[str | int] = ["auth", "issuers", index]
    secret = SecretRef(**spec["hs256_secret"]) if "hs256_secret" in spec else None
    has_keys = "jwks_uri" in spec or "jwks" in spec
    if "jwks_uri" in spec and "jwks" in spec:
        raise config.error([*where, "jwks"], "give jwks_uri or an inline jwks, not both")
    if "algorithms" in spec:
        algorithms = frozenset(spec["algorithms"])
    else:
        algorithms = (DEFAULT_ALGORITHMS if has_keys else frozenset()) | (
            SYMMETRIC if secret else frozenset())
    if "HS256" in algorithms and secret is None:
        raise config.error([*where, "algorithms"],
                           "HS256 needs hs256_secret (a reference to SSM or Secrets Manager)")
    if secret is not None and "HS256" not in algorithms:
        raise config.error([*where, "hs256_secret"], "is set but algorithms does not list HS256")
    if algorithms - SYMMETRIC and not has_keys:
        raise config.error(where, "asymmetric algorithms need jwks_uri or an inline jwks")
    if not algorithms:
        raise config.error(where, "needs jwks_uri, an inline jwks or hs256_secret")
    uri = spec.get("jwks_uri")
    if uri is not None and (problem := check_jwks_uri(uri)):
        raise config.error([*where, "jwks_uri"], problem)
    keys = None
    if "jwks" in spec:
        from edgeway.auth.jwks import parse_jwks  # PyJWT: only for an inline JWKS
        from edgeway.errors import JwksError

        try:
            keys = parse_jwks(spec["jwks"], algorithms - SYMMETRIC)
        except JwksError as exc:
            raise config.error([*where, "jwks"], str(exc)) from exc
    return IssuerConfig(**{**spec, "index": index, "audiences": tuple(spec["audiences"]),
                           "algorithms": algorithms, "hs256_secret": secret, "jwks": keys,
                           "required_claims": tuple(spec.get("required_claims", ("exp",)))})


def _unique(config: Any, issuers: tuple[IssuerConfig, ...]) -> None:
    names: dict[str, int] = {}
    values: dict[str, int] = {}
    for iss in issuers:
        if iss.name in names:
            raise config.error(["auth", "issuers", iss.index, "name"],
                               f"issuer name {iss.name!r} is already used by issuers[{names[iss.name]}]")
        if iss.issuer in values:
            raise config.error(["auth", "issuers", iss.index, "issuer"],
                               f"issuer {iss.issuer!r} is already configured in issuers[{values[iss.issuer]}]")
        names[iss.name] = values[iss.issuer] = iss.index
