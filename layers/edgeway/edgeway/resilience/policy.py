"""What may be retried, read from ``retry:`` / ``hedge:``, how long to wait, and the budget
that bounds the extra calls."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.errors import BackendError, BackendTimeout, HttpError, ServiceUnavailable
from edgeway.http import Response

# RFC 9110 9.2.2: repeating these has the same effect as sending them once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Hedging sends the same request twice at once: only for reads.
HEDGEABLE_METHODS = frozenset({"GET", "HEAD"})
# Upstream answers that say "try again" (gateway errors and throttling).
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# Failures that may pass if tried again: timeouts (connect timeouts above all: the
# request never reached the backend), throttling, and gateway-level errors.
RETRYABLE_ERRORS: tuple[type[HttpError], ...] = (BackendTimeout, ServiceUnavailable, BackendError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Which failures are retried, how often, and within what share of the traffic."""
    attempts: int = 3                   # first call included
    base_s: float = 0.05
    cap_s: float = 1.0
    attempt_timeout_s: float | None = None  # cut each attempt so a retry has time left
    statuses: frozenset[int] = RETRYABLE_STATUSES
    budget_ratio: float = 0.2
    budget_window_s: int = 10
    budget_min_retries: int = 0

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> RetryPolicy:
        fields = dict(spec)  # the schema allows only the keys below and the fields' names
        for key in ("base_ms", "cap_ms", "attempt_timeout_ms"):
            if key in fields:
                fields[key.removesuffix("ms") + "s"] = fields.pop(key) / 1000
        if "on_status" in fields:
            fields["statuses"] = frozenset(fields.pop("on_status"))
        return cls(**fields)

    def retryable(self, outcome: Response | HttpError) -> bool:
        if isinstance(outcome, Response):
            return outcome.status in self.statuses
        return isinstance(outcome, RETRYABLE_ERRORS)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds before retry ``attempt`` (1 for the first retry): exponential backoff with
        full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"), uniform in
        [0, min(cap, base*2^(attempt-1))]. Full jitter spreads the retries of many clients
        that failed at the same moment, so they do not come back in synchronised waves."""
        return float(rand() * min(self.cap_s, self.base_s * (2 ** (attempt - 1))))


class RetryBudget:
    """Retries may add at most ``ratio`` extra calls over a sliding window.

    Counts live in one-second buckets so memory stays bounded whatever the traffic.
    A retry is admitted only if, counting it, retries <= ratio * first attempts
    (+ ``min_retries``, 0 by default: the budget is strict) over the last
    ``window_s`` seconds. When a backend is down, the budget is what stops retries
    from multiplying its load.
    """

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


def is_failure(outcome: Response | BaseException) -> bool:
    """What counts against the circuit breaker: errors, timeouts and 5xx answers."""
    return not isinstance(outcome, Response) or outcome.status >= 500
