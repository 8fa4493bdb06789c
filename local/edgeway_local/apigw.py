"""One region's API: an HTTP listener that behaves like an API Gateway HTTP API.

A request is routed by the template's HttpApi events, turned into a
payload-format-2.0 event, run by the local Lambda service in this region, and
the result is answered as API Gateway would. A region marked down answers
503 to everything, so health checks and clients see it fail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from edgeway_local.apigw_event import (
    INTERNAL_ERROR, NOT_FOUND, HttpReply, RouteTable, build_event, error_reply, interpret_result,
    new_request_id,
)
from edgeway_local.httpserver import Handler, Listening, Server
from edgeway_local.lambda_service import LocalLambda
from edgeway_local.regions import RegionStates

# The GSLB health checker's probes (gslb/prober.py) arrive every second from every
# vantage point: they are neither access-logged nor their function logs shown.
PROBE_AGENT = "edgeway-health-checker"
UNAVAILABLE = (503, {"content-type": "application/json"}, b'{"message":"Service Unavailable"}')
TOO_LARGE = (413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')

AccessLog = Callable[[str], None]


@dataclass
class ApiListener(Listening):
    region: str
    host: str
    port: int
    routes: RouteTable
    functions: LocalLambda
    states: RegionStates
    access_log: AccessLog | None = None
    log_probes: bool = False
    _server: Server | None = field(default=None, repr=False)

    def describe(self) -> str:
        return f"{self.region} API"

    def is_probe(self, headers: list[tuple[str, str]]) -> bool:
        if self.log_probes:
            return False
        agent = next((v for k, v in headers if k.lower() == "user-agent"), "")
        return agent.startswith(PROBE_AGENT)

    def serve(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None,
              source_ip: str) -> tuple[HttpReply, str | None]:
        """The reply to one request, and the function that produced it (for the log)."""
        if self.states.is_down(self.region):
            return error_reply(UNAVAILABLE), None
        if body is None:
            return error_reply(TOO_LARGE), None
        parts = urlsplit(target)
        match = self.routes.match(method, parts.path or "/")
        if match is None:
            return error_reply(NOT_FOUND), None
        request_id = new_request_id()
        event = build_event(method=method, raw_path=parts.path or "/", raw_query=parts.query,
                            headers=headers, body=body, source_ip=source_ip, port=self.port,
                            match=match, request_id=request_id, domain=self.host)
        invocation = self.functions.invoke(match.route.function, event, region=self.region,
                                           quiet=self.is_probe(headers))
        reply = interpret_result(invocation.payload) if invocation.ok else error_reply(INTERNAL_ERROR)
        return HttpReply(reply.status, (*reply.headers, ("apigw-requestid", request_id)),
                         reply.body), match.route.function


class _ApiHandler(Handler):
    def error_headers(self) -> list[tuple[str, str]]:
        listener: ApiListener = self.server.app
        return [("x-edgeway-region", listener.region)]

    def handle_any(self) -> None:
        listener: ApiListener = self.server.app
        started = time.monotonic()
        body = self.read_body()
        if body is None:  # not read: the connection cannot be reused
            self.close_connection = True
        headers = list(self.headers.items())
        reply, function = listener.serve(self.command, self.path, headers, body,
                                         self.client_address[0])
        if listener.access_log and not listener.is_probe(headers):
            took = (time.monotonic() - started) * 1000
            listener.access_log(f"{listener.region} | {self.command} {self.path} -> {reply.status}"
                                f" ({function or 'apigw'}, {took:.0f} ms)")
        self.send(reply.status, reply.headers, reply.body)


ApiListener.handler = _ApiHandler
