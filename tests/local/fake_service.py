"""A service starter for the registry test: records what the stack gave it."""

from __future__ import annotations

from typing import Any

from edgeway_local.services import StackInfo

STARTED: list[Any] = []


class FakeService:
    def __init__(self, stack: StackInfo) -> None:
        self.stack = stack
        self.stopped = False
        self.tables = stack.client("dynamodb", "eu-west-1").list_tables()["TableNames"]

    def stop(self) -> None:
        self.stopped = True

    def banner_lines(self) -> list[str]:
        return [f"Fake service        regions={','.join(self.stack.region_urls)}"]


def start(stack: StackInfo) -> FakeService:
    service = FakeService(stack)
    STARTED.append(service)
    return service


def start_nothing(stack: StackInfo) -> None:
    return None
