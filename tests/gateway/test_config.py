"""gateway.yaml: the demo validates; every bad file names file, line, key and reason."""

from __future__ import annotations

import textwrap

import pytest

from edgeway.config import load_config, parse_config
from edgeway.errors import ConfigError

from tests.conftest import ROOT

FUNCTIONS = {"UsersFunction", "OrdersFunction"}

GOOD = textwrap.dedent("""\
    version: 1
    routes:
      - path: /v1/users/{id}
        methods: [GET]
        backend: {type: lambda, function: UsersFunction}
    """)


def test_demo_gateway_yaml_is_valid() -> None:
    config = load_config(ROOT / "gateway.yaml")
    assert any(r.path.startswith("/v1/users/") for r in config.routes)


def test_defaults() -> None:
    config = parse_config(GOOD)
    route = config.routes[0]
    assert route.methods == {"GET"}
    assert route.timeout_ms == 10_000
    assert route.id == "GET /v1/users/{id}"


def error_for(text: str, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(textwrap.dedent(text), "gw.yaml", **kwargs)
    return info.value


def test_unknown_key_names_file_line_and_key() -> None:
    err = error_for("""\
        version: 1
        routes:
          - path: /v1/users/{id}
            methodz: [GET]
            backend: {type: lambda, function: UsersFunction}
        """)
    assert err.file == "gw.yaml"
    assert err.key == "routes[0].methodz"
    assert err.line == 4
    assert "unknown key" in err.reason
    assert str(err).startswith("gw.yaml:4: routes[0].methodz: unknown key")


def test_wrong_type_names_the_key() -> None:
    err = error_for("""\
        version: 1
        routes:
          - path: /v1/users/{id}
            timeout_ms: soon
            backend: {type: lambda, function: UsersFunction}
        """)
    assert err.key == "routes[0].timeout_ms"
    assert err.line == 4
    assert "integer" in err.reason


def test_bad_method_is_refused() -> None:
    err = error_for("""\
        version: 1
        routes:
          - path: /x
            methods: [GET, FETCH]
            backend: {type: lambda, function: UsersFunction}
        """)
    assert err.key == "routes[0].methods[1]"
    assert err.line == 4


def test_route_to_a_function_the_template_does_not_define() -> None:
    err = error_for("""\
        version: 1
        routes:
          - path: /x
            backend:
              type: lambda
              function: BillingFunction
        """, functions=FUNCTIONS)
    assert err.key == "routes[0].backend.function"
    assert err.line == 6
    assert "BillingFunction" in err.reason and "UsersFunction" in err.reason


def test_function_arns_are_accepted_without_the_template() -> None:
    parse_config(textwrap.dedent("""\
        version: 1
        routes:
          - path: /x
            backend: {type: lambda, function: "arn:aws:lambda:us-east-1:123456789012:function:x"}
        """), functions=FUNCTIONS)


def test_bad_template_segment() -> None:
    err = error_for("""\
        version: 1
        routes:
          - path: /a/{rest+}/b
            backend: {type: lambda, function: UsersFunction}
        """)
    assert err.key == "routes[0].path"
    assert "last segment" in err.reason


def test_duplicate_route_ids() -> None:
    err = error_for("""\
        version: 1
        routes:
          - {id: a, path: /a, backend: {type: lambda, function: UsersFunction}}
          - {id: a, path: /b, backend: {type: lambda, function: UsersFunction}}
        """)
    assert err.key == "routes[1].id"
    assert "routes[0]" in err.reason


def test_invalid_yaml_names_the_line() -> None:
    err = error_for("version: 1\nroutes:\n  - path: [unclosed\n")
    assert err.file == "gw.yaml" and err.line is not None


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config("/nonexistent/gateway.yaml")


def test_top_level_must_be_a_mapping() -> None:
    assert "mapping" in error_for("- 1\n- 2\n").reason
