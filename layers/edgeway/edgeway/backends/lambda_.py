"""Lambda backend: invoke a function synchronously with an HTTP API v2 event.

The event is built the way API Gateway builds it (payload 2.0), and the result
read as HTTP APIs read it, so an ASGI app behind Mangum or a plain HTTP API
handler runs behind Edgeway unchanged. Verified JWT claims travel in
``requestContext.authorizer.jwt`` exactly where API Gateway's JWT authorizer
puts them; an API-key consumer travels in ``requestContext.authorizer.lambda``.

The Lambda client is created once, at build, with the longest route timeout of
the config as its read timeout. Each call's own budget (the route's timeout or
what the invocation has left, whichever is less) goes to botocore as a
per-request read timeout through the request context, which botocore honours
from 1.43.68 on (the layer ships that botocore; see its requirements.txt).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import dataclasses
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.adapters import is_text
from edgeway.backends import MAX_RESPONSE_BYTES, Site
from edgeway.context import BuildContext
from edgeway.errors import BackendError, BackendTimeout, ServiceUnavailable
from edgeway.http import Request, Response
from edgeway.routing import canonical_path


# The budget of the Invoke call in progress on this thread (read by _read_timeout).
_BUDGET_S: contextvars.ContextVar[float | None] = contextvars.ContextVar("budget", default=None)


def _read_timeout(context: dict[str, Any], **_: Any) -> None:
    budget = _BUDGET_S.get()
    if budget is not None:
        context["read_timeout"] = budget


@dataclass(frozen=True, slots=True)
class LambdaBackend:
    """``type: lambda``: a template function (logical id, mapped at build) or an ARN. The
    compile leaves it without a client; ``build`` gives it the deployed name and the client."""
    function: str
    qualifier: str | None
    name: str
    client: Any = None

    @classmethod
    def compile(cls, raw: Mapping[str, Any], site: Site) -> LambdaBackend:
        name = raw["function"]
        if site.functions is not None and not name.startswith("arn:") and name not in site.functions:
            known = ", ".join(sorted(site.functions)) or "none"
            raise site.at("function").error(
                f"the template defines no function {name!r} (it defines: {known})")
        return cls(name, raw.get("qualifier"), f"lambda:{name}")

    def build(self, ctx: BuildContext) -> LambdaBackend:
        # The gateway's one Lambda client (Clients keeps it): its read timeout the longest route's.
        longest_ms = max((rc.timeout_ms for rc in ctx.config.routes), default=30_000)
        client = ctx.clients.get("lambda", read_timeout=float(max(1, math.ceil(longest_ms / 1000))))
        client.meta.events.register("provide-client-params.lambda.Invoke", _read_timeout,
                                    unique_id="edgeway-call-budget")
        deployed = ctx.settings.function_map.get(self.function, self.function)
        return dataclasses.replace(self, function=deployed, client=client)

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

        route_key = f"{request.method} {request.route.path if request.route else request.path}"
        payload = json.dumps(build_event(request, route_key=route_key)).encode()
        kwargs: dict[str, Any] = {"FunctionName": self.function, "Payload": payload}
        if self.qualifier:
            kwargs["Qualifier"] = self.qualifier
        budget = _BUDGET_S.set(timeout_s)
        try:
            result = self.client.invoke(**kwargs)
            raw = result["Payload"].read(MAX_RESPONSE_BYTES + 1)
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise BackendTimeout(f"{self.name} did not answer within {timeout_s:.1f} s") from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("TooManyRequestsException", "ServiceException", "EC2ThrottledException"):
                raise ServiceUnavailable(f"{self.name} is throttled or unavailable",
                                         headers={"retry-after": "1"}) from exc
            raise BackendError(f"{self.name} could not be invoked ({code or 'error'})") from exc
        except BotoCoreError as exc:
            raise BackendError(f"{self.name} could not be reached") from exc
        finally:
            _BUDGET_S.reset(budget)
        if len(raw) > MAX_RESPONSE_BYTES:
            raise BackendError(f"{self.name} answered more than 6 MB")
        if result.get("FunctionError"):
            raise BackendError(f"{self.name} failed ({result['FunctionError']})")
        return parse_result(raw, self.name)


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
    principal = request.principal
    if principal.kind == "jwt":
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": dict(principal.claims), "scopes": sorted(principal.scopes)}}
    elif principal.kind == "api_key":
        event["requestContext"]["authorizer"] = {"lambda": {
            "consumer": principal.consumer, "plan": principal.plan, "keyId": principal.key_id}}
    body = request.body
    if body and is_text(headers.get("content-type")):
        with contextlib.suppress(UnicodeDecodeError):
            event["body"] = body.decode("utf-8")
    if body and "body" not in event:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def parse_result(raw: bytes, name: str) -> Response:
    """Interpret a function's result as API Gateway HTTP APIs do (format 2.0)."""
    try:
        payload = json.loads(raw) if raw else None
    except ValueError as exc:
        raise BackendError(f"{name} answered invalid JSON") from exc
    if not (isinstance(payload, dict) and "statusCode" in payload):
        # A result without statusCode is the body of a 200 (HTTP API semantics).
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return Response(status=200, headers={"content-type": "application/json"},
                        body=body.encode())
    status = payload.get("statusCode")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise BackendError(f"{name} answered an invalid statusCode")
    headers: dict[str, str] = {}
    for source in ("headers", "multiValueHeaders"):
        values = payload.get(source)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise BackendError(f"{name} answered malformed {source}")
        for key, value in values.items():
            value = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            headers[str(key).lower()] = value
    cookies = payload.get("cookies") or []
    if not isinstance(cookies, list):
        raise BackendError(f"{name} answered malformed cookies")
    if "set-cookie" in headers:
        cookies = [*cookies, headers.pop("set-cookie")]
    body = payload.get("body") or ""
    if not isinstance(body, str):
        body = json.dumps(body)
    if payload.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError as exc:  # binascii.Error is one
            raise BackendError(f"{name} answered a body that is not valid base64") from exc
    else:
        data = body.encode()
    return Response(status=status, headers=headers, body=data, cookies=[str(c) for c in cookies])
