"""Router: typed parameters, precedence, conditions, versions (pure, no gateway)."""

from __future__ import annotations

import pytest

from edgeway.errors import BadRequest, ConfigError, MethodNotAllowed, NotFound
from edgeway.routing import Route, RouteError, Router, parse_template
from tests.routing_helpers import Recorder, call, make_gateway
from tests.conftest import stub_lambda


def route(rid: str, path: str, methods: tuple[str, ...] = ("GET",), **spec: object) -> Route:
    return Route(id=rid, path=path, methods=frozenset(methods), spec=spec)


def test_int_parameter_accepts_canonical_decimals_only() -> None:
    router = Router([route("user", "/v1/users/{id:int}")])
    assert router.match("GET", "/v1/users/42").params == {"id": "42"}
    assert router.match("GET", "/v1/users/0").params == {"id": "0"}
    assert router.match("GET", "/v1/users/999999999999999999").params["id"] == "9" * 18
    for bad in ("1e9999", "-0", "-1", "+1", "007", "1.0", "٣", "１２", "0x1f", "1_000",
                "9" * 19, " 1", "abc"):
        with pytest.raises(NotFound):
            router.match("GET", f"/v1/users/{bad}")


def test_uuid_parameter() -> None:
    router = Router([route("doc", "/docs/{doc:uuid}")])
    uid = "0b3c5e7a-1d2f-4a6b-8c9d-0e1f2a3b4c5d"
    assert router.match("GET", f"/docs/{uid}").params == {"doc": uid}
    with pytest.raises(NotFound):
        router.match("GET", "/docs/0b3c5e7a1d2f4a6b8c9d0e1f2a3b4c5d")


def test_precedence_literal_then_typed_then_untyped_then_proxy() -> None:
    router = Router([
        route("proxy", "/v1/{rest+}"),
        route("slug", "/v1/users/{slug}"),
        route("int", "/v1/users/{id:int}"),
        route("me", "/v1/users/me"),
    ])
    assert router.match("GET", "/v1/users/me").route.id == "me"
    assert router.match("GET", "/v1/users/12").route.id == "int"
    assert router.match("GET", "/v1/users/alice").route.id == "slug"
    m = router.match("GET", "/v1/users/alice/photos")
    assert (m.route.id, m.params) == ("proxy", {"rest": "users/alice/photos"})


def test_first_differing_segment_decides() -> None:
    # /a/{x}/c and /a/b/{y}: for /a/b/c the literal `b` at segment 2 wins.
    router = Router([route("param-first", "/a/{x}/c"), route("literal-first", "/a/b/{y}")])
    assert router.match("GET", "/a/b/c").route.id == "literal-first"
    assert router.match("GET", "/a/z/c").route.id == "param-first"


def test_parameter_names_may_differ_between_routes_at_the_same_position() -> None:
    router = Router([route("a", "/u/{id}"), route("b", "/u/{name}/posts")])
    assert router.match("GET", "/u/x").params == {"id": "x"}
    assert router.match("GET", "/u/x/posts").params == {"name": "x"}


def test_method_lists_and_405_with_allow() -> None:
    router = Router([route("read", "/items", ("GET",)), route("write", "/items", ("POST", "PUT"))])
    assert router.match("PUT", "/items").route.id == "write"
    assert router.match("HEAD", "/items").route.id == "read"
    with pytest.raises(MethodNotAllowed) as err:
        router.match("DELETE", "/items")
    assert err.value.headers["allow"] == "GET, POST, PUT"
    assert router.match("DELETE", "/items", any_method=True).route.id == "read"


def test_a_method_miss_on_the_specific_route_falls_back_to_a_wider_one() -> None:
    router = Router([route("specific", "/files/readme", ("GET",)), route("any", "/files/{p+}", ("ANY",))])
    assert router.match("DELETE", "/files/readme").route.id == "any"


def test_host_and_header_conditions_are_checked_among_path_matches() -> None:
    router = Router([
        route("plain", "/ping"),
        route("tenant", "/ping", host="*.tenant.example.com"),
        route("beta", "/ping", host="api.example.com", headers={"x-beta": ["1", "yes"]}),
    ])
    assert router.match("GET", "/ping", {"host": "api.example.com"}).route.id == "plain"
    assert router.match("GET", "/ping", {"host": "api.example.com:443", "x-beta": "yes"}).route.id == "beta"
    assert router.match("GET", "/ping", {"host": "a.tenant.example.com"}).route.id == "tenant"
    assert router.match("GET", "/ping", {"host": "tenant.example.com"}).route.id == "plain"


def test_more_conditions_win_regardless_of_config_order() -> None:
    router = Router([route("one", "/x", headers={"a": "1"}),
                     route("two", "/x", headers={"a": "1", "b": "2"})])
    assert router.match("GET", "/x", {"a": "1", "b": "2"}).route.id == "two"
    assert router.match("GET", "/x", {"a": "1"}).route.id == "one"
    with pytest.raises(NotFound):
        router.match("GET", "/x", {"b": "2"})


def test_header_versions_with_default() -> None:
    routes = [route("v1", "/orders", version="1"), route("v2", "/orders", version="2")]
    router = Router(routes, version_header="Accept-Version", default_version="1")
    assert router.match("GET", "/orders").route.id == "v1"
    assert router.match("GET", "/orders", {"accept-version": "2"}).route.id == "v2"
    with pytest.raises(NotFound):
        router.match("GET", "/orders", {"accept-version": "3"})
    strict = Router(routes)
    with pytest.raises(NotFound):
        strict.match("GET", "/orders")


def test_dot_segments_and_encoded_slashes_are_refused() -> None:
    router = Router([route("u", "/v1/users/{id}"), route("admin", "/admin")])
    for path in ("/v1/users/..%2f..%2fadmin", "/v1/users/%2e%2e", "/v1/users/..",
                 "/v1/users/a%5cb", "/v1/users/%00", "/v1/users/%ff", "/v1/users/a%E2%80%8Bb"):
        with pytest.raises(BadRequest):
            router.match("GET", path)


def test_double_encoding_stays_literal() -> None:
    router = Router([route("u", "/v1/users/{id}"), route("admin", "/admin")])
    m = router.match("GET", "/v1/users/%252e%252e")
    assert (m.route.id, m.params) == ("u", {"id": "%2e%2e"})


def test_unicode_look_alikes_do_not_match_ascii_literals() -> None:
    router = Router([route("users", "/v1/users")])
    for path in ("/v1/ｕsers", "/v1/u%CC%88sers", "/v1/%EF%BD%95sers", "/v1/usеrs"):  # fullwidth, combining, Cyrillic е
        with pytest.raises(NotFound):
            router.match("GET", path)


def test_template_errors() -> None:
    for bad, reason in (("/a/{id:float}", "unknown parameter type"), ("/a/{p+}/b", "last segment"),
                        ("/a/{x}/{x}", "used twice"), ("/a/x{y}", "mixes"), ("/a/{1x}", "identifier")):
        with pytest.raises(ValueError, match=reason):
            parse_template(bad)


def test_a_route_that_can_never_match_is_refused() -> None:
    with pytest.raises(RouteError, match="can never match"):
        Router([route("a", "/x", ("GET", "POST")), route("b", "/x", ("POST",))])
    with pytest.raises(RouteError, match="can never match"):
        Router([route("a", "/x", ("GET",)), route("b", "/x", ("POST",)), route("c", "/x", ("POST", "GET"))])
    Router([route("a", "/x", ("GET",)), route("b", "/x", ("POST",))])  # disjoint methods: fine
    partial = Router([route("a", "/x", ("GET",)), route("b", "/x", ("ANY",))])  # the earlier wins GET
    assert partial.match("GET", "/x").route.id == "a" and partial.match("PUT", "/x").route.id == "b"


CONFIG = """
version: 1
routes:
  - {id: a, path: /x, methods: [GET], backend: {type: lambda, function: A}}
  - {id: b, path: /x, methods: [GET], backend: {type: lambda, function: B}}
"""


def test_shadowed_route_is_a_config_error_naming_the_route(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_lambda(monkeypatch, Recorder().factory)
    with pytest.raises(ConfigError) as err:
        make_gateway(CONFIG)
    assert err.value.key == "routes[1].path" and err.value.line == 5
    assert "can never match" in err.value.reason


def test_typed_parameter_in_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="unknown parameter type"):
        make_gateway(CONFIG.replace("path: /x, methods: [GET], backend: {type: lambda, function: B}",
                                    "path: \"/x/{n:number}\", backend: {type: lambda, function: B}"))


def test_wrong_type_answers_404_through_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    stub_lambda(monkeypatch, recorder.factory)
    gw = make_gateway("""
version: 1
routes:
  - {id: u, path: "/v1/users/{id:int}", backend: {type: lambda, function: Users}}
""")
    ok = call(gw, "GET", "/v1/users/7")
    assert ok.status == 200 and ok.json["params"] == {"id": "7"}
    for bad in ("1e9999", "-0", "%D9%A3"):
        answer = call(gw, "GET", f"/v1/users/{bad}")
        assert answer.status == 404
        assert answer.headers["content-type"] == "application/problem+json"
    assert recorder.called == ["Users"]
