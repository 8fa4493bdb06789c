"""ConfigFacts from the files in hand: gateway.yaml (routes, plans, caches, GSLB) and
template.yaml (function memory, schedules)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError

from .model import ConfigFacts, PlanFacts

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_seconds(expression: str, *, file: str, key: str) -> float:
    match = _RATE.match(expression.strip())
    if not match:
        raise ConfigError(f"cannot price schedule {expression!r} (expected rate(N unit))", file=file, key=key)
    return int(match.group(1)) * _UNIT_S[match.group(2).rstrip("s")]


def load_facts(gateway: str | Path, template: str | Path) -> ConfigFacts:
    from edgeway.config import load_config
    from edgeway_local.cfn_yaml import load_cfn_yaml
    from edgeway_local.template import load_template

    config = load_config(gateway)
    stack = load_template(template)
    raw_template: dict[str, Any] = load_cfn_yaml(Path(template).read_text(encoding="utf-8"))
    routes = config.routes or ()
    n = max(1, len(routes))
    limited = sum(1 for r in routes if r.spec.get("rate_limit", True) is not False) / n
    cached = [r for r in routes if r.spec.get("cache")]
    ttls = [float(r.spec["cache"].get("ttl_s", 0)) for r in cached]

    plans_raw = config.section("plans", {}) or {}
    plans = tuple(PlanFacts(name, str(spec.get("mode", "strict")),
                            int((spec.get("lease") or {}).get("block", 1)))
                  for name, spec in plans_raw.items())
    default_name = config.section("default_plan") or (plans[0].name if plans else "none")
    default = next((p for p in plans if p.name == default_name), PlanFacts(str(default_name), "strict"))

    def memory(logical_id: str, fallback: int = 128) -> int:
        fn = stack.functions.get(logical_id)
        return fn.memory_size if fn else fallback

    backends = sorted({str(b.get("function")) for r in routes for b in _lambda_backends(r.spec["backend"])}
                      & set(stack.functions))
    backend_mb = round(sum(memory(b) for b in backends) / len(backends)) if backends else 128
    schedule = str(((raw_template.get("Parameters") or {}).get("HealthCheckSchedule") or {})
                   .get("Default", "rate(1 minute)"))
    schedule_s = schedule_seconds(schedule, file=str(template), key="Parameters.HealthCheckSchedule")
    health = stack.functions.get("HealthCheckerFunction")
    gslb = config.section("gslb", {}) or {}
    regions = config.section("regions", []) or []
    return ConfigFacts(
        regions=max(1, len(regions)),
        gateway_memory_mb=memory("GatewayFunction"),
        backend_memory_mb=backend_mb,
        health_memory_mb=memory("HealthCheckerFunction"),
        health_schedule_s=schedule_s,
        health_run_s=min(schedule_s, float(health.timeout if health else 60)),
        probe_interval_s=float((gslb.get("health") or {}).get("interval_s", 1.0)),
        limited_share=limited,
        cached_share=len(cached) / n,
        min_cache_ttl_s=min(ttls) if ttls else 0.0,
        key_cache_ttl_s=float(((config.section("auth", {}) or {}).get("api_keys") or {})
                              .get("cache_ttl_s", 30)),
        default_plan=default,
        plans=plans)


def _lambda_backends(backend: Any) -> list[dict[str, Any]]:
    """Every lambda backend inside a route's backend (canary variants, aggregate parts)."""
    if not isinstance(backend, dict):
        return []
    found = [backend] if backend.get("type") == "lambda" else []
    for variant in backend.get("variants", []) or []:
        found += _lambda_backends(variant.get("backend"))
    for part in (backend.get("parts") or {}).values():
        found += _lambda_backends(part.get("backend"))
    return found
