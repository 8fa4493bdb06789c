"""Failover time and flapping, simulated with a fake clock through the real health code and Engine.

Every vantage point probes every region on its own fixed cadence (``interval_s``
from the demo gateway.yaml, random phase, as the local stack does). A region
goes down at a random instant; we measure how long until the Engine stops
answering it for a client it was serving, and how long until it answers it again
after the region comes back. Two failure kinds: an immediate 503 (what `edgeway
region down` does) and a black hole (every probe runs into its timeout).
Flapping: 500 probe rounds in which 20% of the probes to a healthy region fail at
random, many seeds; a false failover is any answer that moves off that region.

    python -m bench.gslb_failover        # writes its section of docs/bench/gslb.md
"""

from __future__ import annotations

import heapq
import random
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from gslb.engine import Engine, build_engine
from gslb.health import Health

from .gslb_report import write_section

CONFIG = Path(__file__).resolve().parent.parent / "gateway.yaml"
CLIENT = "198.51.100.7"   # the demo networks table places it in Frankfurt: served by eu-west-1
TARGET = "eu-west-1"
FAST_PROBE_S = 0.002      # a 503 or a 200 from a local listener


class Sim:
    """Probe events of every (vantage, region) pair in time order, on a fake clock."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = 0.0
        self.engine: Engine = build_engine(CONFIG, clock=lambda: self.now)
        self.interval = self.engine.config.health.interval_s
        self.timeout = self.engine.config.health.timeout_s
        self.events: list[tuple[float, str, str]] = []
        for vantage in self.engine.config.region_names:
            for region in self.engine.config.region_names:
                heapq.heappush(self.events, (self.rng.uniform(0, self.interval), vantage, region))

    def run_until(self, end: float, outcome, watch=None):  # type: ignore[no-untyped-def]
        """Process probes starting before `end`; `outcome(region, t)` -> (ok, seconds the probe takes)."""
        pending: list[tuple[float, str, str, bool]] = []
        while self.events and self.events[0][0] < end:
            start, vantage, region = heapq.heappop(self.events)
            ok, takes = outcome(region, start)
            heapq.heappush(pending, (start + takes, vantage, region, ok))
            heapq.heappush(self.events, (start + self.interval, vantage, region))
            while pending and pending[0][0] <= (self.events[0][0] if self.events else end):
                done, v, r, result = heapq.heappop(pending)
                self.now = done
                self.engine.observe_probe(v, r, result, at=done)
                if watch is not None and watch(self.engine):
                    return self.now
        return None


def failover_trial(seed: int, *, blackhole: bool) -> tuple[float, float]:
    sim = Sim(seed)
    healthy = lambda region, t: (True, FAST_PROBE_S)  # noqa: E731
    sim.run_until(40.0, healthy)  # everything UP and settled
    assert sim.engine.resolve(CLIENT).region.name == TARGET
    down_at = 40.0 + sim.rng.uniform(0, sim.interval)

    def failing(region: str, t: float) -> tuple[bool, float]:
        if region == TARGET and t >= down_at:
            return False, (sim.timeout if blackhole else FAST_PROBE_S)
        return True, FAST_PROBE_S

    moved = sim.run_until(down_at + 60, failing, lambda e: e.resolve(CLIENT).region.name != TARGET)
    assert moved is not None
    up_at = moved + 20.0
    sim.run_until(up_at, failing)

    def recovered(region: str, t: float) -> tuple[bool, float]:
        return (t >= up_at or region != TARGET), FAST_PROBE_S

    back = sim.run_until(up_at + 60, recovered, lambda e: e.resolve(CLIENT).region.name == TARGET)
    assert back is not None
    return moved - down_at, back - up_at


def flapping_trial(seed: int, rounds: int = 500, loss: float = 0.2) -> tuple[int, int]:
    """(false failovers seen by the client, vantage-level DOWN verdicts absorbed by the quorum)."""
    sim = Sim(seed)
    sim.run_until(40.0, lambda region, t: (True, FAST_PROBE_S))
    changes = 0
    vantage_downs = 0
    last = {v: Health.UP for v in sim.engine.config.region_names}

    def lossy(region: str, t: float) -> tuple[bool, float]:
        return (region != TARGET or sim.rng.random() >= loss), FAST_PROBE_S

    def watch(engine: Engine) -> bool:
        nonlocal changes, vantage_downs
        changes += engine.resolve(CLIENT).region.name != TARGET
        for (v, r), cell in engine.vantage_health().items():
            if r == TARGET:
                if cell.state is Health.DOWN and last[v] is not Health.DOWN:
                    vantage_downs += 1
                last[v] = cell.state
        return False

    sim.run_until(40.0 + rounds * sim.interval, lossy, watch)
    return changes, vantage_downs


def main(argv: Sequence[str] | None = None) -> int:
    probe_engine = build_engine(CONFIG)
    h = probe_engine.config.health
    bound = h.fall * h.interval_s + 1.0
    lines = [f"Demo config: probe interval {h.interval_s:g} s, timeout {h.timeout_s:g} s, fall {h.fall}, "
             f"rise {h.rise}, quorum {probe_engine.config.effective_quorum} of "
             f"{len(probe_engine.config.regions)} vantage points. Simulated with a fake clock through "
             "gslb.health and gslb.engine (the code the local stack runs); 200 trials each, random "
             "probe phases and failure instants.", "",
             "| failure | failover median | p95 | max | target (fall x interval + 1 s) | recovery median | max |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, blackhole in (("503 from /health (`edgeway region down`)", False),
                             ("black hole (probes time out)", True)):
        times = [failover_trial(seed, blackhole=blackhole) for seed in range(200)]
        out = sorted(t for t, _ in times)
        back = sorted(b for _, b in times)
        ok = "met" if out[-1] <= bound else "MISSED"
        lines.append(f"| {label} | {statistics.median(out):.2f} s | {out[int(0.95 * (len(out) - 1))]:.2f} s "
                     f"| {out[-1]:.2f} s | {bound:.1f} s ({ok}) | {statistics.median(back):.2f} s "
                     f"| {back[-1]:.2f} s |")
    seeds = 100
    flaps = [flapping_trial(seed) for seed in range(seeds)]
    false_failovers = sum(1 for c, _ in flaps if c)
    absorbed = sum(v for _, v in flaps)
    lines += ["", f"Flapping: {seeds} runs x 500 probe rounds, 20% of the probes to a healthy {TARGET} "
              f"failing at random (independently per vantage point): **{false_failovers} run(s) with a "
              f"false failover**; {absorbed} single-vantage DOWN verdicts in total were outvoted by the "
              "quorum. Answers carry the short TTL "
              f"({probe_engine.config.dns.ttl_near_change} s) for settle_s after a change, so resolver caches "
              "add at most that on top."]
    text = "\n".join(lines)
    print(text)
    write_section("gslb_failover", "Failover and flapping (bench/gslb_failover.py)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
