"""Retry budget: retries may add at most ``ratio`` extra calls over a sliding window.

Counts live in one-second buckets so memory stays bounded whatever the traffic.
A retry is admitted only if, counting it, retries <= ratio * first attempts
(+ ``min_retries``, 0 by default: the budget is strict) over the last
``window_s`` seconds. When a backend is down, the budget is what stops retries
from multiplying its load.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from edgeway.resilience.policy import RetryPolicy


class RetryBudget:
    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self.ratio = policy.budget_ratio
        self.window_s = policy.budget_window_s
        self.min_retries = policy.budget_min_retries
        self.clock = clock
        self._buckets: deque[list[int]] = deque()  # [second, calls, retries]
        self._lock = threading.Lock()

    def _bucket(self) -> list[int]:
        now = int(self.clock())
        while self._buckets and self._buckets[0][0] <= now - self.window_s:
            self._buckets.popleft()
        if not self._buckets or self._buckets[-1][0] != now:
            self._buckets.append([now, 0, 0])
        return self._buckets[-1]

    def record_call(self) -> None:
        """A first attempt (not a retry)."""
        with self._lock:
            self._bucket()[1] += 1

    def try_spend(self) -> bool:
        """Admit one retry (or hedge) if the budget allows it; count it if so."""
        with self._lock:
            bucket = self._bucket()
            calls = sum(b[1] for b in self._buckets)
            retries = sum(b[2] for b in self._buckets)
            if retries + 1 > self.ratio * calls + self.min_retries:
                return False
            bucket[2] += 1
            return True
