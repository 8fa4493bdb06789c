"""DynamoDB throttling, 5xx and timeouts: the plan's policy holds, nothing counts twice.

The gateway's DynamoDB endpoint is a tiny HTTP proxy on loopback in front of
moto server; each test sets what it does to the next requests.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.ratelimit_support import RecordingObs, body, event, make_gateway
from tests.ratelimit.conftest import routes_yaml

CONFIG = routes_yaml("rl-faults") + """\
plans:
  shut:
    rate: {per_second: 10, burst: 20}
    quotas: {day: 3}
  ajar:
    rate: {per_second: 10, burst: 20}
    quotas: {day: 3}
    on_error: open
  nearby:
    rate: {per_second: 10, burst: 20}
    quotas: {day: 1000}
    on_error: local
    local_fraction: 0.25
"""

THROTTLE = ("400", "ProvisionedThroughputExceededException")
SERVER_ERROR = ("500", "InternalServerError")


class FaultyEndpoint:
    """Forwards to moto, or throttles, fails, or hangs (before or after forwarding)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.mode = "pass"
        self.updates = 0  # UpdateItem requests seen
        self.release = threading.Event()
        fault = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None: ...

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", 0)))
                target = self.headers.get("x-amz-target", "")
                mode = fault.mode if target.endswith("UpdateItem") else "pass"
                if target.endswith("UpdateItem"):
                    fault.updates += 1
                if mode in ("throttle", "error"):
                    status, code = THROTTLE if mode == "throttle" else SERVER_ERROR
                    payload = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                                          "message": "injected"}).encode()
                    return self._answer(int(status), payload)
                if mode == "hang":
                    fault.release.wait(10)
                    return None
                status, payload = fault.forward(self.path, data, dict(self.headers))
                if mode == "apply_then_hang":
                    fault.release.wait(10)  # the write applied; the answer never comes in time
                    return None
                return self._answer(status, payload)

            def _answer(self, status: int, payload: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/x-amz-json-1.0")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, path: str, data: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=10)
        try:
            conn.request("POST", path, body=data, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def faulty(moto) -> Iterator[FaultyEndpoint]:
    endpoint = FaultyEndpoint(moto.url)
    try:
        yield endpoint
    finally:
        endpoint.close()


def gateway(faulty: FaultyEndpoint, obs: RecordingObs | None = None):
    # A short read timeout: a hung DynamoDB answer becomes a timeout quickly.
    return make_gateway(CONFIG, faulty.url, obs=obs, read_timeout=0.3)


def test_throttled_counters_fail_closed_with_503_and_retry_after(moto, faulty, stub_backend) -> None:
    obs = RecordingObs()
    gw = gateway(faulty, obs)
    faulty.mode = "throttle"
    result = gw(event(consumer="t1", plan="shut"), None)
    assert result["statusCode"] == 503
    assert result["headers"]["content-type"] == "application/problem+json"
    assert result["headers"]["retry-after"] == "1"
    assert "traceback" not in json.dumps(body(result)).lower()
    assert obs.total("RateLimitStoreErrors", plan="shut", on_error="closed", error="throttled") == 1
    assert obs.warnings and obs.warnings[0][0] == "rate-limit counters unavailable"
    assert faulty.updates == 1  # not retried
    assert moto.item("rl#t1", "s0") == {}  # a throttled write applies nothing


def test_server_errors_fail_open_when_the_plan_says_so(moto, faulty, stub_backend) -> None:
    obs = RecordingObs()
    gw = gateway(faulty, obs)
    faulty.mode = "error"
    result = gw(event(consumer="t2", plan="ajar"), None)
    assert result["statusCode"] == 200
    assert "ratelimit" not in result["headers"]  # we do not know what is left
    assert obs.total("RateLimitStoreErrors", plan="ajar", on_error="open", error="error") == 1
    assert faulty.updates == 1


def test_timeouts_fall_back_to_a_local_bucket_at_a_fraction_of_the_rate(moto, faulty,
                                                                       stub_backend) -> None:
    gw = gateway(faulty)
    faulty.mode = "hang"
    codes = [gw(event(consumer="t3", plan="nearby"), None)["statusCode"] for _ in range(7)]
    # burst 20 x 0.25 = 5 in this container, then the local bucket refuses.
    assert codes == [200] * 5 + [429] * 2
    assert faulty.updates == 7  # every request tried the counter once, none twice


@pytest.mark.parametrize("plan, status", [("shut", 503), ("ajar", 200)])
def test_a_timeout_after_the_write_applied_is_never_counted_twice(moto, faulty, stub_backend,
                                                                  plan, status) -> None:
    gw = gateway(faulty)
    consumer = f"late-{plan}"
    assert gw(event(consumer=consumer, plan=plan), None)["statusCode"] == 200  # 1 of 3
    faulty.mode, faulty.updates = "apply_then_hang", 0
    assert gw(event(consumer=consumer, plan=plan), None)["statusCode"] == status
    assert faulty.updates == 1  # the check was sent once: no retry of an unknown outcome
    assert moto.item(f"rl#{consumer}", "s0")["dc"] == {"N": "2"}  # it did apply, once
    faulty.mode = "pass"
    # The quota is 3: the applied-but-unanswered unit counts once, so one remains.
    codes = [gw(event(consumer=consumer, plan=plan), None)["statusCode"] for _ in range(2)]
    assert codes == [200, 429]
    assert moto.item(f"rl#{consumer}", "s0")["dc"] == {"N": "3"}


def test_usage_write_failure_is_logged_and_does_not_fail_the_request(moto, faulty,
                                                                    stub_backend) -> None:
    obs = RecordingObs()
    gw = gateway(faulty, obs)
    calls = {"n": 0}
    original = faulty.forward

    def fail_second(path: str, data: bytes, headers: dict[str, str]):
        calls["n"] += 1
        if b"usage#" in data:
            return 500, json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                    "message": "injected"}).encode()
        return original(path, data, headers)

    faulty.forward = fail_second  # type: ignore[method-assign]
    result = gw(event(consumer="t5", plan="shut"), None)
    assert result["statusCode"] == 200
    assert obs.total("UsageWriteErrors") == 1
    assert moto.item("rl#t5", "s0")["dc"] == {"N": "1"}
