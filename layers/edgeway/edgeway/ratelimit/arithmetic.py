"""Quota arithmetic with no I/O: token bucket, calendar windows, headers.

Everything here is a pure function of a counter state and a clock reading, so
tests drive it by hand with a fake clock and the store only turns its answers
into DynamoDB expressions.

Token bucket as GCRA. The bucket is kept as one number, the *theoretical
arrival time* ``tat`` (integer microseconds since the epoch): the time at which
the bucket would be full again. A request of cost ``c`` is admitted when
``max(tat, now) + c*T - now <= tau`` (``T`` = one token's refill time,
``tau`` = ``burst*T``), and moves ``tat`` to ``max(tat, now) + c*T``. Integer
microseconds keep DynamoDB arithmetic exact; ``T`` is rounded *up*, so rounding
can only make the bucket stricter, never looser.

Windows are UTC calendar days and months, named by their ISO prefix
(``2026-11-29``, ``2026-11``): names of later windows sort later as strings,
which lets a DynamoDB condition compare them with ``<``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

US = 1_000_000
WindowKind = Literal["day", "month"]


# -- calendar windows ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Window:
    """A calendar quota window (a UTC day or month) and its bounds."""
    kind: WindowKind
    id: str  # "2026-11-29" or "2026-11"
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, exclusive

    @property
    def length(self) -> int:
        return self.end - self.start

    def seconds_left(self, now: float) -> int:
        """Whole seconds until the window rolls (at least 1: never "retry now")."""
        return max(1, math.ceil(self.end - now))


def window(kind: WindowKind, now: float) -> Window:
    """The UTC calendar window of ``kind`` that contains ``now``."""
    t = datetime.fromtimestamp(now, tz=timezone.utc)
    if kind == "day":
        start = datetime(t.year, t.month, t.day, tzinfo=timezone.utc)
        begin = int(start.timestamp())
        return Window("day", start.strftime("%Y-%m-%d"), begin, begin + 86_400)
    start = datetime(t.year, t.month, 1, tzinfo=timezone.utc)
    after = datetime(t.year + t.month // 12, t.month % 12 + 1, 1, tzinfo=timezone.utc)
    return Window("month", start.strftime("%Y-%m"), int(start.timestamp()), int(after.timestamp()))


def month_id_valid(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError:
        return False
    return len(text) == 7


# -- token bucket (GCRA) --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Bucket:
    """A rate limit as GCRA sees it: a steady rate and a burst."""
    per_second: float
    burst: int

    @property
    def emission_us(self) -> int:
        """Refill time of one token, rounded up (stricter, never looser)."""
        return math.ceil(US / self.per_second)

    @property
    def tau_us(self) -> int:
        return self.burst * self.emission_us

    def admit(self, tat: int | None, now_us: int, cost: int) -> bool:
        base = now_us if tat is None or tat < now_us else tat
        return base + cost * self.emission_us - now_us <= self.tau_us

    def after(self, tat: int | None, now_us: int, cost: int) -> int:
        """``tat`` once ``cost`` tokens are taken."""
        base = now_us if tat is None or tat < now_us else tat
        return base + cost * self.emission_us

    def available(self, tat: int | None, now_us: int) -> int:
        """Whole tokens in the bucket now."""
        base = now_us if tat is None or tat < now_us else tat
        return max(0, (now_us + self.tau_us - base) // self.emission_us)

    def wait_s(self, tat: int | None, now_us: int, cost: int) -> float:
        """Seconds until ``cost`` tokens are there (0 when they are now)."""
        base = now_us if tat is None or tat < now_us else tat
        return max(0, base + cost * self.emission_us - self.tau_us - now_us) / US

    def full_in_s(self, tat: int | None, now_us: int) -> int:
        """Whole seconds until the bucket is full again."""
        return math.ceil(max(0, (tat or now_us) - now_us) / US)

    @property
    def window_s(self) -> int:
        """The bucket advertised as a window: ``burst`` requests per refill time."""
        return max(1, math.ceil(self.burst / self.per_second))


# -- counter state and decisions -------------------------------------------------

@dataclass(frozen=True, slots=True)
class CounterState:
    """What one counter item holds (``None``/0 where it holds nothing yet)."""

    tat: int | None = None
    day: str | None = None
    day_count: int = 0
    month: str | None = None
    month_count: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits one counter item enforces (one shard's share of a plan)."""

    bucket: Bucket | None = None
    day: int | None = None
    month: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """How an attempt must be written: which variant of each part applies."""

    cost: int
    now_us: int
    bucket_debt: bool  # True: tat is in the future (ADD to it); False: bucket full (SET it)
    day: Window | None
    day_same: bool  # True: the item holds this day (ADD); False: start it (SET)
    month: Window | None
    month_same: bool
    tat_max: int = 0  # largest tat that still admits (bucket_debt variant)


@dataclass(frozen=True, slots=True)
class Violation:
    """A limit a request would break, and when retrying can succeed."""
    policy: str  # "rate" | "day" | "month"
    retry_after: int  # whole seconds, >= 1


def effective_window(kind: WindowKind, now: float, stored: str | None) -> Window:
    """Our clock's window, unless the item already holds a later one.

    Windows never move backwards: a container whose clock is a few seconds behind
    joins the window a faster container already opened, so every window's count
    stays within its limit whatever the skew.
    """
    own = window(kind, now)
    if stored is not None and stored > own.id:
        start = datetime.strptime(stored, "%Y-%m-%d" if kind == "day" else "%Y-%m")
        return window(kind, start.replace(tzinfo=timezone.utc).timestamp())
    return own


def _quotas(state: CounterState, limits: Limits,
            now: float) -> Iterator[tuple[WindowKind, int, Window, int]]:
    """Each quota of ``limits``: kind, limit, effective window and the units used in it."""
    quotas: tuple[tuple[WindowKind, int | None, str | None, int], ...] = (
        ("day", limits.day, state.day, state.day_count),
        ("month", limits.month, state.month, state.month_count))
    for kind, limit, stored, count in quotas:
        if limit is not None:
            win = effective_window(kind, now, stored)
            yield kind, limit, win, count if stored == win.id else 0


def violations(state: CounterState, limits: Limits, now: float, cost: int) -> list[Violation]:
    """Every limit that ``cost`` more units would break, given ``state``."""
    out: list[Violation] = []
    now_us = int(now * US)
    if limits.bucket is not None and not limits.bucket.admit(state.tat, now_us, cost):
        out.append(Violation("rate", max(1, math.ceil(limits.bucket.wait_s(state.tat, now_us, cost)))))
    for kind, limit, win, used in _quotas(state, limits, now):
        if used + cost > limit:
            out.append(Violation(kind, win.seconds_left(now)))
    return out


def plan_attempt(state: CounterState, limits: Limits, now: float, cost: int) -> Plan:
    """The write that admits ``cost`` units if ``state`` is still current."""
    now_us = int(now * US)
    day = effective_window("day", now, state.day) if limits.day is not None else None
    month = effective_window("month", now, state.month) if limits.month is not None else None
    bucket = limits.bucket
    return Plan(
        cost=cost, now_us=now_us,
        bucket_debt=bool(bucket and state.tat is not None and state.tat > now_us),
        tat_max=(now_us + bucket.tau_us - cost * bucket.emission_us) if bucket else 0,
        day=day, day_same=bool(day and state.day == day.id),
        month=month, month_same=bool(month and state.month == month.id),
    )


def grantable(state: CounterState, limits: Limits, now: float, want: int) -> int:
    """The most units (<= ``want``) every limit allows now (leased mode)."""
    n = want
    now_us = int(now * US)
    if limits.bucket is not None:
        n = min(n, limits.bucket.available(state.tat, now_us))
    for _, limit, _, used in _quotas(state, limits, now):
        n = min(n, limit - used)
    return max(0, n)


def retry_after(found: Iterable[Violation]) -> int:
    """Retry-After for a denial: the latest of the violated policies."""
    return max((v.retry_after for v in found), default=1)


# -- RateLimit headers (draft-ietf-httpapi-ratelimit-headers-11) -----------------

@dataclass(frozen=True, slots=True)
class PolicyItem:
    """One entry of the RateLimit-Policy header (quota per window)."""
    name: str
    quota: int
    window_s: int


@dataclass(frozen=True, slots=True)
class ServiceLimit:
    """One entry of the RateLimit header (what is left and when it resets)."""
    name: str
    remaining: int
    reset_s: int


def policy_header(items: Sequence[PolicyItem]) -> str:
    """``RateLimit-Policy: "day";q=1000;w=86400, ...`` (a structured-field List)."""
    return ", ".join(f'"{p.name}";q={p.quota};w={p.window_s}' for p in items)


def ratelimit_header(items: Sequence[ServiceLimit]) -> str:
    """``RateLimit: "day";r=3;t=3600, ...``: what is left and when it is restored."""
    return ", ".join(f'"{s.name}";r={max(0, s.remaining)};t={max(0, s.reset_s)}' for s in items)


def service_limits(state: CounterState, limits: Limits, now: float, *, shards: int = 1,
                   extra: int = 0) -> list[ServiceLimit]:
    """What ``state`` leaves, per policy (``extra``: units already in hand, leased mode).

    With ``shards`` > 1 the item holds one shard's share; the remaining figure is
    scaled up as an estimate (the header is advice, the limit is the counter).
    """
    out: list[ServiceLimit] = []
    now_us = int(now * US)
    if limits.bucket is not None:
        out.append(ServiceLimit("rate", limits.bucket.available(state.tat, now_us) * shards + extra,
                                limits.bucket.full_in_s(state.tat, now_us)))
    for kind, limit, win, used in _quotas(state, limits, now):
        out.append(ServiceLimit(kind, (limit - used) * shards + extra, win.seconds_left(now)))
    return out
