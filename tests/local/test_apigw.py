"""API Gateway HTTP API emulation: the v2 event, route selection, reply, listener."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from edgeway_local.apigw import ApiListener
from edgeway_local.apigw_event import RouteMatch, RouteTable, build_event, interpret_result
from edgeway_local.lambda_service import LocalLambda
from edgeway_local.template import HttpRoute


EVENTS = Path(__file__).parent.parent / "events"
DEFAULT = RouteMatch(HttpRoute("ANY", "$default", "GatewayFunction"), {})
# What only a deployed API knows: its id and domain, the request's id and time,
# the trace id, and that the edge spoke HTTPS on 443.
DEPLOYMENT = {("requestContext", k) for k in
              ("apiId", "domainName", "domainPrefix", "requestId", "time", "timeEpoch")} | \
             {("headers", k) for k in ("x-amzn-trace-id", "x-forwarded-port", "x-forwarded-proto")}


def _strip(event: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(event))
    for section, key in DEPLOYMENT:
        out[section].pop(key, None)
    return out


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_get_event_matches_a_recorded_http_api_event() -> None:
    recorded = _recorded("http_api_v2.json")
    event = build_event(
        method="GET", raw_path="/v1/users/42", raw_query="expand=orders&expand=profile&lang=en",
        headers=[("Accept", "application/json"), ("Accept-Encoding", "gzip, deflate, br"),
                 ("Content-Length", "0"),
                 ("Host", "r3pmxmplak.execute-api.us-east-1.amazonaws.com"),
                 ("User-Agent", "curl/8.5.0"), ("Cookie", "session=abc123; theme=dark"),
                 ("X-Request-Id", "req-7f3a9c2e-demo")],
        body=b"", source_ip="198.51.100.23", port=3000, match=DEFAULT, request_id="x")
    assert _strip(event) == _strip(recorded)
    assert list(event) == list(recorded)  # same keys, same order
    assert event["requestContext"]["domainName"] == "r3pmxmplak.execute-api.us-east-1.amazonaws.com"
    assert event["requestContext"]["domainPrefix"] == "r3pmxmplak"


def test_binary_post_is_base64_like_the_recorded_event() -> None:
    recorded = _recorded("http_api_v2_post_base64.json")
    event = build_event(
        method="POST", raw_path="/v1/orders", raw_query="",
        headers=[("Content-Type", "application/octet-stream"), ("Content-Length", "5"),
                 ("Host", "r3pmxmplak.execute-api.us-east-1.amazonaws.com"),
                 ("User-Agent", "python-requests/2.32.3")],
        body=b"\x00\x01\x02\x03\xff", source_ip="203.0.113.9", port=3000, match=DEFAULT,
        request_id="x")
    assert _strip(event) == _strip(recorded)


def test_text_bodies_stay_text_and_repeated_headers_join() -> None:
    event = build_event(method="POST", raw_path="/a", raw_query="", headers=[
        ("Content-Type", "application/json"), ("X-Tag", "one"), ("x-tag", "two")],
        body=b'{"k": "v"}', source_ip="127.0.0.1", port=3000, match=DEFAULT, request_id="x")
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": "v"}', False)
    assert event["headers"]["x-tag"] == "one,two"
    assert "cookies" not in event and "queryStringParameters" not in event


def test_route_selection_prefers_the_most_specific_route() -> None:
    table = RouteTable([
        HttpRoute("ANY", "$default", "Default"),
        HttpRoute("GET", "/users/{id}", "ById"),
        HttpRoute("GET", "/users/me", "Me"),
        HttpRoute("ANY", "/users/{proxy+}", "Greedy"),
        HttpRoute("POST", "/users/{id}", "Post"),
    ])
    assert table.match("GET", "/users/me").route.function == "Me"
    by_id = table.match("GET", "/users/42")
    assert (by_id.route.function, by_id.path_parameters) == ("ById", {"id": "42"})
    assert table.match("POST", "/users/42").route.function == "Post"
    assert table.match("DELETE", "/users/42").route.function == "Greedy"
    greedy = table.match("GET", "/users/42/orders")
    assert greedy.path_parameters == {"proxy": "42/orders"}
    assert table.match("GET", "/other").route.function == "Default"
    assert RouteTable([HttpRoute("GET", "/a", "A")]).match("GET", "/b") is None


@pytest.mark.parametrize(("result", "status", "headers", "body"), [
    ({"statusCode": 201, "headers": {"X-A": "1"}, "cookies": ["a=1", "b=2"], "body": "made"},
     201, [("x-a", "1"), ("set-cookie", "a=1"), ("set-cookie", "b=2")], b"made"),
    ({"statusCode": 200, "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True},
     200, [], b"\x00\xff"),
    ({"statusCode": 204}, 204, [], b""),
    ({"hello": "world"}, 200, [("content-type", "application/json")], b'{"hello": "world"}'),
    ("plain", 200, [("content-type", "application/json")], b"plain"),
    ({"statusCode": "200", "body": "x"}, 500, [("content-type", "application/json")],
     b'{"message":"Internal Server Error"}'),
    ({"statusCode": 200, "body": {"not": "a string"}}, 500,
     [("content-type", "application/json")], b'{"message":"Internal Server Error"}'),
])
def test_function_results_are_read_as_api_gateway_does(result: Any, status: int,
                                                       headers: list[tuple[str, str]],
                                                       body: bytes) -> None:
    reply = interpret_result(result)
    assert (reply.status, list(reply.headers), reply.body) == (status, headers, body)


def test_health_probes_are_served_but_not_logged(listener: ApiListener,
                                                 access: list[str]) -> None:
    assert _get(f"{listener.url}/echo/1", {"User-Agent": "edgeway-health-checker/1"})[0] == 200
    assert _get(f"{listener.url}/echo/2", {"User-Agent": "curl/8"})[0] == 200
    assert len(access) == 1 and "GET /echo/2 -> 200 (EchoFunction" in access[0]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_listener_runs_the_routed_function_with_a_v2_event(listener: ApiListener) -> None:
    status, headers, body = _get(f"{listener.url}/echo/7?a=1&a=2", {"Cookie": "c=1"})
    assert status == 200
    event = json.loads(body)["event"]
    assert event["routeKey"] == "GET /echo/{id}"
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["cookies"] == ["c=1"]
    assert event["requestContext"]["requestId"] == headers["apigw-requestid"]
    assert json.loads(body)["env"]["AWS_REGION"] == "eu-west-1"


def test_listener_answers_500_on_a_function_error(listener: ApiListener,
                                                  functions: LocalLambda) -> None:
    # The $default route's gateway needs moto and the Invoke API, which are not
    # running here: its AWS call fails, an unhandled error, and API Gateway says 500.
    status, headers, body = _get(f"{listener.url}/count")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    assert headers["apigw-requestid"]


def test_a_region_marked_down_answers_503_to_everything(listener: ApiListener) -> None:
    listener.states.set_down("eu-west-1", True)
    for path in ("/health", "/echo/1", "/anything"):
        status, _, body = _get(listener.url + path)
        assert (status, json.loads(body)) == (503, {"message": "Service Unavailable"})
    listener.states.set_down("eu-west-1", False)
    assert _get(f"{listener.url}/echo/1")[0] == 200
