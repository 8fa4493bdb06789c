"""HealthCheckerFunction: one vantage point of the GSLB, started on a schedule in each region.

Each invocation probes every region's /health, round after round every
``gslb.health.interval_s`` (sub-minute intervals inside a once-a-minute
schedule), and stops while a round plus a safety margin still fits in the
Lambda's remaining time, and in any case after EDGEWAY_HEALTH_RUN_S (55 s), so
two invocations of one vantage point never overlap. Streaks continue across invocations: the state of
each (this vantage, region) pair is read back from the GslbTable at start.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from edgeway.clients import Clients
from edgeway.settings import Settings
from gslb.checker import HealthChecker
from gslb.config import load_gslb_config, with_endpoints
from gslb.edge_publish import edge_down_publisher
from gslb.store import GslbStore

log = logging.getLogger("edgeway.health_checker")
log.setLevel(logging.INFO)

# Built once per container (cold start), used by every invocation.
SETTINGS = Settings.from_env(task_root=Path(__file__).parent)
CONFIG = with_endpoints(load_gslb_config(SETTINGS.config_path), SETTINGS.region_endpoints)
STORE = GslbStore(SETTINGS.gslb_table, Clients(SETTINGS.aws_region).get("dynamodb")
                  ) if SETTINGS.gslb_table else None
EDGE = edge_down_publisher(SETTINGS, CONFIG, STORE)  # None without the edge stack


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    checker = HealthChecker(CONFIG, vantage=SETTINGS.region, store=STORE)
    checker.resume()
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        reports = [checker.run_round()]  # a bare call (tests, `edgeway invoke` without a context)
    else:
        stop_at = time.monotonic() + SETTINGS.health_run_s  # before the next scheduled start
        reports = checker.run_until(lambda: min(context.get_remaining_time_in_millis() / 1000.0,
                                                stop_at - time.monotonic()),
                                    max_rounds=_max_rounds(event), after_round=EDGE)
    states = {region: cell.state.value for region, cell in checker.cells.items()}
    log.info("vantage %s: %d rounds, %s", SETTINGS.region, len(reports), states)
    return {"vantage": SETTINGS.region, "rounds": len(reports), "regions": states}


def _max_rounds(event: Any) -> int:
    """A manual invocation may ask for a few rounds (events/health_checker_one_round.json)."""
    value = event.get("max_rounds") if isinstance(event, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 10_000
