"""Helpers for the routing tests: a gateway from YAML text whose Lambda
backends are recorders, and HTTP API v2 events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from edgeway.config import parse_config
from edgeway.http import Request, Response
from edgeway.observability import Observability
from edgeway.edge import Edge as Gateway
from edgeway.pipeline import build_gateway
from edgeway.settings import Settings
from tests.conftest import NO_AUTH_STAGES, stub_lambda
from tests.fakes import NullMetrics


@dataclass
class Recorder:
    """Stands in for every `type: lambda` backend; remembers who was called."""

    calls: list[tuple[str, Request]] = field(default_factory=list)

    def factory(self, spec: Any, ctx: Any) -> Any:
        function = spec.function

        def backend(request: Request, *, timeout_s: float) -> Response:
            self.calls.append((function, request))
            return Response.json({"backend": function, "path": request.path,
                                  "params": dict(request.path_params)})

        backend.name = f"lambda:{function}"  # type: ignore[attr-defined]
        return backend

    @property
    def called(self) -> list[str]:
        return [name for name, _ in self.calls]


class _Logger:
    def append_keys(self, **_: Any) -> None: ...
    def info(self, *_: Any, **__: Any) -> None: ...
    def warning(self, *_: Any, **__: Any) -> None: ...

    def exception(self, *_: Any, **kw: Any) -> None:
        raise AssertionError("unexpected error in the gateway") from kw.get("exc_info")


def quiet_obs() -> Observability:
    return Observability("edgeway-test", "us-east-1", logger=_Logger(), metrics=NullMetrics())


def make_gateway(yaml_text: str) -> Gateway:
    return build_gateway(parse_config(yaml_text), Settings.from_env({"AWS_REGION": "us-east-1"}),
                         obs=quiet_obs(), stages=NO_AUTH_STAGES)


def event(method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None,
          query: str = "", ip: str = "203.0.113.9") -> dict[str, Any]:
    e: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers or {},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": ip},
                           "stage": "$default", "domainName": "api.example.com"},
        "isBase64Encoded": False,
    }
    if body is not None:
        e["body"] = body
    return e


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def call(gateway: Gateway, method: str, path: str, **kwargs: Any) -> Answer:
    result = gateway(event(method, path, **kwargs))
    return Answer(result["statusCode"], result["headers"], result["body"])


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Records every call to a lambda backend (use: import it into the test module)."""
    rec = Recorder()
    stub_lambda(monkeypatch, rec.factory)
    return rec
