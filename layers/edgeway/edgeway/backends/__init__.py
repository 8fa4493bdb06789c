"""Backends by type: add a class and a line here, not a branch elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgeway.backends.base import Backend, BackendFactory, BuildContext
from edgeway.backends.lambda_ import LambdaBackend

BACKEND_TYPES: dict[str, BackendFactory] = {
    "lambda": LambdaBackend.from_config,
}


def build_backend(spec: Mapping[str, Any], ctx: BuildContext) -> Backend:
    return BACKEND_TYPES[spec["type"]](spec, ctx)


__all__ = ["BACKEND_TYPES", "Backend", "BuildContext", "build_backend"]
