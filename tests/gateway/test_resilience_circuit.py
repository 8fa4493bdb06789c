"""The circuit breaker as a state machine, driven by a fake clock."""

from __future__ import annotations

import pytest
from edgeway.resilience import CircuitBreaker, CircuitConfig, CircuitOpen, CircuitState

from tests.backend_stubs import FakeClock


def breaker(clock, **kw):
    return CircuitBreaker(CircuitConfig(**kw), clock)


def call(b, *, failure):
    b.acquire()
    b.record(failure=failure)


def test_opens_after_consecutive_failures_and_success_resets_the_run():
    clock = FakeClock()
    b = breaker(clock, consecutive_failures=3, open_s=10)
    call(b, failure=True)
    call(b, failure=True)
    call(b, failure=False)
    call(b, failure=True)
    call(b, failure=True)
    assert b.state is CircuitState.CLOSED
    call(b, failure=True)
    assert b.state is CircuitState.OPEN
    with pytest.raises(CircuitOpen) as info:
        b.acquire()
    assert info.value.retry_after_s == 10


def test_opens_on_failure_ratio_once_enough_calls():
    clock = FakeClock()
    b = breaker(clock, consecutive_failures=0, failure_ratio=0.5, window=10, min_calls=4)
    for failure in (True, False, True):
        call(b, failure=failure)
    assert b.state is CircuitState.CLOSED  # 3 calls < min_calls
    call(b, failure=False)
    assert b.state is CircuitState.OPEN  # 2 of 4 failed


def test_open_then_half_open_then_closed_after_probe_successes():
    clock = FakeClock()
    b = breaker(clock, consecutive_failures=1, open_s=30, probes=2)
    call(b, failure=True)
    clock.advance(12.5)
    with pytest.raises(CircuitOpen) as info:
        b.acquire()
    assert info.value.retry_after_s == 18  # whole seconds until half-open, rounded up
    clock.advance(17.5)
    assert b.state is CircuitState.HALF_OPEN
    b.acquire()
    b.acquire()
    with pytest.raises(CircuitOpen):
        b.acquire()  # only `probes` calls at a time while half-open
    b.record(failure=False)
    assert b.state is CircuitState.HALF_OPEN
    b.record(failure=False)
    assert b.state is CircuitState.CLOSED


def test_half_open_failure_reopens_for_a_full_period():
    clock = FakeClock()
    b = breaker(clock, consecutive_failures=1, open_s=30)
    call(b, failure=True)
    clock.advance(30)
    call(b, failure=True)
    assert b.state is CircuitState.OPEN
    clock.advance(29)
    assert b.state is CircuitState.OPEN
    clock.advance(1)
    assert b.state is CircuitState.HALF_OPEN


def test_late_outcome_while_open_does_not_change_the_state():
    clock = FakeClock()
    b = breaker(clock, consecutive_failures=1, open_s=30)
    b.acquire()  # admitted while closed, answers after the breaker opened
    call(b, failure=True)
    b.record(failure=False)
    assert b.state is CircuitState.OPEN
