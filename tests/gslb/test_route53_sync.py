"""Route 53 CIDR sync against the in-repo fake (edgeway_local.route53_cidr), every call
also replayed through a real botocore client with a Stubber: parameters and responses
are checked against botocore's own service model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from edgeway.errors import ConfigError
from edgeway_local.route53_cidr import FakeApiGatewayV2, FakeRoute53, local_domains
from gslb import build_engine
from gslb.route53_sync import Route53Sync, Route53SyncError

GATEWAY_YAML = Path(__file__).resolve().parents[2] / "gateway.yaml"
DOMAIN = "api.edgeway.test"


class Checked:
    """A fake client whose every call is replayed through a stubbed real client."""

    def __init__(self, fake: Any, service: str, region: str = "us-east-1") -> None:
        self.fake = fake
        self.real = boto3.client(service, region_name=region, aws_access_key_id="x",
                                 aws_secret_access_key="x")
        self.stubber = Stubber(self.real)
        self.stubber.activate()
        self.calls: list[str] = []

    def __getattr__(self, method: str) -> Any:
        def call(**params: Any) -> Any:
            try:
                response = getattr(self.fake, method)(**params)
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code")
                if code is None:
                    raise
                self.stubber.add_client_error(method, service_error_code=code, expected_params=params)
                getattr(self.real, method)(**params)        # raises the real client's ClientError
                raise AssertionError("unreachable")
            self.stubber.add_response(method, response, expected_params=params)
            self.calls.append(method)
            return getattr(self.real, method)(**params)
        return call


@pytest.fixture
def engine():
    return build_engine(GATEWAY_YAML)


@pytest.fixture
def fake():
    r53 = FakeRoute53()
    r53.create_hosted_zone_for_test("edgeway.test", "Z0ZONE")
    return r53


def make_sync(fake: FakeRoute53, apis: dict[str, Any] | None = None, **kw: Any) -> Route53Sync:
    apis = apis if apis is not None else local_domains(DOMAIN, ["us-east-1", "eu-west-1", "ap-southeast-1"])
    checked = {r: Checked(a, "apigatewayv2", r) for r, a in apis.items()}
    sleeps: list[float] = []
    sync = Route53Sync(Checked(fake, "route53"), checked, "Z0ZONE", DOMAIN, stage="test",
                       sleep=sleeps.append, **kw)
    sync.sleeps = sleeps  # type: ignore[attr-defined]
    return sync


def changes_sent(sync: Route53Sync) -> list[str]:
    return [c for c in sync.route53.calls if c.startswith(("change_", "create_", "delete_"))]


def test_dry_run_shows_the_changes_and_sends_nothing(engine, fake):
    sync = make_sync(fake)
    result = sync.run(engine, dry_run=True)
    assert not result.applied and result.collection_changes and result.record_changes
    assert changes_sent(sync) == []
    puts = {c["LocationName"]: len(c["CidrList"]) for c in result.collection_changes}
    assert puts == {r: len(b) for r, b in result.plan.locations.items()}


def test_first_run_publishes_and_a_second_run_changes_nothing(engine, fake):
    first = make_sync(fake).run(engine)
    assert first.applied
    again = make_sync(fake)
    second = again.run(engine)
    assert not second.changed and not second.applied
    assert changes_sent(again) == []
    # Route 53 now answers the Engine's region for every publishable table prefix
    for net in engine.networks:
        if net.prefix.prefixlen <= (24 if net.prefix.version == 4 else 48):
            addr = str(net.prefix.network_address)
            location, record = fake.answer("Z0ZONE", DOMAIN, addr)
            assert location == engine.resolve(addr).region.name, addr


def test_region_down_moves_its_blocks_in_one_versioned_request(engine, fake):
    make_sync(fake).run(engine)
    version = fake.list_cidr_collections()["CidrCollections"][0]["Version"]
    engine.set_down(["eu-west-1"])
    sync = make_sync(fake)
    result = sync.run(engine)
    assert [c for c in sync.route53.calls if c == "change_cidr_collection"] == ["change_cidr_collection"]
    assert fake.list_cidr_collections()["CidrCollections"][0]["Version"] == version + 1
    assert "eu-west-1" not in result.plan.locations
    assert {c["SetIdentifier"] for c in (x["ResourceRecordSet"] for x in result.record_changes)} == \
        {"edgeway-cidr-eu-west-1"}
    location, record = fake.answer("Z0ZONE", DOMAIN, "198.51.100.7")
    assert location == engine.resolve("198.51.100.7").region.name != "eu-west-1"
    assert not make_sync(fake).run(engine).changed


def test_an_unhealthy_location_falls_to_the_default_and_its_latency_set(engine, fake):
    make_sync(fake).run(engine)
    location, record = fake.answer("Z0ZONE", DOMAIN, "198.51.100.7")
    assert location == "eu-west-1"
    fake.set_health(record["HealthCheckId"], False)
    location, record = fake.answer("Z0ZONE", DOMAIN, "198.51.100.7",
                                   latency_order=lambda regions: sorted(regions, key="eu-west-1".__ne__))
    assert location == "*" and record["Region"] != "eu-west-1"      # never the unhealthy region


def test_a_lost_race_re_reads_and_retries(engine, fake):
    fake.failures.append(("ChangeCidrCollection", "CidrCollectionVersionMismatchException"))
    sync = make_sync(fake)
    result = sync.run(engine)
    assert result.applied and result.retries == 1 and sync.sleeps == [0.5]
    assert not make_sync(fake).run(engine).changed


def test_throttling_backs_off_and_retries(engine, fake):
    fake.failures += [("ListCidrBlocks", "Throttling"), ("ChangeResourceRecordSets", "PriorRequestNotComplete")]
    sync = make_sync(fake)
    assert sync.run(engine).applied
    assert sync.sleeps == [0.5, 0.5]


def test_a_race_lost_every_time_fails_cleanly(engine, fake):
    fake.failures += [("ChangeCidrCollection", "CidrCollectionVersionMismatchException")] * 5
    with pytest.raises(Route53SyncError, match="CidrCollectionVersionMismatch"):
        make_sync(fake).run(engine)
    assert fake.list_cidr_collections()["CidrCollections"][0]["Version"] == 1     # nothing applied


def test_what_edgeway_does_not_own_is_never_touched(engine, fake):
    theirs = fake.create_cidr_collection(Name="someone-else", CallerReference="x")["Collection"]["Id"]
    fake.change_cidr_collection(Id=theirs, Changes=[{"LocationName": "office", "Action": "PUT",
                                                     "CidrList": ["192.0.2.0/24"]}])
    foreign = {"Name": "www.edgeway.test.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}
    fake.change_resource_record_sets(HostedZoneId="Z0ZONE", ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": foreign}]})
    make_sync(fake).run(engine)
    engine.set_down(["ap-southeast-1"])
    make_sync(fake).run(engine)
    assert fake.list_cidr_blocks(CollectionId=theirs)["CidrBlocks"] == [{"CidrBlock": "192.0.2.0/24",
                                                                         "LocationName": "office"}]
    records = fake.list_resource_record_sets(HostedZoneId="Z0ZONE")["ResourceRecordSets"]
    assert foreign in records


def test_a_region_without_the_custom_domain_is_named_and_skipped(engine, fake):
    apis = local_domains(DOMAIN, ["us-east-1", "ap-southeast-1"])
    apis["eu-west-1"] = FakeApiGatewayV2("eu-west-1")
    result = make_sync(fake, apis).run(engine)
    assert result.skipped == ("eu-west-1: no API Gateway custom domain api.edgeway.test (deploy the "
                              "eu-west-1 stack with DomainName, CertificateArn and HostedZoneId)",)
    assert "eu-west-1" not in result.plan.locations
    assert all("eu-west-1" not in str(c) for c in result.record_changes)


def test_a_certificate_from_another_region_is_named(engine, fake):
    apis = local_domains(DOMAIN, ["us-east-1", "eu-west-1", "ap-southeast-1"])
    apis["eu-west-1"].domains[DOMAIN]["certificate"] = "arn:aws:acm:us-east-1:123456789012:certificate/x"
    result = make_sync(fake, apis).run(engine, dry_run=True)
    assert len(result.skipped) == 1
    assert result.skipped[0].startswith("eu-west-1: custom domain api.edgeway.test uses certificate "
                                        "arn:aws:acm:us-east-1:")
    assert "needs an ACM certificate in eu-west-1" in result.skipped[0]


def test_a_domain_outside_the_hosted_zone_is_a_config_error(engine, fake):
    sync = make_sync(fake)
    sync.domain = "api.example.com"
    with pytest.raises(ConfigError, match=r"api.example.com is not inside hosted zone Z0ZONE \(edgeway.test.\)"):
        sync.run(engine)


def test_more_than_1000_block_changes_go_in_several_requests(fake):
    from gslb.networks import Network, NetworkTable
    import ipaddress

    table = NetworkTable(Network(ipaddress.ip_network(f"100.{i // 256}.{i % 256}.0/24"),
                                 *[(50.1, 8.7), (38.9, -77.0), (1.3, 103.8)][i % 3]) for i in range(2500))
    engine = build_engine(GATEWAY_YAML, networks=table)
    sync = make_sync(fake, max_blocks=3000)
    assert sync.run(engine).applied
    assert sync.route53.calls.count("change_cidr_collection") == 3
    assert not make_sync(fake, max_blocks=3000).run(engine).changed


def test_the_scheduled_function_runs_every_publisher(monkeypatch, fake):
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("EDGEWAY_CONFIG", str(GATEWAY_YAML))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("EDGEWAY_DOMAIN_NAME", DOMAIN)
    monkeypatch.setenv("EDGEWAY_HOSTED_ZONE_ID", "Z0ZONE")
    monkeypatch.delenv("EDGEWAY_GSLB_TABLE", raising=False)
    spec = importlib.util.spec_from_file_location("route53_sync_app", root / "functions" / "route53_sync" / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    assert [p.name for p in app.PUBLISHERS] == ["route53"] and app.PUBLISHERS[0].zone_id == "Z0ZONE"

    class Other:
        name = "other"

        def publish(self, engine, *, dry_run):
            return {"dry_run": dry_run, "generation": engine.generation}

    monkeypatch.setattr(app, "PUBLISHERS", [make_sync(fake), Other()])
    out = app.handler({"dry_run": True}, None)
    assert out["route53"]["applied"] is False and out["route53"]["collection_changes"]
    assert out["other"]["dry_run"] is True
    assert app.handler({}, None)["route53"]["applied"] is True
