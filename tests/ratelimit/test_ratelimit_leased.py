"""Leased mode: blocks taken with one conditional write, spent locally, within the bound."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from edgeway.ratelimit.stage import RateLimitStage

from tests.ratelimit_support import NOON, FakeClock, event, find_stage, make_gateway
from tests.ratelimit.conftest import routes_yaml

CONFIG = routes_yaml("rl-leased") + """\
plans:
  leasy:
    rate: {per_second: 1000, burst: 200}
    quotas: {day: 100}
    mode: leased
    lease: {block: 10, ttl_s: 5}
  steady:
    rate: {per_second: 1000, burst: 100}
    quotas: {day: 1000000}
    mode: leased
    lease: {block: 20, ttl_s: 30}
  exact:
    rate: {per_second: 1000, burst: 100}
    quotas: {day: 1000000}
  bucket:
    rate: {per_second: 1, burst: 20}
    mode: leased
    lease: {block: 10, ttl_s: 5}
"""

CONTAINERS, BLOCK, LIMIT = 8, 10, 100


def test_eight_containers_never_exceed_the_quota_and_strand_at_most_c_x_block_minus_1(
        moto, stub_backend) -> None:
    clocks = [FakeClock(NOON) for _ in range(CONTAINERS)]
    gateways = [make_gateway(CONFIG, moto.url, clock=c) for c in clocks]
    lock = threading.Lock()
    admitted = [0]
    start = threading.Barrier(CONTAINERS)

    def run(gw) -> None:
        start.wait()
        for _ in range(25):
            if gw(event(consumer="fleet", plan="leasy"), None)["statusCode"] == 200:
                with lock:
                    admitted[0] += 1

    with ThreadPoolExecutor(CONTAINERS) as pool:
        list(pool.map(run, gateways))
    # Stated bound: overshoot 0; under-use at most C x (block - 1).
    assert LIMIT - CONTAINERS * (BLOCK - 1) <= admitted[0] <= LIMIT
    stages = [find_stage(gw, RateLimitStage) for gw in gateways]
    held = sum(lease.tokens for s in stages for lease in s.leased.leases.values())
    # Every debited unit is either spent or in a container's hand: nothing lost, nothing extra.
    assert admitted[0] + held == LIMIT
    assert moto.item("rl#fleet", "s0")["dc"] == {"N": str(LIMIT)}

    # Past the lease ttl the containers give back what they hold, and the rest is usable.
    for clock in clocks:
        clock.advance(6)
    for _round in range(LIMIT):
        progress = 0
        for gw in gateways:
            progress += gw(event(consumer="fleet", plan="leasy"), None)["statusCode"] == 200
        admitted[0] += progress
        if not progress:
            break
    held = sum(lease.tokens for s in stages for lease in s.leased.leases.values())
    assert admitted[0] + held == LIMIT
    assert admitted[0] <= LIMIT


def test_leased_mode_cuts_dynamodb_requests_at_least_tenfold(moto, stub_backend) -> None:
    def requests_per_admitted(plan: str) -> float:
        clock = FakeClock(NOON)
        gw = make_gateway(CONFIG, moto.url, clock=clock)
        store = find_stage(gw, RateLimitStage).store
        admitted = 0
        for _ in range(200):
            clock.advance(0.01)  # 100 requests/s, steady
            admitted += gw(event(consumer=f"load-{plan}", plan=plan), None)["statusCode"] == 200
        assert admitted == 200
        return store.calls / admitted

    strict = requests_per_admitted("exact")
    leased = requests_per_admitted("steady")
    assert strict >= 2.0  # the check and the usage line, per request
    assert strict / leased >= 10


def test_leased_tokens_come_out_of_the_bucket_before_they_are_spent(moto, stub_backend) -> None:
    gateways = [make_gateway(CONFIG, moto.url) for _ in range(4)]  # clocks frozen: no refill
    codes = [gw(event(consumer="bk", plan="bucket"), None)["statusCode"]
             for _ in range(10) for gw in gateways]
    assert codes.count(200) <= 20  # never more than the burst
    assert codes.count(200) >= 20 - 4 * (BLOCK - 1)


def test_leased_usage_is_flushed_when_the_lease_is_replaced(moto, stub_backend) -> None:
    clock = FakeClock(NOON)
    gw = make_gateway(CONFIG, moto.url, clock=clock)
    for _ in range(25):  # block 10: leases replaced twice, the third still in hand
        clock.advance(0.001)
        gw(event(consumer="bill", plan="leasy"), None)
    assert moto.item("usage#bill", "2026-11")["r:orders.list"] == {"N": "20"}


def test_a_lease_ends_with_its_day_and_never_lifts_the_next_one(moto, stub_backend) -> None:
    clock = FakeClock(NOON + 43_200 - 1)  # 23:59:59
    gw = make_gateway(CONFIG, moto.url, clock=clock)
    assert gw(event(consumer="night", plan="leasy"), None)["statusCode"] == 200  # 9 in hand
    clock.advance(2)  # 00:00:01: yesterday's units went with yesterday
    assert gw(event(consumer="night", plan="leasy"), None)["statusCode"] == 200
    item = moto.item("rl#night", "s0")
    assert item["d"] == {"S": "2026-11-30"} and item["dc"] == {"N": "10"}
    lease = find_stage(gw, RateLimitStage).leased.leases["night"]
    assert (lease.day, lease.tokens) == ("2026-11-30", 9)
