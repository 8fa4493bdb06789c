"""One consumer, one plan, one set of counters, whatever credential it presents
(issue 14): a trial key's spent quota is not refilled by a token with the same
subject, nor by a second key on another plan."""

from __future__ import annotations

import json

import pytest

from edgeway_local.keyadmin import KeyAdminError, consumer_plan, create_key, list_keys, set_plan
from tests.authkit import TEST_ISSUER_YAML, AuthEnv, claims, ec_key, event, jwks, token

KEYS = "edgeway-test-KeysTable"
COUNTERS = "edgeway-test-CountersTable"
CONFIG = ("""
version: 1
routes:
  - id: orders.list
    path: /v1/orders
    auth: any
    backend: {type: lambda, function: OrdersFunction}
""" + TEST_ISSUER_YAML + """\
      plan_claim: plan
plans:
  trial:
    rate: {per_second: 10, burst: 20}
    quotas: {day: 10}
  free:
    rate: {per_second: 10, burst: 20}
    quotas: {day: 1000}
default_plan: free
""").replace("JWKS", json.dumps(jwks((ec_key(), "e"))))


class Env(AuthEnv):
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(monkeypatch, CONFIG,
                         tables={"EDGEWAY_KEYS_TABLE": KEYS, "EDGEWAY_COUNTERS_TABLE": COUNTERS})

    def with_key(self, key: str) -> int:
        return self.gateway(event("/v1/orders", headers={"x-api-key": key}))["statusCode"]

    def with_token(self, sub: str, **extra: object) -> int:
        tok = token(claims(sub=sub, **extra), key=ec_key(), alg="ES256", kid="e")
        return self.gateway(event("/v1/orders", headers={"authorization": f"Bearer {tok}"}))[
            "statusCode"]


@pytest.fixture
def env(fake_aws, monkeypatch):
    return Env(monkeypatch)


def test_a_token_for_a_consumer_whose_trial_quota_is_spent_is_refused(env):
    key, _ = create_key(env.dynamodb, KEYS, consumer="acme", plan="trial")
    assert [env.with_key(key) for _ in range(10)] == [200] * 10
    assert env.with_key(key) == 429
    # Same consumer, other credential: same plan (trial), same spent counter.
    assert env.with_token("acme") == 429
    assert env.with_token("acme", plan="free") == 429  # a plan claim cannot lift it either
    assert env.with_token("someone-else") == 200       # other consumers are untouched


def test_a_token_spends_the_same_counter_a_key_then_sees(env):
    key, _ = create_key(env.dynamodb, KEYS, consumer="acme", plan="trial")
    assert [env.with_token("acme") for _ in range(10)] == [200] * 10
    assert env.with_key(key) == 429


def test_a_second_key_on_another_plan_is_refused_and_one_without_inherits(env):
    first, _ = create_key(env.dynamodb, KEYS, consumer="acme", plan="trial")
    with pytest.raises(KeyAdminError, match="plan 'trial'"):
        create_key(env.dynamodb, KEYS, consumer="acme", plan="free")
    second, record = create_key(env.dynamodb, KEYS, consumer="acme", plan=None)
    assert record.plan == "trial"
    assert [env.with_key(first) for _ in range(10)] == [200] * 10
    assert env.with_key(second) == 429


def test_a_new_consumer_needs_a_plan(env):
    with pytest.raises(KeyAdminError, match="give --plan"):
        create_key(env.dynamodb, KEYS, consumer="new", plan=None)


def test_moving_a_consumer_moves_every_key_and_its_tokens(env):
    key, _ = create_key(env.dynamodb, KEYS, consumer="acme", plan="trial")
    create_key(env.dynamodb, KEYS, consumer="acme", plan="trial")
    assert [env.with_key(key) for _ in range(11)][-1] == 429
    moved = set_plan(env.dynamodb, KEYS, "acme", "free")
    assert len(moved) == 2 and consumer_plan(env.dynamodb, KEYS, "acme") == "free"
    assert {r.plan for r in list_keys(env.dynamodb, KEYS)} == {"free"}
    env.clock.advance(31)  # past auth.api_keys.cache_ttl_s: gateways re-read
    assert env.with_key(key) == 200   # the same counter (11 spent), now against 1000 a day
    assert env.with_token("acme") == 200
