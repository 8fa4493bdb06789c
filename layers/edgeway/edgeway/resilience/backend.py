"""``ResilientBackend``: retries, circuit breaker and hedging around any backend.

Only a route or an aggregate part that sets ``retry:``, ``circuit:`` or ``hedge:``
gets one; a backend without them is left unchanged and costs nothing. Order per call::

    breaker.acquire -> [hedged] attempt -> breaker.record -> retry decision -> backoff

Every attempt shares the caller's deadline (the route budget); a retry is only
made when the method is idempotent, the failure is retryable, the retry budget
has room and the backoff still leaves time before the deadline.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

from edgeway import workers
from edgeway.backends import BackendSpec, Site
from edgeway.context import BuildContext
from edgeway.errors import BackendTimeout, CircuitOpen, HttpError, ServiceUnavailable
from edgeway.http import Request, Response
from edgeway.resilience.circuit import CircuitBreaker, CircuitConfig
from edgeway.resilience.policy import (HEDGEABLE_METHODS, IDEMPOTENT_METHODS, RetryBudget,
                                       RetryPolicy, is_failure)


class ResilientBackend:
    """``retry`` / ``circuit`` / ``hedge`` around a backend, which is its compiled spec until
    ``build`` wraps the built backend. The breaker and the retry budget are state shared by
    the container's requests (one pair per built backend)."""

    def __init__(self, inner: Any, *, retry: RetryPolicy | None = None,
                 circuit: CircuitConfig | None = None, hedge_delay_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 rand: Callable[[], float] = random.random) -> None:
        self.inner = inner
        self.name = inner.name
        self.retry = retry
        self.circuit = circuit
        self.breaker = CircuitBreaker(circuit, clock) if circuit else None
        self.hedge_delay_s = hedge_delay_s
        # Retries and hedges draw on one budget: both are extra calls to the backend.
        self.budget = (RetryBudget(retry or RetryPolicy(), clock)
                       if retry or hedge_delay_s is not None else None)
        self.clock = clock
        self.sleep = sleep
        self.rand = rand

    def build(self, ctx: BuildContext) -> ResilientBackend:
        return ResilientBackend(self.inner.build(ctx), retry=self.retry, circuit=self.circuit,
                                hedge_delay_s=self.hedge_delay_s)

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        deadline = self.clock() + timeout_s
        retry = self.retry if request.method in IDEMPOTENT_METHODS else None
        if self.budget is not None:
            self.budget.record_call()
        attempt = 0
        while True:
            attempt += 1
            outcome, reached = self._attempt(request, deadline)
            # An open circuit (not reached) is not retried: it stays open for far longer
            # than a backoff. The budget is spent last, only for a retry otherwise granted.
            if (reached and retry and attempt < retry.attempts and retry.retryable(outcome)
                    and self.clock() < deadline
                    and (self.budget is None or self.budget.try_spend())):
                # The delay is drawn only once a retry is granted; sleep is injected in tests.
                delay = retry.delay(attempt, self.rand)
                if self.clock() + delay < deadline:
                    self.sleep(delay)
                    continue
            if isinstance(outcome, Response):
                return outcome
            raise outcome

    def _attempt(self, request: Request, deadline: float) -> tuple[Response | HttpError, bool]:
        """The outcome of one attempt, and whether the backend was called at all."""
        if self.breaker is not None:
            try:
                self.breaker.acquire()
            except CircuitOpen as exc:
                return ServiceUnavailable(f"{self.name} is failing; its circuit is open",
                                          headers={"retry-after": str(exc.retry_after_s)}), False
        remaining = deadline - self.clock()
        if self.retry and self.retry.attempt_timeout_s:
            remaining = min(remaining, self.retry.attempt_timeout_s)
        try:
            if remaining <= 0:
                raise BackendTimeout(f"{self.name}: no time left for another attempt")
            if self.hedge_delay_s is not None and request.method in HEDGEABLE_METHODS:
                outcome: Response | HttpError = self._hedged(request, remaining)
            else:
                outcome = self.inner(request, timeout_s=remaining)
        except HttpError as exc:
            outcome = exc
        except BaseException:
            if self.breaker is not None:
                self.breaker.record(failure=True)
            raise
        if self.breaker is not None:
            self.breaker.record(failure=is_failure(outcome))
        return outcome, True

    def _hedged(self, request: Request, timeout_s: float) -> Response:
        """First good answer wins; a second call starts after ``hedge_delay_s``."""
        deadline = self.clock() + timeout_s
        pending = {workers.submit(self.inner, request, timeout_s=timeout_s)}
        done, _ = wait(pending, timeout=self.hedge_delay_s)
        if not done and (self.budget is None or self.budget.try_spend()):
            left = deadline - self.clock()
            if left > 0:
                pending.add(workers.submit(self.inner, request, timeout_s=left))
        last: Response | BaseException | None = None
        while pending:
            done, pending = wait(pending, timeout=max(0.0, deadline - self.clock()),
                                 return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                result = future.exception() or future.result()
                if isinstance(result, Response) and not is_failure(result):
                    return result
                last = result
        if last is None:
            raise BackendTimeout(f"{self.name} did not answer within {timeout_s:.1f} s")
        if isinstance(last, Response):
            return last
        raise last


def compile_resilience(spec: Mapping[str, Any], inner: BackendSpec, site: Site) -> BackendSpec:
    """``inner`` wrapped per the ``retry`` / ``circuit`` / ``hedge`` keys of ``spec`` (a route
    or an aggregate part; ``site`` is where those keys sit); unchanged without them."""
    if not any(spec.get(key) for key in ("retry", "circuit", "hedge")):
        return inner
    circuit = CircuitConfig.from_spec(spec["circuit"]) if spec.get("circuit") else None
    if circuit and circuit.failure_ratio is not None and circuit.min_calls > circuit.window:
        raise site.at("circuit", "min_calls").error(
            f"min_calls {circuit.min_calls} is more than window {circuit.window}: the failure "
            "ratio could never open the circuit")
    hedge = spec.get("hedge")
    return ResilientBackend(
        inner, retry=RetryPolicy.from_spec(spec["retry"]) if spec.get("retry") else None,
        circuit=circuit, hedge_delay_s=hedge.get("delay_ms", 50) / 1000 if hedge else None)
