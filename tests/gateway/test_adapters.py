"""Event adapters against recorded events: each source in, the same source's shape out."""

from __future__ import annotations

import base64

import pytest

from edgeway.adapters import (AlbAdapter, FunctionUrlAdapter, HttpApiV2Adapter, RestApiV1Adapter,
                              infer)
from edgeway.errors import BadRequest
from edgeway.http import Response

from tests.conftest import load_event


@pytest.mark.parametrize("name, adapter", [
    ("http_api_v2.json", HttpApiV2Adapter),
    ("http_api_v2_post_base64.json", HttpApiV2Adapter),
    ("function_url.json", FunctionUrlAdapter),
    ("rest_api_v1.json", RestApiV1Adapter),
    ("alb.json", AlbAdapter),
    ("alb_multi_value.json", AlbAdapter),
])
def test_each_recorded_event_is_recognised(name: str, adapter: type) -> None:
    assert type(infer(load_event(name))) is adapter


def test_http_api_v2_request() -> None:
    req = HttpApiV2Adapter().to_request(load_event("http_api_v2.json"), None)
    assert (req.method, req.path) == ("GET", "/v1/users/42")
    assert req.query["expand"] == ("orders", "profile")
    assert req.source_ip == "198.51.100.23"
    assert req.cookies == ("session=abc123", "theme=dark")
    assert req.header("cookie") == "session=abc123; theme=dark"
    assert req.header("X-Request-Id") == "req-7f3a9c2e-demo"


def test_base64_body_is_decoded() -> None:
    req = HttpApiV2Adapter().to_request(load_event("http_api_v2_post_base64.json"), None)
    assert req.body == b"\x00\x01\x02\x03\xff"


def test_rest_v1_multi_value_query_and_headers() -> None:
    req = RestApiV1Adapter().to_request(load_event("rest_api_v1.json"), None)
    assert req.query["tag"] == ("a", "b")
    assert req.header("host") == "abcdef1234.execute-api.eu-west-1.amazonaws.com"
    assert req.source_ip == "192.0.2.44"
    assert req.stage == "prod"


def test_alb_client_ip_is_first_forwarded_address() -> None:
    req = AlbAdapter().to_request(load_event("alb.json"), None)
    assert req.source_ip == "198.51.100.77"
    assert req.query_one("user_id") == "42"


def test_alb_multi_value_request_gets_multi_value_response() -> None:
    event = load_event("alb_multi_value.json")
    req = AlbAdapter().to_request(event, None)
    assert req.query["status"] == ("open", "paid")
    assert req.header("cookie") == "a=1,b=2"
    result = AlbAdapter().to_result(Response(200, {"content-type": "text/plain"}, b"ok",
                                             cookies=["x=1", "y=2"]), event)
    assert result["multiValueHeaders"]["set-cookie"] == ["x=1", "y=2"]
    assert result["statusDescription"] == "200 OK"
    assert "headers" not in result


def test_binary_response_is_base64_in_every_shape() -> None:
    response = Response(200, {"content-type": "image/png"}, b"\x89PNG\r\n")
    for name, adapter in [("http_api_v2.json", HttpApiV2Adapter()),
                          ("rest_api_v1.json", RestApiV1Adapter()),
                          ("alb.json", AlbAdapter())]:
        result = adapter.to_result(response, load_event(name))
        assert result["isBase64Encoded"] is True
        assert base64.b64decode(result["body"]) == b"\x89PNG\r\n"


def test_v2_cookies_go_in_cookies_and_v1_in_multi_value_set_cookie() -> None:
    response = Response(200, {"content-type": "application/json"}, b"{}", cookies=["a=1", "b=2"])
    v2 = HttpApiV2Adapter().to_result(response, load_event("http_api_v2.json"))
    assert v2["cookies"] == ["a=1", "b=2"]
    v1 = RestApiV1Adapter().to_result(response, load_event("rest_api_v1.json"))
    assert v1["multiValueHeaders"]["set-cookie"] == ["a=1", "b=2"]


@pytest.mark.parametrize("mutate, message", [
    (lambda e: e["requestContext"]["http"].pop("method"), "method"),
    (lambda e: e.update(rawPath=42), "rawPath"),
    (lambda e: e.update(headers=["not", "a", "map"]), "headers"),
    (lambda e: e.update(headers={"x": 1}), "headers"),
    (lambda e: e.update(body="%%%not base64%%%", isBase64Encoded=True), "base64"),
    (lambda e: e.update(body=123), "body"),
    (lambda e: e.update(cookies="a=1"), "cookies"),
])
def test_malformed_v2_events_are_bad_requests(mutate, message) -> None:
    event = load_event("http_api_v2.json")
    mutate(event)
    with pytest.raises(BadRequest, match=message):
        HttpApiV2Adapter().to_request(event, None)
