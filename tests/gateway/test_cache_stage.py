"""The response cache through the front door, layer 1 only (no CacheTable)."""

from __future__ import annotations

import json
import threading

import pytest
from edgeway.cache.stage import CacheStage
from edgeway.http import Response
from edgeway.observability import Observability, quiet_logger

from tests.backend_stubs import (FakeClock, NullMetrics, body_of, event, find_stage, gateway,
                                 install)

CONFIG = """
version: 1
routes:
  - id: users.get
    path: /v1/users/{id}
    methods: [GET, POST]
    backend: {type: lambda, function: users}
    cache:
      ttl_s: 30
      query: [fields]
      vary: [accept-language]
      stale_while_revalidate_s: %(swr)d
      honour_client_no_cache: %(honour)s
  - id: other
    path: /v1/other
    backend: {type: lambda, function: users}
"""


def config(swr: int = 0, honour: bool = False) -> str:
    return CONFIG % {"swr": swr, "honour": str(honour).lower()}


@pytest.fixture
def stubs(monkeypatch):
    return install(monkeypatch)


def counting(stubs, make=None):
    """A users stub answering its call number, so a test sees which answer it got."""
    def fn(request, timeout_s):
        return make(request) if make else Response.json({"call": len(users.calls)})
    users = stubs.add("users", fn)
    return users


def test_miss_then_hit_with_age(stubs):
    users = counting(stubs)
    clock = FakeClock()
    gw = gateway(config(), clock=clock)
    first = gw(event("/v1/users/1"))
    assert first["headers"]["x-cache"] == "MISS"
    clock.advance(7)
    second = gw(event("/v1/users/1"))
    assert second["headers"]["x-cache"] == "HIT"
    assert second["headers"]["age"] == "7"
    assert body_of(second) == body_of(first) == {"call": 1}
    assert len(users.calls) == 1
    assert second["headers"]["x-request-id"] != first["headers"]["x-request-id"]


def test_uncached_route_has_no_cache_header(stubs):
    counting(stubs)
    result = gateway(config())(event("/v1/other"))
    assert "x-cache" not in result["headers"]


def test_expired_entry_is_a_miss(stubs):
    users = counting(stubs)
    clock = FakeClock()
    gw = gateway(config(), clock=clock)
    gw(event("/v1/users/1"))
    clock.advance(30)
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "MISS"
    assert len(users.calls) == 2


def test_stale_while_revalidate_serves_stale_and_refreshes_once(stubs):
    refreshed = threading.Event()
    release = threading.Event()

    def make(request):
        if len(users.calls) > 1:
            release.wait(5)  # hold the refresh until both STALE answers are out
            refreshed.set()
        return Response.json({"call": len(users.calls)})

    users = counting(stubs, make)
    clock = FakeClock()
    gw = gateway(config(swr=60), clock=clock)
    gw(event("/v1/users/1"))
    clock.advance(40)
    stale = [gw(event("/v1/users/1")) for _ in range(3)]
    assert [r["headers"]["x-cache"] for r in stale] == ["STALE"] * 3
    assert stale[0]["headers"]["age"] == "40" and body_of(stale[0]) == {"call": 1}
    release.set()
    assert refreshed.wait(5)
    stage = find_stage(gw, CacheStage)
    for _ in range(500):  # bounded: the refresh stores its answer right after the call
        if not stage.refreshing:
            break
        threading.Event().wait(0.01)
    fresh = gw(event("/v1/users/1"))
    assert fresh["headers"]["x-cache"] == "HIT" and body_of(fresh) == {"call": 2}
    assert len(users.calls) == 2  # one refresh for three stale answers


def test_query_allow_list_and_vary_headers_shape_the_key(stubs):
    users = counting(stubs)
    gw = gateway(config())
    gw(event("/v1/users/1", query="fields=a&utm=x"))
    assert gw(event("/v1/users/1", query="utm=y&fields=a"))["headers"]["x-cache"] == "HIT"
    assert gw(event("/v1/users/1", query="fields=b"))["headers"]["x-cache"] == "MISS"
    assert gw(event("/v1/users/1", query="fields=a",
                    headers={"accept-language": "fr"}))["headers"]["x-cache"] == "MISS"
    assert gw(event("/v1/users/2", query="fields=a"))["headers"]["x-cache"] == "MISS"
    assert len(users.calls) == 4


def test_unsafe_methods_bypass(stubs):
    users = counting(stubs)
    gw = gateway(config())
    results = [gw(event("/v1/users/1", method="POST", body="{}")) for _ in range(2)]
    assert [r["headers"]["x-cache"] for r in results] == ["BYPASS", "BYPASS"]
    assert len(users.calls) == 2
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "MISS"


@pytest.mark.parametrize("response", [
    Response(status=200, headers={"content-type": "text/plain"}, body=b"x", cookies=["sid=1"]),
    Response(status=200, headers={"set-cookie": "sid=1"}, body=b"x"),
    Response(status=200, headers={"cache-control": "no-store"}, body=b"x"),
    Response(status=200, headers={"cache-control": "private, max-age=60"}, body=b"x"),
    Response(status=200, headers={"cache-control": "max-age=0"}, body=b"x"),
    Response(status=500, body=b"x"),
    Response(status=201, body=b"x"),
], ids=["cookie", "set-cookie-header", "no-store", "private-in-shared", "max-age-0", "500", "201"])
def test_responses_that_must_not_be_stored(stubs, response):
    users = stubs.add("users", lambda r, t: Response(status=response.status, headers=dict(response.headers),
                                                     body=response.body, cookies=list(response.cookies)))
    gw = gateway(config())
    gw(event("/v1/users/1"))
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "MISS"
    assert len(users.calls) == 2


def test_404_is_cacheable(stubs):
    users = stubs.add("users", lambda r, t: Response.json({"detail": "no"}, status=404))
    gw = gateway(config())
    gw(event("/v1/users/1"))
    result = gw(event("/v1/users/1"))
    assert result["statusCode"] == 404 and result["headers"]["x-cache"] == "HIT"
    assert len(users.calls) == 1


def test_backend_max_age_shortens_the_ttl(stubs):
    counting(stubs, lambda r: Response.json({}, headers={"cache-control": "public, max-age=5"}))
    clock = FakeClock()
    gw = gateway(config(), clock=clock)
    gw(event("/v1/users/1"))
    clock.advance(4)
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"
    clock.advance(2)
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "MISS"


def test_private_response_is_cached_per_consumer(stubs):
    users = counting(stubs, lambda r: Response.json({}, headers={"cache-control": "private"}))
    gw = gateway(config().replace("ttl_s: 30", "ttl_s: 30\n      scope: consumer"))
    gw(event("/v1/users/1"))
    assert gw(event("/v1/users/1"))["headers"]["x-cache"] == "HIT"
    assert len(users.calls) == 1


@pytest.mark.parametrize("honour, expected, calls", [(True, "BYPASS", 2), (False, "HIT", 1)])
def test_client_no_cache_honoured_only_when_configured(stubs, honour, expected, calls):
    users = counting(stubs)
    gw = gateway(config(honour=honour))
    gw(event("/v1/users/1"))
    result = gw(event("/v1/users/1", headers={"Cache-Control": "no-cache"}))
    assert result["headers"]["x-cache"] == expected
    assert len(users.calls) == calls


def test_client_no_cache_refreshes_the_entry(stubs):
    counting(stubs)
    gw = gateway(config(honour=True))
    gw(event("/v1/users/1"))
    gw(event("/v1/users/1", headers={"cache-control": "no-cache"}))
    assert body_of(gw(event("/v1/users/1"))) == {"call": 2}


def test_cold_key_under_concurrency_calls_the_backend_once(stubs):
    n = 8
    gate = threading.Event()
    users = counting(stubs, lambda r: (gate.wait(10), Response.json({"v": 1}))[1])
    gw = gateway(config())
    stage = find_stage(gw, CacheStage)
    joined = threading.Semaphore(0)
    original = stage.flight.join

    def join(key):
        result = original(key)
        joined.release()
        return result

    stage.flight.join = join
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(gw(event("/v1/users/1"))))
               for _ in range(n)]
    for t in threads:
        t.start()
    for _ in range(n):
        assert joined.acquire(timeout=10)  # every request is in flight for the key
    gate.set()
    for t in threads:
        t.join(10)
    assert len(users.calls) == 1
    assert len(results) == n and all(r["statusCode"] == 200 for r in results)
    assert {r["body"] for r in results} == {'{"v":1}'}


def test_partial_aggregate_is_not_cached(stubs):
    stubs.add("users", lambda r, t: Response.json({"id": "1"}))
    orders = stubs.add("orders", lambda r, t: Response.json({}, status=500))
    text = """
version: 1
routes:
  - id: dash
    path: /d/{id}
    cache: {ttl_s: 30}
    backend:
      type: aggregate
      parts:
        user: {backend: {type: lambda, function: users}, path: "/u/{id}"}
        orders: {backend: {type: lambda, function: orders}, path: "/o?u={id}", required: false}
"""
    gw = gateway(text)
    gw(event("/d/1"))
    second = gw(event("/d/1"))
    assert second["headers"]["x-cache"] == "MISS"
    assert second["headers"]["x-edgeway-complete"] == "false"
    assert len(orders.calls) == 2


def test_cache_on_a_route_without_get_is_a_config_error(stubs):
    from edgeway.errors import ConfigError

    counting(stubs)
    with pytest.raises(ConfigError) as info:
        gateway(config().replace("methods: [GET, POST]", "methods: [POST]"))
    assert "routes[0].cache" in str(info.value) and "only GET and HEAD" in str(info.value)


def test_unknown_cache_key_is_rejected_with_its_line(stubs):
    from edgeway.errors import ConfigError

    counting(stubs)
    with pytest.raises(ConfigError) as info:
        gateway(config().replace("ttl_s: 30", "ttl_s: 30\n      ttl: 5"))
    assert "routes[0].cache.ttl" in str(info.value) and info.value.line == 10


def test_consumer_scope_keys_each_consumer_apart():
    from edgeway.cache.policy import CachePolicy
    from edgeway.http import Principal, Request

    def request(principal):
        return Request(method="GET", path="/v1/users/1", headers={}, principal=principal)

    alice = Principal(subject="sub-1", kind="api_key", consumer="alice")
    bob = Principal(subject="sub-2", kind="api_key", consumer="bob")
    jwt_user = Principal(subject="sub-3", kind="jwt")
    per_consumer = CachePolicy.from_spec("r", {"ttl_s": 5, "scope": "consumer"})
    shared = CachePolicy.from_spec("r", {"ttl_s": 5})
    keys = {per_consumer.key(request(p)) for p in (alice, bob, jwt_user)}
    assert len(keys) == 3
    assert per_consumer.key(request(alice)) == per_consumer.key(
        request(Principal(subject="other-sub", kind="jwt", consumer="alice")))
    assert len({shared.key(request(p)) for p in (alice, bob, jwt_user)}) == 1


@pytest.mark.parametrize("alias", ["/v1/users/%33%31%39", "/v1/users/319/", "/v1/%75sers/319"])
def test_one_resource_has_one_cache_entry_whatever_its_spelling(stubs, alias):
    # Routing decodes the path once; the cache keys on what routing matched, so a
    # percent-encoded or trailing-slash alias is a HIT, never a second backend call.
    users = counting(stubs)
    gw = gateway(config())
    assert gw(event("/v1/users/319"))["headers"]["x-cache"] == "MISS"
    again = gw(event(alias))
    assert again["headers"]["x-cache"] == "HIT", alias
    assert len(users.calls) == 1


def test_a_background_refresh_logs_under_its_own_id_not_a_later_requests(stubs):
    logger = quiet_logger("edgeway-refresh-log-test")
    obs = Observability("edgeway-test", "us-east-1", logger=logger, metrics=NullMetrics())
    release = threading.Event()

    def make(request):
        if request.path == "/v1/users/1" and len(users.calls) > 1:  # the refresh: held until
            # a later request has been served
            release.wait(5)
            logger.info("refreshing", extra={"seen_request_id": request.request_id})
            raise RuntimeError("backend down")
        return Response.json({"call": len(users.calls)})

    users = counting(stubs, make)
    clock = FakeClock()
    gw = gateway(config(swr=60), clock=clock, obs=obs)
    gw(event("/v1/users/1", headers={"x-request-id": "first-request"}))
    clock.advance(40)
    gw(event("/v1/users/1", headers={"x-request-id": "stale-request"}))
    gw(event("/v1/other", headers={"x-request-id": "later-request"}))
    release.set()
    lines = []
    for _ in range(500):  # bounded: the refresh logs right after its backend call
        lines = [json.loads(line) for line in logger.buffer.getvalue().splitlines()]
        if any(line["message"] == "cache refresh failed" for line in lines):
            break
        threading.Event().wait(0.01)
    refresh = [line for line in lines if line["message"] in ("refreshing", "cache refresh failed")]
    assert len(refresh) == 2
    own = refresh[0]["request_id"]
    assert own.startswith("refresh-") and own == refresh[1]["request_id"]
    assert refresh[0]["seen_request_id"] == own  # the backend sees the refresh's id too
    assert all(line["parent_request_id"] == "stale-request" for line in refresh)
    served = {line["request_id"] for line in lines if line["message"] == "request"}
    assert {"first-request", "stale-request", "later-request"} <= served
