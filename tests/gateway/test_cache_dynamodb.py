"""Layer 2 (the DynamoDB CacheTable) on moto, the cache table failing, and purge."""

from __future__ import annotations

import json

import boto3
import botocore.session
import pytest
from edgeway.cache.dynamo import GENERATION_SK, ITEM_LIMIT_BYTES, partition
from edgeway.clients import Clients
from edgeway.http import Response
from edgeway_local.cli import main as cli

from tests.aws_tables import create_pk_sk_table
from tests.backend_stubs import FakeClock, RecordingObs, body_of, event, gateway, install

TABLE = "edgeway-cache"
CONFIG = """
version: 1
routes:
  - id: users.get
    path: /v1/users/{id}
    backend: {type: lambda, function: users}
    cache: {ttl_s: 30}
"""
ENV = {"EDGEWAY_CACHE_TABLE": TABLE, "AWS_REGION": "us-east-1"}


def create_table():
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    create_pk_sk_table(ddb, TABLE)
    return ddb


def items(ddb, route="users.get"):
    """The route's cached responses (not its purge generation item)."""
    found = ddb.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                      ExpressionAttributeValues={":pk": {"S": partition(route)}})["Items"]
    return [item for item in found if item["sk"]["S"] != GENERATION_SK]


class CountingClients(Clients):
    """Counts the DynamoDB API calls the gateway makes (through the session seam:
    every client the session creates carries its event hooks)."""

    def __init__(self, region):
        session = botocore.session.get_session()
        super().__init__(region, session=session)
        self.dynamodb_calls: list[str] = []
        session.register("before-call.dynamodb.*",
                                lambda model, **_: self.dynamodb_calls.append(model.name))


@pytest.fixture
def stubs(monkeypatch):
    return install(monkeypatch)


def test_layer1_hit_makes_no_dynamodb_request(aws, stubs):
    create_table()
    stubs.add("users", lambda r, t: Response.json({"id": 1}))
    clients = CountingClients("us-east-1")
    gw = gateway(CONFIG, ENV, clients=clients)
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "MISS"
    assert clients.dynamodb_calls == ["GetItem", "PutItem"]
    for _ in range(5):
        assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"
    assert clients.dynamodb_calls == ["GetItem", "PutItem"]


def test_layer2_serves_another_container(aws, stubs):
    ddb = create_table()
    users = stubs.add("users", lambda r, t: Response.json({"id": 1}, headers={"etag": '"v1"'}))
    clock = FakeClock()
    gateway(CONFIG, ENV, clock=clock)(event("/v1/users/1"))
    [item] = items(ddb)
    assert int(item["expires_at"]["N"]) == int(clock.now) + 30
    clock.advance(3)
    other = gateway(CONFIG, ENV, clock=clock)  # a second container: empty layer 1
    result = other(event("/v1/users/1"))
    assert result["headers"]["x-cache"] == "HIT" and result["headers"]["age"] == "3"
    assert result["headers"]["etag"] == '"v1"' and body_of(result) == {"id": 1}
    assert len(users.calls) == 1


def test_expired_item_not_yet_deleted_is_ignored(aws, stubs):
    create_table()
    users = stubs.add("users", lambda r, t: Response.json({"id": 1}))
    clock = FakeClock()
    gateway(CONFIG, ENV, clock=clock)(event("/v1/users/1"))
    clock.advance(31)  # DynamoDB's TTL sweeper has not run (moto never runs it)
    assert gateway(CONFIG, ENV, clock=clock)(event("/v1/users/1"))["headers"]["x-cache"] == "MISS"
    assert len(users.calls) == 2


def test_body_over_the_item_limit_stays_in_layer1_only(aws, stubs):
    ddb = create_table()
    users = stubs.add("users", lambda r, t: Response(status=200, body=b"x" * ITEM_LIMIT_BYTES))
    obs = RecordingObs()
    gw = gateway(CONFIG, ENV, obs=obs)
    gw(event("/v1/users/1"))
    assert items(ddb) == []
    assert ("CacheItemTooLarge", {"route": "users.get"}) in obs.counts
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"
    assert len(users.calls) == 1


def test_cache_table_unavailable_serves_uncached_and_succeeds(aws, stubs):
    # No table created: every DynamoDB call fails with ResourceNotFoundException.
    users = stubs.add("users", lambda r, t: Response.json({"id": 1}))
    obs = RecordingObs()
    clients = CountingClients("us-east-1")
    gw = gateway(CONFIG, ENV, obs=obs, clients=clients)
    first = gw(event("/v1/users/1"))
    assert first["statusCode"] == 200 and body_of(first) == {"id": 1}
    assert first["headers"]["x-cache"] == "MISS"
    assert ("CacheUnavailable", None) in obs.counts
    assert "cache table unavailable; serving uncached" in obs.warnings
    for i in range(4):
        assert gw(event(f"/v1/users/{i + 10}"))["statusCode"] == 200
    # After a few failures the table is left alone for a while (no timeout per request).
    calls = len(clients.dynamodb_calls)
    gw(event("/v1/users/99"))
    assert len(clients.dynamodb_calls) == calls
    assert len(users.calls) == 6


def test_purge_command_deletes_a_route_or_one_path(aws, stubs, tmp_path, monkeypatch, capsys):
    ddb = create_table()
    stubs.add("users", lambda r, t: Response.json({"id": r.path}))
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG)
    gw = gateway(CONFIG, ENV)
    for i in range(3):
        gw(event(f"/v1/users/{i}"))
    assert len(items(ddb)) == 3
    monkeypatch.setenv("EDGEWAY_CACHE_TABLE", TABLE)
    assert cli(["cache", "purge", "--route", "users.get", "--path", "/v1/users/1",
                "--config", str(config), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["deleted"] == 1 and out["route"] == "users.get"
    assert len(items(ddb)) == 2
    assert cli(["cache", "purge", "--route", "users.get", "--config", str(config)]) == 0
    assert "purged 2 cached response(s)" in capsys.readouterr().out
    assert items(ddb) == []
    fresh = gateway(CONFIG, ENV)(event("/v1/users/0"))
    assert fresh["headers"]["x-cache"] == "MISS"


def test_purge_of_an_unknown_route_is_a_clear_error(aws, tmp_path, monkeypatch, capsys):
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("EDGEWAY_CACHE_TABLE", TABLE)
    assert cli(["cache", "purge", "--route", "nope", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "no route 'nope'" in err and "users.get" in err and "gateway.yaml" in err


def test_purge_reaches_running_containers_through_the_generation(aws, stubs, tmp_path, monkeypatch):
    create_table()
    users = stubs.add("users", lambda r, t: Response.json({"call": len(users.calls)}))
    config_text = CONFIG + "cache: {purge_check_s: 5}\n"
    config = tmp_path / "gateway.yaml"
    config.write_text(config_text)
    clock = FakeClock()
    gw = gateway(config_text, ENV, clock=clock)
    gw(event("/v1/users/1"))
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"
    monkeypatch.setenv("EDGEWAY_CACHE_TABLE", TABLE)
    assert cli(["cache", "purge", "--route", "users.get", "--config", str(config)]) == 0
    clock.advance(4)
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"  # not re-read yet
    clock.advance(1)
    result = gw(event("/v1/users/1"))
    assert result["headers"]["x-cache"] == "MISS" and body_of(result) == {"call": 2}
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"


def test_without_purge_check_memory_entries_outlive_a_purge_until_their_ttl(aws, stubs, tmp_path,
                                                                             monkeypatch):
    create_table()
    stubs.add("users", lambda r, t: Response.json({}))
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG)
    clock = FakeClock()
    gw = gateway(CONFIG, ENV, clock=clock)
    gw(event("/v1/users/1"))
    monkeypatch.setenv("EDGEWAY_CACHE_TABLE", TABLE)
    assert cli(["cache", "purge", "--route", "users.get", "--config", str(config)]) == 0
    clock.advance(29)
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"
    clock.advance(1)
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "MISS"


def test_purge_by_path_reaches_every_spelling_of_it(aws, stubs, tmp_path, monkeypatch, capsys):
    ddb = create_table()
    stubs.add("users", lambda r, t: Response.json({"id": r.path}))
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG)
    gw = gateway(CONFIG, ENV)
    gw(event("/v1/users/%33%31%39"))  # stored under the one canonical spelling
    assert len(items(ddb)) == 1
    monkeypatch.setenv("EDGEWAY_CACHE_TABLE", TABLE)
    assert cli(["cache", "purge", "--route", "users.get", "--path", "/v1/users/319/",
                "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == 1
    assert items(ddb) == []
