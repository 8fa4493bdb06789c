"""Fixtures and helpers of the gateway tests: moto for AWS, the local issuer's
gateway.yaml, and a whole gateway trusting the test issuer through its JWKS URI
(``gateway``, with its ``fetcher``, ``backend`` and ``clock``) for the bearer-token tests."""

from __future__ import annotations

import pytest

import edgeway.auth.jwt_verifier as jwt_verifier
from edgeway.auth.jwks import JwksError
from tests.authkit import (
    AUDIENCE,
    ISSUER,
    FakeClock,
    StubBackend,
    build,
    ec_key,
    ed_key,
    event,
    jwks,
    problem,
    rsa_key,
)


@pytest.fixture
def aws(fake_aws: None) -> None:
    """moto in-process behind every AWS call the gateway makes (tests/conftest.py ``fake_aws``)."""


def local_issuer_config(issuer_url: str, *, api_keys: bool = False) -> str:
    """gateway.yaml with one route (users:read) trusting the local issuer at ``issuer_url``
    (ES256, its JWKS served at /.well-known/jwks.json); with ``api_keys``, free keys too."""
    text = f"""version: 1
routes:
  - path: /v1/users/{{id}}
    scopes: [users:read]
    backend: {{type: lambda, function: UsersFunction}}
auth:
  issuers:
    - name: edgeway-local
      issuer: {issuer_url}
      audiences: [edgeway]
      jwks_uri: {issuer_url}/.well-known/jwks.json
      algorithms: [ES256]
"""
    return text + ("  api_keys:\n    plan_scopes: {free: [users:read]}\n" if api_keys else "")


JWKS_URI = "https://issuer.example/.well-known/jwks.json"

CONFIG = f"""
version: 1
routes:
  - id: users.get
    path: /v1/users/{{id}}
    auth: any
    scopes: [users:read]
    backend: {{type: lambda, function: UsersFunction}}
  - id: orders.list
    path: /v1/orders
    auth: jwt
    scopes: [orders:read]
    backend: {{type: lambda, function: OrdersFunction}}
  - id: public
    path: /public
    auth: none
    backend: {{type: lambda, function: OrdersFunction}}
auth:
  issuers:
    - name: test
      issuer: {ISSUER}
      audiences: [{AUDIENCE}, other-api]
      jwks_uri: {JWKS_URI}
      leeway_s: 10
  claims_to_headers:
    sub: x-user-id
    scope: x-user-scopes
"""


class FakeFetcher:
    def __init__(self) -> None:
        self.doc = jwks((rsa_key(), "rsa-1"), (ec_key(), "ec-1"), (ed_key(), "ed-1"))
        self.down = False
        self.calls: list[str] = []

    def __call__(self, uri: str) -> object:
        self.calls.append(uri)
        if self.down:
            raise JwksError("unreachable (connection refused)")
        return self.doc


@pytest.fixture
def fetcher(monkeypatch: pytest.MonkeyPatch) -> FakeFetcher:
    fake = FakeFetcher()
    monkeypatch.setattr(jwt_verifier, "http_fetch", fake)
    return fake


@pytest.fixture
def backend() -> StubBackend:
    return StubBackend()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gateway(monkeypatch, fetcher, backend, clock):
    return build(CONFIG, backend, clock=clock, monkeypatch=monkeypatch)


def call(gateway, authorization: str | None, path: str = "/v1/users/42", **headers: str) -> dict:
    h = dict(headers)
    if authorization is not None:
        h["authorization"] = authorization
    return gateway(event(path, headers=h))


def assert_refused(result: dict, backend: StubBackend, status: int = 401,
                   error: str | None = "invalid_token") -> dict:
    body = problem(result)
    assert result["statusCode"] == status, body
    assert backend.calls == [], "a refused request reached the backend"
    challenge = result["headers"].get("www-authenticate", "")
    assert challenge.startswith('Bearer realm="edgeway"'), challenge
    if error:
        assert f'error="{error}"' in challenge
    return body
