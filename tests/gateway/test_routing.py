"""Route matching: templates, precedence, 404 and 405 with Allow."""

from __future__ import annotations

import pytest

from edgeway.errors import BadRequest, ConfigError, MethodNotAllowed, NotFound, RouteError
from edgeway.routing import Route, Router


def router(*specs: tuple[str, str, str]) -> Router:
    return Router(Route(id=rid, path=path, methods=frozenset(methods.split(",")))
                  for rid, path, methods in specs)


ROUTES = router(
    ("user", "/v1/users/{id}", "GET"),
    ("me", "/v1/users/me", "GET"),
    ("user-update", "/v1/users/{id}", "PUT,PATCH"),
    ("orders", "/v1/orders", "GET,POST"),
    ("files", "/v1/files/{proxy+}", "GET"),
    ("any", "/v1/{proxy+}", "ANY"),
    ("root", "/", "GET"),
)


@pytest.mark.parametrize("method, path, route_id, params", [
    ("GET", "/v1/users/42", "user", {"id": "42"}),
    ("GET", "/v1/users/me", "me", {}),  # a literal beats a parameter
    ("PATCH", "/v1/users/42", "user-update", {"id": "42"}),
    ("GET", "/v1/orders/", "orders", {}),  # one trailing slash is tolerated
    ("GET", "/v1/files/a/b/c.txt", "files", {"proxy": "a/b/c.txt"}),
    ("DELETE", "/v1/files/a", "any", {"proxy": "files/a"}),  # greedy falls back by method
    ("GET", "/v1/anything/else", "any", {"proxy": "anything/else"}),
    ("GET", "/", "root", {}),
    ("HEAD", "/v1/users/7", "user", {"id": "7"}),
    ("GET", "/v1/users/caf%C3%A9", "user", {"id": "café"}),
])
def test_matches(method: str, path: str, route_id: str, params: dict[str, str]) -> None:
    match = ROUTES.match(method, path)
    assert match.route.id == route_id
    assert dict(match.params) == params


def test_unknown_path_is_404() -> None:
    with pytest.raises(NotFound):
        ROUTES.match("GET", "/v2/users/42")


def test_wrong_method_is_405_listing_allowed_methods() -> None:
    r = router(("orders", "/v1/orders", "GET,POST"))
    with pytest.raises(MethodNotAllowed) as info:
        r.match("DELETE", "/v1/orders")
    assert info.value.headers["allow"] == "GET, POST"


def test_encoded_slash_never_creates_a_segment() -> None:
    r = router(("user", "/v1/users/{id}", "GET"), ("admin", "/v1/admin", "GET"))
    with pytest.raises(BadRequest):
        r.match("GET", "/v1/users/..%2f..%2fadmin")


@pytest.mark.parametrize("path", ["/v1/users/../admin", "/v1/users/./42", "/v1/users/%2e%2e"])
def test_dot_segments_are_refused(path: str) -> None:
    with pytest.raises(BadRequest):
        ROUTES.match("GET", path)


def test_invalid_percent_encoding_is_400() -> None:
    with pytest.raises(BadRequest):
        ROUTES.match("GET", "/v1/users/%ff%fe")


def test_proxy_needs_at_least_one_segment() -> None:
    r = router(("files", "/v1/files/{proxy+}", "GET"))
    with pytest.raises(NotFound):
        r.match("GET", "/v1/files")


@pytest.mark.parametrize("template", ["/a/{p+}/b", "/a/x{id}", "a/b"])
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(RouteError) as info:
        router(("bad", template, "GET"))
    assert isinstance(info.value, ConfigError) and info.value.route.id == "bad"
