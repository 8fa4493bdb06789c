"""The exported document says what the demo stack answers (issue 14): the
aggregate's error items are in the Problem schema, GET /v1/orders declares the
user_id it needs, and OrdersFunction accepts what the route's schema accepts.
(tests/local/test_openapi_contract.py checks it all again with Schemathesis.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from edgeway.aggregate.spec import PartError, PartFailure
from edgeway.config import load_config
from edgeway.validation import SchemaCheck
from edgeway_local.openapi import build_openapi
from tests.gateway.test_backends import event, load_app, with_path

ROOT = Path(__file__).resolve().parents[2]


def demo() -> dict[str, Any]:
    return build_openapi(load_config(ROOT / "gateway.yaml"))


def problem_validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    schema = {"$ref": "#/components/schemas/Problem", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_an_aggregate_problem_with_failed_parts_matches_the_problem_schema():
    body = {"type": "https://edgeway.dev/problems/not-found", "title": "Not Found",
            "status": 404, "detail": "required part(s) not found: user", "instance": "r",
            "errors": [PartError("user", PartFailure.STATUS, "answered status 404", True,
                                 404).as_json(),
                       PartError("orders", PartFailure.TIMEOUT, "no answer", False).as_json()],
            "parts": []}
    problem_validator(demo()).validate(body)


def test_validation_errors_still_match_and_garbage_items_do_not():
    validator = problem_validator(demo())
    base = {"type": "about:blank", "title": "Validation Failed", "status": 400}
    validator.validate({**base, "errors": [{"in": "body", "pointer": "/quantity",
                                            "message": "must be an integer"}]})
    assert not validator.is_valid({**base, "errors": [{"part": "user"}]})


def test_get_orders_declares_the_user_id_the_backend_needs():
    operation = demo()["paths"]["/v1/orders"]["get"]
    declared = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert declared["user_id"]["required"] is True


def body_schema() -> dict[str, Any]:
    return demo()["paths"]["/v1/orders"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]


def create(orders: Any, order: dict[str, Any]) -> dict[str, Any]:
    ev = with_path(event("orders_create"), "POST", "/v1/orders")
    ev["headers"] = {"content-type": "application/json"}
    ev["body"], ev["isBase64Encoded"] = json.dumps(order), False
    return orders.handler(ev, None)


def test_what_the_route_schema_accepts_the_orders_backend_accepts():
    orders = load_app("orders", "edgeway_orders_app_contract")
    validator = SchemaCheck(body_schema())
    for order in ({"user_id": 7, "item": "mug", "quantity": 96.0},
                  {"user_id": 7.0, "item": "mug", "quantity": 1},
                  {"user_id": "7", "item": " mug ", "quantity": 100}):
        assert validator.errors(order) == [], order
        result = create(orders, order)
        assert result["statusCode"] == 201, (order, result["body"])
        assert json.loads(result["body"])["quantity"] == int(order["quantity"])


def test_what_the_backend_refuses_the_route_schema_refuses_first():
    validator = SchemaCheck(body_schema())
    for order in ({"user_id": 10**12, "item": "mug", "quantity": 1},
                  {"user_id": 7, "item": "   ", "quantity": 1},
                  {"user_id": 7, "item": "mug", "quantity": 96.5}):
        assert validator.errors(order), order
