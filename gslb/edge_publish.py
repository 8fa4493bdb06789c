"""The health checker's fast path to the edge: after each round, the quorum verdict read back
from the GslbTable; when the set of DOWN regions changes, only the edge store's ``down`` key
is written (``gslb.edge_sync.DownPublisher``). The full decision set stays the sync's job."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from edgeway.clients import Clients
from edgeway.settings import Settings

from .config import GslbConfig
from .store import GslbStore


def edge_down_publisher(settings: Settings, config: GslbConfig, store: GslbStore | None, *,
                        client: Any = None, clock: Callable[[], float] = time.time
                        ) -> Callable[[object], bool] | None:
    """A per-round callback, or None when no edge store is configured (or nothing to read)."""
    if not settings.edge_kvs_arn or store is None:
        return None
    # Imported only with an edge store: a health checker without one loads none of it.
    from .edge_sync import DownPublisher

    if client is None:
        # The KeyValueStore API is global and signs with SigV4A (needs awscrt in the layer).
        client = Clients(settings.aws_region).get("cloudfront-keyvaluestore", region="us-east-1",
                                                  read_timeout=3, attempts=3)
    return DownPublisher(client, settings.edge_kvs_arn, config, store, clock=clock)
