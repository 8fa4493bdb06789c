"""Asynchronous backends: the request becomes a message (SQS) or an event
(EventBridge) and the client gets ``202 Accepted`` with a tracking id.

The message is the same JSON document for both targets (``build_message``, the
contract docs/backends.md shows). The tracking id travels in the body, in
``x-edgeway-tracking-id`` and, when the backend names a ``status_path`` such as
``/v1/jobs/{tracking_id}``, in ``Location``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from edgeway.backends import Site
from edgeway.clients import Clients
from edgeway.context import BuildContext
from edgeway.errors import BackendError, BackendTimeout, PayloadTooLarge, ServiceUnavailable
from edgeway.http import Request, Response

MAX_MESSAGE_BYTES = 256 * 1024  # SQS and EventBridge entry limit
DEFAULT_MESSAGE_HEADERS = ("content-type", "accept-language", "user-agent", "x-request-id")
_THROTTLED = frozenset({"ThrottlingException", "RequestThrottled", "Throttling",
                        "ServiceUnavailable", "InternalFailure", "InternalError"})


def build_message(request: Request, tracking_id: str, headers: tuple[str, ...]) -> dict[str, Any]:
    try:
        body, encoding = request.body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(request.body).decode("ascii"), "base64"
    principal = request.principal
    return {
        "version": "1",
        "tracking_id": tracking_id,
        "request_id": request.request_id,
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "route": request.route.id if request.route else None,
        "method": request.method,
        "path": request.path,
        "params": dict(request.path_params),
        "query": {k: list(v) for k, v in request.query.items()},
        "headers": {h: request.headers[h] for h in headers if h in request.headers},
        "body": body,
        "body_encoding": encoding,
        "principal": {"subject": principal.subject, "kind": principal.kind,
                      "consumer": principal.consumer},
    }


@dataclass(frozen=True, slots=True)
class SqsTarget:
    """``type: sqs``: a queue, the headers copied into the message, the status path."""
    queue_url: str
    headers: tuple[str, ...]
    status_path: str | None
    name: str
    service: ClassVar[str] = "sqs"

    @classmethod
    def compile(cls, raw: Mapping[str, Any], site: Site) -> SqsTarget:
        url = raw["queue_url"]
        return cls(url, _headers(raw), raw.get("status_path"), f"sqs:{url.rsplit('/', 1)[-1]}")

    def build(self, ctx: BuildContext) -> MessageBackend:
        return MessageBackend(self, ctx.clients)

    def send(self, client: Any, payload: str, tracking_id: str, request: Request) -> None:
        kwargs: dict[str, Any] = {
            "QueueUrl": self.queue_url, "MessageBody": payload,
            "MessageAttributes": {
                "tracking_id": {"DataType": "String", "StringValue": tracking_id},
                "route": {"DataType": "String",
                          "StringValue": request.route.id if request.route else "-"},
            },
        }
        if self.queue_url.endswith(".fifo"):
            # One group per consumer keeps a consumer's messages in order without
            # serialising the whole queue.
            kwargs["MessageGroupId"] = request.principal.consumer or request.principal.subject
            kwargs["MessageDeduplicationId"] = tracking_id
        client.send_message(**kwargs)


@dataclass(frozen=True, slots=True)
class EventBridgeTarget:
    """``type: eventbridge``: a bus, the event's source and detail-type, as for SQS."""
    event_bus: str
    source: str
    detail_type: str | None
    headers: tuple[str, ...]
    status_path: str | None
    name: str
    service: ClassVar[str] = "events"

    @classmethod
    def compile(cls, raw: Mapping[str, Any], site: Site) -> EventBridgeTarget:
        bus = raw.get("event_bus", "default")
        return cls(bus, raw.get("source", "edgeway"), raw.get("detail_type"), _headers(raw),
                   raw.get("status_path"), f"eventbridge:{bus}")

    def build(self, ctx: BuildContext) -> MessageBackend:
        return MessageBackend(self, ctx.clients)

    def send(self, client: Any, payload: str, tracking_id: str, request: Request) -> None:
        result = client.put_events(Entries=[{
            "EventBusName": self.event_bus, "Source": self.source,
            "DetailType": self.detail_type or (request.route.id if request.route else "request"),
            "Detail": payload,
        }])
        if result.get("FailedEntryCount"):
            code = (result.get("Entries") or [{}])[0].get("ErrorCode", "error")
            if code in _THROTTLED:
                raise ServiceUnavailable(f"{self.name} is throttled", headers={"retry-after": "1"})
            raise BackendError(f"{self.name} refused the event ({code})")


def _headers(raw: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(h.lower() for h in raw.get("forward_headers", DEFAULT_MESSAGE_HEADERS))


class MessageBackend:
    """Either target: the message, its size limit, the 202, and AWS's errors mapped."""

    def __init__(self, target: SqsTarget | EventBridgeTarget, clients: Clients) -> None:
        self.target = target
        self.name = target.name
        self._clients = clients

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError,
                                         ReadTimeoutError)

        target = self.target
        tracking_id = str(uuid.uuid4())
        payload = json.dumps(build_message(request, tracking_id, target.headers),
                             separators=(",", ":"), ensure_ascii=False)
        if len(payload.encode()) > MAX_MESSAGE_BYTES:
            raise PayloadTooLarge(
                f"the request does not fit in one {target.service} message (256 KiB)")
        try:
            target.send(self._clients.get(target.service), payload, tracking_id, request)
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise BackendTimeout(f"{self.name} did not accept the message in time") from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _THROTTLED:
                raise ServiceUnavailable(f"{self.name} is throttled or unavailable",
                                         headers={"retry-after": "1"}) from exc
            raise BackendError(f"{self.name} refused the message ({code or 'error'})") from exc
        except BotoCoreError as exc:
            raise BackendError(f"{self.name} could not be reached") from exc
        headers = {"x-edgeway-tracking-id": tracking_id}
        if target.status_path:
            headers["location"] = target.status_path.replace("{tracking_id}", tracking_id)
        return Response.json({"status": "accepted", "tracking_id": tracking_id}, status=202,
                             headers=headers)
