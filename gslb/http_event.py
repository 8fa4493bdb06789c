"""API Gateway HTTP API (payload v2) events <-> ``edgeway.http`` Request/Response.

The GSLB resolver's edge: the handler translates once here and the logic in
``gslb.http_api`` never sees the raw event (the same split as Mangum's
handlers). Only payload v2 is accepted, which is what template.yaml's HttpApi
sends to GslbResolverFunction and what ``edgeway serve`` emulates.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from edgeway.errors import BadRequest
from edgeway.http import Request, Response

# An inbound x-request-id is echoed only when it looks like an id, so a client
# cannot inject header-breaking or huge values into our logs and responses.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=+/-]{1,128}$")  # API Gateway ids end in "="


def request_id(headers: Mapping[str, str], fallback: str | None = None) -> str:
    inbound = headers.get("x-request-id", "")
    if _REQUEST_ID.match(inbound):
        return inbound
    return fallback if fallback and _REQUEST_ID.match(fallback) else str(uuid.uuid4())


def request_from_event(event: Any) -> Request:
    """Raise BadRequest for anything that is not a well-formed payload v2 event."""
    if not isinstance(event, Mapping) or event.get("version") != "2.0":
        raise BadRequest("expected an API Gateway HTTP API payload v2 event")
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        raise BadRequest("event has no requestContext")
    http = context.get("http")
    if not isinstance(http, Mapping) or not isinstance(http.get("method"), str):
        raise BadRequest("event has no requestContext.http.method")
    raw_headers = event.get("headers") or {}
    if not isinstance(raw_headers, Mapping):
        raise BadRequest("event headers are not an object")
    headers = {str(k).lower(): str(v) for k, v in raw_headers.items()}
    raw_query = event.get("rawQueryString") or ""
    if not isinstance(raw_query, str):
        raise BadRequest("rawQueryString is not a string")
    query: dict[str, tuple[str, ...]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = (*query.get(name, ()), value)
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise BadRequest("event body is not a string")
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("body is not valid base64") from exc
    else:
        data = body.encode()
    path = event.get("rawPath") or http.get("path") or "/"
    return Request(
        method=http["method"].upper(), path=str(path), headers=headers, query=query, body=data,
        cookies=tuple(event.get("cookies") or ()), source_ip=str(http.get("sourceIp") or ""),
        request_id=request_id(headers, context.get("requestId")),
        stage=str(context.get("stage") or "$default"),
        domain_name=str(context.get("domainName") or "localhost"), raw_query=raw_query)


def response_to_event(response: Response) -> dict[str, Any]:
    out: dict[str, Any] = {"statusCode": response.status, "headers": dict(response.headers),
                           "body": response.body.decode("utf-8", "replace"),
                           "isBase64Encoded": False}
    if response.cookies:
        out["cookies"] = list(response.cookies)
    return out
