"""Stub backends for the aggregation, cache and resilience tests.

``StubBackends`` replaces the ``lambda`` backend type: a route naming
``function: users`` calls the stub registered under "users". Each stub records
the requests it received, so a test can assert what reached the backend.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from edgeway.clients import Clients
from edgeway.config import parse_config
from edgeway.context import BuildContext
from edgeway.http import Request, Response
from edgeway.observability import Observability, quiet_logger
from edgeway.edge import Edge
from edgeway.pipeline import StageFactory, build_app
from edgeway.settings import Settings

from .conftest import NO_AUTH_STAGES, stub_lambda
from .fakes import FakeClock, NullMetrics

StubFn = Callable[[Request, float], Response]


class Stub:
    def __init__(self, name: str, fn: StubFn) -> None:
        self.name = f"stub:{name}"
        self.fn = fn
        self.calls: list[Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        with self._lock:
            self.calls.append(request)
        return self.fn(request, timeout_s)


class StubBackends:
    def __init__(self) -> None:
        self.stubs: dict[str, Stub] = {}

    def add(self, name: str, fn: StubFn) -> Stub:
        self.stubs[name] = Stub(name, fn)
        return self.stubs[name]

    def factory(self, spec: Any, ctx: Any) -> Stub:
        return self.stubs[spec.function]


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> StubFn:
    def fn(request: Request, timeout_s: float) -> Response:
        return Response.json(payload, status=status, headers=headers)
    return fn


_LOGGER = quiet_logger("edgeway-stub-tests")  # one per process: Powertools loggers are per service name


class RecordingObs(Observability):
    def __init__(self) -> None:
        super().__init__("edgeway-test", "us-east-1", logger=_LOGGER, metrics=NullMetrics())
        self.counts: list[tuple[str, dict[str, str] | None]] = []
        self.warnings: list[str] = []

    def count(self, name: str, *, dimensions: dict[str, str] | None = None, value: float = 1) -> None:
        self.counts.append((name, dimensions))

    def warning(self, message: str, **fields: Any) -> None:
        self.warnings.append(message)


def gateway(yaml_text: str, env: dict[str, str] | None = None, *, clock: Callable[[], float] | None = None,
            obs: Any = None, clients: Any = None,
            stages: Sequence[StageFactory] = NO_AUTH_STAGES) -> Any:
    """``build_gateway`` with a clock of the test's choosing."""
    config, settings = parse_config(yaml_text), Settings.from_env(env or {})
    obs = obs or RecordingObs()
    clients = clients or Clients(settings.region)
    ctx = BuildContext(config=config, settings=settings, clients=clients, obs=obs,
                       clock=clock or time.time)
    return Edge(build_app(ctx, stages), region=settings.region, obs=obs)


def find_stage(gw: Any, kind: type) -> Any:
    """The stage of type ``kind`` inside a built gateway (walks the ``app`` chain)."""
    app = gw.app
    for _ in range(50):
        if isinstance(app, kind):
            return app
        app = getattr(app, "app", None)
    raise LookupError(kind)


def event(path: str, *, method: str = "GET", query: str = "", headers: dict[str, str] | None = None,
          body: str | None = None) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers or {},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
                           "stage": "$default", "domainName": "localhost", "requestId": "r"},
        "isBase64Encoded": False,
    }
    if body is not None:
        ev["body"] = body
    return ev


def body_of(result: dict[str, Any]) -> Any:
    return json.loads(result["body"]) if result.get("body") else None


def install(monkeypatch: Any) -> StubBackends:
    stubs = StubBackends()
    stub_lambda(monkeypatch, stubs.factory)
    return stubs
