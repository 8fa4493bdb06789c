"""AuthorizerFunction (functions/authorizer/app.py) with recorded HTTP API 2.0 authorizer events."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

from tests.aws_tables import create_pk_sk_table
from tests.authkit import TEST_ISSUER_YAML, claims, ec_key, jwks, token
from edgeway.clients import Clients
from edgeway_local.keyadmin import create_key, revoke_key

ROOT = Path(__file__).resolve().parents[2]
EVENTS = Path(__file__).resolve().parents[1] / "events"
TABLE = "authorizer-KeysTable"

CONFIG = """
version: 1
routes:
  - id: users.get
    path: /v1/users/{id}
    scopes: [users:read]
    backend: {type: lambda, function: UsersFunction}
  - id: orders.list
    path: /v1/orders
    auth: any
    scopes: [orders:read]
    backend: {type: lambda, function: OrdersFunction}
  - id: status
    path: /status
    auth: none
    backend: {type: lambda, function: OrdersFunction}
""" + TEST_ISSUER_YAML + """\
  api_keys:
    plan_scopes: {free: [orders:read]}
  claims_to_headers: {sub: x-user-id}
"""


def load_handler(config_path: Path):
    spec = importlib.util.spec_from_file_location("authorizer_app",
                                                  ROOT / "functions/authorizer/app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # builds the authorizer, as a cold start does
    return module.handler


def recorded(name: str, **values: str) -> dict:
    text = (EVENTS / name).read_text()
    for placeholder, value in values.items():
        text = text.replace("{{" + placeholder + "}}", value)
    return json.loads(text)


@pytest.fixture
def aws(fake_aws, monkeypatch, tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.replace("JWKS", json.dumps(jwks((ec_key(), "ec-1")))))
    for name, value in {"AWS_REGION": "us-east-1",
                        "EDGEWAY_CONFIG": str(config), "EDGEWAY_KEYS_TABLE": TABLE,
                        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
                        # Not "edgeway": a Powertools Logger of that name would swallow the
                        # records of every "edgeway.*" logger in later tests.
                        "POWERTOOLS_SERVICE_NAME": "edgeway-authorizer-test"}.items():
        monkeypatch.setenv(name, value)
    dynamodb = Clients("us-east-1").get("dynamodb")
    create_pk_sk_table(dynamodb, TABLE)
    return load_handler(config), dynamodb


def es256(**overrides) -> str:
    return token(claims(**overrides), key=ec_key(), alg="ES256", kid="ec-1")


def test_valid_bearer_token_is_authorized_with_context(aws):
    handler, _ = aws
    result = handler(recorded("authorizer_v2_bearer.json", TOKEN=es256()), None)
    assert result["isAuthorized"] is True
    assert result["context"]["kind"] == "jwt"
    assert result["context"]["subject"] == "alice"
    assert result["context"]["sub"] == "alice"  # claims_to_headers claims travel in context
    assert set(result["context"]["scopes"].split()) == {"users:read", "orders:read"}
    assert all(isinstance(v, str) for v in result["context"].values())


@pytest.mark.parametrize("tok", [
    es256(scope="orders:read"),  # lacks users:read
    es256(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    es256(aud="another-api"),
    "not-a-jwt",
])
def test_bad_or_insufficient_tokens_are_denied(aws, tok):
    handler, _ = aws
    assert handler(recorded("authorizer_v2_bearer.json", TOKEN=tok), None) == {
        "isAuthorized": False}


def test_no_credentials_is_denied(aws):
    handler, _ = aws
    assert handler(recorded("authorizer_v2_no_credentials.json"), None)["isAuthorized"] is False


def test_api_key_is_authorized_then_denied_once_revoked(aws):
    handler, dynamodb = aws
    key, record = create_key(dynamodb, TABLE, consumer="demo", plan="free")
    result = handler(recorded("authorizer_v2_api_key.json", API_KEY=key), None)
    assert result["isAuthorized"] is True
    assert (result["context"]["consumer"], result["context"]["plan"],
            result["context"]["keyId"]) == ("demo", "free", record.key_id)
    revoke_key(dynamodb, TABLE, record.key_id)
    fresh = load_handler(Path(__import__("os").environ["EDGEWAY_CONFIG"]))  # a new container
    assert fresh(recorded("authorizer_v2_api_key.json", API_KEY=key), None)[
        "isAuthorized"] is False


def test_a_route_gateway_yaml_does_not_know_still_needs_credentials(aws):
    handler, _ = aws
    assert handler(recorded("authorizer_v2_unknown_route.json", TOKEN=es256()), None)[
        "isAuthorized"] is True
    assert handler(recorded("authorizer_v2_unknown_route.json", TOKEN="garbage"), None)[
        "isAuthorized"] is False


def test_public_route_is_authorized_anonymously(aws):
    handler, _ = aws
    event = recorded("authorizer_v2_no_credentials.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/status"
    result = handler(event, None)
    assert result["isAuthorized"] is True and result["context"]["kind"] == "anonymous"


@pytest.mark.parametrize("event", [None, [], {}, {"headers": "x"},
                                   {"headers": {}, "requestContext": {"http": "GET"}}])
def test_malformed_events_are_denied(aws, event):
    handler, _ = aws
    assert handler(event, None) == {"isAuthorized": False}


def test_builds_against_the_demo_gateway_yaml_without_network(monkeypatch):
    # The demo issuer's JWKS is fetched on first use, never at import.
    monkeypatch.setenv("EDGEWAY_CONFIG", str(ROOT / "gateway.yaml"))
    monkeypatch.setenv("EDGEWAY_KEYS_TABLE", TABLE)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "edgeway-authorizer-test")
    handler = load_handler(ROOT / "gateway.yaml")
    assert handler(json.loads((ROOT / "events/authorizer_request.json").read_text()), None) == {
        "isAuthorized": False}


def test_route_conditions_pick_the_policy(monkeypatch, tmp_path):
    # Same path, two routes told apart by host, as the gateway's router does it.
    config = tmp_path / "gateway.yaml"
    config.write_text(f"""
version: 1
routes:
  - id: admin.status
    path: /status
    host: admin.example.com
    auth: jwt
    scopes: [admin]
    backend: {{type: lambda, function: OrdersFunction}}
  - id: status
    path: /status
    auth: none
    backend: {{type: lambda, function: OrdersFunction}}
auth:
  issuers:
    - name: test
      issuer: https://issuer.example
      audiences: [edgeway]
      jwks: {json.dumps(jwks((ec_key(), "ec-1")))}
""")
    monkeypatch.setenv("EDGEWAY_CONFIG", str(config))
    monkeypatch.setenv("EDGEWAY_KEYS_TABLE", "")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "edgeway-authorizer-test")
    handler = load_handler(config)
    event = recorded("authorizer_v2_no_credentials.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/status"
    assert handler(event, None)["isAuthorized"] is True  # the public route
    event["headers"]["host"] = "admin.example.com"
    assert handler(event, None)["isAuthorized"] is False
    event["headers"]["authorization"] = "Bearer " + es256(scope="admin")
    assert handler(event, None)["isAuthorized"] is True


def test_anything_unexpected_is_denied_with_the_traceback_logged():
    from edgeway.auth.authorizer import Authorizer
    from edgeway.observability import Observability, quiet_logger
    from edgeway.routing import Router

    from tests.backend_stubs import NullMetrics

    class Broken:
        def authenticate(self, headers, policy):
            raise RuntimeError("verifier internals")

    logger = quiet_logger("edgeway-authorizer-crash-test")
    authorizer = Authorizer(Broken(), Router([]), {}, object(), {},
                            Observability("t", "us-east-1", logger=logger, metrics=NullMetrics()))
    event = recorded("authorizer_v2_no_credentials.json")
    assert authorizer(event, None) == {"isAuthorized": False}
    lines = [json.loads(line) for line in logger.buffer.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["unhandled error"]
    assert "verifier internals" in lines[0]["exception"]
    assert lines[0]["request_id"] == event["requestContext"]["requestId"]
