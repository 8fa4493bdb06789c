"""The GSLB's environment, read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from edgeway.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: str                         # EDGEWAY_CONFIG, else gateway.yaml beside the code
    region: str                              # EDGEWAY_REGION, else AWS_REGION: this vantage point
    gslb_table: str | None                   # EDGEWAY_GSLB_TABLE
    region_endpoints: dict[str, str] = field(default_factory=dict)  # EDGEWAY_REGION_ENDPOINTS
    # EDGEWAY_HEALTH_RUN_S: how long one health-checker invocation loops; below the schedule
    # period so two invocations of one vantage point never overlap
    health_run_s: float = 55.0


def load_settings(environ: Mapping[str, str] | None = None, *,
                  default_config: str | Path = "gateway.yaml") -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        config_path=env.get("EDGEWAY_CONFIG") or str(default_config),
        region=env.get("EDGEWAY_REGION") or env.get("AWS_REGION") or "local",
        gslb_table=env.get("EDGEWAY_GSLB_TABLE") or None,
        region_endpoints=parse_endpoints(env.get("EDGEWAY_REGION_ENDPOINTS", "")),
        health_run_s=_seconds(env, "EDGEWAY_HEALTH_RUN_S", 55.0),
    )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"must be a number of seconds, got {text!r}", file="<environment>", key=name) from None
    if value <= 0:
        raise ConfigError(f"must be positive, got {text!r}", file="<environment>", key=name)
    return value


def parse_endpoints(text: str) -> dict[str, str]:
    """``us-east-1=https://...,eu-west-1=https://...`` (the RegionEndpoints stack parameter)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, sep, url = pair.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise ConfigError(f"expected name=http(s)://url, got {pair!r}", file="<environment>",
                              key="EDGEWAY_REGION_ENDPOINTS")
        out[name.strip()] = url.strip().rstrip("/")
    return out
