"""Leased mode: take a block of tokens with one conditional write, spend it locally.

Design: debit before spending. A container takes ``block`` units from the
shared counter (bucket, day and month together, the same atomic conditional
write strict mode uses, with ``cost = block``) and then admits requests from
that block without touching DynamoDB. So, with C containers holding leases:

* quota overshoot: **0**. Every admitted unit was debited from the window
  before it was spent; the counter's condition still caps the debits.
* rate overshoot: tokens are debited from the bucket when taken but may be
  spent up to ``ttl_s`` later, so over any interval the admitted count can
  exceed the bucket's own bound by the tokens held at its start:
  at most **C x block**.
* under-use (the price): up to **C x (block - 1)** debited units sit unspent
  in containers. A live container returns them when its lease ages past
  ``ttl_s`` (one conditional ``ADD -n`` guarded by the window ids); a container
  that is reclaimed never does, and its units are lost for the rest of the
  window. Near the end of a quota a lease takes only what is left.
* writes: one per ``block`` units admitted (plus a refund per expired lease),
  i.e. >= 10x fewer than strict mode for block >= 10.

Usage for billing is counted locally per lease and flushed (one ADD) when the
lease is replaced or returned; a reclaimed container loses at most one lease's
usage lines (the quota itself was debited, so limits still hold).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from edgeway.ratelimit.arithmetic import (CounterState, Limits, Violation, grantable,
                                          plan_attempt, service_limits, violations, window)
from edgeway.ratelimit.outcome import Admitted, Denied, Outcome, Source
from edgeway.ratelimit.plans import PlanConfig
from edgeway.errors import CounterUnavailable
from edgeway.ratelimit.store import Conflict, CounterStore
from edgeway.ratelimit.strict import MAX_ATTEMPTS, TRUST_S, first_guess


@dataclass
class Lease:
    """Tokens taken from a counter shard ahead of use, spent locally until they run out."""
    shard: int
    tokens: int
    day: str | None
    month: str | None
    taken_at: float
    state: CounterState  # the counter right after the take (for the RateLimit header)
    usage: Counter[str] = field(default_factory=Counter)

    def usable(self, now: float, ttl_s: float) -> bool:
        if now - self.taken_at > ttl_s or now < self.taken_at - ttl_s:
            return False
        # A lease belongs to the windows it was debited from; once our clock is past
        # them, its units are gone with the window.
        if self.day is not None and window("day", now).id > self.day:
            return False
        return not (self.month is not None and window("month", now).id > self.month)


class LeasedLimiter:
    def __init__(self, store: CounterStore, *,
                 warn: Callable[..., None] = lambda message, **fields: None) -> None:
        self.store = store
        self.warn = warn  # a failed refund or usage flush is logged, never raised
        self.leases: dict[str, Lease] = {}
        # Last counter state seen per consumer: a refusal it proves (seen < TRUST_S ago)
        # costs no write. Refunds can lower counts, so such a refusal may be up to
        # TRUST_S early: under-use, never overshoot.
        self.seen: dict[str, tuple[CounterState, float]] = {}
        self.shards: dict[str, int] = {}
        self.lock = threading.Lock()

    def check(self, consumer: str, plan: PlanConfig, cost: int, now: float,
              route_id: str) -> Outcome:
        with self.lock:  # one invocation at a time per container; the lock is for tests' threads
            lease = self.leases.get(consumer)
            if lease is not None and not lease.usable(now, plan.lease.ttl_s):
                self._release(consumer, lease, plan, now)
                lease = None
            if lease is not None and lease.tokens >= cost:
                lease.tokens -= cost
                lease.usage[route_id] += cost
                limits = plan.shard_limits[lease.shard]
                return Admitted(Source.LEASE, service_limits(lease.state, limits, now,
                                                             shards=plan.shards, extra=lease.tokens))
            return self._take(consumer, plan, cost, now, route_id, lease)

    def _take(self, consumer: str, plan: PlanConfig, cost: int, now: float, route_id: str,
              old: Lease | None) -> Outcome:
        shard = self.shards.setdefault(consumer, random.randrange(plan.shards))
        limits: Limits = plan.shard_limits[shard]
        state = old.state if old is not None else first_guess(limits, now)
        fresh = False
        for _ in range(MAX_ATTEMPTS):
            # Units in hand merge into the new lease only while the item still holds the
            # windows they were debited from; otherwise they went with their window.
            probe = plan_attempt(state, limits, now, cost)
            same = old is not None and (probe.day.id if probe.day else None) == old.day and (
                probe.month.id if probe.month else None) == old.month
            leftover = old.tokens if old is not None and same else 0
            at_least = cost - leftover
            want = max(plan.lease.block, cost) - leftover
            seen = self.seen.get(consumer)
            if not fresh and seen is not None and 0 <= now - seen[1] < TRUST_S and (
                    grantable(seen[0], limits, now, want) < at_least):
                return Denied(Source.CACHE, violations(seen[0], limits, now, at_least)
                              or [Violation("contention", 1)],
                              service_limits(seen[0], limits, now, shards=plan.shards,
                                             extra=leftover))
            units = grantable(state, limits, now, want) if fresh else want
            if units < at_least:
                return Denied(Source.COUNTER, violations(state, limits, now, at_least),
                              service_limits(state, limits, now, shards=plan.shards, extra=leftover))
            attempt = plan_attempt(state, limits, now, units)
            try:
                new = self.store.apply(consumer, shard, attempt, limits)
            except Conflict as conflict:
                state, fresh = conflict.state, True
                self.seen[consumer] = (state, now)
                continue
            self.seen[consumer] = (new, now)
            if old is not None:
                self._flush_usage(consumer, old, now)
            lease = Lease(shard=shard, tokens=leftover + units - cost,
                          day=attempt.day.id if attempt.day else None,
                          month=attempt.month.id if attempt.month else None,
                          taken_at=now, state=new)
            lease.usage[route_id] += cost
            self.leases[consumer] = lease
            return Admitted(Source.COUNTER, service_limits(new, limits, now, shards=plan.shards,
                                                           extra=lease.tokens))
        return Denied(Source.COUNTER, [Violation("contention", 1)], [])

    def _release(self, consumer: str, lease: Lease, plan: PlanConfig, now: float) -> None:
        del self.leases[consumer]
        self.seen.pop(consumer, None)  # a refund lowers the counter: what we saw is stale
        self._flush_usage(consumer, lease, now)
        # Worth refunding only while its windows are current (whatever the lease's age).
        if lease.tokens > 0 and lease.usable(now, float("inf")):
            try:
                self.store.refund(consumer, lease.shard, lease.tokens, day=lease.day,
                                  month=lease.month)
            except CounterUnavailable as exc:
                # Not retried: a refund that timed out may have applied.
                self.warn("lease refund failed: units stay debited", consumer=consumer,
                          units=lease.tokens, error=str(exc))

    def _flush_usage(self, consumer: str, lease: Lease, now: float) -> None:
        if not lease.usage:
            return
        month = window("month", lease.taken_at)
        try:
            self.store.add_usage(consumer, month.id, month.end, dict(lease.usage))
        except CounterUnavailable as exc:
            self.warn("usage flush failed: not retried (it may have applied)",
                      consumer=consumer, usage=dict(lease.usage), error=str(exc))
        finally:
            lease.usage.clear()
