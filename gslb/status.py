"""Region health as an operator reads it: the verdict, its reason, and every vantage point's vote.

One function for ``edgeway gslb status`` and the console's Regions section, so
the two can never disagree. Pure: stored cells and a clock in, rows out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .config import GslbConfig
from .health import VantageHealth


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
