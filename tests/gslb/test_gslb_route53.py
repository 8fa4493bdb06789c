"""Route 53 sync against moto: the records follow the decisions, and only changes are sent."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from gslb import build_engine
from gslb.route53 import continent_of, country_of, plan, sync

GATEWAY_YAML = Path(__file__).resolve().parents[2] / "gateway.yaml"


@pytest.fixture
def engine():
    return build_engine(GATEWAY_YAML)


@pytest.fixture
def route53():
    with mock_aws():
        client = boto3.client("route53", region_name="us-east-1")
        zone_id = client.create_hosted_zone(Name="edgeway.test", CallerReference="t")["HostedZone"]["Id"]
        yield client, zone_id


def geo_records(client, zone_id):
    records = client.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {r["SetIdentifier"]: r for r in records if "SetIdentifier" in r}


def test_continents_and_countries():
    assert continent_of(53.3, -6.3) == "EU"       # Dublin
    assert continent_of(38.9, -77.0) == "NA"      # Virginia
    assert continent_of(-23.5, -46.6) == "SA"     # Sao Paulo
    assert continent_of(1.3, 103.8) == "AS"       # Singapore
    assert continent_of(-33.9, 151.2) == "OC"     # Sydney
    assert continent_of(-1.3, 36.8) == "AF"       # Nairobi
    assert continent_of(35.7, 139.7) == "AS"      # Tokyo
    assert country_of("Dublin IE") == "IE" and country_of("loopback (placed at Dublin IE)") == "IE"
    assert country_of("somewhere") is None and country_of(None) is None


def test_plan_sends_each_continent_to_its_nearest_region(engine):
    records = {(*r["GeoLocation"].items(), r["Type"]): r for r in plan(engine)}

    def values(*key: object) -> list[str]:
        return [v["Value"] for v in records[key]["ResourceRecords"]]

    assert values(("ContinentCode", "EU"), "A") == ["198.51.100.10"]
    assert values(("ContinentCode", "NA"), "A") == ["192.0.2.10"]
    assert values(("ContinentCode", "AS"), "AAAA") == ["2001:db8:3::10"]
    assert (("CountryCode", "*"), "A") in records      # a default for everyone else
    assert all(r["Name"] == "api.edgeway.test." for r in records.values())


def test_sync_creates_then_is_idempotent(engine, route53):
    client, zone_id = route53
    first = sync(client, zone_id, engine)
    assert first.applied and first.changes and first.unchanged == 0
    assert all(c["Action"] == "UPSERT" for c in first.changes)
    held = geo_records(client, zone_id)
    assert held["edgeway-geo-continent-EU-A"]["ResourceRecords"] == [{"Value": "198.51.100.10"}]
    assert held["edgeway-geo-continent-EU-A"]["GeoLocation"] == {"ContinentCode": "EU"}
    second = sync(client, zone_id, engine)
    assert second.changes == () and not second.applied
    assert second.unchanged == len(first.changes)
    assert geo_records(client, zone_id) == held


def test_failover_changes_only_the_affected_records(engine, route53):
    client, zone_id = route53
    sync(client, zone_id, engine)
    before = geo_records(client, zone_id)
    engine.set_down(["eu-west-1"])
    after = sync(client, zone_id, engine)
    changed = {c["ResourceRecordSet"]["SetIdentifier"] for c in after.changes}
    assert "edgeway-geo-continent-EU-A" in changed
    upserts = [c for c in after.changes if c["Action"] == "UPSERT"]
    assert upserts and all("198.51.100.10" not in str(c) for c in upserts)
    assert "edgeway-geo-continent-NA-A" not in changed    # North America was never in Europe
    for change in upserts:                                 # nothing rewritten as it was
        record = change["ResourceRecordSet"]
        old = before.get(record["SetIdentifier"])
        assert old is None or old["ResourceRecords"] != record["ResourceRecords"]
    held = geo_records(client, zone_id)
    assert held["edgeway-geo-continent-EU-A"]["ResourceRecords"] != [{"Value": "198.51.100.10"}]
    assert held["edgeway-geo-continent-NA-A"]["ResourceRecords"] == [{"Value": "192.0.2.10"}]
    assert sync(client, zone_id, engine).changes == ()


def test_stale_owned_records_are_deleted_and_foreign_ones_kept(engine, route53):
    client, zone_id = route53
    stale = {"Name": "api.edgeway.test.", "Type": "A", "SetIdentifier": "edgeway-geo-continent-AN-A",
             "GeoLocation": {"ContinentCode": "AN"}, "TTL": 30,
             "ResourceRecords": [{"Value": "192.0.2.99"}]}
    foreign = {"Name": "www.edgeway.test.", "Type": "A", "TTL": 300,
               "ResourceRecords": [{"Value": "192.0.2.80"}]}
    client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": stale},
        {"Action": "UPSERT", "ResourceRecordSet": foreign}]})
    result = sync(client, zone_id, engine)
    deletes = [c for c in result.changes if c["Action"] == "DELETE"]
    assert [d["ResourceRecordSet"]["SetIdentifier"] for d in deletes] == ["edgeway-geo-continent-AN-A"]
    names = {r["Name"] for r in client.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]}
    assert "www.edgeway.test." in names
    assert "edgeway-geo-continent-AN-A" not in geo_records(client, zone_id)


def test_dry_run_changes_nothing(engine, route53):
    client, zone_id = route53
    result = sync(client, zone_id, engine, dry_run=True)
    assert result.changes and not result.applied
    assert geo_records(client, zone_id) == {}


@pytest.fixture
def public_engine(tmp_path):
    """The demo config with the endpoints a cloud deployment would have."""
    text = GATEWAY_YAML.read_text()
    for port, region in (("3000", "us-east-1"), ("3002", "eu-west-1"), ("3003", "ap-southeast-1")):
        text = text.replace(f"http://127.0.0.1:{port}", f"https://{region}.api.example.com/prod")
    config = tmp_path / "gateway.yaml"
    config.write_text(text)
    return build_engine(config)


def health_checks(client):
    return {c["CallerReference"]: c for c in client.list_health_checks()["HealthChecks"]}


def test_health_checks_are_created_once_and_attached(public_engine, route53):
    client, zone_id = route53
    first = sync(client, zone_id, public_engine, health_checks=True)
    checks = health_checks(client)
    assert len(checks) == 3 and len(first.health_checks_created) == 3
    eu = next(c for ref, c in checks.items() if "eu-west-1" in ref)
    assert eu["HealthCheckConfig"]["FullyQualifiedDomainName"] == "eu-west-1.api.example.com"
    assert eu["HealthCheckConfig"]["ResourcePath"] == "/prod/health"
    held = geo_records(client, zone_id)
    assert held["edgeway-geo-continent-EU-A"]["HealthCheckId"] == eu["Id"]
    assert "HealthCheckId" not in held["edgeway-geo-default-A"]      # the last resort
    second = sync(client, zone_id, public_engine, health_checks=True)
    assert second.changes == () and second.health_checks_created == ()
    assert health_checks(client) == checks


def test_a_moved_endpoint_gets_a_new_check_and_the_old_one_goes(public_engine, route53, tmp_path):
    client, zone_id = route53
    sync(client, zone_id, public_engine, health_checks=True)
    old_ids = {c["Id"] for c in health_checks(client).values()}
    config = tmp_path / "moved.yaml"
    config.write_text((tmp_path / "gateway.yaml").read_text().replace(
        "https://eu-west-1.api.example.com/prod", "https://eu.example.net"))
    moved = build_engine(config)
    result = sync(client, zone_id, moved, health_checks=True)
    assert len(result.health_checks_created) == 1 and len(result.health_checks_deleted) == 1
    now = health_checks(client)
    assert len(now) == 3 and len({c["Id"] for c in now.values()} - old_ids) == 1
    eu = geo_records(client, zone_id)["edgeway-geo-continent-EU-A"]["HealthCheckId"]
    assert now[next(r for r in now if "eu-west-1" in r)]["Id"] == eu


def test_loopback_endpoints_get_no_health_check(engine, route53):
    client, zone_id = route53
    result = sync(client, zone_id, engine, health_checks=True)
    assert sorted(result.health_checks_skipped) == ["ap-southeast-1", "eu-west-1", "us-east-1"]
    assert health_checks(client) == {}
