"""Every bad input of issue 5, through the whole gateway: a clear problem+json
answer, and never a call to the wrong backend."""

from __future__ import annotations

import json

import pytest

from tests.routing_helpers import Recorder, call, make_gateway, recorder  # noqa: F401 (fixture)

CONFIG = """
version: 1
gateway: {max_body_bytes: 2048}
routes:
  - {id: users, path: "/v1/users/{id:int}", backend: {type: lambda, function: Users}}
  - {id: admin, path: /admin, backend: {type: lambda, function: Admin}}
  - {id: admin.users, path: /v1/admin, backend: {type: lambda, function: Admin}}
  - {id: items, path: "/v1/items/{name}", backend: {type: lambda, function: Items}}
  - {id: files, path: "/v1/files/{path+}", backend: {type: lambda, function: Files}}
  - id: orders.create
    path: /v1/orders
    methods: [POST]
    consumes: [application/json]
    schema:
      query:
        type: object
        properties:
          dry_run: {type: boolean}
          tag: {type: array, items: {type: string}}
      body:
        type: object
        required: [item]
        properties: {item: {type: string}}
    backend: {type: lambda, function: Orders}
"""


@pytest.fixture
def gw(recorder: Recorder):
    return make_gateway(CONFIG)


def problem(answer, status: int) -> dict:
    assert answer.status == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json
    assert body["status"] == status and "Traceback" not in answer.text
    return body


@pytest.mark.parametrize("path", [
    "/v1/users/..%2f..%2fadmin",
    "/v1/users/..%2F..%2Fadmin",
    "/v1/items/..%2fadmin",
    "/v1/items/%2e%2e",
    "/v1/items/%2E%2E/admin",
    "/v1/items/..",
    "/v1/items/.",
    "/v1/files/a/../../admin",
    "/v1/files/a/%2e%2e/%2e%2e/admin",
    "/v1/items/..%5cadmin",
    "/v1/items/%00",
])
def test_traversal_is_refused_before_any_backend(gw, recorder: Recorder, path: str) -> None:
    problem(call(gw, "GET", path), 400)
    assert recorder.called == []


def test_double_encoding_reaches_only_the_matched_route_as_literal_text(gw, recorder: Recorder) -> None:
    answer = call(gw, "GET", "/v1/items/%252e%252e%252fadmin")
    assert answer.status == 200
    assert recorder.called == ["Items"]
    assert recorder.calls[0][1].path_params == {"name": "%2e%2e%2fadmin"}
    answer = call(gw, "GET", "/v1/files/%252e%252e/admin")
    assert answer.status == 200 and recorder.called == ["Items", "Files"]
    assert recorder.calls[1][1].path_params == {"path": "%2e%2e/admin"}
    # and a double-encoded dot never becomes the admin route
    problem(call(gw, "GET", "/v1/users/%252e%252e%252fadmin"), 404)
    assert "Admin" not in recorder.called


def test_overlong_path_is_414(gw, recorder: Recorder) -> None:
    problem(call(gw, "GET", "/v1/items/" + "a" * 2100), 414)
    assert recorder.called == []


def test_overlong_headers_are_431(gw, recorder: Recorder) -> None:
    problem(call(gw, "GET", "/v1/items/a", headers={"x-big": "b" * 20_000}), 431)
    assert recorder.called == []


@pytest.mark.parametrize("value", ["a\r\nx-admin: 1", "a\nb", "a\rb", "a\x00b"])
def test_cr_lf_nul_in_header_values_is_400(gw, recorder: Recorder, value: str) -> None:
    problem(call(gw, "GET", "/v1/items/a", headers={"x-note": value}), 400)
    assert recorder.called == []


def test_duplicated_single_valued_query_parameter_is_400(gw, recorder: Recorder) -> None:
    body = problem(call(gw, "POST", "/v1/orders", query="dry_run=true&dry_run=false",
                        headers={"content-type": "application/json"}, body='{"item": "x"}'), 400)
    assert body["errors"] == [{"in": "query", "pointer": "/dry_run",
                               "message": "query parameter 'dry_run' may be given only once"}]
    ok = call(gw, "POST", "/v1/orders", query="tag=a&tag=b&dry_run=true",
              headers={"content-type": "application/json"}, body='{"item": "x"}')
    assert ok.status == 200 and recorder.called == ["Orders"]


@pytest.mark.parametrize("body", ["{not json", "", "NaN", '{"item": NaN}', "[" * 100_000])
def test_non_json_body_on_a_json_route_is_400(gw, recorder: Recorder, body: str) -> None:
    answer = call(gw, "POST", "/v1/orders", headers={"content-type": "application/json"}, body=body)
    assert answer.status in (400, 413)
    problem(answer, answer.status)
    assert recorder.called == []


def test_body_over_the_limit_is_413(gw, recorder: Recorder) -> None:
    big = json.dumps({"item": "x" * 3000})
    problem(call(gw, "POST", "/v1/orders", headers={"content-type": "application/json"}, body=big), 413)
    # the default gateway limit applies to routes without rules too
    problem(call(gw, "GET", "/v1/items/a", body="x" * 2049), 413)
    assert recorder.called == []


def test_wrong_content_type_is_415(gw, recorder: Recorder) -> None:
    for headers in ({"content-type": "text/plain"}, {"content-type": "application/xml"}, {}):
        problem(call(gw, "POST", "/v1/orders", headers=headers, body='{"item": "x"}'), 415)
    assert recorder.called == []


@pytest.mark.parametrize("path", [
    "/v1/ｕsers/1",                 # fullwidth u
    "/v1/us%D0%B5rs/1",             # Cyrillic е, percent-encoded
    "/v1/users/%EF%BC%91",          # fullwidth digit one
    "/%E2%80%8Badmin",              # zero-width space then admin: refused outright
    "/ADMIN",
    "/v1/%E1%B4%AC%E1%B4%B0min",    # modifier-letter look-alikes
])
def test_unicode_look_alikes_never_match_ascii_routes(gw, recorder: Recorder, path: str) -> None:
    answer = call(gw, "GET", path)
    assert answer.status in (400, 404)
    problem(answer, answer.status)
    assert recorder.called == []


@pytest.mark.parametrize("value", ["1e9999", "-0", "+1", "01", "%D9%A3", "1.5", "9" * 19])
def test_int_parameter_refuses_other_spellings_with_404(gw, recorder: Recorder, value: str) -> None:
    problem(call(gw, "GET", f"/v1/users/{value}"), 404)
    assert recorder.called == []


def test_malformed_events_are_400_not_500(gw, recorder: Recorder) -> None:
    for broken in ({"version": "2.0", "requestContext": {"http": {"method": 7}}}, {"hello": 1}, []):
        result = gw(broken)
        assert result["statusCode"] == 400
    assert recorder.called == []
