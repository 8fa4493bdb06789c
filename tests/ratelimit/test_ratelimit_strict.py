"""Strict mode through the whole pipeline, against moto in server mode."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.ratelimit_support import NOON, FakeClock, RecordingObs, body, event, make_gateway
from tests.ratelimit.conftest import routes_yaml

CONFIG = routes_yaml("rl-test", users=True) + """\
    cost: 1
  - id: status
    path: /v1/status
    rate_limit: false
    backend: {type: lambda, function: OrdersFunction}
plans:
  trial:
    rate: {per_second: 10, burst: 20}
    quotas: {day: 10}
  free:
    rate: {per_second: 5, burst: 10}
    quotas: {day: 1000}
    costs: {users.get: 2}
  burst:
    rate: {per_second: 1, burst: 15}
  monthly:
    quotas: {day: 50, month: 25}
  hot:
    rate: {per_second: 4000, burst: 4000}
    quotas: {day: 10}
    shards: 4
default_plan: free
"""


def test_trial_key_gets_exactly_ten_then_429_with_the_draft_headers(moto, stub_backend) -> None:
    gw = make_gateway(CONFIG, moto.url)
    for i in range(10):
        result = gw(event(consumer="acme", plan="trial"), None)
        assert result["statusCode"] == 200, (i, body(result))
        assert result["headers"]["ratelimit"].startswith('"rate";r=')
        assert f'"day";r={9 - i};t=43200' in result["headers"]["ratelimit"]
        assert result["headers"]["ratelimit-policy"] == '"rate";q=20;w=2, "day";q=10;w=86400'
    refused = gw(event(consumer="acme", plan="trial"), None)
    assert refused["statusCode"] == 429
    headers = refused["headers"]
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "43200"  # noon: twelve hours to UTC midnight
    assert '"day";r=0;t=43200' in headers["ratelimit"]
    assert headers["ratelimit-policy"] == '"rate";q=20;w=2, "day";q=10;w=86400'
    problem = body(refused)
    assert problem["status"] == 429 and problem["instance"] == headers["x-request-id"]
    assert problem["violated-policies"] == ["day"]
    assert "daily quota" in problem["detail"]
    stored = moto.item("rl#acme", "s0")
    assert stored["dc"] == {"N": "10"} and stored["d"] == {"S": "2026-11-29"}
    assert int(stored["expires_at"]["N"]) > NOON + 43200


def test_the_quota_comes_back_after_utc_midnight(moto, stub_backend) -> None:
    clock = FakeClock(NOON + 43200 - 5)  # 23:59:55
    gw = make_gateway(CONFIG, moto.url, clock=clock)
    assert [gw(event(consumer="night", plan="trial"), None)["statusCode"]
            for _ in range(11)] == [200] * 10 + [429]
    clock.advance(5)  # 00:00:00
    assert gw(event(consumer="night", plan="trial"), None)["statusCode"] == 200
    assert moto.item("rl#night", "s0")["d"] == {"S": "2026-11-30"}


def _hammer(gateways, consumer: str, plan: str, per_thread: int, route: str = "/v1/orders"):
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(gateways))

    def run(gw) -> None:
        start.wait()
        for _ in range(per_thread):
            code = gw(event(route, consumer=consumer, plan=plan), None)["statusCode"]
            with lock:
                statuses.append(code)

    with ThreadPoolExecutor(len(gateways)) as pool:
        list(pool.map(run, gateways))
    return statuses


def test_ten_containers_in_parallel_admit_exactly_the_daily_quota(moto, stub_backend) -> None:
    # Ten gateway instances = ten containers (their own caches and clients), one thread each.
    gateways = [make_gateway(CONFIG, moto.url) for _ in range(10)]
    statuses = _hammer(gateways, "crowd", "trial", per_thread=4)
    assert statuses.count(200) == 10, sorted(statuses)
    assert statuses.count(429) == 30
    assert moto.item("rl#crowd", "s0")["dc"] == {"N": "10"}


def test_threads_sharing_one_container_admit_exactly_the_burst(moto, stub_backend) -> None:
    gw = make_gateway(CONFIG, moto.url)  # clock frozen: the bucket never refills
    statuses = _hammer([gw] * 8, "burster", "burst", per_thread=5)
    assert statuses.count(200) == 15 and statuses.count(429) == 25


def test_month_quota_binds_across_days(moto, stub_backend) -> None:
    clock = FakeClock(NOON - 19 * 86_400)  # 10 November: three days, one month
    gw = make_gateway(CONFIG, moto.url, clock=clock)
    admitted = 0
    for _day in range(3):
        for _ in range(10):
            admitted += gw(event(consumer="mo", plan="monthly"), None)["statusCode"] == 200
        clock.advance(86_400)
    assert admitted == 25
    refused = gw(event(consumer="mo", plan="monthly"), None)
    assert body(refused)["violated-policies"] == ["month"]


def test_route_costs_and_unlimited_routes(moto, stub_backend) -> None:
    gw = make_gateway(CONFIG, moto.url)
    assert gw(event("/v1/users/7", consumer="c1", plan="free"), None)["statusCode"] == 200
    assert gw(event("/v1/orders", consumer="c1", plan="free"), None)["statusCode"] == 200
    status = gw(event("/v1/status", consumer="c1", plan="free"), None)
    assert status["statusCode"] == 200 and "ratelimit" not in status["headers"]
    assert moto.item("rl#c1", "s0")["dc"] == {"N": "3"}  # users.get costs 2 on free


def test_default_plan_and_anonymous_requests(moto, stub_backend) -> None:
    gw = make_gateway(CONFIG, moto.url)
    # No plan on the key: the default plan (free) applies.
    result = gw(event(consumer="noplan"), None)
    assert '"day";r=999' in result["headers"]["ratelimit"]
    # No consumer at all (a public route): not limited per consumer, nothing written.
    anon = gw(event(), None)
    assert anon["statusCode"] == 200 and "ratelimit" not in anon["headers"]


def test_credentials_naming_no_consumer_are_never_served_unlimited(moto, stub_backend) -> None:
    # Fail closed: only a public route's anonymous caller passes without a consumer.
    obs = RecordingObs()
    gw = make_gateway(CONFIG, moto.url, obs=obs)
    for _ in range(3):
        result = gw(event(consumer=""), None)
        assert result["statusCode"] == 401, body(result)
        assert result["headers"]["content-type"] == "application/problem+json"
        assert "consumer" in body(result)["detail"]
    assert obs.total("ConsumerUsage") == 0


def test_a_consumer_without_any_plan_is_refused_when_there_is_no_default(moto, stub_backend) -> None:
    gw = make_gateway(CONFIG.replace("default_plan: free\n", ""), moto.url)
    result = gw(event(consumer="orphan", plan="gold"), None)
    assert result["statusCode"] == 403
    assert result["headers"]["content-type"] == "application/problem+json"


def test_usage_and_metrics_per_consumer_and_route(moto, stub_backend) -> None:
    obs = RecordingObs()
    gw = make_gateway(CONFIG, moto.url, obs=obs)
    for path in ("/v1/orders", "/v1/orders", "/v1/users/1"):
        gw(event(path, consumer="billme", plan="free"), None)
    usage = moto.item("usage#billme", "2026-11")
    assert usage["r:orders.list"] == {"N": "2"} and usage["r:users.get"] == {"N": "2"}
    assert obs.total("ConsumerUsage", consumer="billme", route="orders.list") == 2
    assert obs.total("ConsumerUsage", consumer="billme", route="users.get") == 2
    for _ in range(12):
        gw(event(consumer="spender", plan="trial"), None)
    assert obs.total("RateLimited", consumer="spender") == 2


def test_clocks_seconds_apart_never_overshoot(moto, stub_backend) -> None:
    """Two containers, clocks 3 s apart, straddling UTC midnight: each window's
    count stays within its limit and the slow container joins the new day."""
    midnight = NOON + 43_200
    slow = FakeClock(midnight - 2)  # 23:59:58
    fast = FakeClock(midnight + 1)  # 00:00:01 (3 s ahead)
    gw_slow = make_gateway(CONFIG, moto.url, clock=slow)
    gw_fast = make_gateway(CONFIG, moto.url, clock=fast)
    # The slow container spends 4 of yesterday's 10 before anyone rolls the day.
    assert [gw_slow(event(consumer="skew", plan="trial"), None)["statusCode"]
            for _ in range(4)] == [200] * 4
    # The fast one opens the new day and spends it whole.
    fast_codes = [gw_fast(event(consumer="skew", plan="trial"), None)["statusCode"]
                  for _ in range(12)]
    assert fast_codes == [200] * 10 + [429] * 2
    # The slow container's clock still says yesterday, but the item holds today:
    # it joins today (full) instead of reopening yesterday's 6 unused units.
    slow_codes = [gw_slow(event(consumer="skew", plan="trial"), None)["statusCode"]
                  for _ in range(3)]
    assert slow_codes == [429] * 3
    item = moto.item("rl#skew", "s0")
    assert item["d"] == {"S": "2026-11-30"} and item["dc"] == {"N": "10"}


def test_rate_bucket_with_skewed_clocks_stays_within_the_stated_bound(moto, stub_backend) -> None:
    """The documented bound for the bucket: at most rate x skew extra tokens."""
    skew = 3.0
    a = FakeClock(NOON)
    b = FakeClock(NOON + skew)
    gw_a = make_gateway(CONFIG, moto.url, clock=a)
    gw_b = make_gateway(CONFIG, moto.url, clock=b)
    admitted = 0
    for _ in range(40):  # one second of real time, both containers hammering
        admitted += gw_a(event(consumer="tick", plan="burst"), None)["statusCode"] == 200
        admitted += gw_b(event(consumer="tick", plan="burst"), None)["statusCode"] == 200
    burst, rate = 15, 1
    assert burst <= admitted <= burst + rate * skew


def test_sharded_counters_admit_exactly_the_limit_and_each_shard_its_share(moto,
                                                                          stub_backend) -> None:
    """4 shards hold 3+3+2+2 of 10: a full shard sends the request on to the others,
    so the plan still admits exactly its limit, never more."""
    gateways = [make_gateway(CONFIG, moto.url) for _ in range(8)]
    statuses = _hammer(gateways, "bigco", "hot", per_thread=3)
    assert statuses.count(200) == 10, sorted(statuses)
    counts = [int(moto.item("rl#bigco", f"s{i}").get("dc", {"N": "0"})["N"]) for i in range(4)]
    assert counts == [3, 3, 2, 2]
    refused = make_gateway(CONFIG, moto.url)(event(consumer="bigco", plan="hot"), None)
    assert refused["statusCode"] == 429 and body(refused)["violated-policies"] == ["day"]


def test_429_through_build_gateway_and_the_real_stage_order(moto, stub_backend) -> None:
    """The production pipeline (pipeline.STAGES, real clock) with the principal set
    just before the rate-limit stage, as AuthStage will."""
    import time

    from edgeway import pipeline
    from edgeway.config import parse_config
    from edgeway.settings import Settings

    from tests.ratelimit_support import TABLE, EndpointClients, PrincipalFromHeaders

    from tests.conftest import NO_AUTH_STAGES

    # PrincipalFromHeaders stands in for AuthStage (no keys table or issuer here).
    stages = list(NO_AUTH_STAGES)
    stages.insert(next(i for i, s in enumerate(stages) if s.name == "ratelimit"),
                  PrincipalFromHeaders.build)
    gw = pipeline.build_gateway(
        parse_config(CONFIG), Settings.from_env({"EDGEWAY_COUNTERS_TABLE": TABLE}),
        clients=EndpointClients("us-east-1", moto.url, read_timeout=10.0), obs=RecordingObs(),
        stages=stages)
    codes = [gw(event(consumer="realclock", plan="trial"), None) for _ in range(11)]
    assert [c["statusCode"] for c in codes] == [200] * 10 + [429]
    assert all("ratelimit" in c["headers"] for c in codes)
    refused = codes[-1]
    seconds_to_midnight = 86_400 - int(time.time()) % 86_400
    assert abs(int(refused["headers"]["retry-after"]) - seconds_to_midnight) <= 5
    assert refused["headers"]["content-type"] == "application/problem+json"
    assert refused["headers"]["ratelimit-policy"] == '"rate";q=20;w=2, "day";q=10;w=86400'
    assert body(refused)["violated-policies"] == ["day"]
