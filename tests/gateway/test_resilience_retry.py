"""Retries (idempotent only, retryable only, full jitter, budget) and hedging."""

from __future__ import annotations

import threading

import pytest
from edgeway.errors import BackendError, BackendTimeout, BadRequest, ServiceUnavailable
from edgeway.http import Request, Response
from edgeway.resilience import ResilientBackend, RetryPolicy

from tests.backend_stubs import FakeClock, body_of, event, gateway, install


class Flaky:
    name = "flaky"

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self, request, *, timeout_s):
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else Response(status=200)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def resilient(inner, clock, *, attempts=3, ratio=0.2, min_retries=10, sleeps=None, rand=lambda: 1.0):
    policy = RetryPolicy(attempts=attempts, base_s=0.1, cap_s=0.3, budget_ratio=ratio,
                         budget_window_s=10, budget_min_retries=min_retries)
    return ResilientBackend(inner, retry=policy, clock=clock, rand=rand,
                            sleep=(sleeps.append if sleeps is not None else lambda s: None))


def req(method="GET"):
    return Request(method=method, path="/x", headers={})


@pytest.mark.parametrize("failure", [
    Response(status=503), Response(status=502), Response(status=504), Response(status=429),
    BackendTimeout("t"), ServiceUnavailable("throttled"), BackendError("bad gateway"),
])
def test_idempotent_request_is_retried_on_retryable_failures(failure):
    inner = Flaky([failure, failure])
    response = resilient(inner, FakeClock())(req("GET"), timeout_s=5)
    assert response.status == 200 and inner.calls == 3


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_idempotent_request_is_never_retried(method):
    inner = Flaky([Response(status=503)])
    assert resilient(inner, FakeClock())(req(method), timeout_s=5).status == 503
    assert inner.calls == 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "HEAD", "OPTIONS"])
def test_every_idempotent_method_is_retried(method):
    inner = Flaky([Response(status=503)])
    assert resilient(inner, FakeClock())(req(method), timeout_s=5).status == 200


def test_non_retryable_failures_are_not_retried():
    inner = Flaky([Response(status=500)])
    assert resilient(inner, FakeClock())(req(), timeout_s=5).status == 500
    inner = Flaky([BadRequest("no")])
    with pytest.raises(BadRequest):
        resilient(inner, FakeClock())(req(), timeout_s=5)
    assert inner.calls == 1


def test_last_failure_is_returned_when_attempts_run_out():
    inner = Flaky([BackendTimeout("slow")] * 5)
    with pytest.raises(BackendTimeout):
        resilient(inner, FakeClock())(req(), timeout_s=5)
    assert inner.calls == 3


def test_full_jitter_backoff_grows_and_is_capped():
    sleeps: list[float] = []
    inner = Flaky([Response(status=503)] * 4)
    resilient(inner, FakeClock(), attempts=5, sleeps=sleeps)(req(), timeout_s=60)
    assert sleeps == [0.1, 0.2, 0.3, 0.3]  # rand() = 1: the ceiling of each draw
    policy = RetryPolicy(base_s=0.1, cap_s=10)
    assert policy.delay(3, rand=lambda: 0.25) == pytest.approx(0.1)  # uniform in [0, 0.4]


def test_no_retry_when_the_backoff_would_pass_the_deadline():
    clock = FakeClock()
    inner = Flaky([Response(status=503)] * 3)
    assert resilient(inner, clock)(req(), timeout_s=0.05).status == 503
    assert inner.calls == 1


def test_budget_caps_extra_calls_at_twenty_percent():
    clock = FakeClock()
    inner = Flaky([Response(status=503)] * 10_000)
    backend = resilient(inner, clock, attempts=3, ratio=0.2, min_retries=0)
    for _ in range(100):
        backend(req(), timeout_s=5)
    extra = inner.calls - 100
    assert 0 < extra <= 20
    # The window slides: once it has passed, the budget is available again.
    clock.advance(11)
    calls = inner.calls
    for _ in range(10):
        backend(req(), timeout_s=5)
    assert 0 < inner.calls - calls - 10 <= 2


ROUTE = """
version: 1
routes:
  - id: users.get
    path: /v1/users/{id}
    methods: [GET, POST]
    timeout_ms: 2000
    backend: {type: lambda, function: users}
%s
"""


@pytest.fixture
def stubs(monkeypatch):
    return install(monkeypatch)


def test_open_circuit_answers_503_with_retry_after(stubs):
    users = stubs.add("users", lambda r, t: (_ for _ in ()).throw(BackendError("lambda:users failed")))
    gw = gateway(ROUTE % "    circuit: {consecutive_failures: 2, open_s: 30}")
    assert [gw(event("/v1/users/1"))["statusCode"] for _ in range(2)] == [502, 502]
    result = gw(event("/v1/users/1"))
    assert result["statusCode"] == 503
    assert result["headers"]["retry-after"] in ("29", "30")
    assert result["headers"]["content-type"] == "application/problem+json"
    assert "circuit is open" in body_of(result)["detail"]
    assert len(users.calls) == 2


def test_timeout_is_504_and_error_is_502_through_the_gateway(stubs):
    stubs.add("users", lambda r, t: (_ for _ in ()).throw(
        BackendTimeout("lambda:users did not answer") if r.method == "GET" else BackendError("boom")))
    gw = gateway(ROUTE % "    retry: {attempts: 2, base_ms: 1, cap_ms: 1, budget_min_retries: 5}")
    assert gw(event("/v1/users/1"))["statusCode"] == 504
    assert gw(event("/v1/users/1", method="POST", body="{}"))["statusCode"] == 502


def test_retry_through_the_gateway_recovers_a_get(stubs):
    answers = [Response(status=503), Response.json({"id": 1})]
    users = stubs.add("users", lambda r, t: answers.pop(0))
    gw = gateway(ROUTE % "    retry: {attempts: 3, base_ms: 1, cap_ms: 2, budget_min_retries: 1}")
    result = gw(event("/v1/users/1"))
    assert result["statusCode"] == 200 and len(users.calls) == 2


def test_hedged_read_takes_the_first_answer(stubs):
    release = threading.Event()

    def users_fn(request, timeout_s):
        if len(users.calls) == 1:
            release.wait(10)  # the first call hangs; the hedge answers
            return Response.json({"from": "first"})
        return Response.json({"from": "hedge"})

    users = stubs.add("users", users_fn)
    gw = gateway(ROUTE % "    hedge: {delay_ms: 20}\n    retry: {budget_min_retries: 10}")
    try:
        result = gw(event("/v1/users/1"))
    finally:
        release.set()
    assert body_of(result) == {"from": "hedge"} and len(users.calls) == 2


def test_writes_are_not_hedged(stubs):
    gate = threading.Event()
    users = stubs.add("users", lambda r, t: (gate.wait(0.2), Response.json({}))[1])
    gw = gateway(ROUTE % "    hedge: {delay_ms: 10}\n    retry: {budget_min_retries: 10}")
    gw(event("/v1/users/1", method="POST", body="{}"))
    assert len(users.calls) == 1


def test_open_circuit_is_not_retried_and_does_not_sleep():
    from edgeway.resilience import CircuitBreaker, CircuitConfig

    clock = FakeClock()
    sleeps: list[float] = []
    inner = Flaky([Response(status=503)] * 10)
    backend = resilient(inner, clock, sleeps=sleeps)
    backend.breaker = CircuitBreaker(CircuitConfig(consecutive_failures=1, open_s=30), clock)
    with pytest.raises(ServiceUnavailable) as info:
        backend(req(), timeout_s=5)
    assert inner.calls == 1 and len(sleeps) == 1  # one backoff, then the circuit was open
    assert info.value.headers["retry-after"] == "30"
