"""The demo gateway.yaml's dashboard and cached route, with stand-ins for the sample functions.

The stand-ins answer as functions/users and functions/orders do: OrdersFunction
fails on purpose when the request carries ``x-demo-fail: 1``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from edgeway.http import Response

from tests.backend_stubs import FakeClock, body_of, event, gateway, install

GATEWAY_YAML = (Path(__file__).resolve().parents[2] / "gateway.yaml").read_text()


def users_fn(request, timeout_s):
    return Response.json({"id": request.path.rsplit("/", 1)[-1], "name": "Ada Lovelace"})


def orders_fn(request, timeout_s):
    if request.header("x-demo-fail") == "1":
        return Response.json({"message": "Internal Server Error"}, status=500)
    user = request.query_one("user_id")
    return Response.json({"orders": [{"id": "o-1", "user_id": user, "total": 42.0}]})


@pytest.fixture
def demo(monkeypatch):
    stubs = install(monkeypatch)
    stubs.add("UsersFunction", users_fn)
    stubs.add("OrdersFunction", orders_fn)
    return stubs


def test_dashboard_returns_user_and_orders(demo):
    result = gateway(GATEWAY_YAML)(event("/v1/dashboard/42"))
    assert result["statusCode"] == 200
    assert result["headers"]["x-edgeway-complete"] == "true"
    body = body_of(result)
    assert body["user"]["id"] == "42"
    assert body["orders"]["orders"][0]["user_id"] == "42"


def test_dashboard_with_failing_orders_returns_the_user_and_names_the_error(demo):
    result = gateway(GATEWAY_YAML)(event("/v1/dashboard/42", headers={"x-demo-fail": "1"}))
    assert result["statusCode"] == 200
    assert result["headers"]["x-edgeway-complete"] == "false"
    body = body_of(result)
    assert body["user"]["id"] == "42" and "orders" not in body
    assert body["errors"] == [{"part": "orders", "reason": "status", "status": 500,
                               "required": False, "detail": "answered status 500"}]


def test_second_get_on_the_cached_demo_route_is_a_hit_with_age(demo):
    clock = FakeClock()
    gw = gateway(GATEWAY_YAML, clock=clock)
    assert gw(event("/v1/users/42"))["headers"]["x-cache"] == "MISS"
    clock.advance(2)
    second = gw(event("/v1/users/42"))
    assert second["headers"]["x-cache"] == "HIT" and second["headers"]["age"] == "2"
    assert len(demo.stubs["UsersFunction"].calls) == 1
