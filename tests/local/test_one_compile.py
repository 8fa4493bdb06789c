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
