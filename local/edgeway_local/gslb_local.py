"""The GSLB inside `edgeway serve`: health loops for every vantage x region, and the DNS server.

Locally every region is a listener on 127.0.0.1, so every vantage point probes
from the same machine; the vantage points still keep separate state machines
and the quorum still applies, as in the cloud. One in-process Engine is fed
directly by the probes (no store round trip) and answers DNS; the probes are
also written to the GslbTable on moto, where the GslbResolverFunction and
`edgeway gslb status` read them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeway.errors import StoreError

from gslb.checker import HealthChecker
from gslb.config import load_gslb_config, with_endpoints
from gslb.dns_server import DnsServer
from gslb.engine import Engine
from gslb.networks import load_networks
from gslb.route53_plan import plan
from gslb.store import GslbStore

log = logging.getLogger("gslb.local")
OBSERVATION_POLL_S = 5.0
STOP_TIMEOUT_S = 5.0


@dataclass
class LocalGslb:
    engine: Engine
    checkers: dict[str, HealthChecker]
    store: GslbStore | None
    dns: DnsServer | None = None
    dns_error: str | None = None
    dns_port: int = 5353
    threads: list[threading.Thread] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> LocalGslb:
        interval = self.engine.config.health.interval_s
        for vantage, checker in self.checkers.items():
            for region in self.engine.config.region_names:
                self._spawn(f"gslb-probe-{vantage}->{region}", self._probe_loop, checker, region, interval)
        self._spawn("gslb-tick", self._tick_loop, interval)
        return self

    def stop(self) -> None:
        """Stop the loops and the DNS server, waiting at most STOP_TIMEOUT_S in all.

        A probe in flight ends within its own timeout; the threads are daemons,
        so one that is still busy after the deadline cannot keep the process up.
        """
        deadline = time.monotonic() + STOP_TIMEOUT_S
        self.stopping.set()
        if self.dns is not None:
            self.dns.stop()
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def banner_lines(self) -> list[str]:
        zone = self.engine.config.dns.zone
        h = self.engine.config.health
        lines = [f"GSLB health: every {h.interval_s:g}s from {len(self.checkers)} vantage points, "
                 f"fall {h.fall}, rise {h.rise}, quorum {self.engine.config.effective_quorum}"]
        if self.dns is not None:
            lines.append(f"GSLB DNS:    dig @127.0.0.1 -p {self.dns_port} {zone} A")
        else:
            lines.append(f"GSLB DNS:    not running ({self.dns_error})")
        lines.append("GSLB status: edgeway gslb status")
        blocks = ", ".join(f"{r} {len(b)}" for r, b in plan(self.engine).locations.items())
        lines.append(f"Route 53:    CIDR blocks per region {blocks}; edgeway gslb sync-route53 --local "
                     "--dry-run; curl '<home>/gslb/resolve?ip=X&via=route53'")
        return lines

    # -- threads ---------------------------------------------------------------------------
    def _spawn(self, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _probe_loop(self, checker: HealthChecker, region: str, interval: float) -> None:
        # spread the first probes over one interval so the vantage points do not probe in lockstep
        if self.stopping.wait(random.uniform(0, interval)):
            return
        next_at = time.monotonic()
        while not self.stopping.is_set():
            try:
                checker.probe_once(region)
            except Exception:  # a bug in one loop must not silence the others
                log.exception("probe of %s from %s failed", region, checker.vantage)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (a probe timed out): do not burst to catch up
                next_at, delay = time.monotonic(), 0.0
            if self.stopping.wait(delay):
                return

    def _tick_loop(self, interval: float) -> None:
        last_poll = 0.0
        while not self.stopping.wait(interval):
            self.engine.tick()
            if self.store is not None and time.monotonic() - last_poll >= OBSERVATION_POLL_S:
                last_poll = time.monotonic()
                self._poll_observations()

    def _poll_observations(self) -> None:
        """Latency samples written by `edgeway gslb observe` reach the local Engine here."""
        assert self.store is not None
        try:
            observations = self.store.read_observations(now=time.time())
        except StoreError:
            log.exception("could not read latency observations")
            return
        self.engine.ingest(observations)  # idempotent: only new samples change anything


def start_local_gslb(config_path: str | Path, *, region_urls: dict[str, str], dns_port: int,
                     gslb_table: str, dynamodb_client: Any, dns_host: str = "127.0.0.1") -> LocalGslb:
    """Start the health loops and the DNS server; returns the handle."""
    config = load_gslb_config(config_path)
    config = with_endpoints(config, {k: v for k, v in region_urls.items() if k in config.region_names})
    engine = Engine(config, networks=load_networks(config.networks))
    store = GslbStore(gslb_table, dynamodb_client) if gslb_table and dynamodb_client is not None else None
    checkers = {v: HealthChecker(config, vantage=v, store=store, engine=engine) for v in config.region_names}
    local = LocalGslb(engine, checkers, store, dns_port=dns_port)
    local.start()
    try:
        local.dns = DnsServer(engine, dns_host, dns_port)
        local.dns.start()
    except OSError as exc:
        local.dns, local.dns_error = None, f"cannot listen on {dns_host}:{dns_port}: {exc}"
    return local
