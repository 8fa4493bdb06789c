"""Bearer tokens through the whole gateway: the issue's bad-input list, and what passes.

Every refusal must be 401/403 problem+json with an RFC 6750 challenge, and the
backend must never have been called.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization

import edgeway.auth.jwt_verifier as jwt_verifier
from tests.authkit import (
    StubBackend,
    b64,
    build,
    claims,
    ec_key,
    ed_key,
    event,
    forge,
    jwk,
    jwks,
    problem,
    rsa_key,
    token,
)
from tests.gateway.conftest import JWKS_URI, assert_refused, call

# ------------------------------------------------------------------ good tokens

@pytest.mark.parametrize("alg,key,kid", [("RS256", rsa_key(), "rsa-1"),
                                         ("ES256", ec_key(), "ec-1"),
                                         ("EdDSA", ed_key(), "ed-1")])
def test_valid_token_reaches_backend_with_principal(gateway, backend, alg, key, kid):
    result = call(gateway, "Bearer " + token(key=key, alg=alg, kid=kid))
    assert result["statusCode"] == 200, result["body"]
    request = backend.calls[0]
    assert request.principal.kind == "jwt" and request.principal.subject == "alice"
    assert request.principal.scopes == {"users:read", "orders:read"}


def test_scheme_is_case_insensitive_and_scp_list_is_read(gateway, backend):
    tok = token(claims(scope=None, scp=["users:read"]))
    assert call(gateway, "bearer " + tok)["statusCode"] == 200


def test_claims_become_headers_and_spoofed_copies_are_removed(gateway, backend):
    result = call(gateway, "Bearer " + token(), **{"x-user-id": "mallory", "X-User-Scopes": "admin"})
    assert result["statusCode"] == 200
    seen = json.loads(result["body"])["headers"]
    assert seen["x-user-id"] == "alice"
    assert seen["x-user-scopes"] == "users:read orders:read"


def test_public_route_strips_spoofed_identity_headers(gateway, backend):
    result = call(gateway, None, "/public", **{"x-user-id": "mallory"})
    assert result["statusCode"] == 200
    assert "x-user-id" not in json.loads(result["body"])["headers"]
    assert backend.calls[0].principal.kind == "anonymous"


def test_verified_claims_reach_a_lambda_backend_event(gateway, backend):
    from edgeway.backends.lambda_ import build_event

    call(gateway, "Bearer " + token())
    built = build_event(backend.calls[0], route_key="GET /v1/users/{id}")
    assert built["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "alice"


# ------------------------------------------------------------- the bad-input list

def test_no_credentials_is_401_with_bare_challenges(gateway, backend):
    body = assert_refused(call(gateway, None), backend, error=None)
    assert body["detail"] == "credentials are required"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none(gateway, backend, alg):
    tok = forge({"alg": alg, "typ": "JWT", "kid": "rsa-1"}, claims())
    body = assert_refused(call(gateway, "Bearer " + tok), backend)
    assert "algorithm" in body["detail"]


def test_hs256_signed_with_the_rsa_public_key(gateway, backend):
    # Algorithm confusion: the attacker uses the (public) RSA key as an HMAC secret.
    pem = rsa_key().public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = b64(json.dumps(claims()).encode())
    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    body = assert_refused(call(gateway, f"Bearer {header}.{payload}.{b64(signature)}"), backend)
    assert "algorithm" in body["detail"]


def test_expired(gateway, backend):
    now = int(time.time())
    body = assert_refused(call(gateway, "Bearer " + token(claims(iat=now - 7200, exp=now - 3600))),
                          backend)
    assert "expired" in body["detail"]


def test_not_before_in_the_future(gateway, backend):
    body = assert_refused(call(gateway, "Bearer " + token(claims(nbf=int(time.time()) + 3600))),
                          backend)
    assert "not valid yet" in body["detail"]


def test_wrong_issuer(gateway, backend):
    body = assert_refused(call(gateway, "Bearer " + token(claims(iss="https://evil.example"))),
                          backend)
    assert "issuer" in body["detail"]


def test_wrong_audience(gateway, backend):
    body = assert_refused(call(gateway, "Bearer " + token(claims(aud="someone-else"))), backend)
    assert "audience" in body["detail"]


def test_missing_exp_is_refused(gateway, backend):
    body = assert_refused(call(gateway, "Bearer " + token(claims(exp=None))), backend)
    assert "exp" in body["detail"]


def test_tampered_payload(gateway, backend):
    header, _, signature = token(claims(scope="orders:read")).split(".")
    upgraded = b64(json.dumps(claims(scope="users:read admin")).encode())
    body = assert_refused(call(gateway, f"Bearer {header}.{upgraded}.{signature}"), backend)
    assert "signature" in body["detail"]


def test_tampered_signature(gateway, backend):
    header, payload, signature = token().split(".")
    flipped = ("A" if signature[10] != "A" else "B").join([signature[:10], signature[11:]])
    body = assert_refused(call(gateway, f"Bearer {header}.{payload}.{flipped}"), backend)
    assert "signature" in body["detail"]


def test_unknown_kid_while_the_jwks_endpoint_is_down(gateway, backend, fetcher, clock):
    assert call(gateway, "Bearer " + token())["statusCode"] == 200  # JWKS fetched once
    backend.calls.clear()
    fetcher.down = True
    clock.advance(60)  # past the cool-down: the unknown kid triggers a refetch, which fails
    rotated = token(key=rsa_key(1), kid="rsa-2")
    body = assert_refused(call(gateway, "Bearer " + rotated), backend)
    assert "key is unknown" in body["detail"]
    assert len(fetcher.calls) == 2
    # The last good key set keeps serving the keys it knows.
    assert call(gateway, "Bearer " + token())["statusCode"] == 200


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk"])
def test_key_location_headers_are_ignored(gateway, backend, fetcher, header):
    attacker = rsa_key(2)
    evil_jwks = "https://evil.example/jwks.json"
    value = jwk(attacker, "rsa-1") if header == "jwk" else evil_jwks
    # Same kid as a trusted key: only the configured JWKS decides which key verifies.
    tok = token(key=attacker, kid="rsa-1", headers={header: value})
    body = assert_refused(call(gateway, "Bearer " + tok), backend)
    assert "signature" in body["detail"]
    # And under a kid of the attacker's choosing, nothing is fetched from anywhere else.
    tok = token(key=attacker, kid="evil-1", headers={header: value})
    assert_refused(call(gateway, "Bearer " + tok), backend)
    assert set(fetcher.calls) == {JWKS_URI}


@pytest.fixture
def no_parsing(monkeypatch):
    def must_not_parse(*args):
        raise AssertionError("an oversized token was parsed")

    monkeypatch.setattr(jwt_verifier, "_b64json", must_not_parse)
    monkeypatch.setattr(jwt_verifier.jwt, "decode", must_not_parse)


def test_one_megabyte_token_is_refused_before_parsing(gateway, backend, no_parsing):
    # The gateway's header guard meets it first and answers as auth would:
    # 401 invalid_token, problem+json, never parsed, no backend.
    result = call(gateway, "Bearer " + "A" * (1024 * 1024))
    assert result["statusCode"] == 401
    assert 'error="invalid_token"' in result["headers"]["www-authenticate"]
    problem(result)
    assert backend.calls == []


def test_one_megabyte_api_key_is_401_unparsed(gateway, backend):
    result = gateway(event("/v1/users/42", headers={"x-api-key": "ewk_" + "a" * (1024 * 1024)}))
    assert result["statusCode"] == 401
    assert result["headers"]["www-authenticate"].startswith('ApiKey realm="edgeway"')
    problem(result)
    assert backend.calls == []


def test_token_over_max_token_bytes_is_401_before_parsing(gateway, backend, no_parsing):
    body = assert_refused(call(gateway, "Bearer " + "A" * 9000), backend)
    assert "longer than 8192 bytes" in body["detail"]


def test_authenticator_alone_refuses_a_1_mb_token_unparsed(gateway, no_parsing):
    # What the Lambda authorizer runs, with no gateway stage in front of it.
    from edgeway.auth.authenticator import Authenticator, Mode, RoutePolicy
    from edgeway.auth.config import AuthConfig
    from edgeway.errors import Unauthorized

    auth = Authenticator(AuthConfig(), jwt=jwt_verifier.JwtVerifier([]))
    with pytest.raises(Unauthorized) as info:
        auth.authenticate({"authorization": "Bearer " + "A" * (1024 * 1024)},
                          RoutePolicy(Mode.JWT, accepts_jwt=True))
    assert 'error="invalid_token"' in info.value.headers["www-authenticate"]


@pytest.mark.parametrize("garbage", [
    "!!!not-base64!!!",
    "abc.d$f.ghi",
    "e30.e30.@@@@",
    "aaaa.bbbb.cccc",  # base64url alphabet, not JSON
    b64(b"[1,2]") + "." + b64(b"{}") + ".c2ln",  # header is not an object
    b64(b'{"alg":"RS256","kid":7}') + "." + b64(b"{}") + ".c2ln",
    "only.two",
    "\u00e9\u00e9.\u00e9\u00e9.\u00e9",
])
def test_non_base64_garbage(gateway, backend, garbage):
    body = assert_refused(call(gateway, "Bearer " + garbage), backend)
    assert "malformed" in body["detail"]


@pytest.mark.parametrize("authorization", [
    "{token}",  # Bearer missing
    "Basic dXNlcjpwYXNz",
    "Token {token}",
    "Bearer",
    "Bearer ",
    "Bearer Bearer {token}",  # doubled
    "Bearer {token},Bearer {token}",  # two Authorization headers joined
    "Bearer {token} {token}",
])
def test_bearer_missing_or_doubled(gateway, backend, authorization):
    assert_refused(call(gateway, authorization.format(token=token())), backend)


def test_missing_scope_is_403_insufficient_scope(gateway, backend):
    result = call(gateway, "Bearer " + token(claims(scope="orders:read")))
    body = assert_refused(result, backend, status=403, error="insufficient_scope")
    assert 'scope="users:read"' in result["headers"]["www-authenticate"]
    assert body["missing_scopes"] == ["users:read"]


def test_token_from_the_right_issuer_for_another_api_only(gateway, backend):
    # audiences: [edgeway, other-api]; a token for a third API is refused.
    assert_refused(call(gateway, "Bearer " + token(claims(aud=["billing"]))), backend)
    assert call(gateway, "Bearer " + token(claims(aud=["billing", "other-api"])))["statusCode"] == 200


def test_several_issuers_each_verified_with_its_own_keys(monkeypatch):
    from tests.authkit import ec_key as ec

    config = f"""
version: 1
routes:
  - path: /r
    backend: {{type: lambda, function: F}}
auth:
  issuers:
    - name: a
      issuer: https://a.example
      audiences: [edgeway]
      jwks: {json.dumps(jwks((rsa_key(), "a-1")))}
    - name: b
      issuer: https://b.example
      audiences: [edgeway]
      jwks: {json.dumps(jwks((ec(), "b-1")))}
"""
    backend = StubBackend()
    gateway = build(config, backend, monkeypatch=monkeypatch)

    def status(tok: str) -> int:
        return gateway(event("/r", headers={"authorization": f"Bearer {tok}"}))["statusCode"]

    assert status(token(claims(iss="https://a.example"), kid="a-1")) == 200
    assert status(token(claims(iss="https://b.example"), key=ec(), alg="ES256", kid="b-1")) == 200
    backend.calls.clear()
    # B's key cannot vouch for a token that claims to come from A, nor an unknown issuer.
    assert status(token(claims(iss="https://a.example"), key=ec(), alg="ES256", kid="b-1")) == 401
    assert status(token(claims(iss="https://c.example"), kid="a-1")) == 401
    assert status(forge({"alg": "RS256"}, {"iss": 7})) == 401
    assert backend.calls == []
