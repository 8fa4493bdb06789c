"""What stages and backends may use while they are built (once per container)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgeway.http import Request, Response

Handler = Callable[[Request], Response]
"""Every stage is one of these: it answers itself or calls the next handler."""


@dataclass(frozen=True, slots=True, eq=False)  # services, not a value: identity equality
class BuildContext:
    """What every stage's builder gets at cold start: config, settings, clients, clock, routes."""
    config: Any  # edgeway.config.GatewayConfig
    settings: Any  # edgeway.settings.Settings
    clients: Any  # edgeway.clients.Clients
    obs: Any = None  # edgeway.observability.Observability
    clock: Callable[[], float] = field(default=time.time)
    routes: tuple[Any, ...] = ()  # compiled edgeway.routing.Route objects
