"""Pure quota arithmetic, driven by hand with a fake clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from edgeway.ratelimit.arithmetic import (US, Bucket, CounterState, Limits, PolicyItem,
                                          ServiceLimit, effective_window, grantable,
                                          plan_attempt, policy_header, ratelimit_header,
                                          retry_after, service_limits, violations, window)


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def test_day_window_rolls_at_utc_midnight() -> None:
    before = window("day", ts(2026, 11, 29, 23, 59, 59))
    after = window("day", ts(2026, 11, 30, 0, 0, 0))
    assert (before.id, after.id) == ("2026-11-29", "2026-11-30")
    assert before.end == after.start == ts(2026, 11, 30)
    assert before.seconds_left(ts(2026, 11, 29, 23, 0, 0)) == 3600


def test_month_window_rolls_at_month_start_with_real_month_lengths() -> None:
    nov = window("month", ts(2026, 11, 30, 23, 59, 59))
    dec = window("month", ts(2026, 12, 1))
    feb = window("month", ts(2028, 2, 10))  # leap year
    assert (nov.id, dec.id) == ("2026-11", "2026-12")
    assert nov.end == dec.start
    assert nov.length == 30 * 86_400 and dec.length == 31 * 86_400 and feb.length == 29 * 86_400
    year_end = window("month", ts(2026, 12, 31, 12))
    assert year_end.end == ts(2027, 1, 1)


def test_window_ids_sort_in_time_order() -> None:
    ids = [window("day", ts(2026, m, d)).id for m, d in ((9, 30), (10, 1), (10, 10), (11, 2))]
    assert ids == sorted(ids)


def test_a_slow_clock_joins_the_window_already_opened() -> None:
    # The item already holds tomorrow (a faster container rolled it): we never go back.
    late = ts(2026, 11, 29, 23, 59, 58)
    assert effective_window("day", late, "2026-11-30").id == "2026-11-30"
    assert effective_window("day", late, "2026-11-28").id == "2026-11-29"


def test_quota_denies_past_the_limit_and_retry_after_is_the_window_end() -> None:
    limits = Limits(day=10)
    now = ts(2026, 11, 29, 22, 0, 0)
    state = CounterState(day="2026-11-29", day_count=10)
    found = violations(state, limits, now, 1)
    assert [(v.policy, v.retry_after) for v in found] == [("day", 7200)]
    assert violations(CounterState(day="2026-11-29", day_count=9), limits, now, 1) == []
    # Yesterday's count does not hold today.
    assert violations(CounterState(day="2026-11-28", day_count=10), limits, now, 1) == []


def test_month_quota_retry_after_runs_to_the_first_of_next_month() -> None:
    now = ts(2026, 11, 30, 23, 0, 0)
    found = violations(CounterState(month="2026-11", month_count=5), Limits(month=5), now, 1)
    assert [(v.policy, v.retry_after) for v in found] == [("month", 3600)]


def test_token_bucket_allows_the_burst_then_the_rate() -> None:
    bucket = Bucket(per_second=5, burst=10)
    now = int(ts(2026, 11, 29, 12) * US)
    tat = None
    admitted = 0
    for _ in range(15):
        if bucket.admit(tat, now, 1):
            tat = bucket.after(tat, now, 1)
            admitted += 1
    assert admitted == 10
    # 0.2 s later exactly one token is back; Retry-After is the wait for it.
    assert bucket.wait_s(tat, now, 1) == pytest.approx(0.2)
    assert not bucket.admit(tat, now + 199_999, 1)
    assert bucket.admit(tat, now + 200_000, 1)
    assert bucket.available(tat, now + 1_000_000) == 5


def test_rate_retry_after_rounds_up_to_whole_seconds() -> None:
    limits = Limits(bucket=Bucket(per_second=0.5, burst=1))  # one token every 2 s
    now = ts(2026, 11, 29, 12)
    state = CounterState(tat=int(now * US) + 2 * US)  # just spent the only token
    found = violations(state, limits, now, 1)
    assert [(v.policy, v.retry_after) for v in found] == [("rate", 2)]
    assert retry_after(found) == 2
    assert retry_after([]) == 1


def test_emission_interval_rounds_up_so_rounding_is_never_generous() -> None:
    assert Bucket(per_second=3, burst=3).emission_us == 333_334


def test_plan_attempt_picks_write_variants_from_the_state() -> None:
    limits = Limits(bucket=Bucket(per_second=10, burst=20), day=10, month=100)
    now = ts(2026, 11, 29, 12)
    fresh = plan_attempt(CounterState(), limits, now, 1)
    assert (fresh.bucket_debt, fresh.day_same, fresh.month_same) == (False, False, False)
    busy = CounterState(tat=int(now * US) + 50_000, day="2026-11-29", day_count=3,
                        month="2026-11", month_count=30)
    p = plan_attempt(busy, limits, now, 2)
    assert (p.bucket_debt, p.day_same, p.month_same) == (True, True, True)
    assert p.tat_max == int(now * US) + 20 * 100_000 - 2 * 100_000


def test_grantable_takes_what_every_limit_leaves() -> None:
    limits = Limits(bucket=Bucket(per_second=100, burst=50), day=30)
    now = ts(2026, 11, 29, 12)
    assert grantable(CounterState(), limits, now, 20) == 20
    assert grantable(CounterState(day="2026-11-29", day_count=25), limits, now, 20) == 5
    assert grantable(CounterState(day="2026-11-29", day_count=30), limits, now, 20) == 0


def test_headers_follow_the_draft_syntax() -> None:
    assert policy_header([PolicyItem("rate", 10, 2), PolicyItem("day", 1000, 86400)]) == \
        '"rate";q=10;w=2, "day";q=1000;w=86400'
    assert ratelimit_header([ServiceLimit("day", 3, 3600)]) == '"day";r=3;t=3600'
    assert ratelimit_header([ServiceLimit("day", -1, 5)]) == '"day";r=0;t=5'


def test_service_limits_report_what_is_left() -> None:
    now = ts(2026, 11, 29, 23)
    limits = Limits(day=10)
    got = service_limits(CounterState(day="2026-11-29", day_count=7), limits, now)
    assert got == [ServiceLimit("day", 3, 3600)]


def test_the_state_cache_is_bounded() -> None:
    from edgeway.ratelimit import strict

    cache = strict.StateCache()
    for i in range(strict.MAX_REMEMBERED + 5):
        cache.put(f"c{i}", 0, CounterState(), 0.0)
    assert cache.get("c0", 0) is None and cache.get(f"c{strict.MAX_REMEMBERED + 4}", 0) is not None
