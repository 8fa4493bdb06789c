"""RFC 9457 problem details: the only shape an error leaves the gateway in."""

from __future__ import annotations

import json

from edgeway.errors import HttpError, InternalError

__all__ = ["PROBLEM_BASE", "PROBLEM_JSON", "InternalError", "problem_response"]
from edgeway.http import Response

PROBLEM_BASE = "https://edgeway.dev/problems/"
PROBLEM_JSON = "application/problem+json"


def problem_response(error: HttpError, request_id: str) -> Response:
    body = {
        "type": PROBLEM_BASE + error.type_slug,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": request_id,
        **error.extensions,
    }
    headers = {"content-type": PROBLEM_JSON, "cache-control": "no-store"}
    headers.update({k.lower(): v for k, v in error.headers.items()})
    return Response(status=error.status, headers=headers,
                    body=json.dumps(body, separators=(",", ":")).encode())
