"""Region health as an operator reads it: now (region_report) and over time (region_timeline).

One place for ``edgeway gslb status`` and the console's Regions and Transitions
sections, so they can never disagree. Pure: stored cells or transitions and a
clock in, rows out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .config import GslbConfig
from .health import Health, VantageHealth


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of one vantage point's verdict on a region (GslbStore.put_transition keeps it)."""

    at: float
    vantage: str
    region: str
    before: Health
    after: Health
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "vantage": self.vantage, "region": self.region,
                "from": self.before.value, "to": self.after.value, "reason": self.reason}


def region_report(config: GslbConfig, cells: Iterable[tuple[str, str, VantageHealth]], *,
                  now: float, switches: Mapping[str, Mapping[str, Any]] | None = None
                  ) -> list[dict[str, Any]]:
    """One row per configured region: health, reason, listener switch (local only), votes."""
    board = config.health_board()
    for vantage, region, cell in cells:
        board.put(vantage, region, cell)
    report = []
    for name in config.region_names:
        verdict = board.region(name, now)
        vantages = {v: {"state": c.state_at(now, config.health).value,
                        "age_s": round(max(0.0, now - c.last_at), 1) if c.last_at else None}
                    for (v, r), c in sorted(board.cells.items()) if r == name}
        switch = (switches or {}).get(name, {})
        report.append({"region": name, "health": verdict.state.value,
                       "reason": f"quorum {config.effective_quorum} of {len(config.region_names)}: "
                                 f"{verdict.describe()}",
                       "listener": switch.get("url"), "switched_down": switch.get("down"),
                       "vantages": vantages})
    return report


def region_timeline(transitions: Iterable[Transition], config: GslbConfig) -> list[dict[str, Any]]:
    """Replay per-vantage changes (oldest first) through the quorum: when each region's
    combined verdict changed (the failovers).

    Staleness is not replayed (a vote is taken as standing until its next change),
    so this is the timeline of what the vantage points said, not of silences.
    """
    board = config.health_board()
    verdict = dict.fromkeys(config.region_names, Health.UNKNOWN)
    out = []
    for t in transitions:
        if t.region not in verdict:
            continue
        board.put(t.vantage, t.region, VantageHealth(state=t.after, last_at=t.at))
        combined = board.region(t.region, t.at)
        if combined.state is not verdict[t.region]:
            out.append({"at": t.at, "region": t.region, "from": verdict[t.region].value,
                        "to": combined.state.value,
                        "reason": f"{combined.describe()} after {t.vantage} saw {t.after.value}"})
            verdict[t.region] = combined.state
    return out
