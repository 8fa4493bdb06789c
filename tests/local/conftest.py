"""Fixtures of the local-stack tests: the fixture SAM stack, free ports, a runtime,
an API listener in front of it (with its access log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edgeway_local.apigw import ApiListener
from edgeway_local.apigw_event import RouteTable
from edgeway_local.lambda_service import LocalLambda
from edgeway_local.ports import free_port
from edgeway_local.regions import RegionStates
from edgeway_local.runtime import Endpoints
from edgeway_local.template import load_template

STACK = Path(__file__).parent.parent / "fixtures" / "stack"
TEMPLATE = STACK / "template.yaml"
CONFIG = STACK / "gateway.yaml"
ROOT = Path(__file__).parent.parent.parent


class LogCapture:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, function: str, line: str) -> None:
        self.lines.append((function, line))

    def text(self, function: str) -> str:
        return "\n".join(line for name, line in self.lines if name == function)


@pytest.fixture
def logs() -> LogCapture:
    return LogCapture()


@pytest.fixture
def functions(logs: LogCapture) -> Iterator[LocalLambda]:
    """The fixture stack's functions in two regions; nothing listens for AWS calls."""
    service = LocalLambda(
        {region: load_template(TEMPLATE, region=region) for region in ("us-east-1", "eu-west-1")},
        endpoints=Endpoints(aws=f"http://127.0.0.1:{free_port()}",
                            lambda_=f"http://127.0.0.1:{free_port()}"),
        log=logs, max_workers=4)
    yield service
    service.close()


@pytest.fixture
def access() -> list[str]:
    """The access-log lines the ``listener`` writes."""
    return []


@pytest.fixture
def listener(functions: LocalLambda, access: list[str]) -> Iterator[ApiListener]:
    port = free_port()
    states = RegionStates({"eu-west-1": f"http://127.0.0.1:{port}"})
    routes = RouteTable(load_template(TEMPLATE, region="eu-west-1").routes)
    server = ApiListener("eu-west-1", "127.0.0.1", port, routes, functions, states,
                         access.append).start()
    yield server
    server.stop()
