"""`make build` ships gateway.json beside gateway.yaml; the gateway prefers it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edgeway.config import load_config
from edgeway.errors import ConfigError
from edgeway.settings import Settings
from edgeway_local.configjson import write_json_configs

from tests.conftest import ROOT


def test_build_writes_an_equivalent_json_config(tmp_path: Path) -> None:
    artifact = tmp_path / "GatewayFunction"
    artifact.mkdir()
    shutil.copy(ROOT / "gateway.yaml", artifact / "gateway.yaml")
    assert write_json_configs(tmp_path) == [artifact / "gateway.json"]
    from_yaml, from_json = load_config(artifact / "gateway.yaml"), load_config(artifact / "gateway.json")
    assert [(r.id, r.path, r.methods, r.spec) for r in from_json.routes] == \
        [(r.id, r.path, r.methods, r.spec) for r in from_yaml.routes]
    assert Settings.from_env({"LAMBDA_TASK_ROOT": str(artifact)}).config_path.endswith("gateway.json")


def test_yaml_is_used_when_no_json_was_built(tmp_path: Path) -> None:
    assert Settings.from_env({"LAMBDA_TASK_ROOT": str(tmp_path)}).config_path.endswith("gateway.yaml")


def test_a_json_config_loads_without_pyyaml(tmp_path: Path) -> None:
    config = tmp_path / "gateway.json"
    config.write_text(json.dumps(load_config(ROOT / "gateway.yaml").raw, default=str))
    code = ("import sys; from edgeway.config import load_config; "
            f"load_config({str(config)!r}); print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_bad_json_config_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "gateway.json"
    config.write_text('{\n "version": 1,\n "routes": [\n  {"path": "/x", "methodz": ["GET"],\n'
                      '   "backend": {"type": "lambda", "function": "F"}}]\n}\n')
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert (info.value.key, info.value.line) == ("routes[0].methodz", 4)


def test_a_build_with_a_bad_config_writes_nothing(tmp_path: Path) -> None:
    artifact = tmp_path / "GatewayFunction"
    artifact.mkdir()
    (artifact / "gateway.yaml").write_text("version: 1\nroutes: []\n")
    with pytest.raises(ConfigError):
        write_json_configs(tmp_path)
    assert not (artifact / "gateway.json").exists()
