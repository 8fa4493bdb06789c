"""Route53SyncFunction (home stack, on a schedule): publish the GSLB's decisions.

Thin: the Engine, the clients and the publishers are built once per container;
an invocation reads the health verdicts and latency observations from the
GslbTable, then runs every publisher. ``PUBLISHERS`` is the one list to extend
(e.g. a CloudFront KeyValueStore publisher beside Route 53).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from gslb.config import load_gslb_config, with_endpoints
from gslb.engine import Engine
from gslb.networks import load_networks
from gslb.route53_sync import Publisher, Route53Sync
from gslb.settings import load_settings
from gslb.store import GslbStore

log = logging.getLogger("edgeway.route53_sync")

SETTINGS = load_settings(default_config=Path(__file__).with_name("gateway.yaml"))
# This function's own two settings; the template sets both (Condition RunsRoute53Sync).
DOMAIN = os.environ.get("EDGEWAY_DOMAIN_NAME", "")
ZONE_ID = os.environ.get("EDGEWAY_HOSTED_ZONE_ID", "")
STAGE = os.environ.get("EDGEWAY_STAGE", "dev")
CONFIG = with_endpoints(load_gslb_config(SETTINGS.config_path), SETTINGS.region_endpoints)
NETWORKS = load_networks(CONFIG.networks)
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3})
STORE = GslbStore(SETTINGS.gslb_table, boto3.client("dynamodb")) if SETTINGS.gslb_table else None
PUBLISHERS: list[Publisher] = [
    Route53Sync(boto3.client("route53", region_name="us-east-1", config=CLIENT_CONFIG),
                {r: boto3.client("apigatewayv2", region_name=r, config=CLIENT_CONFIG)
                 for r in CONFIG.region_names},
                ZONE_ID, DOMAIN or CONFIG.dns.zone, stage=STAGE),
]


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
