"""GslbResolverFunction: `GET /gslb/resolve` and `POST /gslb/observations` (HTTP API v2).

Thin: everything is built once per container at import (settings, Engine,
DynamoDB client, store); an invocation goes through the one edge
(``edgeway.edge.Edge``: the event adapter, the request id, the outer boundary,
the common headers) to ``gslb.http_api``. Health and latency observations are
re-read from the GslbTable at most every second / minute per container
(``StateFeed``), so a region the health checkers mark down stops being answered
without a redeploy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgeway.adapters import HttpApiV2Adapter
from edgeway.clients import Clients
from edgeway.edge import Edge
from edgeway.observability import Observability
from edgeway.settings import Settings
from gslb.config import load_gslb_config, with_endpoints
from gslb.engine import Engine
from gslb.http_api import GslbHttpApi, StateFeed
from gslb.networks import load_networks
from gslb.store import GslbStore

# The table is read on the request path (at most once a second): a short read timeout.
READ_TIMEOUT_S = 2.0

SETTINGS = Settings.from_env(task_root=Path(__file__).parent)
CONFIG = with_endpoints(load_gslb_config(SETTINGS.config_path), SETTINGS.region_endpoints)
ENGINE = Engine(CONFIG, networks=load_networks(CONFIG.networks))
CLIENTS = Clients(SETTINGS.aws_region)
STORE = GslbStore(SETTINGS.gslb_table, CLIENTS.get("dynamodb", read_timeout=READ_TIMEOUT_S)
                  ) if SETTINGS.gslb_table else None
FEED = StateFeed(ENGINE, STORE) if STORE else None
API = GslbHttpApi(ENGINE, feed=FEED, store=STORE)
EDGE = Edge(API.handle, region=SETTINGS.region, obs=Observability(SETTINGS.service, SETTINGS.region),
            adapters=(HttpApiV2Adapter(),))


def handler(event: Any, context: Any) -> dict[str, Any]:
    return EDGE(event, context)
