"""The GSLB inside the local stack: probe loops per vantage x region fail a region over and back."""

from __future__ import annotations

import time
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

import edgeway_local.gslb_local
from edgeway_local.gslb_local import start_local_gslb
from edgeway_local.ports import free_port
from gslb.health import Health
from gslb.observations import Observation
from gslb.store import GslbStore

from tests.aws_tables import create_pk_sk_table
from tests.gslb.conftest import Region, wait_for

pytestmark = pytest.mark.slow


def test_region_down_fails_over_and_back(tmp_path: Path, listeners: dict[str, Region]) -> None:
    config = tmp_path / "gslb.yaml"
    config.write_text((Path(__file__).resolve().parents[2] / "gateway.yaml").read_text().replace(
        "interval_s: 1.0", "interval_s: 0.1").replace("timeout_s: 0.8", "timeout_s: 0.1"))
    local = start_local_gslb(config, region_urls={n: l.url for n, l in listeners.items()},
                             dns_port=free_port(), gslb_table="", dynamodb_client=None)
    try:
        engine = local.engine
        assert wait_for(lambda: all(h.state is Health.UP for h in engine.health().values()))
        assert engine.resolve("198.51.100.7").region.name == "eu-west-1"
        listeners["eu-west-1"].status = 503  # what `edgeway region down eu-west-1` does
        assert wait_for(lambda: engine.resolve("198.51.100.7").region.name != "eu-west-1")
        assert engine.resolve("198.51.100.7").region.name == "us-east-1"
        listeners["eu-west-1"].status = 200
        assert wait_for(lambda: engine.resolve("198.51.100.7").region.name == "eu-west-1")
        assert any("GSLB" in line for line in local.banner_lines())
    finally:
        local.stop()
    assert not any(t.is_alive() for t in local.threads)


def test_probes_reach_the_table_and_observations_reach_the_engine(
        tmp_path: Path, listeners: dict[str, Region], monkeypatch: pytest.MonkeyPatch) -> None:
    """With moto in server mode, as `edgeway serve` runs it (threads write concurrently)."""
    monkeypatch.setattr(edgeway_local.gslb_local, "OBSERVATION_POLL_S", 0.2)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        create_pk_sk_table(client, "GslbTable")
        config = tmp_path / "gslb.yaml"
        config.write_text((Path(__file__).resolve().parents[2] / "gateway.yaml").read_text().replace(
            "interval_s: 1.0", "interval_s: 0.2").replace("timeout_s: 0.8", "timeout_s: 0.2"))
        local = start_local_gslb(config, region_urls={n: l.url for n, l in listeners.items()},
                                 dns_port=free_port(), gslb_table="GslbTable", dynamodb_client=client)
        try:
            store = GslbStore("GslbTable", client)
            assert wait_for(lambda: len([c for c in store.read_health(
                local.engine.config.region_names, now=time.time()) if c[2].state is Health.UP]) == 9)
            # what `edgeway gslb observe` writes: the Frankfurt client measured faster to us-east-1
            store.put_observations([Observation("198.51.100.0/24", "us-east-1", 12.0),
                                    Observation("198.51.100.0/24", "eu-west-1", 40.0)],
                                   now=time.time(), max_age_s=3600)
            assert wait_for(lambda: "(measured)" in local.engine.resolve("198.51.100.7").reason)
            assert local.engine.resolve("198.51.100.7").region.name == "us-east-1"
        finally:
            local.stop()
    finally:
        server.stop()
