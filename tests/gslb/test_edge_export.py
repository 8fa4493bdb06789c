"""The edge's decision set: the same Engine as the DNS answers, laid out as KeyValueStore keys."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from gslb.edge_export import (MAX_STORE_BYTES, EdgeDecisions, EdgeStoreTooLarge, check_limits,
                              check_planned, export, planned_size, prefix_key)
from gslb.engine import build_engine
from gslb.networks import Network

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "edge" / "test" / "decisions.json"


@pytest.fixture()
def engine():
    return build_engine(ROOT / "gateway.yaml")


def test_the_demo_european_client_is_steered_to_eu_west_1(engine) -> None:
    decisions = export(engine)
    assert decisions.items["4:198.51.100.0/24"].split(",")[0] == "eu-west-1"
    assert decisions.items["down"] == ""


def test_every_prefix_gets_the_dns_answer_and_its_alternatives(engine) -> None:
    decisions = export(engine)
    assert decisions.prefixes == len(engine.networks)
    for net in engine.networks:
        answer = engine.resolve(net.prefix.network_address)
        assert decisions.items[prefix_key(net.prefix)] == ",".join(
            [answer.region.name, *(a.name for a in answer.alternatives)])


def test_a_region_marked_down_leaves_every_first_choice_and_is_listed(engine) -> None:
    engine.set_down(["eu-west-1"])
    decisions = export(engine)
    assert decisions.items["down"] == "eu-west-1"
    firsts = {v.split(",")[0] for k, v in decisions.items.items() if k[:2] in ("4:", "6:", "c:")}
    assert "eu-west-1" not in firsts
    assert decisions.items["4:198.51.100.0/24"].split(",")[0] == "us-east-1"


def test_lookup_keys_and_fallbacks(engine) -> None:
    items = export(engine).items
    assert items["lens4"] == "24,16,8"
    assert items["lens6"].split(",") == sorted(items["lens6"].split(","), key=int, reverse=True)
    assert items["c:JP"].startswith("ap-southeast-1")
    assert items["default"].count(",") == 2


def test_ipv6_keys_use_the_hex_digits_the_function_computes() -> None:
    assert prefix_key(ipaddress.ip_network("2001:db8:200::/48")) == "6:20010db80200/48"
    assert prefix_key(ipaddress.ip_network("2001:0:8000::/33")) == "6:200100008/33"
    assert prefix_key(ipaddress.ip_network("198.51.100.0/24")) == "4:198.51.100.0/24"


def test_the_node_tests_fixture_is_the_current_export(engine) -> None:
    held = json.loads(FIXTURE.read_text())["items"]
    assert held == dict(export(engine).items), (
        "edge/test/decisions.json is stale: edgeway edge export > edge/test/decisions.json")


def test_an_empty_networks_table_exports_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("# no rows\n")
    decisions = export(build_engine(ROOT / "gateway.yaml", networks=tmp_path / "empty.csv"))
    assert decisions.prefixes == 0 and dict(decisions.items) == {}


def test_a_set_over_the_store_size_is_refused_with_the_numbers() -> None:
    items = {f"4:10.{i // 256}.{i % 256}.0/24": "eu-west-1,us-east-1,ap-southeast-1" for i in range(65536)}
    items.update({f"4:11.{i // 256}.{i % 256}.0/24": "eu-west-1,us-east-1,ap-southeast-1"
                  for i in range(65536)})
    decisions = EdgeDecisions(items, len(items))
    assert decisions.size_bytes > MAX_STORE_BYTES
    with pytest.raises(EdgeStoreTooLarge) as err:
        check_limits(decisions)
    assert "over the KeyValueStore limit of 5,242,880 bytes" in str(err.value)
    assert "131,072 prefixes" in str(err.value)


def test_the_planned_size_is_the_exported_size(engine) -> None:
    decisions = export(engine)
    prefix_bytes = sum(len(k) + len(v) for k, v in decisions.items.items() if k[:2] in ("4:", "6:"))
    assert planned_size(engine.networks, engine.config.region_names) == prefix_bytes
    nets = [Network(ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24"), 0.0, 0.0) for i in range(200)]
    with pytest.raises(EdgeStoreTooLarge):
        check_planned(nets, ("us-east-1",), max_store_bytes=1000)


def test_a_value_or_key_over_its_limit_is_refused() -> None:
    with pytest.raises(EdgeStoreTooLarge, match="at most 1024"):
        check_limits(EdgeDecisions({"default": "r" * 1025}, 1))
    with pytest.raises(EdgeStoreTooLarge, match="at most 512"):
        check_limits(EdgeDecisions({"k" * 513: "us-east-1"}, 1))
