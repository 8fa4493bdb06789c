"""Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
Backoff and Jitter"): the delay before retry n is uniform in [0, min(cap, base*2^n)].

Full jitter spreads retries of many clients that failed at the same moment, so
they do not come back in synchronised waves.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter, capped."""
    base_s: float = 0.05
    cap_s: float = 1.0
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int) -> float:
        """Delay before retry ``attempt`` (1 for the first retry)."""
        ceiling = min(self.cap_s, self.base_s * (2 ** (attempt - 1)))
        return float(self.rand() * ceiling)
