"""Backends by type: add a class and a line here, not a branch elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgeway.backends.base import Backend, BackendFactory, BuildContext
from edgeway.backends.canary import CanaryBackend
from edgeway.backends.http import HttpBackend
from edgeway.backends.lambda_ import LambdaBackend
from edgeway.backends.messaging import EventBridgeBackend, SqsBackend


def _aggregate(spec: Mapping[str, Any], ctx: BuildContext) -> Backend:
    # Imported on use: a gateway without composite routes never loads it.
    from edgeway.aggregate import AggregateBackend

    return AggregateBackend.from_config(spec, ctx)


BACKEND_TYPES: dict[str, BackendFactory] = {
    "lambda": LambdaBackend.from_config,
    "http": HttpBackend.from_config,
    "sqs": SqsBackend.from_config,
    "eventbridge": EventBridgeBackend.from_config,
    "canary": CanaryBackend.from_config,
    "aggregate": _aggregate,
}


def build_backend(spec: Mapping[str, Any], ctx: BuildContext) -> Backend:
    return BACKEND_TYPES[spec["type"]](spec, ctx)


__all__ = ["BACKEND_TYPES", "Backend", "BuildContext", "build_backend"]
