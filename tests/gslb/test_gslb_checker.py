"""The health checker against real local HTTP listeners: prober, loop, Lambda handler."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from gslb.checker import HealthChecker
from gslb.config import load_gslb_config
from gslb.engine import Engine
from gslb.health import Health
from gslb.prober import probe
from gslb.store import StoreError

from tests.aws_tables import create_pk_sk_table
from tests.gslb.conftest import Region

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def regions(region_listeners: Callable[..., dict[str, Region]]) -> dict[str, Region]:
    return region_listeners("us-east-1", "eu-west-1")


def config_file(tmp_path: Path, regions: dict[str, Region], *, interval: float = 1.0) -> Path:
    text = "regions:\n"
    for i, (name, listener) in enumerate(regions.items()):
        text += (f"  - name: {name}\n    endpoint: {listener.url}\n    ipv4: [192.0.2.{i + 1}]\n"
                 f"    location: {{lat: {10 * i}, lon: {10 * i}}}\n")
    text += (f"gslb:\n  health: {{interval_s: {interval}, timeout_s: {min(0.5, interval)}, rise: 2, fall: 2, "
             "quorum: 1, stale_after_s: 60}\n")
    path = tmp_path / "gslb.yaml"
    path.write_text(text)
    return path


def test_probe_passes_on_2xx_and_fails_on_5xx_refusal_and_timeout(regions: dict[str, Region]) -> None:
    eu = regions["eu-west-1"]
    ok = probe("eu-west-1", eu.url, timeout_s=2)
    assert ok.ok and ok.status == 200 and ok.load == 0.25
    eu.status = 503
    failed = probe("eu-west-1", eu.url, timeout_s=2)
    assert not failed.ok and failed.status == 503 and failed.error == "HTTP 503"
    refused = probe("eu-west-1", "http://127.0.0.1:9", timeout_s=2)
    assert not refused.ok and refused.status is None and refused.error
    eu.status = 200
    eu.hang.set()
    slow = probe("eu-west-1", eu.url, timeout_s=0.2)
    assert not slow.ok and slow.status is None


def test_checker_feeds_the_engine(tmp_path: Path, regions: dict[str, Region]) -> None:
    config = load_gslb_config(config_file(tmp_path, regions))
    engine = Engine(config)
    checker = HealthChecker(config, vantage="us-east-1", engine=engine)
    for _ in range(2):
        checker.run_round()
    assert engine.health()["eu-west-1"].state is Health.UP
    regions["eu-west-1"].status = 500
    for _ in range(2):
        report = checker.run_round()
    assert report["eu-west-1"].status == 500
    assert checker.cells["eu-west-1"].state is Health.DOWN
    assert engine.health()["eu-west-1"].state is Health.DOWN  # quorum 1 in this config


def test_run_until_leaves_a_margin_of_the_remaining_time(tmp_path: Path, regions: dict[str, Region]) -> None:
    config = load_gslb_config(config_file(tmp_path, regions, interval=1.0))
    checker = HealthChecker(config, vantage="us-east-1")
    fake = {"now": 0.0}
    seen: list[float] = []

    def remaining() -> float:
        return 10.0 - fake["now"]

    def sleep(seconds: float) -> None:
        seen.append(remaining())
        fake["now"] += seconds

    reports = checker.run_until(remaining, sleep=sleep)
    # rounds start at t = 0..7 (remaining 10..3 > timeout 0.5 + margin 2); no round starts later
    assert len(reports) == 8
    assert min(seen) > config.health.timeout_s + 2.0 - 1.0


@pytest.fixture()
def aws(fake_aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_pk_sk_table(client, "GslbTable")
    return client


def test_lambda_handler_records_health_and_resumes_streaks(
        tmp_path: Path, regions: dict[str, Region], aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGEWAY_CONFIG", str(config_file(tmp_path, regions)))
    monkeypatch.setenv("EDGEWAY_GSLB_TABLE", "GslbTable")
    monkeypatch.setenv("EDGEWAY_REGION", "eu-west-1")
    monkeypatch.delenv("EDGEWAY_REGION_ENDPOINTS", raising=False)
    spec = importlib.util.spec_from_file_location("health_checker_app", ROOT / "functions/health_checker/app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    regions["us-east-1"].status = 503
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    first = app.handler(event, None)
    assert first["vantage"] == "eu-west-1" and first["rounds"] == 1
    assert first["regions"] == {"us-east-1": "unknown", "eu-west-1": "unknown"}
    # a new invocation (cold or warm) continues the streaks stored in DynamoDB
    second = app.handler(event, None)
    assert second["regions"] == {"us-east-1": "down", "eu-west-1": "up"}
    everything = aws.scan(TableName="GslbTable")["Items"]
    items = [i for i in everything if i["pk"]["S"].startswith("health#")]
    assert {(i["pk"]["S"], i["sk"]["S"], i["state"]["S"]) for i in items} == {
        ("health#us-east-1", "vantage#eu-west-1", "down"), ("health#eu-west-1", "vantage#eu-west-1", "up")}
    assert all(int(i["expires_at"]["N"]) > float(i["last_at"]["N"]) for i in items)
    # each change of state is also kept, with a TTL, for the console's timeline
    changes = [i for i in everything if i["pk"]["S"] == "transition"]
    assert {(i["region"]["S"], i["from"]["S"], i["to"]["S"]) for i in changes} == {
        ("us-east-1", "unknown", "down"), ("eu-west-1", "unknown", "up")}
    assert all(int(i["expires_at"]["N"]) > float(i["at"]["N"]) for i in changes)


def test_lambda_handler_with_a_context_loops_within_its_budget(
        tmp_path: Path, regions: dict[str, Region], aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGEWAY_CONFIG", str(config_file(tmp_path, regions, interval=0.5)))
    monkeypatch.setenv("EDGEWAY_GSLB_TABLE", "GslbTable")
    monkeypatch.setenv("EDGEWAY_REGION", "us-east-1")
    spec = importlib.util.spec_from_file_location("health_checker_app2", ROOT / "functions/health_checker/app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 60_000

    result = app.handler({"max_rounds": 3}, Context())
    assert result["rounds"] == 3 and result["regions"] == {"us-east-1": "up", "eu-west-1": "up"}


class FlakyStore:
    """A store whose writes fail while ``failing`` is set."""

    def __init__(self) -> None:
        self.failing = True
        self.writes = 0

    def put_health(self, *args: Any, **kwargs: Any) -> None:
        if self.failing:
            raise StoreError("writing health: table not found")
        self.writes += 1

    def put_transition(self, *args: Any, **kwargs: Any) -> None:
        pass  # transitions are not what this test is about


def test_a_failing_store_is_reported_once_and_its_recovery_too(
        tmp_path: Path, regions: dict[str, Region], caplog: pytest.LogCaptureFixture) -> None:
    config = load_gslb_config(config_file(tmp_path, regions))
    store = FlakyStore()
    engine = Engine(config)
    checker = HealthChecker(config, vantage="us-east-1", store=store, engine=engine)  # type: ignore[arg-type]
    with caplog.at_level("WARNING", logger="gslb.checker"):
        for _ in range(5):
            checker.run_round()
        assert engine.health()["eu-west-1"].state is Health.UP  # probing goes on regardless
        failures = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert len(failures) == 2  # one per region, not one per probe
        assert all("table not found" in m and "said once" in m for m in failures)
        store.failing = False
        checker.run_round()
        checker.run_round()
    assert store.writes == 4
    recovered = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert sorted(recovered) == ["recording health of eu-west-1 from us-east-1 works again",
                                 "recording health of us-east-1 from us-east-1 works again"]
