"""HealthCheckerFunction: one vantage point of the GSLB, started on a schedule in each region.

Each invocation probes every region's /health, round after round every
``gslb.health.interval_s`` (sub-minute intervals inside a once-a-minute
schedule), and stops while a round plus a safety margin still fits in the
Lambda's remaining time. Streaks continue across invocations: the state of
each (this vantage, region) pair is read back from the GslbTable at start.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import boto3

from gslb.checker import HealthChecker
from gslb.config import load_gslb_config, with_endpoints
from gslb.settings import load_settings
from gslb.store import GslbStore

log = logging.getLogger("edgeway.health_checker")
log.setLevel(logging.INFO)

# Built once per container (cold start), used by every invocation.
SETTINGS = load_settings(default_config=Path(__file__).with_name("gateway.yaml"))
CONFIG = with_endpoints(load_gslb_config(SETTINGS.config_path), SETTINGS.region_endpoints)
STORE = GslbStore(SETTINGS.gslb_table, boto3.client("dynamodb")) if SETTINGS.gslb_table else None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    checker = HealthChecker(CONFIG, vantage=SETTINGS.region, store=STORE)
    checker.resume()
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        reports = [checker.run_round()]  # a bare call (tests, `edgeway invoke` without a context)
    else:
        reports = checker.run_until(lambda: context.get_remaining_time_in_millis() / 1000.0)
    states = {region: cell.state.value for region, cell in checker.cells.items()}
    log.info("vantage %s: %d rounds, %s", SETTINGS.region, len(reports), states)
    return {"vantage": SETTINGS.region, "rounds": len(reports), "regions": states}

