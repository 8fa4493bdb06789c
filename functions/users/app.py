"""Sample backend: a Starlette app behind Mangum.

It shows that an ordinary ASGI app runs unchanged behind Edgeway: the gateway
invokes this function with an HTTP API v2 event, exactly as API Gateway would.

``GET /v1/users/{id}`` answers a user that is derived from the id alone, so
every region, every container and every test sees the same data without a
database. Ids 1..1000 exist; anything else is 404 problem+json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_USER_ID = 1000
# Positive decimal integers without leading zeros, so "042" and "42" are not
# two names for one user.
_USER_ID = re.compile(r"[1-9][0-9]{0,9}")

_FIRST = ("Ada", "Alan", "Barbara", "Claude", "Donald", "Edsger", "Frances", "Grace",
          "John", "Katherine", "Leslie", "Margaret", "Niklaus", "Radia", "Tim", "Vint")
_LAST = ("Lovelace", "Turing", "Liskov", "Shannon", "Knuth", "Dijkstra", "Allen",
         "Hopper", "Backus", "Johnson", "Lamport", "Hamilton", "Wirth", "Perlman",
         "Berners-Lee", "Cerf")

PROBLEM_JSON = "application/problem+json"

logger = logging.getLogger("edgeway.users")


def user_for(user_id: str) -> dict[str, str] | None:
    """The user with this id, or None when there is none (pure, deterministic)."""
    if not _USER_ID.fullmatch(user_id) or int(user_id) > MAX_USER_ID:
        return None
    digest = hashlib.sha256(user_id.encode()).digest()
    first, last = _FIRST[digest[0] % len(_FIRST)], _LAST[digest[1] % len(_LAST)]
    email = f"{first}.{last}{user_id}@example.com".lower().replace("-", "")
    return {"id": user_id, "name": f"{first} {last}", "email": email}


def problem(status: int, title: str, detail: str, instance: str,
            headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status,
            "detail": detail, "instance": instance}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def get_user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    user = user_for(user_id)
    if user is None:
        detail = (f"no user with id {user_id}" if _USER_ID.fullmatch(user_id)
                  else f"user ids are integers from 1 to {MAX_USER_ID}")
        return problem(404, "Not Found", detail, request.url.path)
    return JSONResponse(user)


async def http_error(request: Request, exc: Exception) -> Response:
    # Starlette's own 404 (no route) and 405 (wrong method, with Allow).
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        return await server_error(request, exc)
    title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "Error")
    return problem(exc.status_code, title, str(exc.detail), request.url.path,
                   headers=dict(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    # The traceback goes to the log (Mangum logs it), never to the client.
    return problem(500, "Internal Server Error", "the users service failed", request.url.path)


# Built once per container, at import.
app = Starlette(
    routes=[Route("/v1/users/{user_id}", get_user, methods=["GET"])],
    exception_handlers={HTTPException: http_error, Exception: server_error},
)
# No slash redirects: Starlette builds their Location from the request's Host
# header, an open redirect behind any proxy that passes Host through. The gateway
# owns trailing slashes (it sends the canonical path); here a stray one is a 404.
app.router.redirect_slashes = False

# problem+json is text: without it here Mangum would base64 the error bodies.
_adapter = Mangum(app, lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, PROBLEM_JSON])


def _bad_event(detail: str) -> dict[str, Any]:
    body = json.dumps({"type": "about:blank", "title": "Bad Request", "status": 400,
                       "detail": detail, "instance": ""})
    return {"statusCode": 400, "headers": {"content-type": PROBLEM_JSON},
            "body": body, "isBase64Encoded": False}


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: HTTP API v2 / REST v1 / ALB / Function URL events."""
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return _bad_event("not an API Gateway, ALB or Function URL event")
    try:
        return _adapter(event, context)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        # Mangum catches the app's own errors (they become the 500 above), so
        # what reaches here failed while reading the event: a client error.
        logger.warning("malformed event: %s: %s", type(exc).__name__, exc)
        return _bad_event("malformed event")
