"""Backends by type: add a class and a line here, not a branch elsewhere.

Each type's module is imported when a route of that type is built (at cold
start, so a missing dependency still fails there): a gateway of Lambda routes
never loads the HTTP, messaging, canary or aggregate code.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from edgeway.backends.base import Backend, BackendFactory
from edgeway.context import BuildContext


def _factory(module: str, cls: str) -> BackendFactory:
    """``cls.from_config`` of ``module``, imported on the first route that needs it."""

    def build(spec: Mapping[str, Any], ctx: BuildContext) -> Backend:
        backend_cls = getattr(importlib.import_module(module), cls)
        backend: Backend = backend_cls.from_config(spec, ctx)
        return backend

    return build


BACKEND_TYPES: dict[str, BackendFactory] = {
    "lambda": _factory("edgeway.backends.lambda_", "LambdaBackend"),
    "http": _factory("edgeway.backends.http", "HttpBackend"),
    "sqs": _factory("edgeway.backends.messaging", "SqsBackend"),
    "eventbridge": _factory("edgeway.backends.messaging", "EventBridgeBackend"),
    "canary": _factory("edgeway.backends.canary", "CanaryBackend"),
    "aggregate": _factory("edgeway.aggregate", "AggregateBackend"),
}


def build_backend(spec: Mapping[str, Any], ctx: BuildContext) -> Backend:
    return BACKEND_TYPES[spec["type"]](spec, ctx)


__all__ = ["BACKEND_TYPES", "Backend", "BuildContext", "build_backend"]
