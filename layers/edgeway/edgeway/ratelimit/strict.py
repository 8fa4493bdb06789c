"""Strict mode: every admission is one conditional write on the shared counter.

The admitted count can never exceed a limit, under any concurrency and across
any number of containers and regions writing the same item: DynamoDB applies
each conditional ``UpdateItem`` atomically, and the condition is the limit.

The container keeps the last state it saw per counter. It is used two ways,
both safe: to pick the write variant (a wrong guess only costs one failed
condition, which returns the real state), and to refuse without a write when
that state, seen less than ``TRUST_S`` ago, already proves a denial (counts
and ``tat`` only grow within a window, so such a proof stays true; the age cap
lets an operator's reset of a counter be seen within a second).
"""

from __future__ import annotations

import random
import threading

from edgeway.ratelimit.arithmetic import (CounterState, Limits, Violation, plan_attempt,
                                          service_limits, violations, window)
from edgeway.ratelimit.outcome import Admitted, Denied, Outcome, Source
from edgeway.ratelimit.plans import PlanConfig
from edgeway.ratelimit.store import Conflict, CounterStore

TRUST_S = 1.0
MAX_ATTEMPTS = 4  # each failed attempt means another writer moved the item first
MAX_REMEMBERED = 10_000  # states kept per container; the oldest go first (a hint only)


class StateCache:
    """Last seen state per (consumer, shard), with the clock reading it was seen at."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int], tuple[CounterState, float]] = {}
        self._lock = threading.Lock()

    def get(self, consumer: str, shard: int) -> tuple[CounterState, float] | None:
        return self._seen.get((consumer, shard))

    def put(self, consumer: str, shard: int, state: CounterState, now: float) -> None:
        with self._lock:
            key = (consumer, shard)
            self._seen.pop(key, None)
            if len(self._seen) >= MAX_REMEMBERED:
                del self._seen[next(iter(self._seen))]  # forgetting costs one extra write, later
            self._seen[key] = (state, now)


def first_guess(limits: Limits, now: float) -> CounterState:
    """With nothing seen yet, bet on the common case: the item exists for this
    day and month and the bucket is full. A wrong bet costs one failed condition."""
    return CounterState(day=window("day", now).id if limits.day is not None else None,
                        month=window("month", now).id if limits.month is not None else None)


class StrictLimiter:
    def __init__(self, store: CounterStore) -> None:
        self.store = store
        self.cache = StateCache()

    def check(self, consumer: str, plan: PlanConfig, cost: int, now: float) -> Outcome:
        n = plan.shards
        start = random.randrange(n) if n > 1 else 0
        denials: list[Denied] = []
        # A full shard does not prove the plan is full: try the others before refusing,
        # so that sharded counters still admit exactly the limit.
        for i in range(n):
            shard = (start + i) % n
            outcome = self._check_shard(consumer, shard, plan, cost, now)
            if isinstance(outcome, Admitted):
                return outcome
            denials.append(outcome)
        return min(denials, key=lambda d: max(v.retry_after for v in d.violations))

    def _check_shard(self, consumer: str, shard: int, plan: PlanConfig, cost: int,
                     now: float) -> Outcome:
        limits = plan.shard_limits[shard]
        seen = self.cache.get(consumer, shard)
        fresh = False
        if seen is None:
            state = first_guess(limits, now)
        else:
            state, seen_at = seen
            if 0 <= now - seen_at < TRUST_S and (found := violations(state, limits, now, cost)):
                return Denied(Source.CACHE, found,
                              service_limits(state, limits, now, shards=plan.shards))
        for _ in range(MAX_ATTEMPTS):
            if fresh:
                found = violations(state, limits, now, cost)
                if found:
                    return Denied(Source.COUNTER, found,
                                  service_limits(state, limits, now, shards=plan.shards))
            try:
                new = self.store.apply(consumer, shard, plan_attempt(state, limits, now, cost), limits)
            except Conflict as conflict:
                state, fresh = conflict.state, True
                self.cache.put(consumer, shard, state, now)
                continue
            self.cache.put(consumer, shard, new, now)
            return Admitted(Source.COUNTER, service_limits(new, limits, now, shards=plan.shards))
        # Lost the race MAX_ATTEMPTS times in a row: refuse briefly rather than loop.
        return Denied(Source.COUNTER, [Violation("contention", 1)],
                      service_limits(state, limits, now, shards=plan.shards))
