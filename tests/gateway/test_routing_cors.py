"""CORS: preflights answered at the gateway, simple responses decorated."""

from __future__ import annotations

import pytest

from edgeway.errors import ConfigError
from tests.routing_helpers import Recorder, call, make_gateway, recorder  # noqa: F401 (fixture)
from tests.conftest import stub_lambda

CONFIG = """
version: 1
cors:
  origins: ["https://app.example.com", "https://*.example.org"]
  expose: [x-request-id]
  max_age: 600
  credentials: true
routes:
  - {id: users, path: "/v1/users/{id:int}", methods: [GET], backend: {type: lambda, function: Users}}
  - id: orders
    path: /v1/orders
    methods: [POST]
    cors: {origins: ["*"], credentials: false, headers: ["*"]}
    backend: {type: lambda, function: Orders}
  - {id: internal, path: /internal, cors: false, backend: {type: lambda, function: Internal}}
  - {id: own, path: /own-cors, methods: [GET, OPTIONS], cors: false, backend: {type: lambda, function: Own}}
  - {id: reports.v2, path: /reports, version: "2", backend: {type: lambda, function: ReportsV2}}
"""
ORIGIN = "https://app.example.com"


@pytest.fixture
def gw(recorder: Recorder):
    return make_gateway(CONFIG)


def preflight(gw, path: str, method: str = "GET", origin: str = ORIGIN, headers: str | None = None):
    h = {"origin": origin, "access-control-request-method": method}
    if headers:
        h["access-control-request-headers"] = headers
    return call(gw, "OPTIONS", path, headers=h)


def test_preflight_on_a_get_only_route_is_204_without_backend_call(gw, recorder: Recorder) -> None:
    answer = preflight(gw, "/v1/users/7", headers="authorization, content-type")
    assert answer.status == 204 and answer.text == ""
    h = answer.headers
    assert h["access-control-allow-origin"] == ORIGIN
    assert h["access-control-allow-methods"] == "GET, HEAD"
    assert h["access-control-allow-headers"] == "content-type, authorization, x-api-key, x-request-id, accept-version"
    assert h["access-control-max-age"] == "600"
    assert h["access-control-allow-credentials"] == "true"
    assert "Origin" in h["vary"]
    assert recorder.called == []


def test_preflight_for_a_method_the_route_lacks_is_refused_by_cors_not_405(gw, recorder) -> None:
    answer = preflight(gw, "/v1/users/7", method="DELETE")
    assert answer.status == 403 and "DELETE" in answer.json["detail"]
    assert recorder.called == []


def test_preflight_from_an_unknown_origin_is_403(gw, recorder: Recorder) -> None:
    for origin in ("https://evil.example.com", "https://app.example.com.evil.io", "null",
                   "https://example.org", "https://x.example.org/path"):
        answer = preflight(gw, "/v1/users/7", origin=origin)
        assert answer.status == 403, origin
        assert "access-control-allow-origin" not in answer.headers
    assert recorder.called == []


def test_wildcard_subdomain_origin(gw) -> None:
    answer = preflight(gw, "/v1/users/7", origin="https://shop.example.org")
    assert answer.headers["access-control-allow-origin"] == "https://shop.example.org"


def test_route_override_with_star_and_echoed_headers(gw, recorder: Recorder) -> None:
    answer = preflight(gw, "/v1/orders", method="POST", origin="https://anyone.test",
                       headers="X-Custom, Content-Type")
    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-headers"] == "X-Custom, Content-Type"
    assert "access-control-allow-credentials" not in answer.headers
    assert recorder.called == []


def test_disallowed_request_header_is_refused(gw) -> None:
    assert preflight(gw, "/v1/users/7", headers="x-secret").status == 403


def test_simple_response_gets_allow_origin_and_vary(gw, recorder: Recorder) -> None:
    answer = call(gw, "GET", "/v1/users/7", headers={"origin": ORIGIN})
    assert answer.status == 200 and recorder.called == ["Users"]
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["vary"] == "Origin"
    assert answer.headers["access-control-expose-headers"] == "x-request-id"
    plain = call(gw, "GET", "/v1/users/7", headers={"origin": "https://evil.example.com"})
    assert plain.status == 200 and "access-control-allow-origin" not in plain.headers


def test_errors_from_later_stages_carry_cors_headers(gw) -> None:
    answer = call(gw, "POST", "/v1/users/7", headers={"origin": ORIGIN})
    assert answer.status == 405  # the router answers 405 before CORS; no route matched
    answer = call(gw, "GET", "/v1/users/7", headers={"origin": ORIGIN}, body="x" * 2_000_000)
    assert answer.status == 413
    assert answer.headers["access-control-allow-origin"] == ORIGIN


def test_cors_false_route_does_not_answer_preflights(gw, recorder: Recorder) -> None:
    assert preflight(gw, "/internal").status == 405  # routed as the OPTIONS it is
    own = preflight(gw, "/own-cors")  # a backend doing its own CORS gets the preflight
    assert own.status == 200 and "access-control-allow-origin" not in own.headers
    assert recorder.called == ["Own"]
    assert recorder.calls[0][1].method == "OPTIONS"
    answer = call(gw, "GET", "/internal", headers={"origin": ORIGIN})
    assert "access-control-allow-origin" not in answer.headers
    assert recorder.called == ["Own", "Internal"]


def test_plain_options_without_cors_headers_is_routed_as_options(gw) -> None:
    assert call(gw, "OPTIONS", "/v1/users/7").status == 405


def test_star_with_credentials_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="credentials") as err:
        make_gateway(CONFIG.replace('origins: ["https://app.example.com", "https://*.example.org"]',
                                    'origins: ["*"]'))
    assert err.value.key == "cors"


def test_no_cors_anywhere_means_no_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_lambda(monkeypatch, Recorder().factory)
    gw = make_gateway("""
version: 1
routes:
  - {id: users, path: /u, backend: {type: lambda, function: Users}}
""")
    answer = call(gw, "GET", "/u", headers={"origin": ORIGIN})
    assert answer.status == 200 and "access-control-allow-origin" not in answer.headers


def test_preflight_for_a_header_versioned_route(gw, recorder: Recorder) -> None:
    # The browser sends the header's name in the preflight, never its value.
    answer = preflight(gw, "/reports", headers="accept-version")
    assert answer.status == 204 and recorder.called == []
    assert call(gw, "GET", "/reports", headers={"accept-version": "2"}).status == 200
