"""Helpers for the rate-limit tests: moto server, clients, a fake clock, events."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from edgeway.clients import Clients
from edgeway.config import parse_config
from edgeway.context import BuildContext, Handler
from edgeway.http import Principal, Request, Response
from edgeway.observability import Observability, quiet_logger
from edgeway.edge import Edge
from edgeway.settings import Settings
from edgeway.stages.health import HealthStage
from edgeway.stages.routing import RouteStage
from edgeway_local.ports import free_port

from .aws_tables import create_pk_sk_table
from .fakes import FakeClock, NullMetrics

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
TABLE = "edgeway-test-CountersTable"
# 2026-11-29 12:00:00 UTC
NOON = 1_795_953_600.0


@dataclass
class Moto:
    url: str

    def client(self, region: str = "us-east-1") -> Any:
        return boto3.client("dynamodb", region_name=region, endpoint_url=self.url, **CREDS)

    def create_table(self, name: str = TABLE, region: str = "us-east-1") -> str:
        client = self.client(region)
        try:
            client.delete_table(TableName=name)
        except client.exceptions.ResourceNotFoundException:
            pass
        create_pk_sk_table(client, name)
        return name

    def item(self, pk: str, sk: str, region: str = "us-east-1", table: str = TABLE) -> dict:
        got = self.client(region).get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        return got.get("Item", {})


def atomic_moto_server(port: int) -> Any:
    from edgeway_local.moto_server import atomic_moto_server as make

    return make("127.0.0.1", port)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Moto]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = atomic_moto_server(port)
    server.start()
    try:
        yield Moto(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: Moto) -> Moto:
    moto_server.create_table()
    return moto_server


class EndpointClients(Clients):
    """Clients pointed at a local endpoint (moto server or a faulty proxy)."""

    def __init__(self, region: str, endpoint: str, *, read_timeout: float | None = None) -> None:
        super().__init__(region)
        self.endpoint = endpoint
        self.forced_read_timeout = read_timeout

    def _create(self, service: str, read_timeout: float | None, region: str | None = None,
                attempts: int = 1) -> Any:
        from botocore.config import Config

        config = Config(connect_timeout=2, read_timeout=self.forced_read_timeout or read_timeout or 30,
                        retries={"total_max_attempts": attempts, "mode": "standard"},
                        max_pool_connections=32)
        return boto3.client(service, region_name=region or self.region, endpoint_url=self.endpoint,
                            config=config, **CREDS)


_LOGGER = quiet_logger("edgeway-ratelimit-test")  # one Powertools Logger per service name


@dataclass
class RecordingObs(Observability):
    """Observability that records counters and warnings instead of printing EMF."""

    counts: list[tuple[str, dict[str, str], float]] = field(default_factory=list)
    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("edgeway-test", "us-east-1", logger=_LOGGER, metrics=NullMetrics())

    def count(self, name: str, *, dimensions: dict[str, str] | None = None, value: float = 1) -> None:
        self.counts.append((name, dict(dimensions or {}), value))

    def warning(self, message: str, **fields: Any) -> None:
        self.warnings.append((message, fields))

    def total(self, name: str, **dims: str) -> float:
        return sum(v for n, d, v in self.counts
                   if n == name and all(d.get(k) == x for k, x in dims.items()))


class PrincipalFromHeaders:
    """Stands in for AuthStage: the principal comes from x-test-consumer / x-test-plan."""

    def __init__(self, app: Handler) -> None:
        self.app = app

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        return cls(app)

    def __call__(self, request: Request) -> Response:
        consumer = request.header("x-test-consumer")
        if consumer is not None:  # present but empty: credentials that name no consumer
            request = request.evolve(principal=Principal(
                subject=consumer, kind="api_key", consumer=consumer or None,
                plan=request.header("x-test-plan")))
        return self.app(request)


def stages() -> tuple:
    from edgeway.ratelimit.stage import RateLimitStage

    return (HealthStage.build, RouteStage.build, PrincipalFromHeaders.build, RateLimitStage.build)


class StubBackend:
    def __init__(self, spec: Any, ctx: Any) -> None:
        self.calls = 0

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        return Response.json({"ok": True, "route": request.route.id})


@pytest.fixture
def stub_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import stub_lambda

    stub_lambda(monkeypatch, StubBackend)


def make_gateway(yaml_text: str, endpoint: str, *, region: str = "us-east-1",
                 clock: Callable[[], float] | None = None, obs: RecordingObs | None = None,
                 read_timeout: float | None = None, table: str = TABLE,
                 home_table: str | None = None, environ: dict[str, str] | None = None) -> Gateway:
    """A whole gateway, in-process, with the test principal stage before RateLimitStage."""
    
    from edgeway import pipeline

    settings = Settings.from_env({"EDGEWAY_REGION": region, "EDGEWAY_COUNTERS_TABLE": table,
                                  **({"EDGEWAY_HOME_COUNTERS_TABLE": home_table} if home_table else {}),
                                  **(environ or {})})
    # A generous default: shared test machines are slow, and a timeout here would be a 503.
    clients = EndpointClients(region, endpoint, read_timeout=read_timeout or 10.0)
    obs = obs or RecordingObs()
    config = parse_config(yaml_text)
    ctx = BuildContext(config=config, settings=settings, clients=clients, obs=obs,
                       clock=clock or FakeClock(NOON))
    return Edge(pipeline.build_app(ctx, stages()), region=region, obs=obs)


def event(path: str = "/v1/orders", *, consumer: str | None = None, plan: str | None = None,
          method: str = "GET") -> dict[str, Any]:
    headers = {"host": "api.example.com"}
    if consumer is not None:
        headers["x-test-consumer"] = consumer
    if plan:
        headers["x-test-plan"] = plan
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
                           "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.9", "userAgent": "pytest"},
                           "requestId": "r", "routeKey": "$default", "stage": "$default",
                           "time": "29/Nov/2026:12:00:00 +0000", "timeEpoch": 1795953600000},
        "isBase64Encoded": False,
    }


def body(result: dict[str, Any]) -> Any:
    raw = result.get("body") or ""
    if result.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw) if raw else None


def find_stage(gateway: Gateway, kind: type) -> Any:
    """The stage instance of ``kind`` inside a built gateway (walks the ``app`` chain)."""
    app: Any = gateway.app
    while app is not None and not isinstance(app, kind):
        app = getattr(app, "app", None)
    assert app is not None, f"no {kind.__name__} in the pipeline"
    return app
