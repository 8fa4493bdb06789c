"""The Engine: the one object the answer paths (DNS, HTTP, CLI) talk to.

It holds the config, the networks table, the health board and the latency
model, and turns a client address into a ``Decision``. Everything that can
change a decision (health, observations, forced-down regions, loads, the end
of the settle window) goes through a method that bumps ``generation``, so
callers may cache decisions per (generation, prefix) and drop them on change
(``gslb.dns_cache`` does). The Engine itself caches nothing: within one
generation a prefix always gets the same Decision, because the hysteresis
input ("previous region") is the one answered in an *earlier* generation.
Thread-safe: mutations take a lock; ``resolve`` reads an immutable snapshot.

``Resolver`` is the read side the answer paths depend on; the Engine and the
test fake (``tests/gslb_fakes.py``) both satisfy it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from edgeway.errors import ConfigError

from .config import GslbConfig, load_gslb_config
from .health import Health, RegionHealth, VantageHealth
from .latency import Estimate, LatencyModel
from .networks import IPAddress, IPNetwork, Network, NetworkTable, load_networks, parse_address
from .observations import Observation, read_observations
from .selection import Ranked, rank

__all__ = ["Decision", "Engine", "RegionChoice", "Resolver", "build_engine", "decision_as_dict",
           "load_gslb_config"]

PREVIOUS_KEPT = 65_536   # prefixes whose previous region is remembered (hysteresis)
LOAD_STEP = 0.05         # load changes below this share of capacity do not change answers


@dataclass(frozen=True, slots=True)
class RegionChoice:
    name: str
    endpoint: str
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    latency_ms: float          # modelled RTT for this client
    reason: str                # e.g. "lowest modelled latency 23.1 ms (measured)"


@dataclass(frozen=True, slots=True)
class Decision:
    region: RegionChoice                     # the answer
    alternatives: tuple[RegionChoice, ...]   # ordered, healthy first
    reason: str                              # one line, goes into the DNS TXT record
    ttl: int                                 # seconds; shorter near a health change
    prefix: IPNetwork                        # placement prefix: every address in it gets this Decision


class Resolver(Protocol):
    """What the answer paths (DNS, HTTP, Route 53 plan) need of an Engine."""

    config: GslbConfig
    networks: NetworkTable

    @property
    def generation(self) -> int:
        """Moves whenever any Decision may have changed."""

    def resolve(self, client: str | IPAddress) -> Decision:
        """The decision for a client address (ValueError for a malformed one)."""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    generation: int
    health: dict[str, RegionHealth]
    last_known_good: frozenset[str]
    loads: dict[str, float]
    near_change: bool


class Engine:
    def __init__(self, config: GslbConfig, *, networks: NetworkTable | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.networks = networks if networks is not None else NetworkTable()
        self.clock = clock
        self._health = config.health_board()
        self._latency = LatencyModel({r.name: (r.location.lat, r.location.lon) for r in config.regions},
                                     window=config.observations.window,
                                     max_age_s=config.observations.max_age_s)
        self._lock = threading.RLock()
        self._loads: dict[str, float] = {}
        self._last_known_good: frozenset[str] = frozenset()
        self._changed_at: float | None = None
        # prefix -> (generation, region answered then, region answered in an earlier generation)
        self._previous: OrderedDict[IPNetwork, tuple[int, str, str | None]] = OrderedDict()
        self._snapshot = self._evaluate(0, self.clock())

    # -- reading ---------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        return self._snapshot.generation

    def health(self) -> dict[str, RegionHealth]:
        return dict(self._snapshot.health)

    def vantage_health(self) -> dict[tuple[str, str], VantageHealth]:
        with self._lock:
            return dict(self._health.cells)

    def estimates(self, prefix: IPNetwork, location: tuple[float, float] | None) -> dict[str, Estimate]:
        """The latency model's RTT to every region for a placed prefix (measured or modelled)."""
        with self._lock:
            return self._latency.estimate(prefix, location)

    def resolve(self, client: str | IPAddress) -> Decision:
        addr = parse_address(client)
        with self._lock:
            measured = self._latency.measured_prefixes()
        prefix, net = self.networks.answer_block(addr, measured)
        snap = self._snapshot
        location = (net.lat, net.lon) if net is not None else None
        with self._lock:
            estimates = self._latency.estimate(prefix, location)
            seen = self._previous.get(prefix)
        previous = None if seen is None else seen[2] if seen[0] == snap.generation else seen[1]
        ranked = rank(self.config.regions, snap.health, estimates, policy=self.config.selection,
                      previous=previous, last_known_good=snap.last_known_good,
                      loads=snap.loads, spill_key=_spill_key(prefix))
        decision = self._decision(ranked, prefix, snap, placed=net)
        with self._lock:
            if self._snapshot is snap:
                self._previous[prefix] = (snap.generation, decision.region.name, previous)
                self._previous.move_to_end(prefix)
                while len(self._previous) > PREVIOUS_KEPT:
                    self._previous.popitem(last=False)
        return decision

    # -- feeding ---------------------------------------------------------------------------
    def observe_probe(self, vantage: str, region: str, ok: bool, *, at: float | None = None) -> bool:
        """One probe result through the (vantage, region) state machine; True if answers changed."""
        with self._lock:
            self._health.observe(vantage, region, ok, self.clock() if at is None else at)
            return self._refresh()

    def load_health(self, cells: Iterable[tuple[str, str, VantageHealth]]) -> bool:
        """Install per-(vantage, region) states read back from the observation store."""
        with self._lock:
            for vantage, region, cell in cells:
                if region in self._health.regions:
                    self._health.put(vantage, region, cell)
            return self._refresh()

    def ingest(self, observations: Iterable[Observation]) -> int:
        """Latency observations (client IP or prefix -> region -> rtt); returns how many were new.

        Idempotent: samples already held (same time and value) are skipped, so a caller
        may re-read the whole store each time and only real news bumps the generation.
        """
        now = self.clock()
        added = 0
        with self._lock:
            for obs in observations:  # the model skips regions it does not know
                client = obs.client
                if "/" in client:
                    client = str(ipaddress.ip_network(client, strict=False).network_address)
                prefix, net = self.networks.placement(client)
                location = (net.lat, net.lon) if net is not None else None
                added += self._latency.add(prefix, location, obs.region, obs.rtt_ms,
                                           obs.at if obs.at is not None else now)
            if self._latency.expire(now) or added:
                self._snapshot = self._evaluate(self._snapshot.generation + 1, self.clock())
        return added

    def set_down(self, regions: Iterable[str]) -> None:
        """Force regions DOWN whatever the probes say (what-if analysis)."""
        with self._lock:
            self._health.forced_down = frozenset(regions)
            self._refresh(force=True)

    def set_load(self, region: str, load: float) -> bool:
        """A region's current load (from its /health). Only matters for regions with a capacity,
        and only a change of more than LOAD_STEP of the capacity is news (no churn per probe)."""
        capacity = next((r.capacity for r in self.config.regions if r.name == region), None)
        with self._lock:
            old = self._loads.get(region)
            if capacity is None or (old is not None and abs(load - old) <= LOAD_STEP * capacity):
                return False
            self._loads[region] = load
            return self._refresh(force=True)

    def tick(self) -> bool:
        """Re-evaluate time-driven state (staleness, end of the settle window, sample age)."""
        with self._lock:
            return self._refresh(force=self._latency.expire(self.clock()) > 0)

    # -- internals -------------------------------------------------------------------------
    def _refresh(self, *, force: bool = False) -> bool:
        now = self.clock()
        fresh = self._evaluate(self._snapshot.generation, now)
        old = self._snapshot
        states_changed = {k: v.state for k, v in fresh.health.items()} != \
            {k: v.state for k, v in old.health.items()}
        if states_changed:
            self._changed_at = now
            fresh = self._evaluate(old.generation, now)
        bump = force or states_changed or fresh.near_change != old.near_change or fresh.loads != old.loads
        self._snapshot = replace(fresh, generation=old.generation + bump)
        return bump

    def _evaluate(self, generation: int, now: float) -> _Snapshot:
        view = self._health.view(now)
        good = frozenset(n for n, h in view.items() if h.state is not Health.DOWN)
        if good:
            self._last_known_good = good
        near = self._changed_at is not None and now - self._changed_at < self.config.health.settle_s
        return _Snapshot(generation, view, self._last_known_good, dict(self._loads), near)

    def _decision(self, ranked: tuple[Ranked, ...], prefix: IPNetwork, snap: _Snapshot,
                  placed: Network | None) -> Decision:
        choices = tuple(_choice(r) for r in ranked)
        top = ranked[0]
        health = snap.health[top.region.name].describe()
        where = "" if placed is not None else "; client not in the networks table"
        reason = f"{top.region.name}: {top.reason}; health {health}{where}"
        fail_open = not top.eligible
        ttl = self.config.dns.ttl_near_change if (snap.near_change or fail_open) else self.config.dns.ttl
        return Decision(choices[0], choices[1:], reason, ttl, prefix)


def decision_as_dict(decision: Decision, client: str | None = None) -> dict[str, object]:
    """The JSON shape of a decision: what `/gslb/resolve` and `edgeway gslb resolve --json` print."""
    def region(c: RegionChoice) -> dict[str, object]:
        return {"region": c.name, "endpoint": c.endpoint, "addresses": list(c.ipv4 + c.ipv6),
                "latency_ms": c.latency_ms, "reason": c.reason}

    out: dict[str, object] = {} if client is None else {"ip": client}
    out.update(region(decision.region))
    out.update({"alternatives": [region(a) for a in decision.alternatives], "reason": decision.reason,
                "ttl": decision.ttl, "prefix": str(decision.prefix)})
    return out


def _choice(r: Ranked) -> RegionChoice:
    return RegionChoice(r.region.name, r.region.endpoint, r.region.ipv4, r.region.ipv6,
                        round(r.latency_ms, 1), r.reason)


def _spill_key(prefix: IPNetwork) -> float:
    """A stable number in [0, 1) per prefix: which clients spill is the same every time."""
    digest = hashlib.blake2b(str(prefix).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0 ** 64


def build_engine(config_path: str | Path, *, networks: str | Path | NetworkTable | None = None,
                 observations: str | Path | Iterable[Observation] | None = None,
                 down: Iterable[str] = (), clock: Callable[[], float] = time.time) -> Engine:
    """Config + networks table (+ observations CSV, + forced-down regions) -> Engine."""
    config = load_gslb_config(config_path)
    if not isinstance(networks, NetworkTable):
        networks = load_networks(networks if networks is not None else config.networks)
    engine = Engine(config, networks=networks, clock=clock)
    observations = observations if observations is not None else config.observations.path
    if isinstance(observations, (str, Path)):
        # rows for regions this config does not have are skipped, not refused: a what-if
        # config may drop regions the measurements cover (`edgeway gslb observe` is strict)
        observations = read_observations(observations)
    if observations is not None:
        engine.ingest(observations)
    down = tuple(down)
    if down:
        unknown = sorted(set(down) - set(config.region_names))
        if unknown:
            raise ConfigError(f"unknown region(s) {', '.join(unknown)} (configured: "
                              f"{', '.join(config.region_names)})", file=config.source, key="--down")
        engine.set_down(down)
    return engine
