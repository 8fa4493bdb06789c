"""Backends by type: add a module and a line here, not a branch elsewhere.

Each type's module holds its compiled spec (``Spec.compile(raw, site)``, pure: run
by the config compile) and the backend the spec builds (``spec.build(ctx)``). A module is imported when a
config uses its type: a gateway of Lambda routes never loads the HTTP, messaging,
canary or aggregate code.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from edgeway.backends.base import Backend, BackendSpec, Site
from edgeway.context import BuildContext

# type -> (module, its compiled spec class, whose ``compile(raw, site)`` checks the keys)
BACKEND_TYPES: dict[str, tuple[str, str]] = {
    "lambda": ("edgeway.backends.lambda_", "LambdaSpec"),
    "http": ("edgeway.backends.http", "HttpSpec"),
    "sqs": ("edgeway.backends.messaging", "SqsSpec"),
    "eventbridge": ("edgeway.backends.messaging", "EventBridgeSpec"),
    "canary": ("edgeway.backends.canary", "CanarySpec"),
    "aggregate": ("edgeway.aggregate", "AggregateSpec"),
}


def compile_backend(raw: Mapping[str, Any], site: Site) -> BackendSpec:
    """``raw`` (a backend mapping the schema has checked) as its type's compiled spec."""
    module, cls = BACKEND_TYPES[raw["type"]]
    spec: BackendSpec = getattr(importlib.import_module(module), cls).compile(raw, site)
    return spec


__all__ = ["BACKEND_TYPES", "Backend", "BackendSpec", "BuildContext", "Site", "compile_backend"]
