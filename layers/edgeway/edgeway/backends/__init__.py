"""Backends by type: add a module and a line here, not a branch elsewhere.

Each type's module holds its backend class: ``compile(raw, site)`` (pure: run by the
config compile) gives the spec, ``spec.build(ctx)`` the callable with its clients. A
module is imported when a config uses its type: a gateway of Lambda routes never
loads the HTTP, messaging, canary or aggregate code.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from edgeway.backends.base import Backend, BackendSpec, Site

# type -> (module, its backend class, whose ``compile(raw, site)`` checks the keys)
BACKEND_TYPES: dict[str, tuple[str, str]] = {
    "lambda": ("edgeway.backends.lambda_", "LambdaBackend"),
    "http": ("edgeway.backends.http", "HttpBackend"),
    "sqs": ("edgeway.backends.messaging", "SqsTarget"),
    "eventbridge": ("edgeway.backends.messaging", "EventBridgeTarget"),
    "canary": ("edgeway.backends.canary", "CanaryBackend"),
    "aggregate": ("edgeway.aggregate.backend", "AggregateBackend"),
}


def compile_backend(raw: Mapping[str, Any], site: Site) -> BackendSpec:
    """``raw`` (a backend mapping the schema has checked) as its type's compiled spec."""
    module, cls = BACKEND_TYPES[raw["type"]]
    spec: BackendSpec = getattr(importlib.import_module(module), cls).compile(raw, site)
    return spec


__all__ = ["BACKEND_TYPES", "Backend", "BackendSpec", "Site", "compile_backend"]
