"""The fast path: a DOWN verdict reaches the edge store's `down` key after one health round."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws

from edgeway.settings import Settings
from edgeway_local.fake_kvs import FakeKeyValueStore
from gslb.config import load_gslb_config
from gslb.edge_publish import edge_down_publisher
from gslb.edge_sync import DownPublisher, publish_down
from gslb.health import Health, VantageHealth
from gslb.store import GslbStore
from tests.aws_tables import create_pk_sk_table

ROOT = Path(__file__).resolve().parents[2]
ARN = "arn:aws:cloudfront::123456789012:key-value-store/edge"


def test_publish_down_writes_one_key_with_the_current_etag() -> None:
    client = boto3.client("cloudfront-keyvaluestore", region_name="us-east-1",
                          config=Config(signature_version=UNSIGNED))
    with Stubber(client) as stub:
        stub.add_response("describe_key_value_store", {
            "ItemCount": 9, "TotalSizeInBytes": 300, "KvsARN": ARN, "ETag": "E7",
            "Created": "2026-12-04T00:00:00Z"}, {"KvsARN": ARN})
        stub.add_response("update_keys", {"ItemCount": 9, "TotalSizeInBytes": 309, "ETag": "E8"},
                          {"KvsARN": ARN, "IfMatch": "E7",
                           "Puts": [{"Key": "down", "Value": "ap-southeast-1,eu-west-1"}]})
        assert publish_down(client, ARN, {"eu-west-1", "ap-southeast-1"}) == "E8"
        stub.assert_no_pending_responses()


def test_the_publisher_writes_on_change_only_and_survives_a_failing_store(
        caplog: pytest.LogCaptureFixture) -> None:
    config = load_gslb_config(ROOT / "gateway.yaml")
    now = time.time()
    with mock_aws():
        table = _table(config, now, down=set())
        store = FakeKeyValueStore(ARN)
        publish = DownPublisher(store, ARN, config, table, clock=lambda: now)
        assert publish(object()) is True                      # cold start: say it once
        assert publish(object()) is False
        _put_cells(table, config, now, down={"eu-west-1"})
        assert publish(object()) is True and store.items["down"] == "eu-west-1"
        broken = DownPublisher(FakeKeyValueStore("arn:other"), ARN, config, table,
                               clock=lambda: now)
        with caplog.at_level(logging.ERROR):
            assert broken(object()) is False
            assert broken(object()) is False
    assert sum("could not publish" in r.message for r in caplog.records) == 1


def _cell(state: Health, at: float) -> VantageHealth:
    return VantageHealth(state=state, passes=0 if state is Health.DOWN else 3,
                         failures=5 if state is Health.DOWN else 0, last_at=at, changed_at=at - 1)


def _put_cells(table: GslbStore, config: Any, now: float, *, down: set[str]) -> None:
    """Every vantage point sees every region UP, except ``down`` seen DOWN by 2 of 3: a quorum."""
    for vantage in config.region_names:
        for region in config.region_names:
            is_down = region in down and vantage != "ap-southeast-1"
            table.put_health(vantage, region, _cell(Health.DOWN if is_down else Health.UP, now),
                             ttl_s=300)


def _table(config: Any, now: float, *, down: set[str]) -> GslbStore:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    create_pk_sk_table(dynamodb, "gslb")
    table = GslbStore("gslb", dynamodb)
    _put_cells(table, config, now, down=down)
    return table


def test_a_quorum_down_verdict_in_the_table_reaches_the_edge_after_the_round() -> None:
    config = load_gslb_config(ROOT / "gateway.yaml")
    with mock_aws():
        now = time.time()
        table = _table(config, now, down={"eu-west-1"})
        kvs = FakeKeyValueStore(ARN)
        settings = Settings(config_path="gateway.yaml", region="us-east-1", gslb_table="gslb",
                            edge_kvs_arn=ARN)
        after_round = edge_down_publisher(settings, config, table, client=kvs, clock=lambda: now)
        assert after_round is not None
        assert after_round(object()) is True
        assert kvs.items == {"down": "eu-west-1"}
        assert after_round(object()) is False                  # nothing new: no call


def test_without_an_edge_store_the_checker_gets_no_callback() -> None:
    config = load_gslb_config(ROOT / "gateway.yaml")
    settings = Settings(config_path="gateway.yaml", region="us-east-1", gslb_table="gslb")
    assert edge_down_publisher(settings, config, store=None) is None
    store: Any = object()
    assert edge_down_publisher(settings, config, store) is None
