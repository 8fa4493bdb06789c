"""Validation: JSON Schema errors with pointers, size and media type limits."""

from __future__ import annotations

import json

import pytest

from edgeway.errors import ConfigError
from tests.routing_helpers import Recorder, call, make_gateway, recorder  # noqa: F401 (fixture)
from tests.conftest import stub_lambda

CONFIG = """
version: 1
gateway: {max_body_bytes: 4096}
routes:
  - id: orders.create
    path: /v1/orders
    methods: [POST]
    consumes: [application/json, application/merge-patch+json]
    max_body_bytes: 512
    schema:
      body:
        type: object
        additionalProperties: false
        required: [user_id, item, quantity]
        properties:
          user_id: {type: integer, minimum: 1}
          item: {type: string, minLength: 1}
          quantity: {type: integer, minimum: 1, maximum: 100}
          lines:
            type: array
            items:
              type: object
              required: [sku]
              properties: {sku: {type: string, pattern: "^[A-Z]{3}-[0-9]+$"}}
    backend: {type: lambda, function: Orders}
  - id: orders.search
    path: /v1/orders
    methods: [GET]
    schema:
      query:
        type: object
        additionalProperties: false
        required: [user_id]
        properties:
          user_id: {type: integer, minimum: 1}
          limit: {type: integer, maximum: 50}
          status: {type: array, items: {enum: [open, shipped]}}
    backend: {type: lambda, function: Search}
  - {id: upload, path: /upload, methods: [PUT], consumes: [text/csv], backend: {type: lambda, function: Upload}}
"""
JSON = {"content-type": "application/json; charset=utf-8"}


@pytest.fixture
def gw(recorder: Recorder):
    return make_gateway(CONFIG)


def test_valid_body_passes(gw, recorder: Recorder) -> None:
    answer = call(gw, "POST", "/v1/orders", headers=JSON,
                  body=json.dumps({"user_id": 4, "item": "mug", "quantity": 2}))
    assert answer.status == 200 and recorder.called == ["Orders"]


def test_every_body_error_is_listed_with_its_pointer(gw, recorder: Recorder) -> None:
    body = {"user_id": "four", "quantity": 0, "extra": True,
            "lines": [{"sku": "ABC-1"}, {"sku": "bad"}, {}]}
    answer = call(gw, "POST", "/v1/orders", headers=JSON, body=json.dumps(body))
    assert answer.status == 400
    problem = answer.json
    assert problem["type"].endswith("/validation-failed")
    pointers = sorted(e["pointer"] for e in problem["errors"])
    assert pointers == ["", "", "/lines/1/sku", "/lines/2", "/quantity", "/user_id"]
    messages = " | ".join(e["message"] for e in problem["errors"])
    assert "'item' is a required property" in messages and "extra" in messages
    assert all(e["in"] == "body" for e in problem["errors"])
    assert problem["detail"] == "6 validation error(s)"
    assert recorder.called == []


def test_query_is_validated_and_coerced(gw, recorder: Recorder) -> None:
    ok = call(gw, "GET", "/v1/orders", query="user_id=3&limit=10&status=open&status=shipped")
    assert ok.status == 200 and recorder.called == ["Search"]
    bad = call(gw, "GET", "/v1/orders", query="limit=500&status=lost&user_id=x&user_id=y&other=1")
    assert bad.status == 400
    errors = {(e["in"], e["pointer"]) for e in bad.json["errors"]}
    assert errors == {("query", "/user_id"), ("query", "/limit"), ("query", "/status/0"),
                      ("query", ""), }
    assert len(bad.json["errors"]) == 5  # duplicated user_id, then required user_id, extra, limit, status
    assert recorder.called == ["Search"]


def test_per_route_body_limit_overrides_the_gateway_default(gw, recorder: Recorder) -> None:
    body = json.dumps({"user_id": 1, "item": "x" * 600, "quantity": 1})
    answer = call(gw, "POST", "/v1/orders", headers=JSON, body=body)
    assert answer.status == 413 and "512" in answer.json["detail"]
    upload = call(gw, "PUT", "/upload", headers={"content-type": "text/csv"}, body="a,b\n" * 1100)
    assert upload.status == 413 and "4096" in upload.json["detail"]
    assert recorder.called == []


def test_media_types(gw, recorder: Recorder) -> None:
    merge = call(gw, "POST", "/v1/orders", headers={"content-type": "application/merge-patch+json"},
                 body=json.dumps({"user_id": 4, "item": "mug", "quantity": 2}))
    assert merge.status == 200
    csv = call(gw, "PUT", "/upload", headers={"content-type": "text/csv"}, body="a,b\n1,2\n")
    assert csv.status == 200  # not a JSON route: the body is not parsed
    wrong = call(gw, "PUT", "/upload", headers={"content-type": "application/json"}, body="{}")
    assert wrong.status == 415 and "text/csv" in wrong.json["detail"]
    assert recorder.called == ["Orders", "Upload"]


def test_two_megabyte_body_on_a_json_route_is_413(gw, recorder: Recorder) -> None:
    body = json.dumps({"user_id": 1, "item": "x" * (2 * 1024 * 1024), "quantity": 1})
    assert call(gw, "POST", "/v1/orders", headers=JSON, body=body).status == 413
    assert recorder.called == []


def test_an_invalid_schema_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_lambda(monkeypatch, Recorder().factory)
    with pytest.raises(ConfigError) as err:
        make_gateway("""
version: 1
routes:
  - id: x
    path: /x
    schema: {body: {type: object, properties: {a: {type: 12}}}}
    backend: {type: lambda, function: X}
""")
    assert err.value.key == "routes[0].schema.body" and "JSON Schema" in err.value.reason


def test_many_errors_are_capped_at_100(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_lambda(monkeypatch, Recorder().factory)
    gw = make_gateway("""
version: 1
routes:
  - id: x
    path: /x
    methods: [POST]
    schema: {body: {type: array, items: {type: integer}}}
    backend: {type: lambda, function: X}
""")
    answer = call(gw, "POST", "/x", headers=JSON, body=json.dumps(["a"] * 300))
    assert answer.status == 400 and len(answer.json["errors"]) == 100
