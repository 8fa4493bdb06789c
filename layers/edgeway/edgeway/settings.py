"""The one place the gateway reads its environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def default_config_path(task_root: Path) -> str:
    """``gateway.json`` when the build wrote one (loads without PyYAML), else the YAML."""
    compiled = task_root / "gateway.json"
    return str(compiled if compiled.is_file() else task_root / "gateway.yaml")


@dataclass(frozen=True, slots=True)
class Settings:
    """The function's environment (config path, regions, table names), read once at cold start."""
    config_path: str
    region: str
    # The deployment's home region (the template's HomeRegion parameter): where
    # the quota counters live when gateway.yaml names no gateway.home_region.
    home_region: str | None = None
    function_map: Mapping[str, str] = field(default_factory=dict)
    keys_table: str | None = None
    counters_table: str | None = None
    # The home region's CountersTable, when this region is not the home region
    # (quotas are counted in one region: docs/ratelimit.md).
    home_counters_table: str | None = None
    cache_table: str | None = None
    gslb_table: str | None = None
    service: str = "edgeway"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        task_root = env.get("LAMBDA_TASK_ROOT") or os.getcwd()
        try:
            function_map = json.loads(env.get("EDGEWAY_FUNCTION_MAP") or "{}")
        except json.JSONDecodeError:
            function_map = {}
        return cls(
            config_path=env.get("EDGEWAY_CONFIG") or default_config_path(Path(task_root)),
            region=env.get("EDGEWAY_REGION") or env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            home_region=env.get("EDGEWAY_HOME_REGION") or None,
            function_map=function_map if isinstance(function_map, dict) else {},
            keys_table=env.get("EDGEWAY_KEYS_TABLE"),
            counters_table=env.get("EDGEWAY_COUNTERS_TABLE"),
            home_counters_table=env.get("EDGEWAY_HOME_COUNTERS_TABLE"),
            cache_table=env.get("EDGEWAY_CACHE_TABLE"),
            gslb_table=env.get("EDGEWAY_GSLB_TABLE"),
            service=env.get("POWERTOOLS_SERVICE_NAME") or "edgeway",
        )
