"""Backends by type: add a module and a line here, not a branch elsewhere.

Each type's class compiles with the config (``compile(raw, site)``, pure) into a
spec whose ``build(ctx)`` makes, once, the callable with its clients. A module is
imported when a config uses its type: a gateway of Lambda routes never loads the
HTTP, messaging, canary or aggregate code.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from edgeway.context import BuildContext
from edgeway.errors import ConfigError
from edgeway.http import Request, Response

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig

MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit, either way

# type -> (module, its backend class, whose ``compile(raw, site)`` checks the keys)
BACKEND_TYPES: dict[str, tuple[str, str]] = {
    "lambda": ("edgeway.backends.lambda_", "LambdaBackend"),
    "http": ("edgeway.backends.http", "HttpBackend"),
    "sqs": ("edgeway.backends.messaging", "SqsTarget"),
    "eventbridge": ("edgeway.backends.messaging", "EventBridgeTarget"),
    "canary": ("edgeway.backends.canary", "CanaryBackend"),
    "aggregate": ("edgeway.aggregate.backend", "AggregateBackend"),
}


class Backend(Protocol):
    """Calls the upstream for one request.

    ``timeout_s`` is the time this call may take (already cut to the route
    timeout and the Lambda's remaining time). Raises BackendError (502),
    BackendTimeout (504) or ServiceUnavailable (503); never anything foreign.
    """

    @property
    def name(self) -> str: ...

    def __call__(self, request: Request, *, timeout_s: float) -> Response: ...


class BackendSpec(Protocol):
    """A backend as the compile leaves it: checked and typed; ``build`` wires its clients."""

    def build(self, ctx: BuildContext) -> Backend: ...


@dataclass(frozen=True, slots=True)
class Site:
    """Where a backend sits in gateway.yaml (its key path, the route it serves, the
    template's functions when known): what its compile checks it against."""
    config: GatewayConfig
    path: tuple[str | int, ...]
    functions: Collection[str] | None = None
    route_id: str | None = None
    route_path: str | None = None

    def at(self, *keys: str | int) -> Site:
        return dataclasses.replace(self, path=(*self.path, *keys))

    def error(self, reason: str) -> ConfigError:
        return self.config.error(self.path, reason)


def compile_backend(raw: Mapping[str, Any], site: Site) -> BackendSpec:
    """``raw`` (a backend mapping the schema has checked) as its type's compiled spec."""
    module, cls = BACKEND_TYPES[raw["type"]]
    spec: BackendSpec = getattr(importlib.import_module(module), cls).compile(raw, site)
    return spec
