"""Transforms, path versions, header versions and deprecation headers."""

from __future__ import annotations

import json

import pytest

from edgeway.errors import ConfigError
from edgeway.http import Request, Response
from tests.routing_helpers import call, make_gateway
from tests.conftest import stub_lambda

CONFIG = """
version: 1
versioning: {header: Accept-Version, default: "1"}
routes:
  - id: users.v1
    path: "/v1/users/{id:int}"
    deprecation: 2025-01-01
    sunset: "2026-12-31T23:59:59Z"
    deprecation_link: https://docs.example.com/migrate-v2
    transform:
      request:
        path: "/internal/users/{id}"
        headers: {add: {x-api-version: "1"}, remove: [x-debug], rename: {x-client: x-caller}}
      response:
        headers: {remove: [x-powered-by], add: {cache-control: no-store}, rename: {x-internal-id: x-id}}
        body: {deny: [password, profile.ssn, friends.email], rename: {name: full_name, profile.city: address.city}}
        status: {404: 410}
    backend: {type: lambda, function: Echo}
  - id: users.v2
    path: "/v2/users/{id:int}"
    transform:
      response:
        body: {allow: [id, name, profile.city, friends.name]}
    backend: {type: lambda, function: Echo}
  - id: orders.create
    path: /orders
    methods: [POST]
    transform:
      request:
        body: {deny: [internal_flag], rename: {qty: quantity}}
    backend: {type: lambda, function: Echo}
  - {id: reports.v1, path: /reports, version: "1", backend: {type: lambda, function: ReportsV1}}
  - {id: reports.v2, path: /reports, version: 2, sunset: 2027-01-31, backend: {type: lambda, function: ReportsV2}}
"""

USER = {"id": 7, "name": "Ada", "password": "x", "profile": {"ssn": "1", "city": "Paris", "age": 3},
        "friends": [{"name": "B", "email": "b@x"}, {"name": "C", "email": "c@x"}]}


class Echo:
    """A backend that records what it got and answers a fixed user."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.status = 200

    def factory(self, spec, ctx):
        function = spec.function

        def backend(request: Request, *, timeout_s: float) -> Response:
            self.requests.append(request)
            if function.startswith("Reports"):
                return Response.json({"backend": function})
            response = Response.json(USER, status=self.status)
            response.headers.update({"x-powered-by": "php", "x-internal-id": "u-7"})
            return response

        return backend


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> Echo:
    backend = Echo()
    stub_lambda(monkeypatch, backend.factory)
    return backend


@pytest.fixture
def gw(echo: Echo):
    return make_gateway(CONFIG)


def test_request_path_and_headers_are_rewritten(gw, echo: Echo) -> None:
    call(gw, "GET", "/v1/users/7", headers={"x-debug": "1", "x-client": "cli", "accept": "a/b"})
    seen = echo.requests[0]
    assert seen.path == "/internal/users/7"
    assert seen.headers["x-api-version"] == "1" and seen.headers["x-caller"] == "cli"
    assert "x-debug" not in seen.headers and "x-client" not in seen.headers
    assert seen.headers["accept"] == "a/b"


def test_response_body_headers_and_status(gw, echo: Echo) -> None:
    answer = call(gw, "GET", "/v1/users/7")
    body = answer.json
    assert body == {"id": 7, "full_name": "Ada", "profile": {"age": 3}, "address": {"city": "Paris"},
                    "friends": [{"name": "B"}, {"name": "C"}]}
    assert "x-powered-by" not in answer.headers and answer.headers["x-id"] == "u-7"
    assert answer.headers["cache-control"] == "no-store"
    echo.status = 404
    assert call(gw, "GET", "/v1/users/7").status == 410


def test_allow_list_keeps_only_named_dotted_fields(gw) -> None:
    body = call(gw, "GET", "/v2/users/7").json
    assert body == {"id": 7, "name": "Ada", "profile": {"city": "Paris"},
                    "friends": [{"name": "B"}, {"name": "C"}]}


def test_request_body_fields(gw, echo: Echo) -> None:
    call(gw, "POST", "/orders", headers={"content-type": "application/json", "content-length": "40"},
         body=json.dumps({"qty": 2, "internal_flag": True, "item": "mug"}))
    seen = echo.requests[0]
    assert json.loads(seen.body) == {"quantity": 2, "item": "mug"}
    assert "content-length" not in seen.headers
    call(gw, "POST", "/orders", headers={"content-type": "text/plain"}, body="qty=2")
    assert echo.requests[1].body == b"qty=2"  # not JSON: passed through untouched


def test_deprecation_and_sunset_headers_follow_the_rfcs(gw) -> None:
    h = call(gw, "GET", "/v1/users/7").headers
    assert h["deprecation"] == "@1735689600"  # RFC 9745: structured-field date
    assert h["sunset"] == "Thu, 31 Dec 2026 23:59:59 GMT"  # RFC 8594: IMF-fixdate
    assert h["link"] == '<https://docs.example.com/migrate-v2>; rel="deprecation"; type="text/html"'
    assert "deprecation" not in call(gw, "GET", "/v2/users/7").headers


def test_versions_by_path_prefix_and_by_header(gw) -> None:
    assert call(gw, "GET", "/reports").json == {"backend": "ReportsV1"}  # the default version
    v2 = call(gw, "GET", "/reports", headers={"accept-version": "2"})
    assert v2.json == {"backend": "ReportsV2"} and v2.headers["sunset"] == "Sun, 31 Jan 2027 00:00:00 GMT"
    assert call(gw, "GET", "/reports", headers={"accept-version": "9"}).status == 404


def test_path_rewrite_naming_an_unknown_parameter_is_a_config_error(echo: Echo) -> None:
    with pytest.raises(ConfigError) as err:
        make_gateway(CONFIG.replace('path: "/internal/users/{id}"', 'path: "/internal/{user}"'))
    assert err.value.key == "routes[0].transform" and "{user}" in err.value.reason


def test_deprecation_must_be_a_date(echo: Echo) -> None:
    with pytest.raises(ConfigError, match="date"):
        make_gateway(CONFIG.replace("deprecation: 2025-01-01", "deprecation: true"))


def test_path_rewrite_re_encodes_parameters(echo: Echo) -> None:
    gw = make_gateway("""
version: 1
routes:
  - id: files
    path: "/files/{name}/{rest+}"
    transform: {request: {path: "/store/{rest}/{name}"}}
    backend: {type: lambda, function: Echo}
""")
    call(gw, "GET", "/files/a%20b/x/%252e/y")
    assert echo.requests[0].path == "/store/x/%252e/y/a%20b"
