"""`edgeway openapi`: the document validates as OpenAPI 3.1 and says what the
routes say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from edgeway.config import parse_config
from edgeway_local.cli import main
from edgeway_local.openapi import build_openapi

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
version: 1
gateway: {name: shop}
routes:
  - id: users.get
    path: "/v1/users/{id:int}"
    summary: One user
    deprecation: 2025-01-01
    backend: {type: lambda, function: Users}
  - id: docs.get
    path: "/v1/docs/{doc:uuid}/{rest+}"
    methods: [GET, HEAD]
    backend: {type: lambda, function: Docs}
  - id: orders.create
    path: /v1/orders
    methods: [POST]
    consumes: [application/json]
    schema:
      body:
        type: object
        required: [item]
        properties: {item: {type: string}}
      query:
        type: object
        required: [dry_run]
        properties: {dry_run: {type: boolean}, tag: {type: array, items: {type: string}}}
    backend: {type: sqs, queue_url: "https://sqs.us-east-1.amazonaws.com/1/q"}
  - id: reports.v2
    path: /reports
    version: 2
    headers: {x-tenant: [a, b]}
    methods: [ANY]
    backend: {type: lambda, function: Reports}
"""


def test_document_is_valid_openapi_31_with_typed_parameters() -> None:
    doc = build_openapi(parse_config(CONFIG), servers=["https://api.example.com"])
    validate(doc)
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"] == "shop"
    assert doc["servers"] == [{"url": "https://api.example.com"}]
    user = doc["paths"]["/v1/users/{id}"]["get"]
    assert user["deprecated"] is True and user["summary"] == "One user"
    assert user["parameters"][0]["schema"]["type"] == "integer"
    docs = doc["paths"]["/v1/docs/{doc}/{rest}"]
    assert set(docs) == {"get", "head"}
    assert [p["schema"].get("format") for p in docs["get"]["parameters"]] == ["uuid", None]
    order = doc["paths"]["/v1/orders"]["post"]
    assert order["requestBody"]["content"]["application/json"]["schema"]["required"] == ["item"]
    query = {p["name"]: p for p in order["parameters"]}
    assert query["dry_run"]["required"] is True and query["tag"]["schema"]["type"] == "array"
    assert "202" in order["responses"] and "415" in order["responses"]
    problem = doc["components"]["responses"]["Problem"]["content"]
    assert "application/problem+json" in problem
    reports = doc["paths"]["/reports"]
    assert set(reports) == {"get", "post", "put", "patch", "delete"}
    headers = {p["name"]: p["schema"]["enum"] for p in reports["get"]["parameters"]}
    assert headers == {"x-tenant": ["a", "b"], "Accept-Version": ["2"]}
    assert "security" not in user and "securitySchemes" not in doc["components"]


def test_route_auth_and_scopes_become_security_requirements() -> None:
    config = parse_config(CONFIG)
    # The auth feature adds `auth`/`scopes` route keys; the builder reads them when present.
    config.routes[2].spec["auth"] = "jwt"  # type: ignore[index]
    config.routes[2].spec["scopes"] = ["orders:write"]  # type: ignore[index]
    config.routes[0].spec["auth"] = "none"  # type: ignore[index]
    config.routes[1].spec["auth"] = "any"  # type: ignore[index]
    doc = build_openapi(config)
    validate(doc)
    paths = doc["paths"]
    assert paths["/v1/orders"]["post"]["security"] == [{"bearerAuth": ["orders:write"]}]
    assert paths["/v1/users/{id}"]["get"]["security"] == []
    assert paths["/v1/docs/{doc}/{rest}"]["get"]["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert "401" in paths["/v1/orders"]["post"]["responses"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}


def test_cli_prints_a_valid_document_for_the_demo_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi", "--config", str(ROOT / "gateway.yaml"), "--server",
                 "http://127.0.0.1:3000"]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate(doc)
    assert "/v1/users/{id}" in doc["paths"] and "post" in doc["paths"]["/v1/orders"]


def test_cli_reports_a_bad_config_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "gateway.yaml"
    bad.write_text("version: 1\nroutes:\n  - {path: '/x/{id:float}', backend: {type: lambda, function: X}}\n")
    assert main(["openapi", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "routes[0].path" in err and "unknown parameter type" in err
