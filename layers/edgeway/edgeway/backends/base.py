"""What every backend is: a spec compiled with the config, then a callable from
Request to Response, built from that spec once (at build, with its clients)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from edgeway.context import BuildContext
from edgeway.errors import ConfigError
from edgeway.http import Request, Response

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig


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
