"""`edgeway gslb resolve|observe|status` through the real CLI entry point."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from gslb.health import Health, VantageHealth
from gslb.store import GslbStore

from tests.gslb.conftest import CONFIG, LOCAL_GSLB_TABLE, run

EUROPE = "198.51.100.7"  # the default networks table places 198.51.100.0/24 in Frankfurt


def test_resolve_european_client(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "resolve", "--ip", EUROPE, "--config", CONFIG, "--json")
    answer = json.loads(out)
    assert code == 0
    assert answer["region"] == "eu-west-1" and answer["addresses"] == ["198.51.100.10", "2001:db8:2::10"]
    assert [a["region"] for a in answer["alternatives"]] == ["us-east-1", "ap-southeast-1"]
    assert answer["reason"].startswith("eu-west-1: lowest modelled latency")
    assert answer["prefix"] == "198.51.100.0/24"
    code, out, _ = run(capsys, "resolve", "--ip", EUROPE, "--config", CONFIG)
    assert code == 0 and out.startswith(f"{EUROPE} -> eu-west-1")


def test_resolve_with_regions_down(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "resolve", "--ip", EUROPE, "--config", CONFIG, "--down", "eu-west-1", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["region"] == "us-east-1"
    assert answer["alternatives"][-1]["region"] == "eu-west-1"
    code, out, _ = run(capsys, "resolve", "--ip", EUROPE, "--config", CONFIG, "--json",
                       "--down", "eu-west-1,us-east-1,ap-southeast-1")
    assert code == 0 and "fail open" in json.loads(out)["reason"]  # never an empty answer


def test_resolve_with_observations_and_own_networks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    networks = tmp_path / "networks.csv"
    networks.write_text("prefix,lat,lon,label\n100.64.1.0/24,25.76,-80.19,Miami\n"
                        "100.64.2.0/24,26.1,-80.1,Fort Lauderdale\n100.64.3.0/24,25.5,-80.4,Homestead\n")
    observations = tmp_path / "rtt.csv"
    observations.write_text("client,region,rtt_ms\n100.64.2.1,us-east-1,95\n100.64.2.1,eu-west-1,60\n"
                            "100.64.3.0/24,us-east-1,99\n100.64.3.0/24,eu-west-1,64\n")
    base = ["resolve", "--ip", "100.64.1.9", "--config", CONFIG, "--networks", str(networks), "--json"]
    code, out, _ = run(capsys, *base)
    assert json.loads(out)["region"] == "us-east-1"  # the map says so
    code, out, _ = run(capsys, *base, "--observations", str(observations))
    answer = json.loads(out)
    assert code == 0 and answer["region"] == "eu-west-1" and "(learned)" in answer["reason"]


def test_resolve_ips_file_one_json_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ips = tmp_path / "ips.txt"
    ips.write_text("# clients\n198.51.100.7\n2001:db8:300::1\n\nnot-an-ip\n192.0.2.1\n")
    code, out, _ = run(capsys, "resolve", "--ips-file", str(ips), "--config", CONFIG)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line.get("region") for line in lines] == ["eu-west-1", "ap-southeast-1", None, "us-east-1"]
    assert lines[2]["error"].endswith(":5: not an IP address")
    assert code == 1  # one bad address: the others still answered


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "resolve", "--ip", "300.1.1.1", "--config", CONFIG)
    assert code == 2 and "not an IP address" in err
    code, _, err = run(capsys, "resolve", "--ip", EUROPE, "--config", CONFIG, "--down", "mars-1")
    assert code == 2 and "mars-1" in err
    bad = tmp_path / "rtt.csv"
    bad.write_text("client,region,rtt_ms\n198.51.100.7,eu-west-1,20\n198.51.100.8,eu-west-1,fast\n")
    code, _, err = run(capsys, "resolve", "--ip", EUROPE, "--config", CONFIG, "--observations", str(bad))
    assert code == 2 and f"{bad}:3" in err and "rtt_ms" in err
    code, _, err = run(capsys, "observe", str(bad), "--config", CONFIG, "--dry-run")
    assert code == 2 and f"{bad}:3" in err
    bad.write_text("198.51.100.7,mars-1,20\n")
    code, _, err = run(capsys, "observe", str(bad), "--config", CONFIG, "--dry-run")
    assert code == 2 and f"{bad}:1" in err and "mars-1" in err
    cfg = tmp_path / "gslb.yaml"
    cfg.write_text("regions:\n  - name: x\n    endpoint: http://x\n    location: {lat: 0, lon: 0}\n")
    code, _, err = run(capsys, "resolve", "--ip", EUROPE, "--config", str(cfg))
    assert code == 2 and f"{cfg}:2: regions[0].ipv4" in err


def test_observe_dry_run_prints_what_it_parsed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rtt.csv"
    rows.write_text("198.51.100.7,eu-west-1,21.5\n2001:db8:200::/48,us-east-1,90\n")
    code, out, _ = run(capsys, "observe", str(rows), "--config", CONFIG, "--dry-run", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"client": "198.51.100.7", "region": "eu-west-1", "rtt_ms": 21.5, "at": None},
        {"client": "2001:db8:200::/48", "region": "us-east-1", "rtt_ms": 90.0, "at": None}]


def test_observe_writes_to_the_local_table_and_status_reads_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], local_table: Any) -> None:
    rows = tmp_path / "rtt.csv"
    rows.write_text("198.51.100.7,eu-west-1,21.5\n198.51.100.8,us-east-1,90\n")
    code, out, _ = run(capsys, "observe", str(rows), "--config", CONFIG)
    assert code == 0 and out.startswith("2 observation(s) written")
    store = GslbStore(LOCAL_GSLB_TABLE, local_table)
    assert len(store.read_observations(now=time.time())) == 2
    now = time.time()
    for vantage in ("us-east-1", "ap-southeast-1"):
        store.put_health(vantage, "eu-west-1", VantageHealth(Health.DOWN, 0, 5, now, now), ttl_s=300)
    code, out, err = run(capsys, "status", "--config", CONFIG, "--json", "--control-url", "http://127.0.0.1:9")
    report = {r["region"]: r for r in json.loads(out)["regions"]}
    assert code == 0
    assert report["eu-west-1"]["health"] == "down"
    assert report["eu-west-1"]["vantages"]["us-east-1"]["state"] == "down"
    assert report["us-east-1"]["health"] == "unknown"
    assert "control API" in json.loads(out)["problems"][0]


def test_gslb_without_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 2 and "resolve" in out and "observe" in out and "status" in out


def test_resolve_observations_lenient_on_foreign_regions_and_old_timestamps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A measurement data set from last year, covering more regions than this config."""
    observations = tmp_path / "rtt.csv"
    observations.write_text("client,region,rtt_ms,at\n198.51.100.7,eu-west-1,0,2025-01-01T00:00:00Z\n"
                            "198.51.100.7,us-east-1,9,2025-01-01T00:00:00Z\n"
                            "198.51.100.7,eu-central-1,3,2025-01-01T00:00:00Z\n")
    code, out, err = run(capsys, "resolve", "--ip", EUROPE, "--config", CONFIG, "--json",
                         "--observations", str(observations))
    answer = json.loads(out)
    assert code == 0 and answer["region"] == "eu-west-1" and answer["latency_ms"] == 0.0
    assert "(measured)" in answer["reason"]  # not aged out: offline, now is the newest sample
    assert "eu-central-1" in err and "ignored" in err


def test_observation_header_names_are_free(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rtt.csv"
    rows.write_text("ip,aws_region,latency_ms\n198.51.100.7,eu-west-1,21.5\n")
    code, out, _ = run(capsys, "observe", str(rows), "--config", CONFIG, "--dry-run", "--json")
    assert code == 0 and len(json.loads(out)) == 1
    rows.write_text("198.51.100.7,eu-west-1,21.5\nnot-an-ip,eu-west-1,fast\n")  # not a header: line 2
    code, _, err = run(capsys, "observe", str(rows), "--config", CONFIG, "--dry-run")
    assert code == 2 and f"{rows}:2" in err
