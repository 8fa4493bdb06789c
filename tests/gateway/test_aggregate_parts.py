"""Composite routes through the front door: parts, failures, budgets, merges."""

from __future__ import annotations

import threading

import pytest
from edgeway.errors import BackendError, ConfigError, ServiceUnavailable
from edgeway.http import Response

from tests.backend_stubs import body_of, event, gateway, install, json_response

DASHBOARD = """
version: 1
routes:
  - id: dashboard
    path: /v1/dashboard/{id}
    timeout_ms: 3000
    backend:
      type: aggregate
      merge: %(merge)s
      parts:
        user:
          backend: {type: lambda, function: users}
          path: /v1/users/{id}
          required: true
        orders:
          backend: {type: lambda, function: orders}
          path: /v1/orders?user_id={id}
          timeout_ms: %(orders_timeout)d
          required: false
"""


def dashboard(merge: str = "keyed", orders_timeout: int = 2000) -> str:
    return DASHBOARD % {"merge": merge, "orders_timeout": orders_timeout}


@pytest.fixture
def stubs(monkeypatch):
    return install(monkeypatch)


@pytest.fixture
def release():
    """An event hanging stubs wait on; set at teardown so no worker stays stuck."""
    ev = threading.Event()
    yield ev
    ev.set()


def user_stub(request, timeout_s):
    return Response.json({"id": request.path.rsplit("/", 1)[-1], "name": "Ada"})


def test_keyed_merge_returns_every_part_and_passes_parameters(stubs):
    stubs.add("users", user_stub)
    orders = stubs.add("orders", json_response([{"id": "o1"}]))
    result = gateway(dashboard())(event("/v1/dashboard/42"))
    assert result["statusCode"] == 200
    assert result["headers"]["x-edgeway-complete"] == "true"
    assert body_of(result) == {"user": {"id": "42", "name": "Ada"}, "orders": [{"id": "o1"}]}
    call = orders.calls[0]
    assert call.path == "/v1/orders" and call.query == {"user_id": ("42",)}


def test_parameters_are_percent_encoded_and_cannot_add_segments(stubs):
    users = stubs.add("users", user_stub)
    stubs.add("orders", json_response([]))
    gateway(dashboard())(event("/v1/dashboard/a%20b"))
    assert users.calls[0].path == "/v1/users/a%20b"


def test_deep_merge_combines_objects(stubs):
    stubs.add("users", json_response({"user": {"id": "42"}, "meta": {"a": 1}}))
    stubs.add("orders", json_response({"meta": {"b": 2}, "orders": []}))
    result = gateway(dashboard("deep"))(event("/v1/dashboard/42"))
    assert body_of(result) == {"user": {"id": "42"}, "meta": {"a": 1, "b": 2}, "orders": []}


def test_hanging_optional_part_times_out_and_the_rest_is_returned(stubs, release):
    stubs.add("users", user_stub)
    stubs.add("orders", lambda r, t: (release.wait(10), Response.json([]))[1])
    result = gateway(dashboard(orders_timeout=100))(event("/v1/dashboard/42"))
    assert result["statusCode"] == 200
    assert result["headers"]["x-edgeway-complete"] == "false"
    assert result["headers"]["cache-control"] == "no-store"
    body = body_of(result)
    assert body["user"]["id"] == "42" and "orders" not in body
    assert body["errors"] == [{"part": "orders", "reason": "timeout", "required": False,
                               "detail": "no answer within its time budget"}]


@pytest.mark.parametrize("orders, reason", [
    (lambda r, t: Response(status=200, body=b"{not json"), "invalid_json"),
    (lambda r, t: Response(status=200, body=b"[" + b"1," * (3 * 1024 * 1024 + 1) + b"1]"), "too_large"),
    (lambda r, t: Response.json({"message": "boom"}, status=500), "status"),
    (lambda r, t: (_ for _ in ()).throw(RuntimeError("secret internal detail")), "error"),
    (lambda r, t: (_ for _ in ()).throw(BackendError("lambda:orders failed (Unhandled)")), "error"),
    (lambda r, t: (_ for _ in ()).throw(ServiceUnavailable("throttled")), "unavailable"),
])
def test_optional_part_failures_are_named_with_their_reason(stubs, orders, reason):
    stubs.add("users", user_stub)
    stubs.add("orders", orders)
    result = gateway(dashboard())(event("/v1/dashboard/42"))
    assert result["statusCode"] == 200
    assert result["headers"]["x-edgeway-complete"] == "false"
    body = body_of(result)
    assert body["user"] == {"id": "42", "name": "Ada"}
    [error] = body["errors"]
    assert error["part"] == "orders" and error["reason"] == reason
    assert "secret internal detail" not in result["body"] and "RuntimeError" not in result["body"]


def test_required_part_error_is_502_problem_naming_the_parts(stubs):
    stubs.add("users", lambda r, t: Response(status=200, body=b"<html>"))
    stubs.add("orders", json_response([]))
    result = gateway(dashboard())(event("/v1/dashboard/42"))
    assert result["statusCode"] == 502
    assert result["headers"]["content-type"] == "application/problem+json"
    problem = body_of(result)
    assert problem["errors"][0]["part"] == "user" and problem["errors"][0]["reason"] == "invalid_json"
    assert problem["parts"] == ["orders"]


def test_required_part_timeout_is_504(stubs, release):
    stubs.add("users", lambda r, t: (release.wait(10), Response.json({}))[1])
    stubs.add("orders", json_response([]))
    text = dashboard().replace("timeout_ms: 3000", "timeout_ms: 150")
    result = gateway(text)(event("/v1/dashboard/42"))
    assert result["statusCode"] == 504
    assert body_of(result)["errors"][0] == {"part": "user", "reason": "timeout", "required": True,
                                            "detail": "no answer within its time budget"}


def test_required_part_not_found_is_404(stubs):
    stubs.add("users", json_response({"detail": "no such user"}, status=404))
    stubs.add("orders", json_response([]))
    result = gateway(dashboard())(event("/v1/dashboard/404"))
    assert result["statusCode"] == 404
    assert body_of(result)["errors"][0]["status"] == 404


def test_parts_run_concurrently(stubs):
    barrier = threading.Barrier(2, timeout=5)

    def meet(payload):
        def fn(r, t):
            barrier.wait()  # both parts must be running at once to get past this
            return Response.json(payload)
        return fn

    stubs.add("users", meet({"id": "1"}))
    stubs.add("orders", meet([]))
    result = gateway(dashboard())(event("/v1/dashboard/1"))
    assert result["statusCode"] == 200 and result["headers"]["x-edgeway-complete"] == "true"


DEPENDENT = """
version: 1
routes:
  - id: dashboard
    path: /v1/dashboard/{name}
    backend:
      type: aggregate
      parts:
        orders:
          backend: {type: lambda, function: orders}
          path: /v1/orders?user_id={user.id}&limit={query.limit}
          required: false
        user:
          backend: {type: lambda, function: users}
          path: /v1/users/by-name/{name}
"""


def test_dependent_step_uses_a_field_of_an_earlier_part(stubs):
    stubs.add("users", json_response({"id": "u-7", "name": "ada"}))
    orders = stubs.add("orders", json_response([{"id": "o9"}]))
    result = gateway(DEPENDENT)(event("/v1/dashboard/ada", query="limit=5"))
    assert result["statusCode"] == 200
    assert orders.calls[0].query == {"user_id": ("u-7",), "limit": ("5",)}
    assert list(body_of(result)) == ["orders", "user"]


def test_dependent_step_is_skipped_when_its_dependency_fails(stubs):
    stubs.add("users", json_response({"id": "u-7"}))
    stubs.add("orders", json_response([]))
    text = DEPENDENT.replace("required: false", "required: false\n        audit:\n"
                             "          backend: {type: lambda, function: audit}\n"
                             "          path: /v1/audit/{orders.0.id}\n          required: false")
    stubs.add("audit", json_response({}))
    stubs.stubs["orders"].fn = json_response({"error": "x"}, status=503)
    result = gateway(text)(event("/v1/dashboard/ada", query="limit=1"))
    errors = {e["part"]: e["reason"] for e in body_of(result)["errors"]}
    assert errors == {"orders": "status", "audit": "skipped"}
    assert stubs.stubs["audit"].calls == []


def test_missing_field_in_dependency_is_an_error_of_that_part(stubs):
    stubs.add("users", json_response({"name": "no id here"}))
    orders = stubs.add("orders", json_response([]))
    result = gateway(DEPENDENT)(event("/v1/dashboard/ada", query="limit=1"))
    [error] = body_of(result)["errors"]
    assert error["part"] == "orders" and error["reason"] == "error" and "user" in error["detail"]
    assert orders.calls == []


def test_part_budget_is_cut_to_the_route_budget(stubs):
    seen = []
    stubs.add("users", lambda r, t: (seen.append(t), Response.json({}))[1])
    stubs.add("orders", json_response([]))
    text = dashboard().replace("timeout_ms: 3000", "timeout_ms: 400").replace(
        "required: true", "required: true\n          timeout_ms: 20000")
    gateway(text)(event("/v1/dashboard/1"))
    assert 0 < seen[0] <= 0.4


def test_part_budget_respects_lambda_remaining_time(stubs):
    seen = []
    stubs.add("users", lambda r, t: (seen.append(t), Response.json({}))[1])
    stubs.add("orders", json_response([]))

    class Ctx:
        def get_remaining_time_in_millis(self):
            return 1000

    gateway(dashboard())(event("/v1/dashboard/1"), Ctx())
    assert 0 < seen[0] <= 0.75  # 1000 ms left minus the dispatch margin and the merge margin


def test_client_headers_reach_the_parts(stubs):
    stubs.add("users", user_stub)
    orders = stubs.add("orders", json_response([]))
    gateway(dashboard())(event("/v1/dashboard/1", headers={"x-demo-fail": "1"}))
    assert orders.calls[0].header("x-demo-fail") == "1"


@pytest.mark.parametrize("mutate, key, reason", [
    (lambda t: t.replace("/v1/users/{id}", "/v1/users/{uid}"), "routes[0].backend.parts.user.path",
     "no parameter {uid}"),
    (lambda t: t.replace("required: false", "required: false\n          after: nobody"),
     "routes[0].backend.parts.orders.after", "no part named 'nobody'"),
    (lambda t: t.replace("/v1/users/{id}", "/v1/users/{orders.user}").replace(
        "user_id={id}", "user_id={user.id}"), "after", "cycle"),
    (lambda t: t.replace("        user:\n", "        errors:\n"), "parts.errors", "reserved"),
])
def test_bad_aggregate_config_names_the_key(stubs, mutate, key, reason):
    stubs.add("users", user_stub)
    stubs.add("orders", json_response([]))
    with pytest.raises(ConfigError) as info:
        gateway(mutate(dashboard()))
    assert key in str(info.value) and reason in str(info.value)
    assert info.value.line is not None


def test_required_failure_answers_without_waiting_for_slow_optional_parts(stubs, release):
    stubs.add("users", json_response({"detail": "boom"}, status=503))
    stubs.add("orders", lambda r, t: (release.wait(10), Response.json([]))[1])
    finished = threading.Event()
    results = []

    def call():
        text = dashboard(orders_timeout=20000).replace("timeout_ms: 3000", "timeout_ms: 25000")
        results.append(gateway(text)(event("/v1/dashboard/42")))
        finished.set()

    threading.Thread(target=call, daemon=True).start()
    assert finished.wait(5), "the aggregate waited for the hanging optional part"
    assert results[0]["statusCode"] == 502
    assert body_of(results[0])["errors"][0]["part"] == "user"
