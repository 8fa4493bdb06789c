"""Shared test helpers: recorded events and an in-process gateway with stub backends."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from edgeway.backends import Backend
from edgeway.backends.lambda_ import LambdaBackend
from edgeway.context import BuildContext
from edgeway.config import parse_config
from edgeway.http import Request, Response
from edgeway.observability import Observability, quiet_logger
from edgeway.edge import Edge as Gateway
from edgeway.pipeline import STAGES, build_gateway
from edgeway.settings import Settings

EVENTS = Path(__file__).parent / "events"

# Deny by default (docs/auth.md): a route without `auth:` answers 401. Tests of the
# other stages build the pipeline without AuthStage; tests/gateway/test_auth_*.py cover it.
NO_AUTH_STAGES = tuple(s for s in STAGES if s.name != "auth")
ROOT = Path(__file__).parent.parent
# A gateway.yaml with one route and two regions (us-east-1, eu-west-1), each as the
# GSLB's compile wants it: an endpoint, an address, a location.
TWO_REGIONS_YAML = (
    "version: 1\nroutes: [{path: /a, auth: none, backend: {type: lambda, function: F}}]\n"
    "regions:\n"
    "  - {name: us-east-1, endpoint: 'http://127.0.0.1:3000', ipv4: [192.0.2.1],"
    " location: {lat: 38.9, lon: -77.0}}\n"
    "  - {name: eu-west-1, endpoint: 'http://127.0.0.1:3002', ipv4: [192.0.2.2],"
    " location: {lat: 53.3, lon: -6.3}}\n")


def stub_lambda(monkeypatch: pytest.MonkeyPatch,
                factory: Callable[[LambdaBackend, BuildContext], Any]) -> None:
    """Every ``type: lambda`` backend built by ``factory(spec, ctx)``, not with a Lambda client."""
    def build(spec: LambdaBackend, ctx: BuildContext) -> Backend:
        backend: Backend = factory(spec, ctx)
        return backend

    monkeypatch.setattr(LambdaBackend, "build", build)


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


class QuietMetrics:
    """Stands in for Powertools Metrics so tests do not print EMF blobs."""

    def __init__(self) -> None:
        self.emitted: list[dict[str, Any]] = []
        self._current: dict[str, Any] = {}

    def add_dimension(self, name: str, value: str) -> None:
        self._current[name] = value

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self._current[name] = value

    def flush_metrics(self) -> None:
        self.emitted.append(self._current)
        self._current = {}


def quiet_obs(region: str = "us-east-1") -> Observability:
    return Observability("edgeway-test", region, logger=quiet_logger(), metrics=QuietMetrics())


class StubBackends:
    """Replaces the lambda backend type: records every call, answers from a function."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Request]] = []
        self.responder: Callable[[str, Request], Response] = lambda name, req: Response.json(
            {"backend": name, "path": req.path, "params": dict(req.path_params)})

    def factory(self, spec: Any, ctx: Any) -> Any:
        stub = self
        name = spec.function

        class _Backend:
            def __init__(self) -> None:
                self.name = f"stub:{name}"

            def __call__(self, request: Request, *, timeout_s: float) -> Response:
                stub.calls.append((name, request))
                return stub.responder(name, request)

        return _Backend()

    def called(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def stub_backends(monkeypatch: pytest.MonkeyPatch) -> StubBackends:
    stub = StubBackends()
    stub_lambda(monkeypatch, stub.factory)
    return stub


@pytest.fixture
def make_gateway(stub_backends: StubBackends) -> Callable[..., Gateway]:
    def make(yaml_text: str, *, region: str = "us-east-1", env: dict[str, str] | None = None,
             **kwargs: Any) -> Gateway:
        config = parse_config(yaml_text, "test-gateway.yaml")
        settings = Settings.from_env({"AWS_REGION": region, **(env or {})})
        return build_gateway(config, settings, obs=quiet_obs(region), **kwargs)

    return make


def v2_event(method: str = "GET", path: str = "/", *, headers: dict[str, str] | None = None,
             query: str = "", body: str | None = None, b64: bool = False) -> dict[str, Any]:
    """A realistic HTTP API v2 event for method and path (from the recorded one)."""
    event = copy.deepcopy(load_event("http_api_v2.json"))
    event["rawPath"] = path
    event["rawQueryString"] = query
    event.pop("queryStringParameters", None)
    event.pop("cookies", None)
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["headers"] = {"host": "api.example.com", "user-agent": "pytest", **(headers or {})}
    if body is not None:
        event["body"] = body
        event["isBase64Encoded"] = b64
    return event


def body_of(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process behind every boto3 call of the test, with fake credentials
    (and no AWS_ENDPOINT_URL that would send the calls past it)."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield
