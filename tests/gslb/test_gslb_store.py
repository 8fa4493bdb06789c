"""The observation store on moto: round trips, expired items ignored, older writes refused."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from gslb.health import Health, VantageHealth
from gslb.observations import Observation
from gslb.prober import ProbeResult
from gslb.store import GslbStore, StoreError

from tests.aws_tables import create_pk_sk_table

TABLE = "edgeway-test-GslbTable"


@pytest.fixture()
def dynamodb(fake_aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_pk_sk_table(client, TABLE)
    client.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "expires_at"})
    return client


def test_health_round_trip_latest_per_vantage_and_region(dynamodb: Any) -> None:
    store = GslbStore(TABLE, dynamodb)
    up = VantageHealth(Health.UP, passes=4, failures=0, last_at=1000.5, changed_at=990.0)
    probe = ProbeResult("eu-west-1", True, 1000.5, 12.5, status=200, load=0.4)
    assert store.put_health("us-east-1", "eu-west-1", up, ttl_s=300, probe=probe)
    down = VantageHealth(Health.DOWN, passes=0, failures=5, last_at=1001.0, changed_at=1001.0)
    assert store.put_health("ap-southeast-1", "eu-west-1", down, ttl_s=300)
    newer = VantageHealth(Health.UP, passes=5, failures=0, last_at=1002.0, changed_at=990.0)
    assert store.put_health("us-east-1", "eu-west-1", newer, ttl_s=300)
    # a slow checker's older verdict does not overwrite the newer one
    assert not store.put_health("us-east-1", "eu-west-1", up, ttl_s=300)
    got = sorted(store.read_health(["eu-west-1", "us-east-1"], now=1003.0))
    assert got == [("ap-southeast-1", "eu-west-1", down), ("us-east-1", "eu-west-1", newer)]
    stored = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "health#eu-west-1"},
                                                     "sk": {"S": "vantage#us-east-1"}})["Item"]
    assert "load" not in stored  # the newer write carried no load


def test_expired_items_are_ignored_on_read(dynamodb: Any) -> None:
    store = GslbStore(TABLE, dynamodb)
    store.put_health("us-east-1", "eu-west-1", VantageHealth(Health.UP, 2, 0, 1000.0, 1000.0), ttl_s=60)
    assert len(store.read_health(["eu-west-1"], now=1059.0)) == 1
    assert store.read_health(["eu-west-1"], now=1061.0) == []  # DynamoDB deletes late; we do not wait


def test_observations_round_trip_and_expiry(dynamodb: Any) -> None:
    store = GslbStore(TABLE, dynamodb)
    rows = [Observation(f"10.0.{i}.7", "eu-west-1", 20.0 + i, at=1000.0 + i) for i in range(30)]
    rows.append(Observation("2001:db8:200::/48", "us-east-1", 88.5))
    assert store.put_observations(rows, now=2000.0, max_age_s=3600) == 31  # two batches
    got = store.read_observations(now=2000.0)
    assert sorted(got, key=lambda o: (o.client, o.region)) == \
        sorted(rows[:30] + [Observation("2001:db8:200::/48", "us-east-1", 88.5, at=2000.0)],
               key=lambda o: (o.client, o.region))
    assert len(store.read_observations(now=1000.0 + 3600 + 10.5)) == 19 + 1  # i <= 10 expired


def test_aws_errors_become_store_errors(dynamodb: Any) -> None:
    store = GslbStore("no-such-table", dynamodb)
    with pytest.raises(StoreError) as info:
        store.read_observations(now=0.0)
    assert info.value.__cause__ is not None
    with pytest.raises(StoreError):
        store.put_health("a", "b", VantageHealth(Health.UP, 2, 0, 1.0, 1.0), ttl_s=60)
