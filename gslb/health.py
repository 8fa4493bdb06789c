"""Region health: a state machine per (vantage point, region) and a quorum across vantage points.

Pure: fed with probe results and timestamps, no sockets, no clock of its own.

Per (vantage, region) -- ``VantageHealth.observe``::

    UNKNOWN --rise passes in a row--> UP
    UNKNOWN --fall failures in a row--> DOWN
    UP      --fall failures in a row--> DOWN
    DOWN    --rise passes in a row--> UP
    any     --no probe for stale_after_s--> UNKNOWN   (computed when read; not DOWN)

The initial state is UNKNOWN. A probe arriving after a stale gap restarts from
UNKNOWN: counts from before the gap say nothing about now.

Per region -- ``combine``: each vantage point votes with its (fresh) state.
DOWN needs ``quorum`` DOWN votes that also outnumber the UP votes, so one
vantage point with a bad network path cannot take a region out; UP needs
``quorum`` UP votes; anything else is UNKNOWN. Selection serves UP and UNKNOWN
regions alike and avoids DOWN ones: losing sight of a region is not evidence
that it failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class Health(str, Enum):
    UNKNOWN = "unknown"  # initial; also what a stale or split verdict reads as
    UP = "up"            # rise consecutive passes (per vantage) / quorum of UP votes
    DOWN = "down"        # fall consecutive failures (per vantage) / quorum of DOWN votes


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """``gslb.health`` of gateway.yaml; rise, fall and stale_after_s drive the machines below."""

    interval_s: float = 1.0         # probe period per (vantage, region)
    timeout_s: float = 0.8          # per probe; must be below the interval
    rise: int = 2                   # consecutive passes to become UP
    fall: int = 5                   # consecutive failures to become DOWN
    quorum: int | None = None       # vantage points that must agree; None = majority
    stale_after_s: float = 10.0     # a vantage point silent this long counts as UNKNOWN
    settle_s: float = 30.0          # short TTLs for this long after a health change


@dataclass(frozen=True, slots=True)
class VantageHealth:
    """What one vantage point knows about one region. Immutable: observe() returns a new one."""

    state: Health = Health.UNKNOWN
    passes: int = 0                  # consecutive passes ending at the last probe
    failures: int = 0                # consecutive failures ending at the last probe
    last_at: float | None = None     # time of the last probe
    changed_at: float | None = None  # time `state` last changed

    def observe(self, ok: bool, at: float, t: HealthConfig) -> VantageHealth:
        current = self if not self.is_stale(at, t) else VantageHealth(changed_at=self.changed_at)
        passes = current.passes + 1 if ok else 0
        failures = 0 if ok else current.failures + 1
        state = current.state
        if ok and passes >= t.rise:
            state = Health.UP
        elif not ok and failures >= t.fall:
            state = Health.DOWN
        changed_at = at if state is not current.state else current.changed_at
        return VantageHealth(state, passes, failures, at, changed_at)

    def is_stale(self, now: float, t: HealthConfig) -> bool:
        return self.last_at is None or now - self.last_at > t.stale_after_s

    def state_at(self, now: float, t: HealthConfig) -> Health:
        return Health.UNKNOWN if self.is_stale(now, t) else self.state


@dataclass(frozen=True, slots=True)
class RegionHealth:
    state: Health
    up_votes: int = 0
    down_votes: int = 0
    unknown_votes: int = 0
    forced: bool = False  # set by an operator (what-if `--down`), not by probes

    def describe(self) -> str:
        if self.forced:
            return f"{self.state.value} (forced)"
        return (f"{self.state.value} ({self.up_votes} up, {self.down_votes} down, "
                f"{self.unknown_votes} unknown)")


def combine(votes: Mapping[str, VantageHealth], now: float, t: HealthConfig, *, quorum: int,
            vantages: int | None = None) -> RegionHealth:
    """Quorum across vantage points; `vantages` counts the silent ones as UNKNOWN."""
    states = [v.state_at(now, t) for v in votes.values()]
    up = states.count(Health.UP)
    down = states.count(Health.DOWN)
    unknown = max(len(states), vantages or 0) - up - down
    if down >= quorum and down > up:
        state = Health.DOWN
    elif up >= quorum:
        state = Health.UP
    else:
        state = Health.UNKNOWN
    return RegionHealth(state, up, down, unknown)


@dataclass(slots=True)
class HealthBoard:
    """Every (vantage, region) state machine, and the per-region verdict at a time.
    The vantage points are the regions themselves: every region probes every region."""

    regions: tuple[str, ...]
    config: HealthConfig
    quorum: int
    cells: dict[tuple[str, str], VantageHealth] = field(default_factory=dict)
    forced_down: frozenset[str] = frozenset()

    def observe(self, vantage: str, region: str, ok: bool, at: float) -> None:
        key = (vantage, region)
        self.cells[key] = self.cells.get(key, VantageHealth()).observe(ok, at, self.config)

    def put(self, vantage: str, region: str, cell: VantageHealth) -> None:
        """Install a state computed elsewhere (e.g. read back from the observation store)."""
        old = self.cells.get((vantage, region))
        if old is None or (old.last_at or 0) <= (cell.last_at or 0):
            self.cells[(vantage, region)] = cell

    def region(self, region: str, now: float) -> RegionHealth:
        if region in self.forced_down:
            return RegionHealth(Health.DOWN, forced=True)
        votes = {v: c for (v, r), c in self.cells.items() if r == region}
        return combine(votes, now, self.config, quorum=self.quorum, vantages=len(self.regions))

    def view(self, now: float) -> dict[str, RegionHealth]:
        return {name: self.region(name, now) for name in self.regions}
