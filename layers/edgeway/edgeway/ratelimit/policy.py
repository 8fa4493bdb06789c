"""What a plan does when DynamoDB fails, throttles or times out.

    closed (default)  503 problem+json with Retry-After: nothing is admitted
                      that was not counted
    open              admit, uncounted: availability over the limit
    local             an in-container token bucket at ``local_fraction`` of the
                      plan's rate and burst: each container limits on its own,
                      so the fleet admits at most C x fraction x rate

Never a double count: the counter client has botocore retries off and a failed
write is never sent again. A timeout or a 5xx may still have applied on the
server; then the request was counted once and is refused (closed: the unit is
lost to the consumer, the safe side) or admitted (open/local: counted once, as
it should be). A throttle is refused before it applies, so it counted nothing.
Every failure is logged and counted as the metric ``RateLimitStoreErrors``.
"""

from __future__ import annotations

import threading
from typing import Any

from edgeway.errors import CounterUnavailable, ServiceUnavailable
from edgeway.ratelimit.arithmetic import US, Bucket, Violation
from edgeway.ratelimit.outcome import Admitted, Denied, Outcome, Source
from edgeway.ratelimit.plans import OnError, PlanConfig

RETRY_AFTER_S = 1


class FailurePolicy:
    """The plan's ``on_error``, with the in-container GCRA buckets of ``local`` per
    (plan, consumer), used only while the counters are down."""

    def __init__(self, obs: Any) -> None:
        self.obs = obs
        self._tat: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def on_failure(self, plan: PlanConfig, consumer: str, cost: int, now: float,
                   exc: CounterUnavailable) -> Outcome:
        policy = plan.on_error
        if self.obs is not None:
            self.obs.count("RateLimitStoreErrors", dimensions={
                "plan": plan.name, "on_error": policy.value, "error": exc.kind})
            self.obs.warning("rate-limit counters unavailable", plan=plan.name, consumer=consumer,
                             on_error=policy.value, error=exc.kind, detail=exc.detail,
                             maybe_applied=exc.maybe_applied)
        if policy is OnError.OPEN:
            return Admitted(Source.OPEN)
        if policy is OnError.LOCAL:
            return self._local(plan, consumer, cost, now)
        raise ServiceUnavailable(
            "the rate-limit counters are unavailable; retry shortly",
            headers={"retry-after": str(RETRY_AFTER_S)})

    def _local(self, plan: PlanConfig, consumer: str, cost: int, now: float) -> Outcome:
        assert plan.bucket is not None  # plans.py requires a rate for on_error: local
        bucket = Bucket(per_second=plan.bucket.per_second * plan.local_fraction,
                        burst=max(1, int(plan.bucket.burst * plan.local_fraction)))
        cost = min(cost, bucket.burst)  # a request bigger than the local bucket takes it whole
        now_us = int(now * US)
        key = (plan.name, consumer)
        with self._lock:
            tat = self._tat.get(key)
            if bucket.admit(tat, now_us, cost):
                self._tat[key] = bucket.after(tat, now_us, cost)
                return Admitted(Source.LOCAL)
            wait = bucket.wait_s(tat, now_us, cost)
        return Denied(Source.LOCAL, [Violation("rate", max(1, int(wait + 0.999)))])
