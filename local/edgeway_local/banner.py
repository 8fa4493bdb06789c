"""The banner ``edgeway serve`` prints: every URL, and commands to try."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from edgeway_local.serve import LocalStack

_PARAM = re.compile(r"\{[^}]+\}")


def banner(stack: LocalStack) -> list[str]:
    assert stack.info and stack.invoke_api and stack.moto
    info = stack.info
    home = stack.listeners[0]
    lines = [f"Edgeway local stack is up  (template: {_rel(info.template_path)}, "
             f"config: {_rel(info.config_path) if info.config_path else 'none'})", "",
             "  Regions (API Gateway HTTP API, payload format 2.0):"]
    for listener in stack.listeners:
        note = "  (home)" if listener is home else ""
        lines.append(f"    {listener.region:<16} {listener.url}{note}")
    routes = stack.templates[home.region].routes
    lines.append("    routes: " + ", ".join(f"{r.route_key} -> {r.function}" for r in routes))
    lines += [
        f"  Lambda Invoke API     {info.invoke_url}  (AWS_ENDPOINT_URL_LAMBDA in every function)",
        f"  Control API           {info.invoke_url}/_edgeway/regions",
        f"  moto (every AWS API)  {info.moto_url}  (AWS_ENDPOINT_URL in every function)",
        "  DynamoDB tables       " + ", ".join(f"{lid}={name}" for lid, name in
                                                info.table_names.items()),
    ]
    template = stack.templates[home.region]
    if template.queues:
        lines.append("  SQS queues            " + ", ".join(
            f"{q.logical_id}={q.name}" for q in template.queues.values()))
    if template.event_buses:
        lines.append("  EventBridge buses     " + ", ".join(
            f"{b.logical_id}={b.name}" for b in template.event_buses.values()))
    for _, service in stack.services:
        lines += [f"  {line}" for line in service.banner_lines()]
    for spec in stack.skipped:
        name = spec.partition(":")[0].rsplit(".", 1)[-1]
        lines.append(f"  {name}: not started (its package or its config section is absent)")
    lines += ["", "  Try:"]
    lines += [f"    curl -i {home.url}{path}" for path in _example_paths(info.config_path)]
    if any(r.path == "/gslb/resolve" for r in routes):
        lines.append(f"    curl -s '{home.url}/gslb/resolve?ip=198.51.100.7'")
    if len(stack.listeners) > 1:
        other = stack.listeners[1].region
        port = f" --invoke-port {stack.invoke_api.port}" if stack.invoke_api.port != 3001 else ""
        lines += [f"    edgeway region down {other}{port}", f"    edgeway region list{port}"]
    lines += ["", "  Ctrl-C stops everything."]
    return lines


def banner_data(stack: LocalStack) -> dict[str, Any]:
    """The banner's facts as JSON (``edgeway serve --json``), for scripts."""
    assert stack.info
    info = stack.info
    return {
        "home_region": info.home_region,
        "regions": {listener.region: listener.url for listener in stack.listeners},
        "invoke_api": info.invoke_url,
        "control_api": f"{info.invoke_url}/_edgeway/regions",
        "moto": info.moto_url,
        "dns_port": info.dns_port,
        "tables": dict(info.table_names),
        "services": {spec: service.banner_lines() for spec, service in stack.services},
    }


def _example_paths(config: Path | None) -> list[str]:
    paths = ["/health"]
    try:
        raw: Any = yaml.safe_load(config.read_text(encoding="utf-8")) if config else {}
    except (OSError, yaml.YAMLError):
        raw = {}
    for route in (raw or {}).get("routes") or []:
        if isinstance(route, dict) and "GET" in (route.get("methods") or ["GET"]):
            paths.append(_PARAM.sub("42", str(route.get("path", "/"))))
        if len(paths) >= 4:
            break
    return paths


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
