"""What stages and backends may use while they are built (once per container)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edgeway.http import Request, Response

if TYPE_CHECKING:  # the modules below import this one
    from edgeway.clients import Clients
    from edgeway.config import GatewayConfig
    from edgeway.observability import Observability
    from edgeway.settings import Settings

Handler = Callable[[Request], Response]
"""Every stage is one of these: it answers itself or calls the next handler."""


@dataclass(frozen=True, slots=True, eq=False)  # services, not a value: identity equality
class BuildContext:
    """What every stage's builder gets at cold start: config, settings, clients, clock."""
    config: GatewayConfig
    settings: Settings
    clients: Clients
    obs: Observability | None = None
    clock: Callable[[], float] = field(default=time.time)
