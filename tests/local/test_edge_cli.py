"""`edgeway gslb sync-edge` and `edgeway edge decide` as a user runs them (the fake store, node)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeway_local.cli import main

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "gateway.yaml")


def _decide(store: Path, capsys: pytest.CaptureFixture[str], method: str = "GET") -> dict:
    assert main(["edge", "decide", "198.51.100.7", "--store", str(store), "--method", method,
                 "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_sync_then_decide_follows_a_region_going_down(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "kvs.json"
    assert main(["gslb", "sync-edge", "--offline", "--config", CONFIG, "--store", str(store)]) == 0
    assert "changed 391 key(s)" in capsys.readouterr().out
    first = _decide(store, capsys)
    assert first["region"] == "eu-west-1"
    assert first["picked"] == [{"group": {"originIds": ["eu-west-1", "us-east-1"],
                                          "failoverCriteria": {"statusCodes": [500, 502, 503, 504]}}}]
    assert _decide(store, capsys, "POST")["picked"] == [{"origin": "eu-west-1"}]

    assert main(["gslb", "sync-edge", "--offline", "--config", CONFIG, "--store", str(store),
                 "--down", "eu-west-1", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "PUT    down" in dry and "dry run: nothing written" in dry
    assert _decide(store, capsys)["region"] == "eu-west-1"        # a dry run writes nothing

    assert main(["gslb", "sync-edge", "--offline", "--config", CONFIG, "--store", str(store),
                 "--down", "eu-west-1"]) == 0
    capsys.readouterr()
    assert _decide(store, capsys)["region"] == "us-east-1"


def test_sync_keeps_the_last_good_set_when_health_cannot_be_read(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "kvs.json"
    assert main(["gslb", "sync-edge", "--offline", "--config", CONFIG, "--store", str(store)]) == 0
    before = store.read_text()
    capsys.readouterr()
    assert main(["gslb", "sync-edge", "--config", CONFIG, "--store", str(store),
                 "--moto-url", "http://127.0.0.1:9", "--down", "eu-west-1"]) == 1
    out = capsys.readouterr().out
    assert "kept the last good decision set: health unreadable" in out
    assert store.read_text() == before


def test_decide_without_a_store_says_what_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edge", "decide", "198.51.100.7", "--store", str(tmp_path / "none.json")]) == 1
    assert "run `edgeway gslb sync-edge` first" in capsys.readouterr().err


def test_cache_patterns_of_the_demo_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edge", "cache-patterns", "--config", CONFIG]) == 0
    assert capsys.readouterr().out.split() == ["/v1/users/*"]
