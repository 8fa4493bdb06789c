"""The auth section and route keys: bad configs fail at build with file, line, key, reason;
HS256 only with a referenced secret; nothing heavy imported when no issuer is configured."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import jwt
import pytest

from tests.authkit import StubBackend, build, claims, ec_key, event, jwks, rsa_key, token
from edgeway.clients import Clients
from edgeway.errors import ConfigError

JWKS = json.dumps(jwks((ec_key(), "ec-1")))


def config(auth: str = "", route: str = "") -> str:
    return f"""version: 1
routes:
  - id: r
    path: /r
{route}    backend: {{type: lambda, function: F}}
{auth}"""


def issuer(extra: str = "", keys: str = f"      jwks: {JWKS}\n") -> str:
    return ("auth:\n  issuers:\n    - name: corp\n      issuer: https://corp.example\n"
            "      audiences: [edgeway]\n" + keys + extra)


def fails(monkeypatch, text: str, env: dict | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        build(text, StubBackend(), env=env, monkeypatch=monkeypatch)
    return info.value


@pytest.mark.parametrize("auth,route,key,reason", [
    (issuer("      algorithms: [HS256]\n"), "", "auth.issuers[0].algorithms", "hs256_secret"),
    (issuer("      algorithms: [none]\n"), "", "auth.issuers[0].algorithms[0]", ""),
    (issuer("      algorithms: [HS512]\n"), "", "auth.issuers[0].algorithms[0]", ""),
    (issuer("      leeway_s: 61\n"), "", "auth.issuers[0].leeway_s", "60"),
    (issuer(keys="      jwks_uri: http://idp.example/jwks\n"), "", "auth.issuers[0].jwks_uri",
     "https"),
    (issuer(keys=""), "", "auth.issuers[0]", "jwks_uri"),
    (issuer(keys="      jwks: {keys: []}\n"), "", "auth.issuers[0].jwks", "no key usable"),
    (issuer("      hs256_secret: {value: hunter2}\n"), "", "auth.issuers[0].hs256_secret.value",
     "unknown key (allowed: max_age_s, secretsmanager, ssm)"),
    ("", "    auth: jwt\n", "routes[0].auth", "auth.issuers"),
    ("", "    auth: maybe\n", "routes[0].auth", ""),
    ("", "    scopes: [\"has space\"]\n", "routes[0].scopes[0]", ""),
    ("auth:\n  claims_to_headers: {sub: authorization}\n", "", "auth.claims_to_headers.sub",
     "reserved"),
])
def test_bad_auth_config(monkeypatch, auth, route, key, reason):
    error = fails(monkeypatch, config(auth, route))
    assert error.key == key, str(error)
    assert reason in error.reason
    assert error.line is not None


def test_deny_by_default_needs_a_way_to_authenticate(monkeypatch):
    error = fails(monkeypatch, config(), env={"EDGEWAY_KEYS_TABLE": ""})
    assert "deny by default" in error.reason and "auth: none" in error.reason
    assert error.key == "routes[0]"


def test_public_only_gateway_has_no_auth_stage(monkeypatch):
    backend = StubBackend()
    gateway = build(config(route="    auth: none\n"), backend, env={"EDGEWAY_KEYS_TABLE": ""},
                    monkeypatch=monkeypatch)
    assert gateway(event("/r"))["statusCode"] == 200


def test_route_without_auth_requires_credentials(monkeypatch):
    backend = StubBackend()
    gateway = build(config(issuer()), backend, monkeypatch=monkeypatch)
    assert gateway(event("/r"))["statusCode"] == 401 and backend.calls == []


def test_no_jwt_library_on_the_cold_path_without_issuers():
    code = """
import sys
from edgeway.config import parse_config
from edgeway.pipeline import build_gateway
from edgeway.settings import Settings
cfg = parse_config('''
version: 1
routes:
  - {path: /a, auth: api_key, backend: {type: lambda, function: F}}
  - {path: /b, auth: none, backend: {type: lambda, function: F}}
''')
build_gateway(cfg, Settings.from_env({'EDGEWAY_KEYS_TABLE': 't'}))
print(sorted(m for m in ('jwt', 'cryptography') if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class TestHs256:
    SECRET = "s" * 48
    AUTH = issuer("      algorithms: [HS256, ES256]\n"
                  "      hs256_secret: {ssm: /edgeway/test/hs256}\n")

    @pytest.fixture
    def gateway(self, fake_aws, monkeypatch):
        clients = Clients("us-east-1")
        clients.get("ssm").put_parameter(Name="/edgeway/test/hs256", Value=self.SECRET,
                                         Type="SecureString")
        self.backend = StubBackend()
        return build(config(self.AUTH), self.backend, clients=clients, monkeypatch=monkeypatch)

    def call(self, gateway, tok: str) -> int:
        return gateway(event("/r", headers={"authorization": f"Bearer {tok}"}))["statusCode"]

    def test_hs256_with_the_referenced_secret(self, gateway):
        good = jwt.encode(claims(iss="https://corp.example"), self.SECRET, algorithm="HS256")
        assert self.call(gateway, good) == 200

    def test_hs256_with_another_secret(self, gateway):
        bad = jwt.encode(claims(iss="https://corp.example"), "x" * 48, algorithm="HS256")
        assert self.call(gateway, bad) == 401 and self.backend.calls == []

    def test_asymmetric_keys_still_work_and_rs256_is_not_listed(self, gateway):
        es = token(claims(iss="https://corp.example"), key=ec_key(), alg="ES256", kid="ec-1")
        assert self.call(gateway, es) == 200
        rs = token(claims(iss="https://corp.example"), key=rsa_key(), alg="RS256")
        assert self.call(gateway, rs) == 401

    def test_a_short_secret_is_refused(self, fake_aws, monkeypatch):
        clients = Clients("us-east-1")
        clients.get("ssm").put_parameter(Name="/edgeway/test/hs256", Value="short",
                                         Type="SecureString")
        backend = StubBackend()
        gateway = build(config(self.AUTH), backend, clients=clients, monkeypatch=monkeypatch)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tok = jwt.encode(claims(iss="https://corp.example", exp=int(time.time()) + 60),
                             "short", algorithm="HS256")
        assert self.call(gateway, tok) == 503 and backend.calls == []


def test_every_auth_key_is_in_the_configuration_reference():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    schema = json.loads((root / "layers/edgeway/edgeway/schema/gateway.schema.json").read_text())
    doc = (root / "docs/configuration.md").read_text()
    assert "## `auth`" in doc
    for definition in ("auth", "issuer", "api_keys"):
        for key in schema["$defs"][definition]["properties"]:
            assert f"`{key}`" in doc, f"{definition}.{key}"
    for key in ("auth", "scopes"):
        assert key in schema["$defs"]["route"]["properties"] and f"| `{key}` |" in doc
