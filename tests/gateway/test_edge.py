"""The one edge: request id, outer boundary and common headers, for any Handler."""

from __future__ import annotations

import json

from edgeway.edge import Edge, request_id
from edgeway.errors import CacheUnavailable
from edgeway.http import Response
from edgeway.observability import Observability, quiet_logger

from tests.backend_stubs import NullMetrics, event


def test_the_one_request_id_rule() -> None:
    assert request_id(event("/x", headers={"x-request-id": "req-7f3a9c2e"})) == "req-7f3a9c2e"
    rest_v1 = {"httpMethod": "GET", "headers": {"X-Request-Id": "req-7f3a9c2f"},
               "requestContext": {"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}}
    assert request_id(rest_v1) == "req-7f3a9c2f"  # REST v1 and ALB keep the sender's case
    apigw = event("/x")
    apigw["requestContext"]["requestId"] = "JTm4gBkHoAMEVIg="
    assert request_id(apigw) == "JTm4gBkHoAMEVIg="
    apigw["requestContext"]["requestId"] = "/Tm4gBkHoAMEVIg="
    assert request_id(apigw) == "/Tm4gBkHoAMEVIg="
    apigw["headers"] = {"x-request-id": "bad id\r\nx: y"}  # replaced, never echoed
    for replaced in (apigw, event("/x"), {"headers": {"x-request-id": "short"}}, "junk", None):
        rid = request_id(replaced)
        assert len(rid) == 32 and int(rid, 16) >= 0


def _edge(app, service: str) -> tuple[Edge, object]:
    logger = quiet_logger(service)
    return Edge(app, region="eu-west-1",
                obs=Observability("t", "eu-west-1", logger=logger, metrics=NullMetrics())), logger


def test_anything_unexpected_is_a_safe_500_with_the_traceback_logged() -> None:
    def app(request):
        raise KeyError("internal-secret-name")

    edge, logger = _edge(app, "edgeway-edge-test-500")
    result = edge(event("/x", headers={"x-request-id": "req-00000042"}), None)
    assert result["statusCode"] == 500
    assert result["headers"]["x-request-id"] == "req-00000042"
    assert result["headers"]["x-edgeway-region"] == "eu-west-1"
    assert "internal-secret-name" not in result["body"] and "Traceback" not in result["body"]
    problem = json.loads(result["body"])
    assert problem["instance"] == "req-00000042" and problem["type"].endswith("/internal-error")
    lines = [json.loads(line) for line in logger.buffer.getvalue().splitlines()]
    crash = [line for line in lines if line["message"] == "unhandled error"]
    assert crash and "internal-secret-name" in crash[0]["exception"]
    assert crash[0]["request_id"] == "req-00000042"


def test_an_unavailable_dependency_that_reaches_the_edge_is_a_503() -> None:
    def app(request):
        raise CacheUnavailable("table throttled")

    edge, _ = _edge(app, "edgeway-edge-test-503")
    result = edge(event("/x"), None)
    assert result["statusCode"] == 503 and result["headers"]["retry-after"] == "1"
    assert "throttled" not in result["body"]


def test_a_malformed_event_is_a_400_in_the_v2_shape() -> None:
    edge, _ = _edge(lambda request: Response.json({}), "edgeway-edge-test-400")
    for broken in ({}, {"version": "2.0"}, "junk", None, {"requestContext": {"http": "GET"}}):
        result = edge(broken, None)
        assert result["statusCode"] == 400
        assert result["headers"]["content-type"] == "application/problem+json"
        assert len(result["headers"]["x-request-id"]) == 32
