"""API keys through the whole gateway, against KeysTable in moto."""

from __future__ import annotations

import json

import pytest

from tests.authkit import TEST_ISSUER_YAML, AuthEnv, ec_key, event, jwks, problem
from edgeway.auth.keyformat import generate_key
from edgeway.clients import Clients
from edgeway_local.keyadmin import create_key, revoke_key

TABLE = "edgeway-test-KeysTable"

CONFIG = ("""
version: 1
routes:
  - id: users.get
    path: /v1/users/{id}
    auth: any
    scopes: [users:read]
    backend: {type: lambda, function: UsersFunction}
  - id: orders.list
    path: /v1/orders
    auth: any
    backend: {type: lambda, function: OrdersFunction}
  - id: admin
    path: /admin
    auth: jwt
    scopes: [orders:read]
    backend: {type: lambda, function: OrdersFunction}
""" + TEST_ISSUER_YAML + """\
  api_keys:
    cache_ttl_s: 30
    lookup_rate_per_s: 5
    plan_scopes:
      gold: [users:read]
""").replace("JWKS", json.dumps(jwks((ec_key(), "e"))))


class Env(AuthEnv):
    def __init__(self, monkeypatch: pytest.MonkeyPatch, config: str = CONFIG) -> None:
        super().__init__(monkeypatch, config, tables={"EDGEWAY_KEYS_TABLE": TABLE})

    def key(self, plan: str = "free", scopes=("users:read",), consumer: str = "demo",
            **kw) -> tuple[str, object]:
        reads = self.get_items  # the CLI's own reads (the consumer's plan) are not the gateway's
        created = create_key(self.dynamodb, TABLE, consumer=consumer, plan=plan, scopes=scopes,
                             now=self.clock.now, **kw)
        self.get_items = reads
        return created

    def call(self, key: str | None, path: str = "/v1/users/42", **headers: str) -> dict:
        if key is not None:
            headers["x-api-key"] = key
        return self.gateway(event(path, headers=headers))


@pytest.fixture
def env(fake_aws, monkeypatch):
    return Env(monkeypatch)


def refused(env: Env, result: dict, status: int = 401) -> dict:
    body = problem(result)
    assert result["statusCode"] == status, body
    assert env.backend.calls == [], "a refused request reached the backend"
    return body


def test_valid_key_reaches_backend_without_the_key_header(env):
    key, record = env.key()
    result = env.call(key)
    assert result["statusCode"] == 200, result["body"]
    principal = env.backend.calls[0].principal
    assert (principal.kind, principal.consumer, principal.plan, principal.key_id) == (
        "api_key", "demo", "free", record.key_id)
    assert "x-api-key" not in json.loads(result["body"])["headers"]


def test_no_dynamodb_request_after_the_first_within_the_ttl(env):
    key, _ = env.key()
    for _ in range(50):
        assert env.call(key)["statusCode"] == 200
        env.clock.advance(0.5)
    assert env.get_items == 1


def test_revoked_key_works_until_the_cache_ttl_then_401(env):
    key, record = env.key()
    assert env.call(key)["statusCode"] == 200  # cached now
    revoke_key(env.dynamodb, TABLE, record.key_id)
    env.clock.advance(29)
    assert env.call(key)["statusCode"] == 200  # inside the stated bound
    env.backend.calls.clear()
    env.clock.advance(1.5)
    body = refused(env, env.call(key))
    assert "revoked" in body["detail"]
    assert env.call(key)["headers"]["www-authenticate"].startswith("ApiKey")


def test_revoked_key_refused_at_once_in_a_fresh_container(env):
    key, record = env.key()
    revoke_key(env.dynamodb, TABLE, record.key_id)
    refused(env, env.call(key))


def test_expired_key(env):
    key, _ = env.key(expires_in_days=1)
    assert env.call(key)["statusCode"] == 200
    env.backend.calls.clear()
    env.clock.advance(86_400)  # expiry is checked on every request, cache or not
    body = refused(env, env.call(key))
    assert "expired" in body["detail"]


def test_valid_key_on_a_route_that_needs_a_jwt_scope(env):
    key, _ = env.key(scopes=("orders:read",))  # the scope, even: still not a JWT
    result = env.call(key, "/admin")
    body = refused(env, result)
    assert "bearer token" in body["detail"]
    assert result["headers"]["www-authenticate"].startswith('Bearer realm="edgeway"')


def test_key_without_the_route_scope_is_403(env):
    key, _ = env.key(scopes=())
    body = refused(env, env.call(key), 403)
    assert body["missing_scopes"] == ["users:read"]
    assert env.call(key, "/v1/orders")["statusCode"] == 200  # no scope needed there


def test_plan_scopes_apply_to_every_key_of_the_plan(env):
    key, _ = env.key(plan="gold", scopes=())
    assert env.call(key)["statusCode"] == 200


@pytest.mark.parametrize("bad", [
    "", "x", "ewk_", "ewk_abcdefghij_short", "ewk_ABCDEFGHIJ_" + "a" * 43,
    "ewk_abcdefghij_" + "a" * 42 + "!", "k" * 5000, "ewk_abcdefghij_" + "a" * 43 + " ",
])
def test_malformed_keys_are_refused_without_a_lookup(env, bad):
    body = refused(env, env.call(bad))
    assert "malformed" in body["detail"] or "too long" in body["detail"]
    assert env.get_items == 0


def test_control_characters_in_a_key_are_refused_without_a_lookup(env):
    # ValidationStage (400) or the key check (401): refused either way, nothing read.
    result = env.call("ewk_abcdefghij_" + "a" * 43 + "\n")
    assert result["statusCode"] in (400, 401) and env.backend.calls == []
    problem(result)
    assert env.get_items == 0


def test_unknown_and_wrong_secret_keys(env):
    _, record = env.key()
    stranger, _ = generate_key()
    refused(env, env.call(stranger))
    refused(env, env.call(stranger))
    # Same id, another secret: the hashes differ (compared in constant time).
    forged = f"ewk_{record.key_id}_" + "A" * 43
    refused(env, env.call(forged))
    assert env.get_items == 2  # the unknown id is cached negatively too


def test_a_flood_of_unknown_keys_is_bounded(env):
    key, _ = env.key()
    assert env.call(key)["statusCode"] == 200
    env.backend.calls.clear()
    statuses = [env.call(generate_key()[0])["statusCode"] for _ in range(40)]
    # lookup_rate_per_s 5, burst 10, one spent on the good key; the clock stands still.
    assert statuses.count(401) == 9
    assert statuses.count(503) == 31
    assert env.get_items == 10
    assert env.call(key)["statusCode"] == 200  # cached keys keep working meanwhile


def test_both_a_token_and_a_key_is_refused(env):
    key, _ = env.key()
    refused(env, env.call(key, authorization="Bearer a.b.c"))


def test_dynamodb_failure_fails_closed(env):
    env.dynamodb.delete_table(TableName=TABLE)
    key, _ = generate_key()
    refused(env, env.call(key), 503)


def test_the_table_never_holds_the_key(env):
    key, record = env.key()
    items = env.dynamodb.scan(TableName=TABLE)["Items"]
    assert key not in json.dumps(items)
    secret = key[len("ewk_") + 11:]  # the secret itself may contain "_"
    assert len(secret) == 43 and secret not in json.dumps(items)
    assert items[0]["hash_alg"]["S"] == "sha256"


def test_pepper_from_ssm_makes_the_hash_an_hmac(fake_aws, monkeypatch):
    config = CONFIG.replace("    cache_ttl_s: 30\n",
                            "    cache_ttl_s: 30\n    pepper: {ssm: /edgeway/test/pepper}\n")
    pepper = "p" * 40
    Clients("us-east-1").get("ssm").put_parameter(Name="/edgeway/test/pepper", Value=pepper,
                                                  Type="SecureString")
    env = Env(monkeypatch, config)
    key, _ = env.key(pepper=pepper.encode())
    assert env.call(key)["statusCode"] == 200
    assert env.dynamodb.scan(TableName=TABLE)["Items"][0]["hash_alg"]["S"] == "hmac-sha256"
    env.backend.calls.clear()
    unpeppered, _ = env.key()  # hashed without the pepper: not accepted by this gateway
    refused(env, env.call(unpeppered))
