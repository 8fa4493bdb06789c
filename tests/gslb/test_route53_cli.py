"""`edgeway gslb route53-plan` and `edgeway gslb sync-route53 --local` through the real CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from edgeway_local.commands import gslb_route53
from gslb.health import Health, VantageHealth
from gslb.store import GslbStore

from tests.gslb.conftest import CONFIG, LOCAL_GSLB_TABLE, run


def test_route53_plan_json_has_locations_default_records_and_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "route53-plan", "--config", CONFIG, "--json")
    plan = json.loads(out)
    assert code == 0
    assert {"locations", "default", "records", "dropped"} <= set(plan)
    assert "198.51.100.0/24" in plan["locations"]["eu-west-1"]
    assert plan["default"].startswith("_latency.api.edgeway.test.")
    assert plan["dropped"] == [{"prefix": "::1/128", "region": "eu-west-1",
                                "reason": "longer-than-route53-allows"}]


def test_route53_plan_ips_file_prints_what_route53_answers(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    ips = tmp_path / "ips.txt"
    ips.write_text("198.51.100.7\n100.64.0.1\nnot-an-ip\n")
    code, out, _ = run(capsys, "route53-plan", "--config", CONFIG, "--down", "eu-west-1", "--ips-file", str(ips))
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == 1                                   # one bad line
    assert lines[0] == {"ip": "198.51.100.7", "location": "us-east-1", "region": "us-east-1"}
    assert lines[1]["location"] == "*"
    assert "not an IP address" in lines[2]["error"]


def test_route53_plan_unknown_down_region_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "route53-plan", "--config", CONFIG, "--down", "mars-1")
    assert code == 2 and "mars-1" in err


def test_sync_local_dry_run_then_real_then_nothing_then_region_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        local_table: Any) -> None:
    monkeypatch.setattr(gslb_route53, "LOCAL_STATE", tmp_path / "route53.json")
    code, out, _ = run(capsys, "sync-route53", "--local", "--config", CONFIG, "--dry-run")
    assert code == 0 and out.startswith("would send 3 CIDR collection change(s), 14 record change(s)")
    assert not (tmp_path / "route53.json").exists() or "edgeway-cidr" not in (tmp_path / "route53.json").read_text()
    code, out, _ = run(capsys, "sync-route53", "--local", "--config", CONFIG)
    assert code == 0 and out.startswith("sent 3 CIDR collection change(s), 14 record change(s)")
    code, out, _ = run(capsys, "sync-route53", "--local", "--config", CONFIG)
    assert out.startswith("no change: 0 CIDR collection change(s), 0 record change(s)")
    store = GslbStore(LOCAL_GSLB_TABLE, local_table)
    now = time.time()
    for vantage in ("us-east-1", "ap-southeast-1", "eu-west-1"):
        store.put_health(vantage, "eu-west-1", VantageHealth(Health.DOWN, 0, 5, now, now), ttl_s=300)
    code, out, _ = run(capsys, "sync-route53", "--local", "--config", CONFIG, "--json")
    summary = json.loads(out)
    assert "eu-west-1" not in summary["blocks"]
    assert {(c["Action"], c["LocationName"]) for c in summary["collection_changes"]} == {
        ("DELETE_IF_EXISTS", "eu-west-1"), ("PUT", "us-east-1"), ("PUT", "ap-southeast-1")}
