"""Optional services ``edgeway serve`` starts once the core stack is up.

A service starter is ``start(stack: StackInfo) -> Service | None``: it returns
None when it has nothing to run (its package is absent, its config section is
empty). Adding a service is one module here and one line in
``SERVICE_STARTERS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# "module:function", started in this order, stopped in reverse.
SERVICE_STARTERS: tuple[str, ...] = (
    "edgeway_local.services.gslb:start",
    "edgeway_local.services.auth:start",
    "edgeway_local.services.console:start",
)


class Service(Protocol):
    def stop(self) -> None: ...

    def banner_lines(self) -> list[str]: ...


@dataclass(frozen=True)
class StackInfo:
    """What a service may know about the running stack."""

    host: str
    config_path: Path | None
    template_path: Path
    home_region: str
    region_urls: Mapping[str, str]  # every served region -> its listener URL
    invoke_url: str
    moto_url: str
    dns_port: int
    table_names: Mapping[str, str]  # template logical id -> local table name
    client_factory: Callable[[str, str], Any] = field(repr=False)  # (service, region) -> client
    quiet: bool = False

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client for moto (dummy credentials), home region by default."""
        return self.client_factory(service, region or self.home_region)


ServiceStarter = Callable[[StackInfo], "Service | None"]


def load_starter(spec: str) -> ServiceStarter:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)
