"""The open redirect through Host (issue 14): the client's Host never reaches a
backend, a trailing slash is the gateway's business, and the sample backend
never builds an absolute URL from a request header."""

from __future__ import annotations

import json

import pytest

from edgeway.backends.http import HttpBackend
from edgeway.backends.lambda_ import build_event
from edgeway.http import Request
from edgeway.routing import Route
from tests.gateway.test_backends import event, load_app, with_path

EVIL = "evil.example.com"


def request(path: str = "/v1/users/284/") -> Request:
    return Request(method="GET", path=path, headers={"host": EVIL, "accept": "*/*"},
                   request_id="req-12345678", domain_name="api.example.com",
                   path_params={"id": "284"},
                   route=Route(id="users.get", path="/v1/users/{id}", methods=frozenset({"GET"})))


def test_a_lambda_backend_gets_the_gateway_domain_as_host_and_the_canonical_path():
    built = build_event(request(), route_key="GET /v1/users/{id}")
    assert built["headers"]["host"] == "api.example.com"
    assert EVIL not in json.dumps(built)
    assert built["rawPath"] == built["requestContext"]["http"]["path"] == "/v1/users/284"


def test_a_percent_encoded_path_reaches_the_backend_in_its_one_spelling():
    built = build_event(request("/v1/users/%32%38%34"), route_key="GET /v1/users/{id}")
    assert built["rawPath"] == "/v1/users/284"


def test_an_http_backend_sends_its_own_host_and_no_trailing_slash():
    backend = HttpBackend("http://users.internal:8080", path=None, host=None,
                          forward_headers=("accept",), connect_timeout_s=1.0)
    assert backend.target(request()) == "http://users.internal:8080/v1/users/284"
    assert "host" not in backend.headers_for(request())  # urllib3 sends the URL's host


def test_forwarding_the_client_host_to_an_http_backend_is_a_config_error():
    from edgeway.config import parse_config
    from edgeway.errors import ConfigError

    with pytest.raises(ConfigError, match="host") as info:
        parse_config("version: 1\nroutes:\n  - path: /a\n    backend: {type: http, "
                     "url: 'http://users.internal', forward_headers: [accept, Host]}\n")
    assert info.value.key == "routes[0].backend.forward_headers" and info.value.line == 4


def test_the_sample_users_backend_never_redirects_to_a_request_host():
    users = load_app("users", "edgeway_users_app_host")
    ev = with_path(event("users_get"), "GET", "/v1/users/284/")
    ev["headers"]["host"] = EVIL
    response = users.handler(ev, None)
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert response["statusCode"] == 404, response
    assert "location" not in headers
    assert EVIL not in json.dumps(response)


@pytest.mark.parametrize(("configured", "expected"), [("api.example.com", "api.example.com"),
                                                      (None, "localhost")])
def test_behind_an_alb_the_domain_is_the_configured_name_never_the_clients_host(
        configured: str | None, expected: str) -> None:
    # An ALB event has no domain of its own; its Host header is whatever the client sent.
    from edgeway.adapters import AlbAdapter, adapters_for, infer
    from tests.conftest import load_event

    alb = load_event("alb.json")
    alb["headers"]["host"] = EVIL
    adapter = infer(alb, adapters_for(configured))
    assert isinstance(adapter, AlbAdapter)
    incoming = adapter.to_request(alb, None)
    assert incoming.domain_name == expected
    built = build_event(incoming, route_key="$default")
    assert built["headers"]["host"] == expected and EVIL not in json.dumps(built)
