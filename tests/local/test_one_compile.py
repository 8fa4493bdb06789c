"""One compile of gateway.yaml: `make build` (configjson), `edgeway serve` and the
Lambda cold start run the same function and refuse a bad config with the same message.

The config below was the trap of issue 10: a route whose cost no plan can ever admit
passed `edgeway serve` and the build, then failed every cold start in production.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import edgeway.config
from edgeway.errors import ConfigError
from edgeway.runtime import create_gateway
from edgeway.settings import Settings
from edgeway.yamlsource import load_document
from edgeway_local import configjson
from edgeway_local.ports import free_port
from edgeway_local.serve import ServeOptions, validate

from tests.conftest import ROOT

COST_500 = """\
version: 1
gateway: {name: trap}
plans:
  free:
    rate: {per_second: 5, burst: 10}
default_plan: free
routes:
  - id: users.big
    path: /v1/users/big
    auth: none
    cost: 500
    backend: {type: lambda, function: GatewayFunction}
"""
REASON = "cost 500 is more than plan 'free' can ever admit at once (10)"


def _artifact(tmp_path: Path) -> Path:
    """A build folder holding the function's gateway.yaml, as sam build leaves it."""
    artifact = tmp_path / "build" / "GatewayFunction"
    artifact.mkdir(parents=True)
    (artifact / "gateway.yaml").write_text(COST_500)
    return artifact


def _through_configjson(config: Path) -> str:
    with pytest.raises(ConfigError) as info:
        configjson.write_json_configs(config.parent.parent)
    assert not config.with_name("gateway.json").exists()
    return str(info.value)


def _through_serve(config: Path) -> str:
    with pytest.raises(ConfigError) as info:
        validate(ServeOptions(config=config, template=ROOT / "template.yaml"))
    return str(info.value)


def _through_cold_start(config: Path) -> str:
    with pytest.raises(ConfigError) as info:
        create_gateway(Settings.from_env({"EDGEWAY_CONFIG": str(config),
                                          "AWS_REGION": "us-east-1"}))
    return str(info.value)


ENTRY_POINTS: dict[str, Callable[[Path], str]] = {
    "make build": _through_configjson,
    "edgeway serve": _through_serve,
    "cold start": _through_cold_start,
}


def test_the_three_entry_points_run_the_one_compile(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config = _artifact(tmp_path) / "gateway.yaml"
    calls: list[str] = []
    real = edgeway.config.compile_stages

    def spy(compiled: edgeway.config.GatewayConfig) -> dict[str, object]:
        calls.append(compiled.source)
        return real(compiled)

    monkeypatch.setattr(edgeway.config, "compile_stages", spy)
    messages = {}
    for name, run in ENTRY_POINTS.items():
        before = len(calls)
        messages[name] = run(config)
        assert calls[before:] == [str(config)], f"{name} did not run edgeway.config's compile"
    assert len(set(messages.values())) == 1, messages
    message = messages["cold start"]
    assert message.startswith(f"{config}:11: routes[0].cost: {REASON}"), message


def test_the_built_json_is_refused_at_cold_start_with_the_same_key_and_reason(
        tmp_path: Path) -> None:
    config = tmp_path / "gateway.json"  # as if an older build had shipped it
    config.write_text(json.dumps(load_document(COST_500, "gateway.yaml"), indent=1))
    with pytest.raises(ConfigError) as info:
        create_gateway(Settings.from_env({"EDGEWAY_CONFIG": str(config), "AWS_REGION": "us-east-1"}))
    assert (info.value.key, info.value.file) == ("routes[0].cost", str(config))
    assert REASON in info.value.reason


def test_make_build_and_edgeway_serve_print_the_cold_start_message(tmp_path: Path) -> None:
    artifact = _artifact(tmp_path)
    config = artifact / "gateway.yaml"
    expected = _through_cold_start(config)

    build = subprocess.run([sys.executable, "-m", "edgeway_local.configjson",
                            str(artifact.parent)], capture_output=True, text=True, timeout=60)
    assert build.returncode == 2
    assert build.stderr.strip() == f"configjson: {expected}"

    serve = subprocess.run(
        [sys.executable, "-m", "edgeway_local.cli", "serve", "--template",
         str(ROOT / "template.yaml"), "--config", str(config), "--port", str(free_port()),
         "--invoke-port", str(free_port()), "--moto-port", str(free_port())],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert serve.returncode == 2
    assert "edgeway: ready" not in serve.stdout
    assert serve.stderr.strip() == f"edgeway: {expected}"


def test_a_bad_gslb_section_is_refused_by_make_build_and_serve_as_the_gslb_cold_start_does(
        tmp_path: Path) -> None:
    from gslb.config import load_gslb_config

    text = (ROOT / "gateway.yaml").read_text().replace("gslb:\n", "gslb:\n  surprise: 1\n", 1)
    artifact = tmp_path / "build" / "GatewayFunction"
    artifact.mkdir(parents=True)
    config = artifact / "gateway.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as cold:
        load_gslb_config(config)  # the GSLB functions' cold start, and `edgeway gslb ...`
    assert cold.value.key == "gslb.surprise" and "unknown key" in cold.value.reason
    for name in ("make build", "edgeway serve"):
        assert ENTRY_POINTS[name](config) == str(cold.value), name


def _routes(*routes: str, extra: str = "") -> str:
    return "version: 1\ngateway: {name: moved}\n" + extra + "routes:\n" + "".join(routes)


LAMBDA = "{type: lambda, function: GatewayFunction}"
# Rules that used to be checked only when the pipeline was built (or, for an http
# backend's path, on the first request): now in the one compile.
MOVED_RULES = {
    "http backend forwards the client's host": (_routes(
        "  - path: /a\n    auth: none\n    backend: {type: http, url: 'http://u.internal', "
        "forward_headers: [accept, host]}\n"), "routes[0].backend.forward_headers",
        "forward_headers may not list host"),
    "http backend path names no route parameter": (_routes(
        "  - path: /a/{id}\n    auth: none\n    backend: {type: http, url: 'http://u.internal', "
        "path: '/users/{uid}'}\n"), "routes[0].backend.path", "{uid} is not a parameter of /a/{id}"),
    "canary weights add up to 0": (_routes(
        "  - path: /a\n    auth: none\n    backend:\n      type: canary\n      variants:\n"
        f"        - {{name: a, weight: 0, backend: {LAMBDA}}}\n"), "routes[0].backend.variants",
        "canary weights must add up to more than 0"),
    "canary variant names repeat": (_routes(
        "  - path: /a\n    auth: none\n    backend:\n      type: canary\n      variants:\n"
        f"        - {{name: a, weight: 1, backend: {LAMBDA}}}\n"
        f"        - {{name: a, weight: 1, backend: {LAMBDA}}}\n"),
        "routes[0].backend.variants[1].name", "'a' is used twice"),
    "circuit ratio that can never open": (_routes(
        f"  - path: /a\n    auth: none\n    backend: {LAMBDA}\n"
        "    circuit: {failure_ratio: 0.5, window: 5, min_calls: 10}\n"),
        "routes[0].circuit.min_calls", "min_calls 10 is more than window 5"),
    "aggregate part waits for no part": (_routes(
        "  - path: /a\n    auth: none\n    backend:\n      type: aggregate\n      parts:\n"
        f"        x: {{path: /x, after: nobody, backend: {LAMBDA}}}\n"),
        "routes[0].backend.parts.x.after", "no part named 'nobody'"),
    "a route that can never match": (_routes(
        f"  - {{id: a, path: /a, auth: none, backend: {LAMBDA}}}\n"
        f"  - {{id: b, path: /a, auth: none, backend: {LAMBDA}}}\n"),
        "routes[1].path", "route 'b' can never match"),
    "auth: jwt without an issuer": (_routes(
        f"  - {{path: /a, auth: jwt, backend: {LAMBDA}}}\n"),
        "routes[0].auth", "auth: jwt needs at least one entry in auth.issuers"),
    "auth: api_key with API keys disabled": (_routes(
        f"  - {{path: /a, auth: api_key, backend: {LAMBDA}}}\n",
        extra="auth: {api_keys: {enabled: false}}\n"),
        "routes[0].auth", "auth: api_key needs API keys enabled"),
}


@pytest.mark.parametrize("text,key,reason", MOVED_RULES.values(), ids=MOVED_RULES.keys())
def test_rules_once_checked_at_build_are_refused_by_the_one_compile(
        tmp_path: Path, text: str, key: str, reason: str) -> None:
    artifact = tmp_path / "build" / "GatewayFunction"
    artifact.mkdir(parents=True)
    config = artifact / "gateway.yaml"
    config.write_text(text)
    messages = {name: run(config) for name, run in ENTRY_POINTS.items()}
    assert len(set(messages.values())) == 1, messages
    assert f": {key}: " in messages["cold start"] and reason in messages["cold start"], messages


def test_a_deployment_without_a_keys_table_is_refused_at_build_naming_the_variable(
        tmp_path: Path) -> None:
    """The one auth rule the config cannot settle: whether this deployment has KeysTable."""
    config = tmp_path / "gateway.yaml"
    config.write_text(_routes(f"  - {{path: /a, auth: api_key, backend: {LAMBDA}}}\n"))
    edgeway.config.load_config(config)  # the config itself is fine
    with pytest.raises(ConfigError) as info:
        create_gateway(Settings.from_env({"EDGEWAY_CONFIG": str(config), "AWS_REGION": "us-east-1",
                                          "EDGEWAY_KEYS_TABLE": ""}))
    assert info.value.key == "routes[0].auth" and "EDGEWAY_KEYS_TABLE" in info.value.reason


def test_serve_checks_every_lambda_backend_against_the_template_canary_variants_too(
        tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(_routes(
        "  - path: /a\n    auth: none\n    backend:\n      type: canary\n      variants:\n"
        f"        - {{name: a, weight: 1, backend: {LAMBDA}}}\n"
        "        - {name: b, weight: 1, backend: {type: lambda, function: GhostFunction}}\n"))
    message = _through_serve(config)
    assert ": routes[0].backend.variants[1].backend.function: " in message
    assert "the template defines no function 'GhostFunction'" in message
