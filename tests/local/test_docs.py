"""The configuration reference names every key the schema accepts."""

from __future__ import annotations

import json
import re

from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "layers/edgeway/edgeway/schema/gateway.schema.json").read_text())
REFERENCE = (ROOT / "docs/configuration.md").read_text()


def documented() -> set[str]:
    return set(re.findall(r"`([a-z_][a-z0-9_]*)[.`]", REFERENCE))


def test_every_top_level_key_has_a_section() -> None:
    missing = set(SCHEMA["properties"]) - documented()
    assert not missing, f"docs/configuration.md does not mention {sorted(missing)}"


def test_every_route_key_is_documented() -> None:
    missing = set(SCHEMA["$defs"]["route"]["properties"]) - documented()
    assert not missing, f"docs/configuration.md does not mention route keys {sorted(missing)}"


def test_every_backend_type_is_documented() -> None:
    types = set(SCHEMA["$defs"]["backend"]["properties"]["type"]["enum"])
    assert not types - documented()
