"""Read template.yaml into the typed facts the local stack runs on.

SAM ``Globals.Function`` are folded into every ``AWS::Serverless::Function``
as SAM does (scalars: the function wins; maps such as Environment.Variables:
merged, the function wins per key; lists such as Layers: globals first, then
the function's). Intrinsics are resolved for one region at a time, since
``AWS::Region`` is part of a function's environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edgeway.errors import ConfigError
from edgeway_local.cfn_yaml import load_cfn_yaml
from edgeway_local.intrinsics import TABLE_TYPES, Resolver
from edgeway_local.resources import (
    BUS_TYPES, QUEUE_TYPES, EventBus, Queue, Table, event_bus, queue, table,
)

FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
DEFAULT_ROUTE = "$default"
# SAM's own defaults when neither the function nor Globals set them.
DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """One HttpApi event: ``GET /gslb/resolve`` or the ``$default`` catch-all."""

    method: str  # upper case; "ANY" matches every method
    path: str  # "/users/{id}", "/{proxy+}" or "$default"
    function: str  # logical id of the target function

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Layer:
    logical_id: str
    content_dir: Path  # what Lambda mounts at /opt (python packages under it)


@dataclass(frozen=True, slots=True)
class Function:
    logical_id: str
    runtime: str
    handler: str  # "module.attribute"
    code_dir: Path  # what Lambda mounts at /var/task
    environment: Mapping[str, str]
    layers: tuple[Layer, ...]
    timeout: int  # seconds
    memory_size: int  # MB
    routes: tuple[HttpRoute, ...]
    name: str = ""  # what !Ref gives: the FunctionName property, else the logical id
    # LoggingConfig: Lambda turns these into AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL.
    log_format: str | None = None  # "JSON" or "Text"
    log_level: str | None = None  # ApplicationLogLevel (JSON format only)


@dataclass(frozen=True, slots=True)
class Template:
    path: Path
    region: str
    functions: Mapping[str, Function]
    tables: Mapping[str, Table]
    queues: Mapping[str, Queue] = field(default_factory=dict)
    event_buses: Mapping[str, EventBus] = field(default_factory=dict)

    @property
    def routes(self) -> tuple[HttpRoute, ...]:
        return tuple(r for f in self.functions.values() for r in f.routes)

    def table_name(self, logical_id: str) -> str | None:
        table = self.tables.get(logical_id)
        return table.name if table else None


def load_template(path: str | Path, *, region: str = "us-east-1") -> Template:
    """Load and resolve ``path`` for ``region``; a bad template is a ConfigError."""
    path = Path(path).resolve()
    file = str(path)
    try:
        doc = load_cfn_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read template: {exc.strerror}", file=file) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
                          line=mark.line + 1 if mark else None) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        raise ConfigError("a template needs a Resources mapping", file=file, key="Resources")
    resources: dict[str, Any] = doc["Resources"]
    resolver = Resolver(
        file=file, region=region,
        parameters=_mapping(doc, "Parameters", file),
        conditions=_mapping(doc, "Conditions", file),
        mappings=_mapping(doc, "Mappings", file),
        resources=resources,
    )
    base = path.parent
    layers = {
        lid: _layer(lid, res, base, resolver)
        for lid, res in resources.items() if _type(res) in LAYER_TYPES
    }
    globals_ = _mapping(_mapping(doc, "Globals", file), "Function", file)
    functions = {
        lid: _function(lid, res, globals_, base, resolver, layers)
        for lid, res in resources.items() if _type(res) == FUNCTION_TYPE
    }
    def of(types: tuple[str, ...], build: Any) -> dict[str, Any]:
        return {lid: build(lid, res, resolver) for lid, res in resources.items() if _type(res) in types}

    return Template(path=path, region=region, functions=functions, tables=of(TABLE_TYPES, table),
                    queues=of(QUEUE_TYPES, queue), event_buses=of(BUS_TYPES, event_bus))


def _type(resource: Any) -> str:
    return resource.get("Type", "") if isinstance(resource, dict) else ""


def _mapping(doc: Mapping[str, Any], key: str, file: str) -> dict[str, Any]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError("must be a mapping", file=file, key=key)
    return value


def _merge_globals(globals_: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(globals_)
    for key, value in props.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge_globals(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            merged[key] = [*old, *value]
        else:
            merged[key] = value
    return merged


def _local_dir(base: Path, value: Any, file: str, key: str) -> Path:
    if not isinstance(value, str):
        raise ConfigError("must be a local directory path (S3 locations cannot run locally)",
                          file=file, key=key)
    directory = (base / value).resolve()
    if not directory.is_dir():
        raise ConfigError(f"directory {value!r} does not exist", file=file, key=key)
    return directory


def _layer(lid: str, resource: dict[str, Any], base: Path, resolver: Resolver) -> Layer:
    props = resource.get("Properties") or {}
    key = f"Resources.{lid}.Properties.ContentUri"
    content = resolver.resolve(props.get("ContentUri", props.get("Content")), key)
    return Layer(logical_id=lid, content_dir=_local_dir(base, content, resolver.file, key))


def _function(lid: str, resource: dict[str, Any], globals_: Mapping[str, Any], base: Path,
              resolver: Resolver, layers: Mapping[str, Layer]) -> Function:
    file, prefix = resolver.file, f"Resources.{lid}.Properties"
    props = _merge_globals(globals_, resource.get("Properties") or {})
    runtime = resolver.resolve(props.get("Runtime"), f"{prefix}.Runtime")
    if not isinstance(runtime, str) or not runtime.startswith("python"):
        raise ConfigError(f"runtime {runtime!r} cannot run locally (python runtimes only)",
                          file=file, key=f"{prefix}.Runtime")
    handler = resolver.resolve(props.get("Handler"), f"{prefix}.Handler")
    if not isinstance(handler, str) or "." not in handler:
        raise ConfigError("must be 'module.function'", file=file, key=f"{prefix}.Handler")
    code_key = f"{prefix}.CodeUri"
    code_dir = _local_dir(base, resolver.resolve(props.get("CodeUri", "."), code_key), file, code_key)
    env_key = f"{prefix}.Environment.Variables"
    variables = resolver.resolve((props.get("Environment") or {}).get("Variables") or {}, env_key)
    if not isinstance(variables, dict):
        raise ConfigError("must be a mapping", file=file, key=env_key)
    environment = {k: _env_string(v, file, f"{env_key}.{k}") for k, v in variables.items()}
    logging_config = resolver.resolve(props.get("LoggingConfig") or {}, f"{prefix}.LoggingConfig")
    if not isinstance(logging_config, dict):
        raise ConfigError("must be a mapping", file=file, key=f"{prefix}.LoggingConfig")
    return Function(
        logical_id=lid, runtime=runtime, handler=handler, code_dir=code_dir,
        environment=environment,
        layers=_function_layers(props.get("Layers") or [], layers, resolver, f"{prefix}.Layers"),
        timeout=_positive_int(resolver.resolve(props.get("Timeout", DEFAULT_TIMEOUT), f"{prefix}.Timeout"),
                              file, f"{prefix}.Timeout"),
        memory_size=_positive_int(resolver.resolve(props.get("MemorySize", DEFAULT_MEMORY),
                                                   f"{prefix}.MemorySize"), file, f"{prefix}.MemorySize"),
        routes=_routes(lid, resource.get("Properties") or {}, resolver),
        name=resolver.resolve({"Ref": lid}, f"{prefix}.FunctionName"),
        log_format=logging_config.get("LogFormat"),
        log_level=logging_config.get("ApplicationLogLevel"),
    )


def _env_string(value: Any, file: str, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ConfigError("an environment value must be a string", file=file, key=key)


def _positive_int(value: Any, file: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() \
            or int(value) <= 0:
        raise ConfigError(f"must be a positive integer, got {value!r}", file=file, key=key)
    return int(value)


def _function_layers(refs: list[Any], layers: Mapping[str, Layer], resolver: Resolver,
                     key: str) -> tuple[Layer, ...]:
    found = []
    for i, ref in enumerate(refs):
        name = ref.get("Ref") if isinstance(ref, dict) else None
        if isinstance(name, str) and name in layers:
            found.append(layers[name])
        elif name is not None:
            raise ConfigError(f"!Ref {name!r} is not a layer of this template",
                              file=resolver.file, key=f"{key}[{i}]")
        # A literal ARN names a layer published elsewhere: nothing to mount locally.
    return tuple(found)


def _routes(lid: str, props: Mapping[str, Any], resolver: Resolver) -> tuple[HttpRoute, ...]:
    routes = []
    for name, event in (props.get("Events") or {}).items():
        if not isinstance(event, dict) or event.get("Type") != "HttpApi":
            continue
        key = f"Resources.{lid}.Properties.Events.{name}.Properties"
        eprops = resolver.resolve(event.get("Properties") or {}, key)
        path, method = eprops.get("Path"), eprops.get("Method")
        if path is None and method is None or path == DEFAULT_ROUTE:
            routes.append(HttpRoute(method="ANY", path=DEFAULT_ROUTE, function=lid))
            continue
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigError("Path must start with '/'", file=resolver.file, key=f"{key}.Path")
        method = str(method or "ANY").upper()
        routes.append(HttpRoute(method=method, path=path, function=lid))
    return tuple(routes)
