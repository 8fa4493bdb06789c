"""The whole pipeline through the front door: events in, Lambda results out."""

from __future__ import annotations

import json

import pytest

from edgeway.http import Response

from tests.conftest import body_of, load_event, v2_event

# Public routes: these tests are about the pipeline boundary, not auth (deny by
# default would answer 401; tests/gateway/test_auth_*.py cover authentication).
CONFIG = """
version: 1
gateway: {name: test-gw}
routes:
  - id: users.get
    path: /v1/users/{id}
    methods: [GET]
    auth: none
    backend: {type: lambda, function: UsersFunction}
  - id: orders.list
    path: /v1/orders
    methods: [GET, POST]
    auth: none
    backend: {type: lambda, function: OrdersFunction}
"""


def assert_problem(result: dict, status: int) -> dict:
    assert result["statusCode"] == status
    assert result["headers"]["content-type"] == "application/problem+json"
    problem = body_of(result)
    assert problem["status"] == status
    assert set(problem) >= {"type", "title", "status", "detail", "instance"}
    assert problem["instance"] == result["headers"]["x-request-id"]
    return problem


def test_routed_request_reaches_its_backend_with_params(make_gateway, stub_backends) -> None:
    gateway = make_gateway(CONFIG, region="eu-west-1")
    result = gateway(load_event("http_api_v2.json"), None)
    assert result["statusCode"] == 200
    assert body_of(result) == {"backend": "UsersFunction", "path": "/v1/users/42",
                               "params": {"id": "42"}}
    # The inbound request id is well formed, so it is kept; the region is stamped.
    assert result["headers"]["x-request-id"] == "req-7f3a9c2e-demo"
    assert result["headers"]["x-edgeway-region"] == "eu-west-1"
    assert stub_backends.called() == ["UsersFunction"]


@pytest.mark.parametrize("name", ["rest_api_v1.json", "alb.json", "function_url.json",
                                  "alb_multi_value.json"])
def test_every_event_source_is_served(make_gateway, stub_backends, name) -> None:
    result = make_gateway(CONFIG)(load_event(name), None)
    assert result["statusCode"] == 200
    assert "x-request-id" in json.dumps(result)


def test_malformed_inbound_request_id_is_replaced(make_gateway) -> None:
    event = v2_event("GET", "/v1/orders", headers={"x-request-id": "bad id\r\nx: y"})
    result = make_gateway(CONFIG)(event, None)
    assert result["headers"]["x-request-id"] != "bad id\r\nx: y"
    assert len(result["headers"]["x-request-id"]) == 32


def test_unknown_route_is_404_problem(make_gateway, stub_backends) -> None:
    problem = assert_problem(make_gateway(CONFIG)(v2_event("GET", "/v2/nothing"), None), 404)
    assert problem["type"].endswith("/not-found")
    assert stub_backends.calls == []


def test_wrong_method_is_405_with_allow(make_gateway, stub_backends) -> None:
    result = make_gateway(CONFIG)(v2_event("DELETE", "/v1/orders"), None)
    assert_problem(result, 405)
    assert result["headers"]["allow"] == "GET, POST"
    assert stub_backends.calls == []


def test_health_is_public_and_names_the_region(make_gateway, stub_backends) -> None:
    result = make_gateway(CONFIG, region="ap-southeast-1")(v2_event("GET", "/health"), None)
    assert result["statusCode"] == 200
    assert body_of(result) == {"status": "ok", "region": "ap-southeast-1", "service": "test-gw"}
    assert stub_backends.calls == []


@pytest.mark.parametrize("event", [
    {},
    {"version": "2.0"},
    {"version": "2.0", "requestContext": {"http": {}}},
    {"version": "2.0", "rawPath": "/v1/orders", "requestContext": {"http": {"method": "GET"}},
     "body": "***", "isBase64Encoded": True},
    {"httpMethod": 7, "requestContext": {}, "path": "/x"},
    "not even a dict",
    None,
])
def test_malformed_events_are_400_problems_never_tracebacks(make_gateway, stub_backends, event):
    result = make_gateway(CONFIG)(event, None)
    problem = assert_problem(result, 400)
    assert "Traceback" not in problem["detail"]
    assert stub_backends.calls == []


def test_unexpected_exception_is_a_safe_500(make_gateway, stub_backends) -> None:
    def explode(name, request):
        raise RuntimeError("secret internal detail from module_x")

    stub_backends.responder = explode
    result = make_gateway(CONFIG)(v2_event("GET", "/v1/orders"), None)
    problem = assert_problem(result, 500)
    assert "secret" not in result["body"] and "module_x" not in result["body"]
    assert problem["type"].endswith("/internal-error")


def test_backend_response_passes_through_with_cookies(make_gateway, stub_backends) -> None:
    stub_backends.responder = lambda name, req: Response(
        201, {"content-type": "application/json", "x-backend": "yes"}, b'{"ok":true}', ["s=1"])
    result = make_gateway(CONFIG)(v2_event("POST", "/v1/orders", body="{}"), None)
    assert result["statusCode"] == 201
    assert result["headers"]["x-backend"] == "yes"
    assert result["cookies"] == ["s=1"]


def test_one_metric_per_request_with_route_and_status(make_gateway) -> None:
    gateway = make_gateway(CONFIG)
    gateway(v2_event("GET", "/v1/users/1"), None)
    gateway(v2_event("GET", "/nope"), None)
    emitted = gateway.obs.metrics.emitted
    assert [(m["route"], m["status"]) for m in emitted] == [("users.get", "200"), ("-", "404")]
    assert all(m["Latency"] >= 0 for m in emitted)
