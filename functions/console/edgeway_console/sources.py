"""What each console section shows. Every reader is the one the CLI uses:

    regions      gslb.status.region_report            (edgeway gslb status)
    transitions  gslb.store.GslbStore.read_transitions (the GslbTable)
    resolve      Engine.resolve + decision_as_dict     (edgeway gslb resolve --json, /gslb/resolve)
    consumers    edgeway.ratelimit.quota_report        (edgeway usage --all)
    traffic      edgeway_console.traffic               (CloudWatch GetMetricData)

The Engine is built once per container and kept in step with the GslbTable by
the resolver's own StateFeed. Steering and latency depend only on the Engine's
state, so they are computed once per Engine generation. A store that cannot be
read raises SourceUnavailable: that section says so, the others keep working.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.errors import BadRequest, Unavailable


class SourceUnavailable(Unavailable):
    """A store behind a section (DynamoDB, CloudWatch) did not answer; the cause is chained.
    Its message is what the page shows, so it names the store, never an internal."""


PlanProvider = Callable[[], "Mapping[str, str] | None"]
"""prefix -> region of the Route 53 CIDR plan, or None when there is no plan."""

TRANSITIONS_WINDOW_S = 86_400.0


@dataclass
class ConsoleData:
    gslb: Any                      # gslb.config.GslbConfig | None (no `regions` section)
    engine: Any                    # gslb.engine.Engine | None
    health_store: Any              # gslb.store.GslbStore | None
    feed: Any                      # gslb.http_api.StateFeed | None
    plans: Any                     # edgeway.ratelimit.plans.PlanSet | None
    dynamodb: Any                  # home-region client for counters and keys
    counters_table: str | None
    keys_table: str | None
    traffic_reader: Any            # edgeway_console.traffic.TrafficReader | None
    plan: PlanProvider | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._by_generation: dict[str, tuple[int, dict[str, Any]]] = {}

    # -- sections -------------------------------------------------------------------------
    def regions(self) -> dict[str, Any]:
        from gslb.status import region_report
        from edgeway.errors import StoreError

        config = self._need_gslb()
        cells: list[Any] = []
        problems: list[str] = []
        if self.health_store is None:
            problems.append("no GSLB table configured (EDGEWAY_GSLB_TABLE)")
        else:
            try:
                cells = self.health_store.read_health(config.region_names, now=self.clock())
            except StoreError as exc:
                raise SourceUnavailable("the GSLB table cannot be read right now") from exc
        h = config.health
        return {"regions": region_report(config, cells, now=self.clock()), "problems": problems,
                "health": {"interval_s": h.interval_s, "fall": h.fall, "rise": h.rise,
                           "quorum": config.effective_quorum,
                           "stale_after_s": h.stale_after_s}}

    def transitions(self) -> dict[str, Any]:
        from edgeway.errors import StoreError
        from gslb.status import region_timeline

        config = self._need_gslb()
        if self.health_store is None:
            return {"transitions": [], "verdicts": []}
        now = self.clock()
        try:
            changes = self.health_store.read_transitions(since=now - TRANSITIONS_WINDOW_S, now=now)
        except StoreError as exc:
            raise SourceUnavailable("the GSLB table cannot be read right now") from exc
        return {"since": now - TRANSITIONS_WINDOW_S,
                "transitions": [t.as_dict() for t in changes],
                "verdicts": region_timeline(changes, config)}

    def resolve(self, text: str | None) -> dict[str, Any]:
        from gslb.engine import decision_as_dict

        engine = self._engine()
        given = (text or "").strip()
        if not given:
            raise BadRequest("give an IPv4 or IPv6 address or subnet, e.g. 198.51.100.7")
        try:
            network = ipaddress.ip_network(given[:64], strict=False)
        except ValueError:
            raise BadRequest(f"{given[:64]!r} is not an IP address or subnet "
                             "(e.g. 198.51.100.7 or 2001:db8::/48)") from None
        return decision_as_dict(engine.resolve(network.network_address), given[:64])

    def steering(self) -> dict[str, Any]:
        self._engine()
        return self._per_generation("steering", self._steering)

    def latency(self) -> dict[str, Any]:
        self._engine()
        return self._per_generation("latency", self._latency)

    def consumers(self) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        from edgeway.ratelimit.quota_report import quota_report

        if self.dynamodb is None or not self.counters_table:
            return {"consumers": [], "at_limit": [], "problems": ["no counters table configured"]}
        try:
            report = quota_report(self.dynamodb, self.counters_table, self.keys_table, self.plans,
                                  now=self.clock())
        except (BotoCoreError, ClientError) as exc:
            raise SourceUnavailable("the counters table cannot be read right now") from exc
        return {**report, "problems": []}

    def traffic(self) -> dict[str, Any]:
        if self.traffic_reader is None:
            return {"routes": [], "series": {"t": [], "requests": [], "errors": []},
                    "problems": ["no CloudWatch reader configured"]}
        result: dict[str, Any] = self.traffic_reader.read(now=self.clock())
        return result

    # -- internals ------------------------------------------------------------------------
    def _need_gslb(self) -> Any:
        if self.gslb is None:
            raise SourceUnavailable("gateway.yaml has no `regions` section: no GSLB to show")
        return self.gslb

    def _engine(self) -> Any:
        self._need_gslb()
        if self.feed is not None:
            self.feed.refresh()
        return self.engine

    def _per_generation(self, name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        generation = self.engine.generation
        cached = self._by_generation.get(name)
        if cached is None or cached[0] != generation:
            cached = (generation, build())
            self._by_generation[name] = cached
        return cached[1]

    def _region_marks(self) -> list[dict[str, Any]]:
        health = self.engine.health()
        return [{"name": r.name, "lat": r.location.lat, "lon": r.location.lon,
                 "health": health[r.name].state.value} for r in self.gslb.regions]

    def _steering(self) -> dict[str, Any]:
        prefixes = []
        for net in self.engine.networks:
            decision = self.engine.resolve(net.prefix.network_address)
            prefixes.append({"prefix": str(net.prefix), "lat": net.lat, "lon": net.lon,
                             "label": net.label, "region": decision.region.name})
        # the plan follows the Engine's decisions, so it is made once per generation too
        plan = self.plan() if self.plan is not None else None
        return {"regions": self._region_marks(), "prefixes": prefixes,
                "plan": dict(plan) if plan else None}

    def _latency(self) -> dict[str, Any]:
        # One row per place of the networks table (its first prefix there), west to east.
        areas: dict[str, Any] = {}
        for net in self.engine.networks:
            name = (net.label or str(net.prefix)).split(" (")[0]
            if name in areas:
                continue
            estimates = self.engine.estimates(net.prefix, (net.lat, net.lon))
            areas[name] = {"area": name, "lat": net.lat, "lon": net.lon,
                           "rtt": {region: {"ms": round(e.rtt_ms, 1), "source": e.source.value}
                                   for region, e in estimates.items()}}
        rows = sorted(areas.values(), key=lambda a: (a["lon"], a["area"]))
        return {"regions": [r.name for r in self.gslb.regions], "areas": rows}
