"""Test helpers for the auth tests: keys, tokens, a stub backend, a gateway with a fake clock."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from edgeway.config import parse_config
from edgeway.context import BuildContext
from edgeway.http import Response
from edgeway.observability import Observability
from edgeway.edge import Edge
from edgeway.pipeline import build_app
from edgeway.settings import Settings
from tests.conftest import stub_lambda

from .aws_tables import create_pk_sk_table
from .fakes import FakeClock, NullMetrics

ISSUER = "https://issuer.example"
AUDIENCE = "edgeway"
# gateway.yaml's auth block trusting the test issuer; JWKS stands for its inline key set.
TEST_ISSUER_YAML = f"""auth:
  issuers:
    - name: test
      issuer: {ISSUER}
      audiences: [{AUDIENCE}]
      jwks: JWKS
"""


@cache
def rsa_key(n: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_key(n: int = 0) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@cache
def ed_key(n: int = 0) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def jwk(private: Any, kid: str) -> dict[str, Any]:
    public = private.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        data = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        data = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        data = OKPAlgorithm.to_jwk(public, as_dict=True)
    return {**data, "kid": kid, "use": "sig"}


def jwks(*pairs: tuple[Any, str]) -> dict[str, Any]:
    return {"keys": [jwk(k, kid) for k, kid in pairs]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300,
            "scope": "users:read orders:read"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(payload: Mapping[str, Any] | None = None, *, key: Any = None, alg: str = "RS256",
          kid: str | None = "rsa-1", headers: Mapping[str, Any] | None = None) -> str:
    key = key if key is not None else rsa_key()
    extra = dict(headers or {})
    if kid is not None:
        extra["kid"] = kid
    return jwt.encode(dict(payload or claims()), key, algorithm=alg, headers=extra)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forge(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand (no library would sign it)."""
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()),
                     b64(signature)])


@dataclass
class StubBackend:
    """Records every request it is given; answers 200 with what it saw."""

    calls: list[Any] = field(default_factory=list)
    name: str = "stub"

    def __call__(self, request: Any, *, timeout_s: float) -> Response:
        self.calls.append(request)
        return Response.json({"subject": request.principal.subject,
                              "kind": request.principal.kind,
                              "headers": dict(request.headers)})


def build(yaml_text: str, backend: StubBackend, *, clock: Callable[[], float] = time.time,
          env: Mapping[str, str] | None = None, clients: Any = None,
          monkeypatch: Any = None) -> Gateway:
    """A whole gateway (every stage) around ``backend``, with an injectable clock."""
    assert monkeypatch is not None, "pass the monkeypatch fixture: the Lambda backends are stubbed"
    stub_lambda(monkeypatch, lambda spec, ctx: backend)
    config = parse_config(yaml_text)
    settings = Settings.from_env({"EDGEWAY_KEYS_TABLE": "keys", **(env or {})})
    obs = Observability("edgeway", settings.region, logger=QuietLogger(), metrics=NullMetrics())
    ctx = BuildContext(config=config, settings=settings, clients=clients, obs=obs, clock=clock)
    return Edge(build_app(ctx), region=settings.region, obs=obs)


class AuthEnv:
    """A whole gateway with moto behind it (use with the ``fake_aws`` fixture): its tables
    created, a fake clock, a recording backend, and a count of the GetItem calls made."""

    def __init__(self, monkeypatch: Any, config: str, *, tables: Mapping[str, str]) -> None:
        """``tables``: environment variable -> table name, e.g. EDGEWAY_KEYS_TABLE -> keys."""
        from edgeway.clients import Clients

        self.clock = FakeClock()
        self.backend = StubBackend()
        self.clients = Clients("us-east-1")
        self.dynamodb = self.clients.get("dynamodb")
        self.get_items = 0
        self.dynamodb.meta.events.register("before-call.dynamodb.GetItem", self._count)
        for name in tables.values():
            create_pk_sk_table(self.dynamodb, name)
        self.gateway = build(config, self.backend, clock=self.clock, clients=self.clients,
                             env=dict(tables), monkeypatch=monkeypatch)

    def _count(self, **kwargs: object) -> None:
        self.get_items += 1


class QuietLogger:
    """Records warnings; writes nothing (powertools' quiet_logger breaks when built twice)."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def append_keys(self, **kw: Any) -> None: ...
    def info(self, *a: Any, **kw: Any) -> None: ...
    def exception(self, *a: Any, **kw: Any) -> None: ...

    def warning(self, message: str, *a: Any, **kw: Any) -> None:
        self.warnings.append(message)


def event(path: str = "/v1/users/42", *, method: str = "GET",
          headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": dict(headers or {}),
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
                           "requestId": "r", "stage": "$default", "domainName": "api.example"},
        "isBase64Encoded": False,
    }


def problem(result: Mapping[str, Any]) -> dict[str, Any]:
    assert result["headers"]["content-type"] == "application/problem+json", result
    body = json.loads(result["body"])
    assert body["status"] == result["statusCode"]
    return body
