"""The Route 53 CIDR plan (pure): what Route 53 would answer is what the Engine decides."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from edgeway.errors import ConfigError
from gslb import build_engine
from gslb.networks import Network, NetworkTable
from gslb.route53_plan import Target, location_name, merge, plan

GATEWAY_YAML = Path(__file__).resolve().parents[2] / "gateway.yaml"


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


@pytest.fixture
def engine():
    return build_engine(GATEWAY_YAML)


def test_every_publishable_table_prefix_is_answered_with_the_engines_region(engine):
    p = plan(engine)
    agree = [n for n in engine.networks
             if p.answer(n.prefix.network_address).region == engine.resolve(n.prefix.network_address).region.name]
    assert len(agree) == len(engine.networks)
    # ::1/128 cannot be a Route 53 block (IPv6 stops at /48): said so, not silently lost
    assert [(d.prefix, d.reason) for d in p.dropped] == [("::1/128", "longer-than-route53-allows")]
    assert set(p.locations) == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    assert p.blocks <= 1000


def test_the_demo_european_client_is_located_in_eu_west_1_and_strangers_go_to_the_default(engine):
    p = plan(engine)
    assert p.answer("198.51.100.7").location == "eu-west-1"
    stranger = p.answer("100.64.0.1")
    assert stranger.location == "*" and stranger.region in engine.config.region_names
    assert p.default == "_latency.api.edgeway.test."


def test_a_region_down_moves_its_prefixes_to_their_next_best_region(engine):
    before = plan(engine)
    europe = before.locations["eu-west-1"]
    engine.set_down(["eu-west-1"])
    after = plan(engine)
    assert "eu-west-1" not in after.locations
    for block in europe:
        addr = net(block).network_address
        assert after.answer(addr).region == engine.resolve(addr).region.name != "eu-west-1"


def test_merge_makes_fewest_blocks_without_changing_any_answer():
    merged = merge({"a": [net("10.0.0.0/25"), net("10.0.0.128/25"), net("10.1.0.0/24")],
                    "b": [net("10.1.0.0/16"), net("10.0.1.0/24")]})
    assert merged["a"] == [net("10.0.0.0/24"), net("10.1.0.0/24")]
    assert merged["b"] == [net("10.0.1.0/24"), net("10.1.0.0/16")]
    # siblings whose parent another region holds stay apart (one block, one location)
    kept = merge({"a": [net("10.0.0.0/25"), net("10.0.0.128/25")], "b": [net("10.0.0.0/24")]})
    assert kept["a"] == [net("10.0.0.0/25"), net("10.0.0.128/25")]
    # a block inside its own region's block with nothing in between is redundant
    assert merge({"a": [net("10.0.0.0/8"), net("10.2.0.0/16")]})["a"] == [net("10.0.0.0/8")]


def _world(count: int) -> NetworkTable:
    # /24s around the map: Europe, America and Asia take turns
    spots = [(50.1, 8.7), (38.9, -77.0), (1.3, 103.8)]
    return NetworkTable(Network(net(f"100.{i // 256}.{i % 256}.0/24"), *spots[i % 3]) for i in range(count))


def test_over_the_block_limit_the_prefixes_that_matter_are_kept_and_the_rest_reported():
    engine = build_engine(GATEWAY_YAML, networks=_world(90))
    p = plan(engine, max_blocks=40)
    assert p.blocks == 40
    assert len(p.dropped) == 90 - 40
    assert {d.reason for d in p.dropped} == {"over-block-limit"}
    kept = {b for blocks in p.locations.values() for b in blocks}
    fidelity = sum(p.answer(net(b).network_address).region == engine.resolve(net(b).network_address).region.name
                   for b in kept)
    assert fidelity == 40


def test_regions_without_a_target_are_not_published_and_their_prefixes_reported(engine):
    targets = {r: Target(r, f"d-{r}.example.", "ZAPI") for r in ("us-east-1", "ap-southeast-1")}
    p = plan(engine, targets=targets, collection_id="c", hosted_zone_id="Z1")
    assert "eu-west-1" not in p.locations
    assert {d.reason for d in p.dropped} >= {"region-not-published"}
    assert not any("eu-west-1" in str(r) for r in p.records)


def test_records_cidr_per_location_default_to_latency_set_for_a_and_aaaa(engine):
    targets = {r: Target(r, f"d-{r}.example.", "ZAPI", f"hc-{r}") for r in engine.config.region_names}
    p = plan(engine, domain="api.example.com", targets=targets, collection_id="c", hosted_zone_id="Z1")
    by_id = {(r["SetIdentifier"], r["Type"]): r for r in p.records}
    eu = by_id[("edgeway-cidr-eu-west-1", "AAAA")]
    assert eu["CidrRoutingConfig"] == {"CollectionId": "c", "LocationName": "eu-west-1"}
    assert eu["AliasTarget"] == {"HostedZoneId": "ZAPI", "DNSName": "d-eu-west-1.example.",
                                 "EvaluateTargetHealth": True}
    assert eu["HealthCheckId"] == "hc-eu-west-1"
    default = by_id[("edgeway-cidr-default", "A")]
    assert default["CidrRoutingConfig"]["LocationName"] == "*"
    assert default["AliasTarget"]["DNSName"] == "_latency.api.example.com."
    latency = by_id[("edgeway-latency-ap-southeast-1", "A")]
    assert latency["Name"] == "_latency.api.example.com." and latency["Region"] == "ap-southeast-1"
    assert len(p.records) == 2 * (3 + 1 + 3)


def test_a_region_name_route53_cannot_use_as_a_location_is_a_config_error():
    assert location_name("ap-southeast-1") == "ap-southeast-1"
    with pytest.raises(ConfigError, match="16 characters"):
        location_name("a-very-long-region-name")
    with pytest.raises(ConfigError):
        location_name("eu west")


def test_the_resolve_api_answers_what_route53_would_answer(monkeypatch):
    import copy
    import json

    from tests.gslb.test_gslb_http_api import event, load_handler

    app = load_handler(monkeypatch)
    europe = event("gslb_resolve_europe")
    via = copy.deepcopy(europe)
    via["queryStringParameters"] = {**(via.get("queryStringParameters") or {}), "via": "route53"}
    via["rawQueryString"] = "&".join(f"{k}={v}" for k, v in via["queryStringParameters"].items())
    answer = json.loads(app.handler(via, None)["body"])
    assert answer["via"] == "route53" and answer["location"] == "eu-west-1" == answer["engine_region"]
    assert set(answer["blocks"]) == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    via["queryStringParameters"]["via"] = "geo"
    via["rawQueryString"] = via["rawQueryString"].replace("route53", "geo")
    bad = app.handler(via, None)
    assert bad["statusCode"] == 400 and "route53" in json.loads(bad["body"])["detail"]
