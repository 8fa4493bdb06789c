"""ConsoleFunction: the operator console at ``GET /_edgeway/{proxy+}`` (HTTP API v2).

Thin: everything is built once per container at import (``edgeway_console.build``);
an invocation translates the event, runs ``ConsoleApp.handle`` and translates
the response back. The data endpoints need a JWT with the ``edgeway:admin``
scope from an issuer of gateway.yaml (docs/console.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from edgeway.adapters import HttpApiV2Adapter
from edgeway.errors import BadRequest, HttpError
from edgeway.problem import InternalError, problem_response
from edgeway_console.build import build_console
from edgeway_console.web import SAFE_HEADERS
from gslb.http_api import request_id

log = logging.getLogger("edgeway.console")

APP = build_console()  # gateway.yaml: $EDGEWAY_CONFIG, else the one beside this file
ADAPTER = HttpApiV2Adapter()


def handler(event: Any, context: Any) -> dict[str, Any]:
    rid = request_id(event)
    try:
        if not isinstance(event, Mapping) or not HttpApiV2Adapter.infer(event):
            raise BadRequest("expected an API Gateway HTTP API payload v2 event")
        response = APP.handle(ADAPTER.to_request(event, context).evolve(request_id=rid))
    except HttpError as exc:
        response = problem_response(exc, rid)
        response.headers.update(SAFE_HEADERS)
    except Exception:  # noqa: BLE001 - the outer boundary: a safe 500, the traceback in the log
        log.exception("console failed (request %s)", rid)
        response = problem_response(InternalError(), rid)
        response.headers.update(SAFE_HEADERS)
    response.headers["x-request-id"] = rid
    return ADAPTER.to_result(response, event if isinstance(event, Mapping) else {})
