"""ConsoleFunction: the operator console at ``GET /_edgeway/{proxy+}`` (HTTP API v2).

Thin: everything is built once per container at import (``edgeway_console.build``);
an invocation goes through the one edge (``edgeway.edge.Edge``: the event adapter,
the request id, the outer boundary, the common headers) to ``ConsoleApp.handle``.
The data endpoints need a JWT with the ``edgeway:admin`` scope from an issuer of
gateway.yaml (docs/console.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgeway.adapters import HttpApiV2Adapter
from edgeway.edge import Edge
from edgeway.observability import Observability
from edgeway.settings import Settings
from edgeway_console.build import build_console

TASK_ROOT = Path(__file__).parent
SETTINGS = Settings.from_env(task_root=TASK_ROOT)
APP = build_console(task_root=TASK_ROOT)
EDGE = Edge(APP.handle, region=SETTINGS.region, obs=Observability(SETTINGS.service, SETTINGS.region),
            adapters=(HttpApiV2Adapter(),))


def handler(event: Any, context: Any) -> dict[str, Any]:
    return EDGE(event, context)
