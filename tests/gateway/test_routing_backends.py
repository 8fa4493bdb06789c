"""Backends: HTTP against a real local server, SQS and EventBridge on moto,
and the sticky weighted canary."""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from edgeway.backends.canary import CanaryBackend
from edgeway.config import parse_config
from edgeway.http import Principal, Request, Response
from edgeway.pipeline import build_gateway
from tests.conftest import NO_AUTH_STAGES, stub_lambda
from edgeway.routing import Route
from edgeway.settings import Settings
from tests.routing_helpers import Recorder, call, event, make_gateway, quiet_obs

# -- HTTP ------------------------------------------------------------------------------


class Upstream:
    """A real HTTP server on 127.0.0.1 that records what it receives."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.release = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None: ...

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                upstream.seen.append({"method": self.command, "path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body})
                if "/slow" in self.path:
                    upstream.release.wait(5)
                if "/moved" in self.path:
                    self.send_response(302)
                    self.send_header("location", "/elsewhere")
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                payload = json.dumps({"ok": True}).encode()
                gzipped = "/gzip" in self.path
                if gzipped:
                    payload = gzip.compress(payload)
                self.send_response(201)
                self.send_header("content-type", "application/json")
                if gzipped:
                    self.send_header("content-encoding", "gzip")
                self.send_header("content-length", str(len(payload)))
                self.send_header("connection", "keep-alive")
                self.send_header("set-cookie", "a=1")
                self.send_header("x-upstream", "yes")
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    with Upstream() as server:
        yield server


def http_gateway(port: int, extra: str = ""):
    return make_gateway(f"""
version: 1
routes:
  - id: users
    path: "/v1/users/{{id:int}}"
    methods: [GET, POST]
    timeout_ms: 300
    backend:
      type: http
      url: http://127.0.0.1:{port}/base
      path: "/people/{{id}}"
      host: users.internal
      forward_headers: [accept, content-type, x-trace]
  - id: passthrough
    path: "/v1/{{rest+}}"
    methods: [ANY]
    timeout_ms: 300
    backend: {{type: http, url: "http://127.0.0.1:{port}/base"{extra}}}
""")


def test_http_backend_forwards_allow_listed_headers_to_the_templated_path(upstream: Upstream) -> None:
    gw = http_gateway(upstream.port)
    answer = call(gw, "POST", "/v1/users/42", query="verbose=1",
                  headers={"content-type": "application/json", "x-trace": "t1",
                           "authorization": "Bearer secret", "cookie": "s=1", "x-other": "no"},
                  body='{"a": 1}')
    assert answer.status == 201 and answer.json == {"ok": True}
    assert answer.headers["x-upstream"] == "yes"
    assert "connection" not in answer.headers  # hop-by-hop headers stay upstream
    seen = upstream.seen[0]
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/base/people/42?verbose=1", b'{"a": 1}')
    h = seen["headers"]
    assert h["host"] == "users.internal" and h["x-trace"] == "t1"
    assert h["x-forwarded-for"] == "203.0.113.9" and len(h["x-request-id"]) >= 8
    assert not {"authorization", "cookie", "x-other"} & set(h)


def test_http_backend_sends_the_path_it_matched_never_a_decoded_one(upstream: Upstream) -> None:
    gw = http_gateway(upstream.port)
    call(gw, "GET", "/v1/files/%252e%252e/a%20b")
    assert upstream.seen[0]["path"] == "/base/v1/files/%252e%252e/a%20b"
    call(gw, "GET", "/v1/files/dir/")
    # One spelling: the trailing slash routing tolerates is the gateway's, never sent on.
    assert upstream.seen[1]["path"] == "/base/v1/files/dir"
    assert call(gw, "GET", "/v1/files/..%2f..%2fadmin").status == 400
    assert len(upstream.seen) == 2


def test_http_redirects_are_returned_not_followed(upstream: Upstream) -> None:
    answer = call(http_gateway(upstream.port), "GET", "/v1/moved")
    assert answer.status == 302 and answer.headers["location"] == "/elsewhere"
    assert len(upstream.seen) == 1


def test_http_compressed_answers_pass_through_as_sent(upstream: Upstream) -> None:
    result = http_gateway(upstream.port)(event("GET", "/v1/gzip", headers={"accept-encoding": "gzip"}))
    assert result["headers"]["content-encoding"] == "gzip"
    body = base64.b64decode(result["body"]) if result["isBase64Encoded"] else result["body"].encode()
    assert json.loads(gzip.decompress(body)) == {"ok": True}  # not decoded on the way through
    assert upstream.seen[0]["headers"]["accept-encoding"] == "gzip"


def test_http_timeout_is_504(upstream: Upstream) -> None:
    answer = call(http_gateway(upstream.port), "GET", "/v1/slow")
    assert answer.status == 504 and answer.json["type"].endswith("/backend-timeout")


def test_http_connection_refused_is_502() -> None:
    from edgeway_local.ports import free_port

    port = free_port()  # nothing listens there
    answer = call(http_gateway(port), "GET", "/v1/anything")
    assert answer.status == 502 and "127.0.0.1" in answer.json["detail"]


# -- SQS and EventBridge ---------------------------------------------------------------


def async_gateway(backend: str):
    config = parse_config(f"""
version: 1
routes:
  - id: orders.create
    path: "/v1/orders/{{kind}}"
    methods: [POST]
    backend: {backend}
""")
    return build_gateway(config, Settings.from_env({"AWS_REGION": "us-east-1"}), obs=quiet_obs(),
                         stages=NO_AUTH_STAGES)


def test_sqs_backend_answers_202_and_enqueues_the_request(aws) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    gw = async_gateway("{type: sqs, queue_url: '" + url + "', status_path: '/v1/jobs/{tracking_id}'}")
    answer = call(gw, "POST", "/v1/orders/express", query="a=1&a=2",
                  headers={"content-type": "application/json", "authorization": "Bearer x",
                           "x-request-id": "req-12345678"},
                  body='{"item": "mug"}')
    assert answer.status == 202
    tracking = answer.json["tracking_id"]
    assert answer.json == {"status": "accepted", "tracking_id": tracking}
    assert answer.headers["x-edgeway-tracking-id"] == tracking
    assert answer.headers["location"] == f"/v1/jobs/{tracking}"
    messages = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    message = json.loads(messages[0]["Body"])
    assert messages[0]["MessageAttributes"]["tracking_id"]["StringValue"] == tracking
    assert message["tracking_id"] == tracking and message["request_id"] == "req-12345678"
    assert (message["method"], message["path"], message["route"]) == ("POST", "/v1/orders/express", "orders.create")
    assert message["params"] == {"kind": "express"} and message["query"] == {"a": ["1", "2"]}
    assert message["body"] == '{"item": "mug"}' and message["body_encoding"] == "utf-8"
    assert message["headers"] == {"content-type": "application/json", "x-request-id": "req-12345678"}
    assert message["principal"] == {"subject": "anonymous", "kind": "anonymous", "consumer": None}


def test_sqs_missing_queue_is_502(aws) -> None:
    gw = async_gateway("{type: sqs, queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/nope'}")
    answer = call(gw, "POST", "/v1/orders/x", body="{}")
    assert answer.status == 502 and "Traceback" not in answer.text


def test_eventbridge_backend_publishes_the_request(aws) -> None:
    import boto3

    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="sink")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name="orders")
    events.put_rule(Name="all", EventBusName="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="all", EventBusName="orders", Targets=[{"Id": "q", "Arn": arn}])
    gw = async_gateway("{type: eventbridge, event_bus: orders, source: shop, detail_type: OrderRequested}")
    answer = call(gw, "POST", "/v1/orders/slow", headers={"content-type": "application/octet-stream"},
                  body="aGVsbG8=")
    assert answer.status == 202 and "location" not in answer.headers
    delivered = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert delivered["source"] == "shop" and delivered["detail-type"] == "OrderRequested"
    assert delivered["detail"]["tracking_id"] == answer.json["tracking_id"]
    assert delivered["detail"]["params"] == {"kind": "slow"}


def test_message_over_256_kib_is_413(aws) -> None:
    gw = async_gateway("{type: eventbridge}")
    big = json.dumps({"x": "y" * 300_000})
    answer = call(gw, "POST", "/v1/orders/x", headers={"content-type": "application/json"}, body=big)
    assert answer.status == 413


# -- canary ----------------------------------------------------------------------------


def named(name: str):
    def backend(request: Request, *, timeout_s: float) -> Response:
        return Response.json({"variant": name})
    return backend


def canary(allow_force: bool = False) -> CanaryBackend:
    return CanaryBackend([("stable", 90, named("stable")), ("next", 10, named("next"))],
                         allow_force=allow_force)


def req(consumer: str | None = None, ip: str = "198.51.100.1", headers: dict | None = None,
        route: str = "users.v2") -> Request:
    principal = Principal(subject=f"sub-{consumer}", kind="api_key", consumer=consumer) if consumer \
        else Principal(subject="anonymous", kind="anonymous")
    return Request(method="GET", path="/v2/users/1", headers=headers or {}, source_ip=ip,
                   principal=principal, route=Route(id=route, path="/v2/users/{id:int}",
                                                    methods=frozenset({"GET"})))


def test_canary_90_10_over_1000_consumers_and_sticky() -> None:
    backend = canary()
    split = Counter(backend.choose(req(f"consumer-{n}")) for n in range(1000))
    assert 850 <= split["stable"] <= 950 and 50 <= split["next"] <= 150
    for n in range(50):  # the same consumer always lands on the same variant
        first = backend.choose(req(f"consumer-{n}", ip="192.0.2.1"))
        assert all(backend.choose(req(f"consumer-{n}", ip=f"192.0.2.{i}")) == first for i in range(2, 6))


def test_canary_salt_is_the_route_so_routes_split_independently() -> None:
    backend = canary()
    a = [backend.choose(req(f"c{n}", route="r1")) for n in range(1000)]
    b = [backend.choose(req(f"c{n}", route="r2")) for n in range(1000)]
    assert a != b


def test_anonymous_callers_split_by_client_ip_through_the_gateway(monkeypatch) -> None:
    recorder = Recorder()
    stub_lambda(monkeypatch, recorder.factory)
    gw = make_gateway("""
version: 1
routes:
  - id: users.v2
    path: "/v2/users/{id:int}"
    backend:
      type: canary
      variants:
        - {name: stable, weight: 90, backend: {type: lambda, function: UsersStable}}
        - {name: next, weight: 10, backend: {type: lambda, function: UsersNext}}
""")
    variants = Counter()
    for n in range(1000):
        answer = call(gw, "GET", "/v2/users/1", ip=f"10.{n // 250}.{n % 250}.7")
        variants[answer.headers["x-edgeway-variant"]] += 1
    assert 850 <= variants["stable"] <= 950 and 50 <= variants["next"] <= 150
    assert Counter(recorder.called) == {"UsersStable": variants["stable"], "UsersNext": variants["next"]}
    # forcing is off by default: the header is ignored
    forced = {call(gw, "GET", "/v2/users/1", ip="10.9.9.9", headers={"x-edgeway-variant": v})
              .headers["x-edgeway-variant"] for v in ("stable", "next")}
    assert len(forced) == 1


def test_forced_variant_when_allowed() -> None:
    backend = canary(allow_force=True)
    for name in ("stable", "next"):
        assert all(backend.choose(req(f"c{n}", headers={"x-edgeway-variant": name})) == name
                   for n in range(20))
    from edgeway.errors import BadRequest
    with pytest.raises(BadRequest, match="unknown variant"):
        backend.choose(req("c1", headers={"x-edgeway-variant": "beta"}))


def test_zero_weight_variant_gets_nobody() -> None:
    backend = CanaryBackend([("a", 1, named("a")), ("b", 0, named("b"))], allow_force=False)
    assert {backend.choose(req(f"c{n}")) for n in range(300)} == {"a"}
