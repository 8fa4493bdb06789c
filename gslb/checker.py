"""The health checker shell: probe, feed the state machine, record. Used by the Lambda and locally.

One HealthChecker is one vantage point: each probe goes through its (vantage, region)
state machine, then to the store and to an in-process Engine if there is one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from edgeway.errors import StoreError

from .config import GslbConfig
from .engine import Engine
from .health import VantageHealth
from .prober import ProbeResult, probe
from .store import GslbStore
from .status import Transition

log = logging.getLogger("gslb.checker")

SAFETY_MARGIN_S = 2.0  # left of the Lambda's time after the last round


class HealthChecker:
    def __init__(self, config: GslbConfig, *, vantage: str, store: GslbStore | None = None,
                 engine: Engine | None = None) -> None:
        self.config = config
        self.vantage = vantage
        self.store = store
        self.engine = engine
        # long enough to outlive staleness many times over, short enough to vanish when a
        # vantage point is decommissioned
        self.ttl_s = max(300.0, 10 * config.health.stale_after_s)
        self.cells: dict[str, VantageHealth] = {}
        self._lock = threading.Lock()
        self._store_failing: set[str] = set()  # regions whose last write to the store failed

    def resume(self) -> None:
        """Continue the streaks left by the previous invocation (Lambda: state lives in DynamoDB)."""
        if self.store is None:
            return
        for vantage, region, cell in self.store.read_health(self.config.region_names, now=time.time()):
            if vantage == self.vantage:
                self.cells[region] = cell

    def probe_once(self, region: str) -> ProbeResult:
        result = probe(region, self.config.region(region).endpoint,
                       timeout_s=self.config.health.timeout_s)
        with self._lock:
            before = self.cells.get(region, VantageHealth())
            cell = before.observe(result.ok, result.at, self.config.health)
            self.cells[region] = cell
        if cell.changed_at == result.at:
            reason = result.error or f"HTTP {result.status}"
            log.info("health %s from %s: %s (%s)", region, self.vantage, cell.state.value, reason)
            if self.store is not None and cell.state is not before.state:
                try:
                    self.store.put_transition(Transition(result.at, self.vantage, region,
                                                     before.state, cell.state, reason))
                except StoreError as exc:
                    log.error("could not record a transition of %s: %s", region, exc)
        if self.store is not None:
            self._record(region, cell, result)
        if self.engine is not None:
            self.engine.observe_probe(self.vantage, region, result.ok, at=result.at)
            if result.load is not None:
                self.engine.set_load(region, result.load)
        return result

    def _record(self, region: str, cell: VantageHealth, result: ProbeResult) -> None:
        # A store that fails, fails every probe: say so when it starts and when it ends,
        # not once a second per region.
        assert self.store is not None
        try:
            self.store.put_health(self.vantage, region, cell, ttl_s=self.ttl_s, probe=result)
        except StoreError as exc:
            if region not in self._store_failing:
                self._store_failing.add(region)
                log.error("could not record health of %s from %s (said once until it works "
                          "again): %s", region, self.vantage, exc)
            return
        if region in self._store_failing:
            self._store_failing.discard(region)
            log.warning("recording health of %s from %s works again", region, self.vantage)

    def run_round(self, pool: ThreadPoolExecutor | None = None) -> dict[str, ProbeResult]:
        """Probe every region once, concurrently: a slow region cannot delay the others."""
        names = self.config.region_names
        with nullcontext(pool) if pool else ThreadPoolExecutor(min(16, len(names))) as running:
            return {result.region: result for result in running.map(self.probe_once, names)}

    def run_until(self, remaining_s: Callable[[], float], *, sleep: Callable[[float], None] = time.sleep,
                  max_rounds: int = 10_000,
                  after_round: Callable[[dict[str, ProbeResult]], object] | None = None
                  ) -> list[dict[str, ProbeResult]]:
        """Rounds every interval_s while a whole round (timeout + margin) still fits in the time left.

        ``after_round`` (e.g. the edge's DownPublisher) runs after each round, inside its interval.
        """
        interval = self.config.health.interval_s
        needed = self.config.health.timeout_s + SAFETY_MARGIN_S
        reports: list[dict[str, ProbeResult]] = []
        with ThreadPoolExecutor(max_workers=min(16, len(self.config.regions))) as pool:
            while len(reports) < max_rounds and remaining_s() > needed:
                started = time.monotonic()
                reports.append(self.run_round(pool))
                if after_round is not None:
                    after_round(reports[-1])
                wait = interval - (time.monotonic() - started)
                if remaining_s() - max(0.0, wait) <= needed:
                    break
                if wait > 0:
                    sleep(wait)
        return reports
