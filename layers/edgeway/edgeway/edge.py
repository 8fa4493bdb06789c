"""The one edge of every HTTP-shaped Lambda: event in, Lambda result out.

The gateway, the GSLB resolver and the authorizer all enter here:

- the event adapter (``edgeway.adapters``): a malformed event is a 400, never a crash;
- the request id (``request_id``, the one rule): the inbound ``x-request-id``
  when it looks like an id, else API Gateway's ``requestId``, else a new one;
  it starts the invocation's log context (``observability.begin_request``);
- the one outer boundary: an ``HttpError`` is answered as itself, anything
  else through ``errors.http_error`` (a 503 for an ``Unavailable``, a safe
  500 otherwise) with its traceback in the log;
- the common headers ``x-request-id`` and ``x-edgeway-region``, and one
  access log line and metric per request.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

from edgeway.adapters import DEFAULT_ADAPTER, EventAdapter, adapters_for, infer
from edgeway.context import Handler
from edgeway.errors import BadRequest, HttpError, http_error
from edgeway.http import Request, Response
from edgeway.observability import Observability, begin_request, bound, new_request_id

PROBLEM_BASE = "https://edgeway.dev/problems/"

# An inbound id is echoed only when it looks like one, so a client cannot inject
# header-breaking or huge values into our logs and responses. API Gateway's own
# ids are base64 (they may start with "+" or "/", and end in "=").
_REQUEST_ID = re.compile(r"^[A-Za-z0-9+/][A-Za-z0-9._:=+/-]{7,127}$")


def request_id(event: Any) -> str:
    """The inbound x-request-id when well formed (a malformed one is replaced, not
    echoed), else API Gateway's requestId when there is one, else a new id."""
    if not isinstance(event, Mapping):
        return new_request_id()
    headers = event.get("headers")
    context = event.get("requestContext")
    candidate: object = context.get("requestId") if isinstance(context, Mapping) else None
    if isinstance(headers, Mapping):
        if "x-request-id" in headers:
            candidate = headers["x-request-id"]
        elif event.get("version") != "2.0":  # only payload 2.0 lower-cases every name
            for name, value in headers.items():
                if isinstance(name, str) and name.lower() == "x-request-id":
                    candidate = value
                    break
    if isinstance(candidate, str) and _REQUEST_ID.match(candidate):
        return candidate
    return new_request_id()


def problem_response(error: HttpError, request_id: str) -> Response:
    """RFC 9457 problem details: the only shape an error leaves an Edgeway function in."""
    body = {"type": PROBLEM_BASE + error.type_slug, "title": error.title, "status": error.status,
            "detail": error.detail, "instance": request_id, **error.extensions}
    headers = {"content-type": "application/problem+json", "cache-control": "no-store",
               **{k.lower(): v for k, v in error.headers.items()}}
    return Response(status=error.status, headers=headers,
                    body=json.dumps(body, separators=(",", ":")).encode())


def begin(event: Any) -> str:
    """The invocation's request id, its log context started."""
    rid = request_id(event)
    begin_request(rid)
    return rid


class Edge:
    """A Handler served as a Lambda function: ``Edge(app, ...)(event, context) -> result``."""

    def __init__(self, app: Handler, *, region: str, obs: Observability,
                 adapters: tuple[EventAdapter, ...] = adapters_for()) -> None:
        self.app = app
        self.region = region
        self.obs = obs
        self.adapters = adapters

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        started = time.perf_counter()
        rid = begin(event)
        adapter = infer(event, self.adapters)
        request: Request | None = None
        try:
            if adapter is None:
                raise BadRequest("unrecognised event: not an HTTP request this function serves "
                                 "(API Gateway, ALB or function URL)")
            request = adapter.to_request(event, context).evolve(request_id=rid)
            response = self.app(request)
        except HttpError as exc:
            response = problem_response(exc, rid)
        except Exception as exc:  # the one outer boundary
            self.obs.unexpected(exc)
            response = problem_response(http_error(exc), rid)
        response.headers["x-request-id"] = rid
        response.headers["x-edgeway-region"] = self.region
        result = (adapter or DEFAULT_ADAPTER).to_result(response, event if adapter else {})
        facts = bound()
        self.obs.access(route=facts.get("route", "-"), method=request.method if request else "-",
                        path=request.path if request else "-", status=response.status,
                        latency_ms=(time.perf_counter() - started) * 1000,
                        consumer=facts.get("consumer"))
        return result
