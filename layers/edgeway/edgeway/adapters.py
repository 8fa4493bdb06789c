"""Lambda event adapters: one class per event source, picked by ``infer()``.

Each adapter turns its event into our ``Request`` and our ``Response`` back into
the dict that event source expects. Nothing past this module reads the event.

    HttpApiV2Adapter     API Gateway HTTP API, payload format 2.0
    FunctionUrlAdapter   Lambda function URLs (2.0 shape, lambda-url domain)
    RestApiV1Adapter     API Gateway REST API and HTTP API payload format 1.0
    AlbAdapter           Application Load Balancer target groups
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlencode

from edgeway.errors import BadRequest
from edgeway.http import Request, Response

_TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/xml",
               "application/javascript", "application/x-www-form-urlencoded", "+json", "+xml")


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    ct = content_type.lower()
    return any(marker in ct for marker in _TEXT_TYPES)


class EventAdapter(Protocol):
    @staticmethod
    def infer(event: Mapping[str, Any]) -> bool: ...

    def to_request(self, event: Mapping[str, Any], context: Any) -> Request: ...

    def to_result(self, response: Response, event: Mapping[str, Any]) -> dict[str, Any]: ...


def _require(mapping: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind):
        raise BadRequest(f"malformed event: {where}.{key} is missing or has the wrong type")
    return value


def _optional_map(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadRequest(f"malformed event: {key} must be an object")
    return value


def _decode_body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequest("malformed event: body must be a string")
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("malformed event: body is not valid base64") from exc
    return body.encode("utf-8", "surrogateescape")


def _headers(event: Mapping[str, Any], *, multi: bool = False) -> dict[str, str]:
    """``headers`` (or ``multiValueHeaders``): names lower-cased, repeats joined with ``,``."""
    headers: dict[str, str] = {}
    for name, value in _optional_map(event, "multiValueHeaders" if multi else "headers").items():
        if multi:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadRequest("malformed event: multiValueHeaders must map strings to lists "
                                 "of strings")
            value = ",".join(value)
        if not isinstance(name, str) or not isinstance(value, str):
            raise BadRequest("malformed event: headers must map strings to strings")
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


def _encode_body(response: Response) -> tuple[str, bool]:
    if not response.body:
        return "", False
    if is_text(response.headers.get("content-type")):
        try:
            return response.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(response.body).decode("ascii"), True


class HttpApiV2Adapter:
    @staticmethod
    def infer(event: Mapping[str, Any]) -> bool:
        ctx = event.get("requestContext")
        return event.get("version") == "2.0" and isinstance(ctx, Mapping) and "http" in ctx

    def to_request(self, event: Mapping[str, Any], context: Any) -> Request:
        ctx = _require(event, "requestContext", Mapping, "event")
        http = _require(ctx, "http", Mapping, "requestContext")
        method = _require(http, "method", str, "requestContext.http").upper()
        path = event.get("rawPath", http.get("path"))
        if not isinstance(path, str) or not path.startswith("/"):
            raise BadRequest("malformed event: rawPath is missing or not absolute")
        raw_query = event.get("rawQueryString") or ""
        if not isinstance(raw_query, str):
            raise BadRequest("malformed event: rawQueryString must be a string")
        cookies = event.get("cookies") or []
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise BadRequest("malformed event: cookies must be a list of strings")
        headers = _headers(event)
        if cookies:
            headers["cookie"] = "; ".join(cookies)
        return Request(
            method=method, path=path, headers=headers, query=parse_query(raw_query),
            body=_decode_body(event), cookies=tuple(cookies),
            source_ip=str(http.get("sourceIp") or ""), lambda_context=context,
            stage=str(ctx.get("stage") or "$default"),
            domain_name=str(ctx.get("domainName") or "localhost"), raw_query=raw_query,
        )

    def to_result(self, response: Response, event: Mapping[str, Any]) -> dict[str, Any]:
        body, b64 = _encode_body(response)
        result: dict[str, Any] = {"statusCode": response.status, "headers": dict(response.headers),
                                  "body": body, "isBase64Encoded": b64}
        if response.cookies:
            result["cookies"] = list(response.cookies)
        return result


class FunctionUrlAdapter(HttpApiV2Adapter):
    """Function URLs send the 2.0 shape; only the domain tells them apart."""

    @staticmethod
    def infer(event: Mapping[str, Any]) -> bool:
        return HttpApiV2Adapter.infer(event) and ".lambda-url." in str(
            event["requestContext"].get("domainName", ""))


class RestApiV1Adapter:
    @staticmethod
    def infer(event: Mapping[str, Any]) -> bool:
        ctx = event.get("requestContext")
        return "httpMethod" in event and isinstance(ctx, Mapping) and "elb" not in ctx

    def to_request(self, event: Mapping[str, Any], context: Any) -> Request:
        ctx = _require(event, "requestContext", Mapping, "event")
        fields = _v1_fields(event, multi=bool(event.get("multiValueHeaders")))
        identity = ctx.get("identity") if isinstance(ctx.get("identity"), Mapping) else {}
        return Request(**fields, source_ip=str(identity.get("sourceIp") or ""),
                       lambda_context=context, stage=str(ctx.get("stage") or "$default"),
                       domain_name=str(ctx.get("domainName") or "localhost"))

    def to_result(self, response: Response, event: Mapping[str, Any]) -> dict[str, Any]:
        body, b64 = _encode_body(response)
        return {"statusCode": response.status, "headers": dict(response.headers),
                "multiValueHeaders": _multi_value(response), "body": body, "isBase64Encoded": b64}


class AlbAdapter:
    """ALB events carry no domain of their own: the Host header is the client's to
    choose. The domain backends see is the configured public name
    (EDGEWAY_DOMAIN_NAME, the stack's DomainName), else ``localhost``, never Host."""

    def __init__(self, domain_name: str | None = None) -> None:
        self.domain_name = domain_name or "localhost"

    @staticmethod
    def infer(event: Mapping[str, Any]) -> bool:
        ctx = event.get("requestContext")
        return isinstance(ctx, Mapping) and "elb" in ctx

    def to_request(self, event: Mapping[str, Any], context: Any) -> Request:
        fields = _v1_fields(event, multi="multiValueHeaders" in event)
        forwarded: str = fields["headers"].get("x-forwarded-for", "")
        return Request(**fields, source_ip=forwarded.split(",")[0].strip(), lambda_context=context,
                       domain_name=self.domain_name)

    def to_result(self, response: Response, event: Mapping[str, Any]) -> dict[str, Any]:
        body, b64 = _encode_body(response)
        result: dict[str, Any] = {
            "statusCode": response.status,
            "statusDescription": f"{response.status} {_reason(response.status)}",
            "body": body, "isBase64Encoded": b64,
        }
        # ALB answers in the shape it was asked in: multi-value only when enabled.
        if "multiValueHeaders" in event:
            result["multiValueHeaders"] = _multi_value(response)
        else:
            headers = dict(response.headers)
            if response.cookies:
                headers["set-cookie"] = response.cookies[-1]  # single-value mode keeps one
            result["headers"] = headers
        return result


def _v1_fields(event: Mapping[str, Any], *, multi: bool) -> dict[str, Any]:
    """What REST API v1 and ALB events spell alike: method, path, headers, query, body."""
    method = _require(event, "httpMethod", str, "event").upper()
    path = _require(event, "path", str, "event")
    if not path.startswith("/"):
        raise BadRequest("malformed event: path is not absolute")
    headers = _headers(event, multi=multi)
    query = _query_from_maps(event)
    raw_query = urlencode([(k, v) for k, vs in query.items() for v in vs], quote_via=quote)
    return {"method": method, "path": path, "headers": headers, "query": query,
            "body": _decode_body(event), "raw_query": raw_query}


def _multi_value(response: Response) -> dict[str, list[str]]:
    multi = {k: [v] for k, v in response.headers.items()}
    if response.cookies:
        multi["set-cookie"] = list(response.cookies)
    return multi


def _query_from_maps(event: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, Mapping) and multi:
        out: dict[str, tuple[str, ...]] = {}
        for k, vs in multi.items():
            if not isinstance(vs, list) or not all(isinstance(v, str) for v in vs):
                raise BadRequest("malformed event: multiValueQueryStringParameters must map to lists")
            out[str(k)] = tuple(vs)
        return out
    single = _optional_map(event, "queryStringParameters")
    for v in single.values():
        if not isinstance(v, str):
            raise BadRequest("malformed event: queryStringParameters must map to strings")
    return {str(k): (v,) for k, v in single.items()}


def parse_query(raw: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in out.items()}


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def adapters_for(domain_name: str | None = None) -> tuple[EventAdapter, ...]:
    """Every adapter, most specific first (a function URL event also looks like an HTTP
    API v2 event); the ALB one names ``domain_name`` as the API's domain."""
    return (FunctionUrlAdapter(), HttpApiV2Adapter(), AlbAdapter(domain_name), RestApiV1Adapter())


def infer(event: Any, among: tuple[EventAdapter, ...] = adapters_for()) -> EventAdapter | None:
    """The adapter for this event, or None when no known source (of ``among``) sent it."""
    if not isinstance(event, Mapping):
        return None
    for adapter in among:
        if adapter.infer(event):
            return adapter
    return None


DEFAULT_ADAPTER: EventAdapter = HttpApiV2Adapter()
"""Used to answer events nobody recognises (a 400 in the HTTP API v2 shape)."""
