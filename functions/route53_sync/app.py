"""Route53SyncFunction (home stack, on a schedule): publish the GSLB's decisions.

Thin: the Engine, the clients and the publishers are built once per container;
an invocation reads the health verdicts and latency observations from the
GslbTable, then runs every publisher. ``PUBLISHERS`` is the one list to extend
(e.g. a CloudFront KeyValueStore publisher beside Route 53).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from edgeway.clients import Clients
from edgeway.settings import Settings
from gslb.config import load_gslb_config, with_endpoints
from gslb.engine import Engine
from gslb.networks import load_networks
from gslb.publish import Publisher
from gslb.route53_sync import Route53Sync
from gslb.store import GslbStore

log = logging.getLogger("edgeway.route53_sync")

SETTINGS = Settings.from_env(task_root=Path(__file__).parent)
CONFIG = with_endpoints(load_gslb_config(SETTINGS.config_path), SETTINGS.region_endpoints)
NETWORKS = load_networks(CONFIG.networks)
CLIENTS = Clients(SETTINGS.aws_region)
STORE = GslbStore(SETTINGS.gslb_table, CLIENTS.get("dynamodb")) if SETTINGS.gslb_table else None


def sync_client(service: str, region: str = "us-east-1") -> Any:
    # Retried by botocore here (4 attempts): a scheduled sync, no request waits.
    # Route 53's API and the edge store's are global, in us-east-1.
    return CLIENTS.get(service, region=region, read_timeout=20, attempts=4)


PUBLISHERS: list[Publisher] = [
    Route53Sync(sync_client("route53"),
                {r: sync_client("apigatewayv2", r) for r in CONFIG.region_names},
                SETTINGS.hosted_zone_id, SETTINGS.domain_name or CONFIG.dns.zone,
                stage=SETTINGS.stage),
]
if SETTINGS.edge_kvs_arn:
    from gslb.edge_sync import EdgeStorePublisher

    # The edge stack's decision store (docs/edge.md); global API, SigV4A (awscrt).
    PUBLISHERS.append(EdgeStorePublisher(
        sync_client("cloudfront-keyvaluestore"),
        SETTINGS.edge_kvs_arn))


def handler(event: Any, context: Any) -> dict[str, Any]:
    # A fresh Engine per run: the sync publishes what the table says now, nothing cached.
    engine = Engine(CONFIG, networks=NETWORKS)
    if STORE is not None:
        now = time.time()
        engine.load_health(STORE.read_health(CONFIG.region_names, now=now))
        engine.ingest(STORE.read_observations(now=now))
    dry_run = bool(isinstance(event, dict) and event.get("dry_run"))
    results = {}
    for publisher in PUBLISHERS:
        summary = publisher.publish(engine, dry_run=dry_run)
        log.info("published %s", publisher.name, extra={"summary": summary})
        results[publisher.name] = summary
    return results
