"""What may be retried, read from ``retry:`` / ``hedge:``, and how long to wait; pure decisions."""

from __future__ import annotations

import random
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


def is_failure(outcome: Response | BaseException) -> bool:
    """What counts against the circuit breaker: errors, timeouts and 5xx answers."""
    if isinstance(outcome, Response):
        return outcome.status >= 500
    return True
