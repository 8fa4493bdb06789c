"""The Lambda Invoke API on 127.0.0.1:3001, plus the local stack's control API.

``POST /2015-03-31/functions/{name}/invocations`` is what boto3's
``lambda.invoke`` sends, so the gateway's own client reaches the local
functions unchanged once ``AWS_ENDPOINT_URL_LAMBDA`` points here. The region
comes from the request's SigV4 credential scope (each regional gateway signs
for its own region), then from an ARN, then the home region.

Control API (what ``edgeway region ...`` talks to):
``GET /_edgeway/regions``, ``POST /_edgeway/regions/{name}/down`` and ``/up``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from edgeway_local.httpserver import Handler, Listening, Server
from edgeway_local.lambda_service import LocalLambda
from edgeway_local.regions import RegionStates
from edgeway_local.runtime import function_arn

_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
_REGION_ACTION = re.compile(r"^/_edgeway/regions/(?P<name>[^/]+)/(?P<action>down|up)/?$")
_SCOPE_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[\w-]+)/lambda/")

Reply = tuple[int, list[tuple[str, str]], bytes]
MAX_PAYLOAD = 6_291_456  # Lambda's limit for a synchronous invocation's request


def _json(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return status, [("content-type", "application/json"), *(headers or [])], body


def _aws_error(status: int, code: str, message: str) -> Reply:
    # botocore's rest-json parser reads the code from x-amzn-ErrorType.
    return _json(status, {"Type": "User", "message": message}, [("x-amzn-errortype", code)])


@dataclass
class InvokeApi(Listening):
    host: str
    port: int
    functions: LocalLambda
    states: RegionStates
    _server: Server | None = field(default=None, repr=False)

    def describe(self) -> str:
        return "Lambda Invoke API"

    # -- dispatch ---------------------------------------------------------

    def serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        path = urlsplit(target).path
        if match := _INVOKE.match(path):
            if method != "POST":
                return _aws_error(405, "MethodNotAllowed", "use POST to invoke")
            return self.invoke(unquote(match["name"]), headers, body)
        if path.rstrip("/") == "/_edgeway/regions" and method == "GET":
            return _json(200, {"regions": self.states.snapshot()})
        if (match := _REGION_ACTION.match(path)) and method == "POST":
            return self.set_region(unquote(match["name"]), match["action"] == "down")
        return _json(404, {"message": f"no such endpoint: {method} {path}"})

    def set_region(self, name: str, down: bool) -> Reply:
        try:
            status = self.states.set_down(name, down)
        except KeyError:
            return _json(404, {"message": f"unknown region {name!r}",
                               "regions": list(self.states.names)})
        return _json(200, {"region": status.name, "url": status.url, "down": status.down})

    def invoke(self, name: str, headers: dict[str, str], body: bytes) -> Reply:
        ref = self.functions.lookup(name)
        region = self._region(headers, ref.region if ref else None)
        if ref is None:
            return _aws_error(404, "ResourceNotFoundException",
                              f"Function not found: {function_arn(name, region)}")
        try:
            event = json.loads(body) if body.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _aws_error(400, "InvalidRequestContentException",
                              f"Could not parse request body into json: {exc}")
        kind = headers.get("x-amz-invocation-type", "RequestResponse")
        if kind == "DryRun":
            return 204, [], b""
        if kind == "Event":
            worker = threading.Thread(target=self.functions.invoke, args=(ref.logical_id, event),
                                      kwargs={"region": region}, daemon=True)
            worker.start()
            return 202, [], b""
        if kind != "RequestResponse":
            return _aws_error(400, "InvalidParameterValueException",
                              f"unknown InvocationType {kind!r}")
        result = self.functions.invoke(ref.logical_id, event, region=region)
        reply_headers = [("x-amz-executed-version", "$LATEST"),
                         ("x-amzn-requestid", result.request_id)]
        if result.function_error:
            reply_headers.append(("x-amz-function-error", result.function_error))
        return _json(200, result.payload, reply_headers)

    def _region(self, headers: dict[str, str], arn_region: str | None) -> str:
        scope = _SCOPE_REGION.search(headers.get("authorization", ""))
        return (scope["region"] if scope else None) or arn_region or self.functions.home_region


class _InvokeHandler(Handler):
    def handle_any(self) -> None:
        api: InvokeApi = self.server.app
        body = self.read_body(MAX_PAYLOAD)
        if body is None:
            self.close_connection = True
            status, headers, payload = _aws_error(
                413, "RequestTooLargeException",
                f"Request must be smaller than {MAX_PAYLOAD} bytes for the InvokeFunction operation")
        else:
            lowered = {k.lower(): v for k, v in self.headers.items()}
            status, headers, payload = api.serve(self.command, self.path, lowered, body)
        self.send(status, headers, payload)


InvokeApi.handler = _InvokeHandler
