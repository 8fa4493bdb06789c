"""Sample backend: a plain Lambda handler for HTTP API v2 events.

It shows a backend with no web framework at all behind Edgeway.

    GET  /v1/orders?user_id=42   -> 200 {"user_id": "42", "orders": [...]}
    POST /v1/orders              -> 201 the created order, with its id
                                    (JSON body: user_id, item, quantity)

Orders are derived from the user id alone, so every region and every test sees
the same data without a database; a created order is echoed, not stored.

Failing on purpose (for the aggregation and resilience demos):
- environment ``ORDERS_FAIL=1``: every request answers 500;
- header ``x-demo-fail: 1``: that request answers 500;
- header ``x-demo-delay-ms: N``: that request waits N ms first (at most 5000),
  to watch a gateway timeout (504) or a partial aggregate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 64 * 1024
MAX_DELAY_MS = 5000
_USER_ID = re.compile(r"[1-9][0-9]{0,9}")

# (item, unit price in cents)
_CATALOGUE = (
    ("Espresso beans, 1 kg", 2490), ("Pour-over kettle", 5900), ("Burr grinder", 12900),
    ("Ceramic dripper", 2200), ("Paper filters x100", 650), ("Travel mug", 1890),
    ("Milk frother", 3450), ("Digital scale", 2990),
)
_STATUSES = ("delivered", "shipped", "processing")
_EPOCH_2026 = 1767225600  # 2026-01-01T00:00:00Z

logger = logging.getLogger("edgeway.orders")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything this function reads from its environment, read once."""

    always_fail: bool

    @classmethod
    def from_env(cls) -> Settings:
        return cls(always_fail=os.environ.get("ORDERS_FAIL", "0").strip().lower()
                   in ("1", "true", "yes"))


SETTINGS = Settings.from_env()


class Problem(Exception):
    """An HTTP error answered as problem+json (RFC 9457)."""

    TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
              413: "Content Too Large", 415: "Unsupported Media Type",
              500: "Internal Server Error"}

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def orders_for(user_id: str) -> list[dict[str, Any]]:
    """The orders of a user (pure, deterministic; two or three of them)."""
    digest = hashlib.sha256(f"orders:{user_id}".encode()).digest()
    orders = []
    for n in range(2 + digest[0] % 2):
        item, price = _CATALOGUE[digest[1 + n] % len(_CATALOGUE)]
        quantity = 1 + digest[4 + n] % 3
        created = _EPOCH_2026 + int.from_bytes(digest[8 + 2 * n:10 + 2 * n], "big") * 60
        orders.append({
            "id": f"ord-{user_id}-{n + 1}",
            "item": item,
            "quantity": quantity,
            "total_cents": price * quantity,
            "currency": "EUR",
            "status": _STATUSES[digest[7 + n] % len(_STATUSES)],
            "created_at": datetime.fromtimestamp(created, timezone.utc)
                                  .strftime("%Y-%m-%dT%H:%M:%SZ"),
        })
    return orders


def list_orders(query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    user_id = query.get("user_id", "")
    if not _USER_ID.fullmatch(user_id):
        raise Problem(400, "query parameter user_id must be a positive integer")
    return 200, {"user_id": user_id, "orders": orders_for(user_id)}


def _whole(value: Any) -> Any:
    """96.0 as 96: JSON Schema's `integer` (the gateway's route schema) is any number
    with a zero fraction, so what the schema accepts this backend accepts too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def create_order(headers: dict[str, str], body: bytes, request_id: str) -> tuple[int, dict[str, Any]]:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Problem(415, "send the order as application/json")
    try:
        order = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Problem(400, "the body is not valid JSON") from exc
    if not isinstance(order, dict):
        raise Problem(400, "the body must be a JSON object")
    user_id, item = _whole(order.get("user_id")), order.get("item")
    quantity = _whole(order.get("quantity"))
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
        raise Problem(400, "user_id must be a positive integer")
    if not isinstance(item, str) or not 0 < len(item.strip()) <= 200:
        raise Problem(400, "item must be a non-empty string of at most 200 characters")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 100:
        raise Problem(400, "quantity must be an integer from 1 to 100")
    # Same request, same id: a retried delivery does not invent a second order.
    order_id = "ord-" + hashlib.sha256(request_id.encode() + b"\0" + body).hexdigest()[:16]
    return 201, {"id": order_id, "user_id": user_id, "item": item.strip(),
                 "quantity": quantity, "status": "pending"}


def handle(event: Any, settings: Settings) -> dict[str, Any]:
    """One HTTP API v2 event in, one HTTP API v2 response out."""
    method, path, headers, query, body, request_id = _read_event(event)
    if settings.always_fail or headers.get("x-demo-fail", "").strip() == "1":
        raise Problem(500, "orders failed on purpose (demo)")
    delay = headers.get("x-demo-delay-ms", "").strip()
    if delay:
        if not delay.isdigit():
            raise Problem(400, "x-demo-delay-ms must be a whole number of milliseconds")
        time.sleep(min(int(delay), MAX_DELAY_MS) / 1000)
    if path != "/v1/orders":
        raise Problem(404, f"no route for {path}")
    if method == "GET":
        status, payload = list_orders(query)
    elif method == "POST":
        status, payload = create_order(headers, body, request_id)
    else:
        raise Problem(405, f"{method} is not allowed here", headers={"allow": "GET, POST"})
    response_headers = {"content-type": "application/json"}
    if status == 201:
        response_headers["location"] = f"/v1/orders/{payload['id']}"
    return _response(status, payload, response_headers)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point, and the one boundary that turns errors into answers."""
    try:
        return handle(event, SETTINGS)
    except Problem as problem:
        return _problem_response(problem, event)
    except Exception:
        # A bug: the traceback goes to the log, a plain 500 to the caller.
        logger.exception("orders failed")
        return _problem_response(Problem(500, "the orders service failed"), event)


def _problem_response(problem: Problem, event: Any) -> dict[str, Any]:
    body = {"type": "about:blank", "title": Problem.TITLES.get(problem.status, "Error"),
            "status": problem.status, "detail": problem.detail, "instance": _request_id(event)}
    return _response(problem.status, body, {"content-type": PROBLEM_JSON, **problem.headers})


def _read_event(event: Any) -> tuple[str, str, dict[str, str], dict[str, str], bytes, str]:
    """(method, path, lower-cased headers, query, body, request id) of a v2 event."""
    try:
        http = event["requestContext"]["http"]
        method, path = http["method"], event.get("rawPath") or http["path"]
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        query = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
        raw = event.get("body") or ""
    except (KeyError, TypeError, AttributeError) as exc:
        raise Problem(400, "not an HTTP API v2 (payload format 2.0) event") from exc
    if not isinstance(method, str) or not isinstance(path, str) or not isinstance(raw, str):
        raise Problem(400, "not an HTTP API v2 (payload format 2.0) event")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Problem(400, "the body is not valid base64") from exc
    else:
        body = raw.encode()
    if len(body) > MAX_BODY_BYTES:
        raise Problem(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    return method.upper(), path, headers, query, body, _request_id(event)


def _request_id(event: Any) -> str:
    try:
        request_id = event["requestContext"]["requestId"]
    except (KeyError, TypeError):
        return ""
    return request_id if isinstance(request_id, str) else ""


def _response(status: int, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    return {"statusCode": status, "headers": headers,
            "body": json.dumps(body, separators=(",", ":")), "isBase64Encoded": False}
