"""Resilient backend calls: retries with a budget, circuit breaker, hedging."""

from __future__ import annotations

from edgeway.errors import CircuitOpen
from edgeway.resilience.backend import ResilientBackend, compile_resilience
from edgeway.resilience.circuit import CircuitBreaker, CircuitConfig, CircuitState
from edgeway.resilience.policy import RetryPolicy

__all__ = ["CircuitBreaker", "CircuitConfig", "CircuitOpen", "CircuitState", "ResilientBackend",
           "RetryPolicy", "compile_resilience"]
