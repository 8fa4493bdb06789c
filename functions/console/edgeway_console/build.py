"""Build the console once per container (or once per local stack) from the environment.

Everything it reads is read once here: Settings from the environment, gateway.yaml
(auth, plans, regions), the networks table; boto3 clients are made once, with
short timeouts, so a store that does not answer costs a section seconds, not the
whole page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from edgeway_console.sources import ConsoleData, PlanProvider
from edgeway_console.web import ConsoleApp, admin_check

READ_TIMEOUT_S = 3.0


def build_console(*, environ: Mapping[str, str] | None = None, clients: Any = None,
                  plan: PlanProvider | None = None, task_root: str | Path | None = None,
                  fetch: Callable[[str], Any] | None = None) -> ConsoleApp:
    """``fetch`` replaces the JWKS download (tests); ``plan`` is the Route 53 plan provider;
    ``task_root`` is where gateway.yaml is when neither EDGEWAY_CONFIG nor Lambda says."""
    from edgeway.auth.authenticator import build_authenticator
    from edgeway.clients import Clients
    from edgeway.config import load_config
    from edgeway.ratelimit.plans import parse_plans
    from edgeway.settings import Settings
    from edgeway_console.traffic import TrafficReader

    settings = Settings.from_env(environ, task_root=task_root)
    config = load_config(settings.config_path)
    clients = clients or Clients(settings.aws_region)
    # The console limits no rate: it never reads a signed-in operator's plan, so it
    # keeps answering (from its last known state) while DynamoDB is down.
    authenticator = build_authenticator(config, settings, clients=clients, clock=time.time,
                                        fetch=fetch, with_plans=False)
    check = admin_check(authenticator, lambda reason: config.error(["auth"], reason))
    home = config.home_region or settings.home_region or settings.region
    counters = settings.home_counters_table or settings.counters_table
    parts = _gslb_parts(config, settings, clients)
    if plan is None and parts["engine"] is not None:
        plan = route53_plan_provider(parts["engine"])
    data = ConsoleData(
        **parts,
        plans=parse_plans(config),
        dynamodb=clients.get("dynamodb", read_timeout=READ_TIMEOUT_S, region=home),
        counters_table=counters, keys_table=settings.keys_table,
        traffic_reader=TrafficReader(clients.get("cloudwatch", read_timeout=READ_TIMEOUT_S)),
        plan=plan)
    return ConsoleApp(data, check)


def _gslb_parts(config: Any, settings: Any, clients: Any) -> dict[str, Any]:
    none: dict[str, Any] = {"gslb": None, "engine": None, "health_store": None, "feed": None}
    if not config.section("regions"):
        return none
    from gslb.config import load_gslb_config, with_endpoints
    from gslb.engine import Engine
    from gslb.http_api import StateFeed
    from gslb.networks import load_networks
    from gslb.store import GslbStore

    gslb = with_endpoints(load_gslb_config(settings.config_path), settings.region_endpoints)
    engine = Engine(gslb, networks=load_networks(gslb.networks))
    if not settings.gslb_table:
        return {**none, "gslb": gslb, "engine": engine}
    client = clients.get("dynamodb", read_timeout=READ_TIMEOUT_S)
    store = GslbStore(settings.gslb_table, client)
    return {"gslb": gslb, "engine": engine, "health_store": store, "feed": StateFeed(engine, store)}


def route53_plan_provider(engine: Any) -> PlanProvider | None:
    """What Route 53 would answer for each networks-table prefix under the CIDR plan that
    ``gslb.route53_plan`` makes from the Engine's decisions (what the sync publishes)."""
    try:
        from gslb.route53_plan import plan as route53_plan
    except ImportError:  # a GSLB without the Route 53 plan: no toggle on the map
        return None

    def provider() -> dict[str, str]:
        current = route53_plan(engine)
        return {str(net.prefix): current.answer(net.prefix.network_address).region
                for net in engine.networks}

    return provider
