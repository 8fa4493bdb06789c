"""The sample backends, driven through their Lambda handlers with the events
in events/ (the ones `sam local invoke` and `edgeway invoke` use)."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_JSON = "application/problem+json"


def load_app(function_dir: str, name: str) -> ModuleType:
    """Import functions/<dir>/app.py under its own name (every handler is app.py)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / function_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


def body_of(response: dict[str, Any]) -> Any:
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


def content_type(response: dict[str, Any]) -> str:
    return {k.lower(): v for k, v in response["headers"].items()}["content-type"]


def with_path(ev: dict[str, Any], method: str, path: str, query: str = "") -> dict[str, Any]:
    ev = copy.deepcopy(ev)
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["requestContext"]["http"]["method"] = method
    ev["rawQueryString"] = query
    if query:
        ev["queryStringParameters"] = dict(kv.split("=", 1) for kv in query.split("&"))
    else:
        ev.pop("queryStringParameters", None)
    return ev


def assert_problem(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status
    assert content_type(response).startswith(PROBLEM_JSON)
    problem = body_of(response)
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert "Traceback" not in json.dumps(problem)
    return problem


# ------------------------------------------------------------------- users

@pytest.fixture(scope="module")
def users() -> ModuleType:
    return load_app("users", "edgeway_users_app")


def test_users_answers_a_user_derived_from_the_id(users: ModuleType) -> None:
    response = users.handler(event("users_get"), None)
    assert response["statusCode"] == 200
    assert content_type(response).startswith("application/json")
    user = body_of(response)
    assert user["id"] == "42" and set(user) == {"id", "name", "email"}
    assert user["email"].endswith("42@example.com")
    # Deterministic: every container, region and test sees the same user.
    assert body_of(users.handler(event("users_get"), None)) == user


def test_users_differ_by_id(users: ModuleType) -> None:
    names = {body_of(users.handler(with_path(event("users_get"), "GET", f"/v1/users/{i}"),
                                   None))["name"] for i in range(1, 30)}
    assert len(names) > 5


@pytest.mark.parametrize("user_id", ["9999", "0", "042", "abc", "-1", "1" * 40])
def test_unknown_or_invalid_user_is_404_problem(users: ModuleType, user_id: str) -> None:
    ev = with_path(event("users_get"), "GET", f"/v1/users/{user_id}")
    problem = assert_problem(users.handler(ev, None), 404)
    assert problem["instance"] == f"/v1/users/{user_id}"


def test_users_not_found_event(users: ModuleType) -> None:
    assert_problem(users.handler(event("users_not_found"), None), 404)


def test_users_wrong_method_is_405_with_allow(users: ModuleType) -> None:
    response = users.handler(with_path(event("users_get"), "DELETE", "/v1/users/42"), None)
    assert_problem(response, 405)
    assert "GET" in {k.lower(): v for k, v in response["headers"].items()}["allow"]


def test_users_unknown_path_is_404_problem(users: ModuleType) -> None:
    assert_problem(users.handler(with_path(event("users_get"), "GET", "/v2/people"), None), 404)


@pytest.mark.parametrize("bad", [None, [], "GET /", {}, {"requestContext": {}},
                                 {"requestContext": {"http": {}}}])
def test_users_malformed_event_is_400_not_a_crash(users: ModuleType, bad: Any) -> None:
    assert_problem(users.handler(bad, None), 400)


# ------------------------------------------------------------------ orders

@pytest.fixture
def orders(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.delenv("ORDERS_FAIL", raising=False)
    return load_app("orders", "edgeway_orders_app")


def test_orders_lists_a_users_orders(orders: ModuleType) -> None:
    response = orders.handler(event("orders_list"), None)
    assert response["statusCode"] == 200
    assert content_type(response) == "application/json"
    payload = body_of(response)
    assert payload["user_id"] == "42"
    assert 2 <= len(payload["orders"]) <= 3
    for order in payload["orders"]:
        assert order["id"].startswith("ord-42-")
        assert order["total_cents"] > 0 and order["quantity"] >= 1
    assert body_of(orders.handler(event("orders_list"), None)) == payload


@pytest.mark.parametrize("query", ["", "user_id=", "user_id=abc", "user_id=0", "other=1"])
def test_orders_without_a_valid_user_id_is_400(orders: ModuleType, query: str) -> None:
    ev = with_path(event("orders_list"), "GET", "/v1/orders", query)
    assert_problem(orders.handler(ev, None), 400)


def test_orders_create_is_201_with_an_id_and_location(orders: ModuleType) -> None:
    response = orders.handler(event("orders_create"), None)
    assert response["statusCode"] == 201
    order = body_of(response)
    assert order["id"].startswith("ord-") and order["user_id"] == "42"
    assert order["item"] == "Burr grinder" and order["quantity"] == 1
    assert response["headers"]["location"] == f"/v1/orders/{order['id']}"
    # A retried delivery of the same request does not invent a second order.
    assert body_of(orders.handler(event("orders_create"), None))["id"] == order["id"]


@pytest.mark.parametrize(("body", "status"), [
    ("{not json", 400),
    ('["a list"]', 400),
    ('{"user_id": "42", "item": "", "quantity": 1}', 400),
    ('{"user_id": "42", "item": "x", "quantity": 0}', 400),
    ('{"user_id": "42", "item": "x", "quantity": true}', 400),
    ('{"user_id": "x", "item": "x", "quantity": 1}', 400),
])
def test_orders_create_rejects_bad_bodies(orders: ModuleType, body: str, status: int) -> None:
    ev = event("orders_create")
    ev["body"], ev["isBase64Encoded"] = body, False
    assert_problem(orders.handler(ev, None), status)


def test_orders_create_needs_json(orders: ModuleType) -> None:
    ev = event("orders_create")
    ev["headers"]["content-type"] = "text/plain"
    assert_problem(orders.handler(ev, None), 415)


def test_orders_create_rejects_bad_base64_and_huge_bodies(orders: ModuleType) -> None:
    ev = event("orders_create")
    ev["body"] = "***not base64***"
    assert_problem(orders.handler(ev, None), 400)
    ev["body"], ev["isBase64Encoded"] = "x" * (orders.MAX_BODY_BYTES + 1), False
    assert_problem(orders.handler(ev, None), 413)


def test_orders_wrong_method_is_405_with_allow(orders: ModuleType) -> None:
    response = orders.handler(with_path(event("orders_list"), "DELETE", "/v1/orders"), None)
    assert_problem(response, 405)
    assert response["headers"]["allow"] == "GET, POST"


def test_orders_unknown_path_is_404(orders: ModuleType) -> None:
    assert_problem(orders.handler(with_path(event("orders_list"), "GET", "/v1/nope"), None), 404)


def test_orders_fails_on_purpose_with_the_demo_header(orders: ModuleType) -> None:
    problem = assert_problem(orders.handler(event("orders_fail"), None), 500)
    assert problem["instance"] == event("orders_fail")["requestContext"]["requestId"]
    # Without the header the same request succeeds.
    ev = event("orders_fail")
    del ev["headers"]["x-demo-fail"]
    assert orders.handler(ev, None)["statusCode"] == 200


def test_orders_fails_every_request_with_orders_fail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_FAIL", "1")
    failing = load_app("orders", "edgeway_orders_app_failing")
    assert_problem(failing.handler(event("orders_list"), None), 500)
    assert_problem(failing.handler(event("orders_create"), None), 500)


def test_orders_bug_is_a_plain_500_without_internals(
        orders: ModuleType, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(user_id: str) -> list[dict[str, Any]]:
        raise ZeroDivisionError("secret internal detail")

    monkeypatch.setattr(orders, "orders_for", broken)
    response = orders.handler(event("orders_list"), None)
    problem = assert_problem(response, 500)
    assert "secret" not in response["body"] and "ZeroDivision" not in response["body"]
    assert problem["detail"] == "the orders service failed"
    assert "secret internal detail" in caplog.text  # the log keeps the cause


def test_orders_demo_delay_must_be_a_number(orders: ModuleType) -> None:
    ev = event("orders_list")
    ev["headers"]["x-demo-delay-ms"] = "soon"
    assert_problem(orders.handler(ev, None), 400)


@pytest.mark.parametrize("bad", [None, [], "x", {}, {"requestContext": {"http": None}},
                                 {"requestContext": {"http": {"method": 1, "path": "/v1/orders"}}}])
def test_orders_malformed_event_is_400_not_a_crash(orders: ModuleType, bad: Any) -> None:
    assert_problem(orders.handler(bad, None), 400)


# ----------------------------------------------------------------- events

def test_every_sample_event_is_json_and_http_events_are_v2() -> None:
    files = sorted((ROOT / "events").glob("*.json"))
    assert {"users_get", "orders_list", "orders_create"} <= {f.stem for f in files}
    for path in files:
        ev = json.loads(path.read_text())
        if "rawPath" in ev:
            assert ev["version"] == "2.0", path.name
            assert ev["requestContext"]["http"]["path"] == ev["rawPath"], path.name
