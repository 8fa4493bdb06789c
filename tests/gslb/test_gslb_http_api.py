"""GslbResolverFunction through its handler, with recorded HTTP API v2 events."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from gslb.health import Health, VantageHealth
from gslb.store import GslbStore

from tests.aws_tables import create_pk_sk_table

ROOT = Path(__file__).resolve().parents[2]
EVENTS = Path(__file__).resolve().parents[1] / "events"
TABLE = "edgeway-gslb-test"


def load_handler(monkeypatch, *, table: str | None = None):
    monkeypatch.setenv("EDGEWAY_CONFIG", str(ROOT / "gateway.yaml"))
    monkeypatch.setenv("EDGEWAY_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("EDGEWAY_REGION_ENDPOINTS", raising=False)
    if table:
        monkeypatch.setenv("EDGEWAY_GSLB_TABLE", table)
    else:
        monkeypatch.delenv("EDGEWAY_GSLB_TABLE", raising=False)
    spec = importlib.util.spec_from_file_location("gslb_resolver_app",
                                                  ROOT / "functions" / "gslb_resolver" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def body(response: dict) -> dict:
    return json.loads(response["body"])


@pytest.fixture
def app(monkeypatch):
    return load_handler(monkeypatch)


def test_resolve_the_demo_european_address(app):
    response = app.handler(event("gslb_resolve_europe"), None)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    assert response["headers"]["x-edgeway-region"] == "us-east-1"
    assert response["headers"]["x-request-id"] == "JTm4gBkHoAMEVIg="
    answer = body(response)
    assert set(answer) >= {"region", "endpoint", "addresses", "alternatives", "reason"}
    assert answer["region"] == "eu-west-1"
    assert answer["endpoint"] == "http://127.0.0.1:3002"
    assert answer["addresses"] == ["198.51.100.10", "2001:db8:2::10"]
    assert [a["region"] for a in answer["alternatives"]] == ["us-east-1", "ap-southeast-1"] or \
        len(answer["alternatives"]) == 2
    assert answer["reason"].startswith("eu-west-1")


def test_resolve_without_ip_uses_the_callers_address(app):
    response = app.handler(event("gslb_resolve_caller"), None)
    assert response["statusCode"] == 200
    answer = body(response)
    assert answer["client"] == "203.0.113.50"
    assert answer["region"] == "ap-southeast-1"
    assert response["headers"]["cache-control"].startswith("private")


def test_bad_ip_is_a_problem_with_the_inbound_request_id(app):
    response = app.handler(event("gslb_resolve_bad_ip"), None)
    assert response["statusCode"] == 400
    assert response["headers"]["content-type"] == "application/problem+json"
    assert response["headers"]["x-request-id"] == "req-7f3a9c"
    assert response["headers"]["x-edgeway-region"] == "us-east-1"
    problem = body(response)
    assert problem["status"] == 400 and problem["instance"] == "req-7f3a9c"
    assert problem["type"].endswith("/bad-request") and "999.1.2.3" in problem["detail"]


def test_wrong_method_and_path_and_malformed_events(app):
    post = event("gslb_resolve_europe")
    post["requestContext"]["http"]["method"] = "DELETE"
    response = app.handler(post, None)
    assert response["statusCode"] == 405 and response["headers"]["allow"] == "GET, HEAD"
    other = event("gslb_resolve_europe")
    other["rawPath"] = "/gslb/nope"
    assert app.handler(other, None)["statusCode"] == 404
    for broken in ({}, {"version": "2.0"}, {"version": "1.0", "httpMethod": "GET"}, "junk"):
        response = app.handler(broken, None)
        assert response["statusCode"] == 400
        assert response["headers"]["content-type"] == "application/problem+json"
        assert response["headers"]["x-request-id"]


def test_observations_are_validated_item_by_item(app):
    response = app.handler(event("gslb_observations_bad"), None)
    assert response["statusCode"] == 400
    problem = body(response)
    pointers = [e["pointer"] for e in problem["errors"]]
    assert pointers == ["/observations/1/client", "/observations/2/region",
                        "/observations/3/rtt_ms", "/observations/4"]
    assert problem["instance"] == "JTm5eWbNoAMEV5g="


def test_observations_need_json(app):
    wrong = event("gslb_observations")
    wrong["headers"]["content-type"] = "text/csv"
    assert app.handler(wrong, None)["statusCode"] == 415
    garbage = event("gslb_observations")
    garbage["body"] = "{not json"
    assert app.handler(garbage, None)["statusCode"] == 400


def test_observations_steer_this_containers_answers(app):
    # A client in a prefix the table places in Europe, measured as far faster to Singapore.
    posted = event("gslb_observations")
    posted["body"] = json.dumps({"observations": [
        {"client": "198.51.100.0/24", "region": "ap-southeast-1", "rtt_ms": 2.0},
        {"client": "198.51.100.0/24", "region": "eu-west-1", "rtt_ms": 300.0},
        {"client": "198.51.100.0/24", "region": "us-east-1", "rtt_ms": 300.0}]})
    response = app.handler(posted, None)
    assert response["statusCode"] == 202
    assert body(response) == {"accepted": 3, "stored": False}
    assert body(app.handler(event("gslb_resolve_europe"), None))["region"] == "ap-southeast-1"


@pytest.fixture
def table():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_pk_sk_table(client, TABLE)
        yield client


def test_observations_are_stored_in_the_gslb_table(monkeypatch, table):
    app = load_handler(monkeypatch, table=TABLE)
    response = app.handler(event("gslb_observations"), None)
    assert response["statusCode"] == 202 and body(response)["stored"] is True
    stored = GslbStore(TABLE, table).read_observations(now=time.time())
    assert sorted((o.client, o.region, o.rtt_ms) for o in stored) == [
        ("198.51.100.0/24", "eu-west-1", 23.4), ("198.51.100.0/24", "us-east-1", 81.0)]


def test_health_from_the_table_fails_europe_over(monkeypatch, table):
    app = load_handler(monkeypatch, table=TABLE)
    assert body(app.handler(event("gslb_resolve_europe"), None))["region"] == "eu-west-1"
    store = GslbStore(TABLE, table)
    now = time.time()
    for vantage in ("us-east-1", "eu-west-1", "ap-southeast-1"):
        for region in ("us-east-1", "eu-west-1", "ap-southeast-1"):
            down = region == "eu-west-1"
            cell = VantageHealth(Health.DOWN if down else Health.UP, passes=0 if down else 5,
                                 failures=5 if down else 0, last_at=now, changed_at=now)
            store.put_health(vantage, region, cell, ttl_s=60)
    app.FEED._next = [0.0, 0.0]          # as if the per-container cache had just expired
    answer = body(app.handler(event("gslb_resolve_europe"), None))
    assert answer["region"] != "eu-west-1"
    assert "eu-west-1" in [a["region"] for a in answer["alternatives"]]


def test_a_failing_table_read_keeps_answering(monkeypatch, table):
    app = load_handler(monkeypatch, table="no-such-table")
    response = app.handler(event("gslb_resolve_europe"), None)
    assert response["statusCode"] == 200 and body(response)["region"] == "eu-west-1"


def test_state_feed_rereads_at_most_once_per_interval_and_survives_failures():
    from gslb.http_api import StateFeed

    applied, now = [], [100.0]

    class Engine:
        config = SimpleNamespace(region_names=("eu-west-1",))

        def load_health(self, cells):
            applied.append(("health", list(cells)))

        def ingest(self, observations):
            applied.append(("obs", list(observations)))

    class Store:
        def read_health(self, regions, *, now):
            return ["cell"]

        def read_observations(self, *, now):
            raise RuntimeError("table unreachable")

    feed = StateFeed(Engine(), Store(), health_every_s=1.0, observations_every_s=60.0,
                     clock=lambda: now[0])
    feed.refresh()
    feed.refresh()
    assert applied == [("health", ["cell"])]           # the failing read did not stop it
    now[0] += 1.0
    feed.refresh()
    assert applied == [("health", ["cell"])] * 2


def test_an_ipv4_mapped_address_is_the_ipv4_client(app):
    mapped = event("gslb_resolve_europe")
    mapped["rawQueryString"] = "ip=%3A%3Affff%3A198.51.100.7"
    answer = body(app.handler(mapped, None))
    assert answer["client"] == "198.51.100.7" and answer["region"] == "eu-west-1"


def test_an_engine_failure_is_a_safe_500_through_the_one_edge(app, monkeypatch):
    def broken(client):
        raise ZeroDivisionError("engine internals")

    monkeypatch.setattr(app.ENGINE, "resolve", broken)
    response = app.handler(event("gslb_resolve_europe"), None)
    assert response["statusCode"] == 500
    assert response["headers"]["content-type"] == "application/problem+json"
    assert response["headers"]["x-request-id"] == "JTm4gBkHoAMEVIg="
    assert response["headers"]["x-edgeway-region"] == "us-east-1"
    assert "engine internals" not in response["body"]
    assert body(response)["instance"] == "JTm4gBkHoAMEVIg="
