"""gateway.yaml: loaded once per container, validated, turned into typed objects.

Shapes are checked against the JSON Schema in ``schema/gateway.schema.json``
(``edgeway.shapes``: the same file editors and docs read). Checks a schema
cannot express follow, and every failure is a ``ConfigError`` naming the file,
the line and the key. Each route's backend (with its retry/circuit/hedge keys)
is compiled into a ``BackendSpec`` by its type's module (``edgeway.backends``);
the build only wires clients to it.

Feature sections (routing, auth, plans, caching...) are then compiled by their
own modules, the ones ``edgeway.pipeline.STAGES`` lists, into
``GatewayConfig.compiled``; they report problems through ``GatewayConfig.error``
so that every message has the same shape. ``parse_config`` is the one compile:
``make build`` (``edgeway_local.configjson``), ``edgeway serve`` and the cold
start (``edgeway.runtime``) all run it, so a config valid at build is valid at
cold start.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from edgeway.backends import BackendSpec, Site, compile_backend
from edgeway.errors import ConfigError
from edgeway.pipeline import compile_stages
from edgeway.shapes import Problem, check
from edgeway.routing import Route, parse_template
from edgeway.yamlsource import KeyPath, format_key, line_of, load_document

DEFAULT_TIMEOUT_MS = 10_000
DEFAULT_MAX_BODY_BYTES = 1_048_576  # 1 MiB: well under Lambda's 6 MB payload limit

T = TypeVar("T")


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class RouteConfig(Route):
    """One entry of ``routes``, validated: the Route the router matches, with where
    it stands in the file and its compiled backend."""
    index: int
    backend: BackendSpec  # compiled from spec["backend"] (with retry/circuit/hedge)


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """gateway.yaml validated against the schema, with its source kept for error messages."""
    source: str
    text: str = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False)
    name: str
    home_region: str | None
    default_timeout_ms: int
    max_body_bytes: int
    routes: tuple[RouteConfig, ...]
    compiled: Mapping[str, object] = field(default_factory=dict, repr=False)

    def spec(self, stage: str, kind: type[T]) -> T | None:
        """What stage ``stage``'s compiler made of this config (a ``kind``: the stage's
        own module is the one that reads it back); None when the config does not use it."""
        return cast("T | None", self.compiled.get(stage))

    def error(self, path: KeyPath, reason: str) -> ConfigError:
        """A ConfigError for the key at ``path``, with its line in the file."""
        return ConfigError(reason, file=self.source, key=format_key(path) or None,
                           line=line_of(self.text, path))

    def section(self, name: str, default: Any = None) -> Any:
        return self.raw.get(name, default)


def load_config(path: str | Path, *, functions: Collection[str] | None = None) -> GatewayConfig:
    """Read, validate and type ``gateway.yaml``.

    ``functions`` is the set of function logical ids the SAM template defines;
    when given (by the CLI and the local stack), a Lambda backend must name one
    of them or a full function ARN.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}", file=source) from exc
    return parse_config(text, source, functions=functions)


def parse_config(text: str, source: str = "gateway.yaml", *,
                 functions: Collection[str] | None = None) -> GatewayConfig:
    raw = load_document(text, source)
    if not isinstance(raw, dict):
        raise ConfigError("the top level must be a mapping", file=source)
    try:
        check(raw)
    except Problem as exc:
        raise ConfigError(exc.reason, file=source, key=exc.key,
                          line=line_of(text, exc.path)) from exc
    gateway = raw.get("gateway", {})
    config = GatewayConfig(
        source=source, text=text, raw=raw,
        name=gateway.get("name", "edgeway"),
        home_region=gateway.get("home_region"),
        default_timeout_ms=gateway.get("default_timeout_ms", DEFAULT_TIMEOUT_MS),
        max_body_bytes=gateway.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES),
        routes=(),
    )
    routes = tuple(_route(config, i, spec, functions) for i, spec in enumerate(raw["routes"]))
    seen: dict[str, int] = {}
    for route in routes:
        if route.id in seen:
            raise config.error(["routes", route.index, "id"],
                               f"route id {route.id!r} is already used by routes[{seen[route.id]}]")
        seen[route.id] = route.index
    object.__setattr__(config, "routes", routes)
    object.__setattr__(config, "compiled", compile_stages(config))
    return config


def _route(config: GatewayConfig, index: int, spec: Mapping[str, Any],
           functions: Collection[str] | None) -> RouteConfig:
    path = spec["path"]
    try:
        parse_template(path)
    except ValueError as exc:
        raise config.error(["routes", index, "path"], str(exc)) from exc
    methods = frozenset(spec.get("methods", ["GET"]))
    route_id = spec.get("id") or f"{'|'.join(sorted(methods))} {path}"
    site = Site(config, ("routes", index), functions, route_id, path)
    backend = compile_backend(spec["backend"], site.at("backend"))
    if any(spec.get(key) for key in ("retry", "circuit", "hedge")):
        from edgeway.resilience import compile_resilience  # only when a route asks for it

        backend = compile_resilience(spec, backend, site)
    return RouteConfig(index=index, id=route_id, path=path, methods=methods,
                       timeout_ms=spec.get("timeout_ms", config.default_timeout_ms),
                       backend=backend, spec=spec)
