"""What may be retried, read from ``retry:`` / ``hedge:``; pure decisions."""

from __future__ import annotations

from collections.abc import Mapping
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
        d = cls()  # the defaults (slots dataclasses have no class-level values)
        timeout_ms = spec.get("attempt_timeout_ms")
        return cls(
            attempts=int(spec.get("attempts", d.attempts)),
            base_s=float(spec.get("base_ms", d.base_s * 1000)) / 1000,
            cap_s=float(spec.get("cap_ms", d.cap_s * 1000)) / 1000,
            attempt_timeout_s=timeout_ms / 1000 if timeout_ms else None,
            statuses=frozenset(spec.get("on_status", RETRYABLE_STATUSES)),
            budget_ratio=float(spec.get("budget_ratio", d.budget_ratio)),
            budget_window_s=int(spec.get("budget_window_s", d.budget_window_s)),
            budget_min_retries=int(spec.get("budget_min_retries", d.budget_min_retries)),
        )

    def retryable(self, outcome: Response | HttpError) -> bool:
        if isinstance(outcome, Response):
            return outcome.status in self.statuses
        return isinstance(outcome, RETRYABLE_ERRORS)


def is_failure(outcome: Response | BaseException) -> bool:
    """What counts against the circuit breaker: errors, timeouts and 5xx answers."""
    if isinstance(outcome, Response):
        return outcome.status >= 500
    return True
