"""docs/configuration.md documents every routing key the JSON Schema accepts."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "layers/edgeway/edgeway/schema/gateway.schema.json").read_text())
DOC = (ROOT / "docs/configuration.md").read_text()

ROUTE_KEYS = ("id", "path", "methods", "timeout_ms", "backend", "host", "headers", "version",
              "deprecation", "sunset", "deprecation_link", "cors", "schema", "consumes",
              "max_body_bytes", "transform", "summary", "description", "tags")
BACKENDS = {"lambda": "lambda_backend", "http": "http_backend", "sqs": "sqs_backend",
            "eventbridge": "eventbridge_backend", "canary": "canary_backend"}


def test_route_keys_are_in_the_schema_and_documented() -> None:
    props = SCHEMA["$defs"]["route"]["properties"]
    for key in ROUTE_KEYS:
        assert key in props, key
        assert f"`{key}`" in DOC or f"`{key}." in DOC, key


def test_backend_types_and_their_keys_are_documented() -> None:
    for name, definition in BACKENDS.items():
        assert f"`{name}`" in DOC, name
        for key in SCHEMA["$defs"][definition]["properties"]:
            if key != "type":
                assert f"`{key}`" in DOC, f"{name}.{key}"


def test_sections_and_their_keys_are_documented() -> None:
    for section in ("cors", "versioning"):
        assert f"## `{section}`" in DOC
    for key in SCHEMA["$defs"]["cors"]["properties"]:
        assert f"`{key}`" in DOC, f"cors.{key}"
    for key in SCHEMA["properties"]["versioning"]["properties"]:
        assert f"`{key}`" in DOC, f"versioning.{key}"
    for key in SCHEMA["properties"]["gateway"]["properties"]:
        assert f"`{key}`" in DOC, f"gateway.{key}"
