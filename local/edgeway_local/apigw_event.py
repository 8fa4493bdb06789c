"""API Gateway HTTP API behaviour, without sockets: routes, the v2 event, the reply.

- ``RouteTable.match`` picks a route as API Gateway does: the most specific
  path wins (literal segments over ``{param}`` over ``{proxy+}``), then an
  exact method over ``ANY``, and ``$default`` catches the rest.
- ``build_event`` turns an HTTP request into the payload-format-2.0 event.
- ``interpret_result`` turns the function's result into the HTTP reply
  (``statusCode``/``headers``/``cookies``/``body``/``isBase64Encoded``, or a
  bare value that becomes a 200 JSON body), and anything malformed into the
  500 API Gateway answers.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from edgeway_local.template import DEFAULT_ROUTE, HttpRoute

ACCOUNT_ID = "123456789012"
API_ID = "local"
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript",
               "application/graphql", "application/x-yaml", "application/yaml")
INTERNAL_ERROR = (500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
NOT_FOUND = (404, {"content-type": "application/json"}, b'{"message":"Not Found"}')


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: tuple[tuple[str, str], ...]  # repeated names allowed (set-cookie)
    body: bytes


@dataclass(frozen=True)
class RouteTable:
    routes: Sequence[HttpRoute]
    _ranked: tuple[tuple[tuple[int, ...], HttpRoute], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ranked = []
        for route in self.routes:
            if route.path == DEFAULT_ROUTE:
                continue
            kinds = tuple(_segment_kind(s) for s in _segments(route.path))
            ranked.append(((*kinds, 1 if route.method == "ANY" else 0), route))
        # Lower is more specific: 0 literal, 1 {param}, 2 {proxy+}; exact method before ANY.
        object.__setattr__(self, "_ranked", tuple(sorted(ranked, key=lambda item: item[0])))

    def match(self, method: str, path: str) -> RouteMatch | None:
        parts = _segments(path)
        for _, route in self._ranked:
            if route.method not in ("ANY", method):
                continue
            params = _match_path(_segments(route.path), parts)
            if params is not None:
                return RouteMatch(route, params)
        default = next((r for r in self.routes if r.path == DEFAULT_ROUTE), None)
        return RouteMatch(default, {}) if default else None


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _segment_kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return 2
    return 1 if segment.startswith("{") and segment.endswith("}") else 0


def _match_path(template: list[str], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, segment in enumerate(template):
        kind = _segment_kind(segment)
        if kind == 2:
            rest = parts[i:]
            if not rest:
                return None
            params[segment[1:-2]] = unquote("/".join(rest))
            return params
        if i >= len(parts):
            return None
        if kind == 1:
            params[segment[1:-1]] = unquote(parts[i])
        elif segment != parts[i]:
            return None
    return params if len(parts) == len(template) else None


def new_request_id() -> str:
    """API Gateway's own request id shape (``apigw-requestid``), e.g. ``JqEwkhNNoAMEJ3A=``."""
    return base64.b64encode(os.urandom(11)).decode()


def _is_text(content_type: str, content_encoding: str) -> bool:
    if content_encoding and content_encoding.lower() != "identity":
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in _TEXT_TYPES or kind.endswith(("+json", "+xml"))


def build_event(*, method: str, raw_path: str, raw_query: str, headers: Iterable[tuple[str, str]],
                body: bytes, source_ip: str, port: int, match: RouteMatch, request_id: str,
                protocol: str = "HTTP/1.1", now: float | None = None,
                domain: str | None = None) -> dict[str, Any]:
    """The HTTP API payload-format-2.0 event for one request.

    ``domain`` is the API's own domain (``requestContext.domainName``). API Gateway
    serves only its configured domains, so there a client never chooses it; a
    listener passes its own address so a foreign ``Host`` cannot choose it either.
    Without it the domain is read from ``Host`` (recorded events, tests).
    """
    now = time.time() if now is None else now
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":  # moved to "cookies", one entry per cookie
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    forwarded = joined.get("x-forwarded-for")
    joined["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    joined["x-forwarded-port"] = str(port)
    joined["x-forwarded-proto"] = "http"
    joined.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{os.urandom(12).hex()}")
    if domain is None:
        host = joined.get("host", "127.0.0.1")
        domain = host if host.endswith("]") else host.rsplit(":", 1)[0]  # API Gateway's has no port
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    route_key = match.route.route_key
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = joined
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    if body:
        text = _is_text(joined.get("content-type", ""), joined.get("content-encoding", ""))
        try:
            event["body"] = body.decode("utf-8") if text else base64.b64encode(body).decode()
        except UnicodeDecodeError:
            text = False
            event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = not text
    else:
        event["isBase64Encoded"] = False
    return event


def interpret_result(result: Any) -> HttpReply:
    """The HTTP reply API Gateway makes of a function's result (payload format 2.0)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway assumes 200, JSON, and the result as the body.
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpReply(200, (("content-type", "application/json"),), body.encode())
    try:
        return _structured(result)
    except (TypeError, ValueError, binascii.Error):
        return error_reply(INTERNAL_ERROR)


def _structured(result: Mapping[str, Any]) -> HttpReply:
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError("statusCode")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name).lower(), _header_value(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name).lower(), _header_value(v)) for v in values)
    for cookie in result.get("cookies") or ():
        headers.append(("set-cookie", str(cookie)))
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise TypeError("body")
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body, validate=True)
    else:
        data = body.encode()
    return HttpReply(status, tuple(headers), data)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError("header value")


def error_reply(error: tuple[int, Mapping[str, str], bytes]) -> HttpReply:
    status, headers, body = error
    return HttpReply(status, tuple(headers.items()), body)
