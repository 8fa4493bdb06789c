"""The Lambda entry: build the gateway at import (cold start), run it per event."""

from __future__ import annotations

from typing import Any

from edgeway.config import load_config
from edgeway.pipeline import Gateway, build_gateway
from edgeway.settings import Settings


def create_gateway(settings: Settings | None = None) -> Gateway:
    settings = settings or Settings.from_env()
    return build_gateway(load_config(settings.config_path), settings)


def lambda_handler(settings: Settings | None = None) -> Any:
    gateway = create_gateway(settings)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return gateway(event, context)

    return handler
