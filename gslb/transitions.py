"""Health transitions: one per change of a vantage point's verdict on a region.

They are stored in the GslbTable (``GslbStore.put_transition``), where the health
lives. ``region_timeline`` replays those per-vantage changes through the quorum
rule (``gslb.health.combine``) to find when each region's combined verdict
changed: the failovers. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .config import GslbConfig
from .health import Health, VantageHealth, combine


@dataclass(frozen=True, slots=True)
class Transition:
    at: float
    vantage: str
    region: str
    before: Health
    after: Health
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "vantage": self.vantage, "region": self.region,
                "from": self.before.value, "to": self.after.value, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class VerdictChange:
    at: float
    region: str
    before: Health
    after: Health
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "region": self.region, "from": self.before.value,
                "to": self.after.value, "reason": self.reason}


def region_timeline(transitions: Iterable[Transition], config: GslbConfig) -> list[VerdictChange]:
    """Replay per-vantage changes (oldest first) through the quorum: the combined changes.

    Staleness is not replayed (a vote is taken as standing until its next change),
    so this is the timeline of what the vantage points said, not of silences.
    """
    regions = config.region_names
    votes: dict[str, dict[str, VantageHealth]] = {r: {} for r in regions}
    verdict = {r: Health.UNKNOWN for r in regions}
    out = []
    for t in transitions:
        if t.region not in votes:
            continue
        votes[t.region][t.vantage] = VantageHealth(state=t.after, last_at=t.at)
        combined = combine(votes[t.region], t.at, config.health, quorum=config.effective_quorum,
                           vantages=len(regions))
        if combined.state is not verdict[t.region]:
            out.append(VerdictChange(t.at, t.region, verdict[t.region], combined.state,
                                     f"{combined.describe()} after {t.vantage} saw {t.after.value}"))
            verdict[t.region] = combined.state
    return out
