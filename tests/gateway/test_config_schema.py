"""gateway.schema.json is the one description of gateway.yaml's shapes: editors and
docs read it, and the config compile checks documents against it (edgeway.shapes).
This proves the compile reads the schema as a JSON Schema validator does: the demo
configs pass both, and every document of a corpus of bad ones is refused by both."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from edgeway.config import load_config
from edgeway.shapes import Problem, check, gateway_schema
from edgeway.yamlsource import load_document

from tests.conftest import ROOT

DEMO_CONFIGS = [ROOT / "gateway.yaml", ROOT / "tests" / "fixtures" / "stack" / "gateway.yaml"]

ROUTE: dict[str, Any] = {"path": "/x", "backend": {"type": "lambda", "function": "F"}}


def doc(**top: Any) -> dict[str, Any]:
    return {"version": 1, "routes": [copy.deepcopy(ROUTE)], **top}


def route(**keys: Any) -> dict[str, Any]:
    return {"version": 1, "routes": [{**copy.deepcopy(ROUTE), **keys}]}


BAD = {
    "no routes": {"version": 1},
    "version 2": doc(version=2),
    "unknown top key": doc(surprise=True),
    "empty routes": {"version": 1, "routes": []},
    "path not absolute": route(path="x"),
    "timeout not integer": route(timeout_ms="soon"),
    "timeout a bool": route(timeout_ms=True),
    "timeout too long": route(timeout_ms=30_000),
    "bad method": route(methods=["GET", "FETCH"]),
    "repeated method": route(methods=["GET", "GET"]),
    "no methods": route(methods=[]),
    "unknown backend type": route(backend={"type": "smtp"}),
    "backend without type": route(backend={"function": "F"}),
    "lambda backend unknown key": route(backend={"type": "lambda", "function": "F", "x": 1}),
    "http backend without url": route(backend={"type": "http"}),
    "cors true": route(cors=True),
    "cors unknown key": route(cors={"origins": ["*"], "wat": 1}),
    "plan name with a space": doc(plans={"free plan": {}}),
    "plan mode": doc(plans={"free": {"mode": "loose"}}),
    "rate without per_second": doc(plans={"free": {"rate": {"burst": 3}}}),
    "secret with both sources": doc(auth={"issuers": [{
        "issuer": "https://idp.example", "audience": "a", "algorithms": ["HS256"],
        "hs256_secret": {"ssm": "/a", "secretsmanager": "b"}}]}),
    "home region": doc(gateway={"home_region": "mars"}),
    "empty tag": route(tags=[""]),
    "aggregate part name": route(backend={"type": "aggregate", "parts": {
        "1st": {"backend": {"type": "lambda", "function": "F"}, "path": "/a"}}}),
}


@pytest.mark.parametrize("path", DEMO_CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_demo_configs_pass_the_schema_and_the_compile(path) -> None:
    jsonschema.validators.validator_for(gateway_schema())(gateway_schema()).validate(
        load_document(path.read_text(), str(path)))
    assert load_config(path).routes


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_configs_are_refused_by_the_schema_and_the_compile(name: str) -> None:
    document = BAD[name]
    errors = list(jsonschema.validators.validator_for(gateway_schema())(gateway_schema()).iter_errors(copy.deepcopy(document)))
    assert errors, f"jsonschema accepts {name!r}"
    with pytest.raises(Problem) as info:
        check(copy.deepcopy(document))
    assert info.value.reason
    # The compile names a key at or below one that jsonschema names.
    named = {tuple(e.absolute_path) for e in errors} | {
        tuple(e.absolute_path)[:n] for e in errors for n in range(len(e.absolute_path))}
    assert any(info.value.path[:len(p)] == p for p in named), (info.value.path, named)


def test_a_deprecation_link_must_be_an_absolute_uri() -> None:
    # jsonschema treats `format` as an annotation unless extra packages are installed,
    # so this one is not in the corpus above; the compile checks it.
    with pytest.raises(Problem) as info:
        check(route(deprecation_link="not a uri"))
    assert info.value.path == ("routes", 0, "deprecation_link")
    check(route(deprecation_link="https://docs.example/v1-sunset"))
