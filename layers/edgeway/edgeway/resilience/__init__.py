"""Resilient backend calls: retries with a budget, circuit breaker, hedging."""

from __future__ import annotations

from edgeway.errors import CircuitOpen
from edgeway.resilience.backend import (RESILIENCE_KEYS, ResilienceSpec, ResilientBackend,
                                        compile_resilience)
from edgeway.resilience.budget import RetryBudget
from edgeway.resilience.circuit import CircuitBreaker, CircuitConfig, CircuitState
from edgeway.resilience.policy import IDEMPOTENT_METHODS, RetryPolicy

__all__ = [
    "IDEMPOTENT_METHODS", "RESILIENCE_KEYS", "CircuitBreaker", "CircuitConfig", "CircuitOpen",
    "CircuitState", "ResilienceSpec", "ResilientBackend", "RetryBudget", "RetryPolicy",
    "compile_resilience",
]
