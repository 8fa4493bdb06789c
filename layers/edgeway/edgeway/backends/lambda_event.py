"""The event a Lambda backend receives: API Gateway HTTP API payload 2.0.

Built the way API Gateway builds it, so an ASGI app behind Mangum or a plain
HTTP API handler runs behind Edgeway unchanged. Verified JWT claims travel in
``requestContext.authorizer.jwt`` exactly where API Gateway's JWT authorizer
puts them; an API-key consumer travels in ``requestContext.authorizer.lambda``.
"""

from __future__ import annotations

import base64
import contextlib
import time
from typing import Any

from edgeway.adapters import is_text
from edgeway.http import Request
from edgeway.routing import canonical_path


def build_event(request: Request, *, route_key: str) -> dict[str, Any]:
    """The v2 event for ``request``.

    Two things are the gateway's, never the client's: the path is the canonical
    one routing matched (decoded once, re-encoded, no trailing slash), and
    ``host`` is the domain the API was reached at (``requestContext.domainName``,
    which API Gateway sets, a client cannot), so a backend that builds a URL from
    its Host (a redirect, a link) can never point it at a name the client chose.
    """
    path = canonical_path(request.path)
    headers = {**request.headers, "host": request.domain_name}
    headers.setdefault("x-request-id", request.request_id)
    cookies = list(request.cookies)
    if cookies:
        headers.pop("cookie", None)
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "edgeway",
            "domainName": request.domain_name,
            "domainPrefix": request.domain_name.split(".")[0],
            "http": {
                "method": request.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request.request_id,
            "routeKey": route_key,
            "stage": request.stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if request.query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in request.query.items()}
    if request.path_params:
        event["pathParameters"] = dict(request.path_params)
    authorizer = _authorizer(request)
    if authorizer:
        event["requestContext"]["authorizer"] = authorizer
    body = request.body
    if body and is_text(headers.get("content-type")):
        with contextlib.suppress(UnicodeDecodeError):
            event["body"] = body.decode("utf-8")
    if body and "body" not in event:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def _authorizer(request: Request) -> dict[str, Any] | None:
    p = request.principal
    if p.kind == "jwt":
        return {"jwt": {"claims": dict(p.claims), "scopes": sorted(p.scopes)}}
    if p.kind == "api_key":
        return {"lambda": {"consumer": p.consumer, "plan": p.plan, "keyId": p.key_id}}
    return None
