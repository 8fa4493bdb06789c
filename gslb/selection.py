"""Selection: (regions, health, latency, client) -> ranked regions, each with its reason.

Rules, in order:

1. **Eligible** regions are those not DOWN (UNKNOWN is served: losing sight of a
   region is not evidence that it failed).
2. Eligible regions are ranked by modelled latency.
3. **Margin** (hysteresis): regions within ``margin_ms`` of the fastest count as
   equally good. Among them the client's previous region is kept if it is one of
   them (a client is not moved for a tiny gain); otherwise the highest weight
   wins, then the lowest latency.
4. **Spill**: a region with a capacity whose projected load (its own load plus
   a weight-share of the load of DOWN regions) exceeds it sends the fraction
   ``1 - capacity / projected`` of its clients -- picked by a stable hash of the
   client prefix, so the same clients move every time -- to the next eligible
   region that is not itself over capacity.
5. **Fail open**: with no eligible region, the answer is the last known good
   regions (policy ``last_known_good``; all regions if none was ever good) or
   every region (policy ``all``), nearest first. Never empty.

DOWN regions follow the eligible ones, nearest first, so the list always names
every region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .config import FailOpen, RegionConfig, SelectionConfig
from .health import Health, RegionHealth
from .latency import Estimate, Source


@dataclass(frozen=True, slots=True)
class Ranked:
    region: RegionConfig
    latency_ms: float
    source: Source       # where latency_ms comes from
    reason: str
    eligible: bool


def rank(regions: Sequence[RegionConfig], health: Mapping[str, RegionHealth],
         latency: Mapping[str, Estimate], *, policy: SelectionConfig = SelectionConfig(),
         previous: str | None = None, last_known_good: frozenset[str] = frozenset(),
         loads: Mapping[str, float] | None = None, spill_key: float = 0.0) -> tuple[Ranked, ...]:
    """Every region, best first; the first entry is the answer."""
    order = {r.name: i for i, r in enumerate(regions)}

    def lat(r: RegionConfig) -> float:
        return latency[r.name].rtt_ms

    def src(r: RegionConfig) -> Source:
        return latency[r.name].source

    def by_latency(rs: list[RegionConfig]) -> list[RegionConfig]:
        return sorted(rs, key=lambda r: (lat(r), -r.weight, order[r.name]))

    is_down = {name for name, h in health.items() if h.state is Health.DOWN}
    eligible = by_latency([r for r in regions if r.name not in is_down])
    down = by_latency([r for r in regions if r.name in is_down])

    if not eligible:
        pool = [r for r in down if r.name in last_known_good]
        if policy.fail_open is FailOpen.LAST_KNOWN_GOOD and pool:
            why = "fail open: no healthy region, serving the last known good"
        else:
            pool = list(down)
            why = "fail open: no healthy region, serving every region"
        rest = [r for r in down if r not in pool]
        return tuple(
            [Ranked(r, lat(r), src(r), f"{why}; modelled {lat(r):.1f} ms ({src(r)})", False) for r in pool]
            + [Ranked(r, lat(r), src(r), f"down; modelled {lat(r):.1f} ms", False) for r in rest])

    best = eligible[0]
    reasons = {r.name: f"modelled {lat(r):.1f} ms ({src(r)})" for r in regions}
    reasons[best.name] = f"lowest modelled latency {lat(best):.1f} ms ({src(best)})"
    tied = [r for r in eligible if lat(r) <= lat(best) + policy.margin_ms]
    choice = best
    kept = [r for r in tied if r.name == previous]
    if kept and kept[0] is not best:
        choice = kept[0]
        reasons[choice.name] = (f"kept: {lat(choice):.1f} ms is within the {policy.margin_ms:g} ms "
                                f"margin of {best.name} ({lat(best):.1f} ms, {src(best)})")
    elif not kept:
        heaviest = max(tied, key=lambda r: (r.weight, -lat(r), -order[r.name]))
        if heaviest is not best:
            choice = heaviest
            reasons[choice.name] = (f"weight {choice.weight:g} within the {policy.margin_ms:g} ms margin "
                                    f"of {best.name}; modelled {lat(choice):.1f} ms ({src(choice)})")
    ranked = [choice] + [r for r in eligible if r is not choice]

    overflow = _overflow(regions, is_down, loads or {})
    if overflow:
        ranked = _spill(ranked, overflow, spill_key, reasons)

    return tuple([Ranked(r, lat(r), src(r), reasons[r.name], True) for r in ranked]
                 + [Ranked(r, lat(r), src(r), f"down ({health[r.name].describe()}); "
                                              f"modelled {lat(r):.1f} ms", False) for r in down])


def _overflow(regions: Sequence[RegionConfig], is_down: set[str],
              loads: Mapping[str, float]) -> dict[str, float]:
    """Share of its clients each over-capacity region must shed (0 < share < 1)."""
    if not loads:
        return {}
    orphaned = sum(loads.get(r.name, 0.0) for r in regions if r.name in is_down)
    up = [r for r in regions if r.name not in is_down]
    total_weight = sum(r.weight for r in up) or 1.0
    out: dict[str, float] = {}
    for r in up:
        if r.capacity is None:
            continue
        projected = loads.get(r.name, 0.0) + orphaned * r.weight / total_weight
        if projected > r.capacity:
            out[r.name] = 1.0 - r.capacity / projected
    return out


def _spill(ranked: list[RegionConfig], overflow: Mapping[str, float], key: float,
           reasons: dict[str, str]) -> list[RegionConfig]:
    first = ranked[0]
    share = overflow.get(first.name, 0.0)
    if key >= share:
        return ranked
    target = next((r for r in ranked[1:] if overflow.get(r.name, 0.0) <= key), None)
    if target is None:
        return ranked  # everyone is full: stay with the nearest
    reasons[target.name] = (f"spill from {first.name} (over capacity, shedding {share:.0%}); "
                            + reasons[target.name])
    reasons[first.name] = f"over capacity ({share:.0%} of clients spilled); " + reasons[first.name]
    return [target] + [r for r in ranked if r is not target]
