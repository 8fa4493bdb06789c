"""The one place Edgeway reads its environment: every function, gateway and GSLB alike.

A bad value is a ``ConfigError`` naming the variable, raised at cold start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from edgeway.errors import ConfigError

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Settings:
    """The function's environment (config path, regions, table names), read once at cold start."""
    config_path: str                     # EDGEWAY_CONFIG, else gateway.json/.yaml in the task root
    region: str                          # EDGEWAY_REGION, AWS_REGION, AWS_DEFAULT_REGION
    # The deployment's home region (the template's HomeRegion parameter): where
    # the quota counters live when gateway.yaml names no gateway.home_region.
    home_region: str | None = None
    function_map: Mapping[str, str] = field(default_factory=dict)  # EDGEWAY_FUNCTION_MAP (JSON)
    keys_table: str | None = None
    counters_table: str | None = None
    # The home region's CountersTable, when this region is not the home region
    # (quotas are counted in one region: docs/ratelimit.md).
    home_counters_table: str | None = None
    cache_table: str | None = None
    gslb_table: str | None = None
    service: str = "edgeway"             # POWERTOOLS_SERVICE_NAME
    # EDGEWAY_REGION_ENDPOINTS: name=url,... (the RegionEndpoints stack parameter)
    region_endpoints: Mapping[str, str] = field(default_factory=dict)
    # EDGEWAY_HEALTH_RUN_S: how long one health-checker invocation loops; below the schedule
    # period so two invocations of one vantage point never overlap
    health_run_s: float = 55.0
    # EDGEWAY_COUNTER_TIMEOUT_S: a counter check that has not answered in this long goes
    # to the plan's failure policy. DynamoDB answers in milliseconds; the local stack
    # raises it because its moto serves one request at a time.
    counter_timeout_s: float = 1.0
    stage: str = "dev"                   # EDGEWAY_STAGE: the deployment's API stage
    # Route53SyncFunction: EDGEWAY_DOMAIN_NAME (else the config's dns.zone), EDGEWAY_HOSTED_ZONE_ID
    domain_name: str | None = None
    hosted_zone_id: str = ""
    # EDGEWAY_EDGE_KVS_ARN: the edge stack's decision store (docs/edge.md): the health
    # checkers write its `down` key, the Route 53 sync function the full decision set
    edge_kvs_arn: str | None = None
    # AWS_REGION, else AWS_DEFAULT_REGION, else ``region``: where this function's own
    # AWS clients go. The same as ``region`` on Lambda and under ``edgeway serve``.
    aws_region: str = DEFAULT_REGION

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *,
                 task_root: str | Path | None = None) -> Settings:
        """``task_root``: where the function's gateway.yaml is when LAMBDA_TASK_ROOT is unset."""
        env = os.environ if environ is None else environ
        root = Path(env.get("LAMBDA_TASK_ROOT") or task_root or os.getcwd())
        compiled = root / "gateway.json"  # written by the build: loads without PyYAML
        config_path = compiled if compiled.is_file() else root / "gateway.yaml"
        aws_region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        region = env.get("EDGEWAY_REGION") or aws_region or DEFAULT_REGION
        return cls(
            config_path=env.get("EDGEWAY_CONFIG") or str(config_path),
            region=region,
            aws_region=aws_region or region,
            home_region=env.get("EDGEWAY_HOME_REGION") or None,
            function_map=_function_map(env.get("EDGEWAY_FUNCTION_MAP")),
            keys_table=env.get("EDGEWAY_KEYS_TABLE") or None,
            counters_table=env.get("EDGEWAY_COUNTERS_TABLE") or None,
            home_counters_table=env.get("EDGEWAY_HOME_COUNTERS_TABLE") or None,
            cache_table=env.get("EDGEWAY_CACHE_TABLE") or None,
            gslb_table=env.get("EDGEWAY_GSLB_TABLE") or None,
            service=env.get("POWERTOOLS_SERVICE_NAME") or "edgeway",
            region_endpoints=parse_endpoints(env.get("EDGEWAY_REGION_ENDPOINTS", "")),
            health_run_s=_seconds(env, "EDGEWAY_HEALTH_RUN_S", 55.0),
            counter_timeout_s=_seconds(env, "EDGEWAY_COUNTER_TIMEOUT_S", 1.0),
            stage=env.get("EDGEWAY_STAGE") or "dev",
            domain_name=env.get("EDGEWAY_DOMAIN_NAME") or None,
            hosted_zone_id=env.get("EDGEWAY_HOSTED_ZONE_ID", ""),
            edge_kvs_arn=env.get("EDGEWAY_EDGE_KVS_ARN") or None,
        )


def _bad(name: str, reason: str) -> ConfigError:
    return ConfigError(reason, file="<environment>", key=name)


def _function_map(text: str | None) -> dict[str, str]:
    """``{"UsersFunction": "edgeway-users-prod", ...}``: logical name to deployed name."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad("EDGEWAY_FUNCTION_MAP", f"not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _bad("EDGEWAY_FUNCTION_MAP", "must be a JSON object of function names to strings")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise _bad(name, f"must be a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise _bad(name, f"must be positive, got {text!r}")
    return value


def parse_endpoints(text: str) -> dict[str, str]:
    """``us-east-1=https://...,eu-west-1=https://...`` (the RegionEndpoints stack parameter)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, sep, url = pair.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise _bad("EDGEWAY_REGION_ENDPOINTS", f"expected name=http(s)://url, got {pair!r}")
        out[name.strip()] = url.strip().rstrip("/")
    return out
