"""The Lambda backend: the v2 event it sends and how it reads what comes back."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from edgeway.backends.lambda_ import LambdaBackend, parse_result
from edgeway.config import parse_config
from edgeway.context import BuildContext
from edgeway.errors import BackendError, BackendTimeout, ServiceUnavailable
from edgeway.http import Principal, Request
from edgeway.routing import Route
from edgeway.settings import Settings


def request(**kw) -> Request:
    base = dict(method="GET", path="/v1/users/42", headers={"accept": "application/json"},
                query={"a": ("1", "2")}, raw_query="a=1&a=2", request_id="req-12345678",
                source_ip="198.51.100.1", path_params={"id": "42"},
                route=Route(id="users.get", path="/v1/users/{id}", methods=frozenset({"GET"})))
    base.update(kw)
    return Request(**base)


@pytest.fixture
def lambda_client():
    client = boto3.client("lambda", region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber


def payload(data) -> io.BytesIO:
    return io.BytesIO(json.dumps(data).encode())


def test_invokes_with_an_http_api_v2_event(lambda_client) -> None:
    client, stubber = lambda_client
    sent = {}

    def capture(**kwargs):
        sent.update(kwargs)

    stubber.add_response("invoke", {"StatusCode": 200, "Payload": payload(
        {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"id":"42"}'})})
    backend = LambdaBackend("edgeway-dev-Users", qualifier="live", client=client,
                            name="lambda:UsersFunction")
    client.meta.events.register("before-parameter-build.lambda.Invoke",
                                lambda params, **_: capture(**params))
    principal = Principal(subject="alice", kind="jwt", scopes=frozenset({"users:read"}),
                          claims={"sub": "alice"})
    response = backend(request(principal=principal), timeout_s=3)
    assert response.status == 200 and response.json_body() == {"id": "42"}
    assert response.headers["content-type"] == "application/json"
    event = json.loads(sent["Payload"])
    assert sent["FunctionName"] == "edgeway-dev-Users" and sent["Qualifier"] == "live"
    assert event["version"] == "2.0" and event["routeKey"] == "GET /v1/users/{id}"
    assert event["rawQueryString"] == "a=1&a=2"
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["requestContext"]["http"]["sourceIp"] == "198.51.100.1"
    assert event["requestContext"]["authorizer"]["jwt"] == {"claims": {"sub": "alice"},
                                                            "scopes": ["users:read"]}
    assert event["headers"]["x-request-id"] == "req-12345678"


def test_one_client_made_at_build_and_each_call_gets_its_own_budget(lambda_client) -> None:
    client, stubber = lambda_client
    made = []

    class OneClient:
        def get(self, service, *, read_timeout=None, region=None):
            made.append((service, read_timeout))
            return client

    config = parse_config("""
version: 1
routes:
  - {id: a, path: /a, auth: none, timeout_ms: 2500, backend: {type: lambda, function: A}}
  - {id: b, path: /b, auth: none, backend: {type: lambda, function: B}}
gateway: {name: t, default_timeout_ms: 1200}
""")
    ctx = BuildContext(config=config, settings=Settings.from_env({}), clients=OneClient())
    backends = [rc.backend.build(ctx) for rc in config.routes]
    assert made == [("lambda", 3.0), ("lambda", 3.0)]  # the longest route, rounded up
    budgets = []
    client.meta.events.register("before-parameter-build.lambda.Invoke",
                                lambda context, **_: budgets.append(context.get("read_timeout")))
    for timeout_s in (0.7, 2.25):
        stubber.add_response("invoke", {"StatusCode": 200, "Payload": payload({"statusCode": 204})})
        assert backends[0](request(), timeout_s=timeout_s).status == 204
    assert budgets == [0.7, 2.25]


def test_function_error_is_502(lambda_client) -> None:
    client, stubber = lambda_client
    stubber.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled",
                                    "Payload": payload({"errorMessage": "boom"})})
    backend = LambdaBackend("f", qualifier=None, client=client, name="lambda:f")
    with pytest.raises(BackendError):
        backend(request(), timeout_s=1)


def test_throttling_is_503(lambda_client) -> None:
    client, stubber = lambda_client
    stubber.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
    backend = LambdaBackend("f", qualifier=None, client=client, name="lambda:f")
    with pytest.raises(ServiceUnavailable):
        backend(request(), timeout_s=1)


def test_read_timeout_is_504() -> None:
    class TimingOut:
        def invoke(self, **kwargs):
            raise ReadTimeoutError(endpoint_url="http://lambda")

    backend = LambdaBackend("f", qualifier=None, client=TimingOut(), name="lambda:f")
    with pytest.raises(BackendTimeout):
        backend(request(), timeout_s=1)


@pytest.mark.parametrize("raw", [b"not json", b'{"statusCode": "200"}', b'{"statusCode": 999}',
                                 b'{"statusCode": 200, "body": "***", "isBase64Encoded": true}',
                                 b'{"statusCode": 200, "headers": []}'])
def test_garbage_results_are_502(raw: bytes) -> None:
    with pytest.raises(BackendError):
        parse_result(raw, "lambda:f")


def test_result_without_status_code_is_a_200_json_body() -> None:
    response = parse_result(b'{"hello": "world"}', "f")
    assert response.status == 200 and response.json_body() == {"hello": "world"}


def test_base64_result_body_is_decoded() -> None:
    response = parse_result(b'{"statusCode": 200, "body": "AAE=", "isBase64Encoded": true,'
                            b' "headers": {"content-type": "application/octet-stream"},'
                            b' "cookies": ["a=1"]}', "f")
    assert response.body == b"\x00\x01" and response.cookies == ["a=1"]


def test_a_call_times_out_at_its_own_budget_not_the_clients(monkeypatch) -> None:
    # The real botocore path: an Invoke endpoint that holds its answer. The client's read
    # timeout is the longest route's (29 s); a call with 0.3 s left must give up at its own
    # budget. A botocore that ignores the per-request read_timeout (before 1.43.68) waits
    # until the endpoint lets go and returns 200, and this test fails.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from edgeway.clients import Clients

    release = threading.Event()

    class Held(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            release.wait(10)
            body = b'{"statusCode": 200}'
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Held)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "x")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", f"http://127.0.0.1:{server.server_port}")
    config = parse_config("""
version: 1
routes:
  - {id: a, path: /a, auth: none, timeout_ms: 29000, backend: {type: lambda, function: A}}
""")
    ctx = BuildContext(config=config, settings=Settings.from_env({}), clients=Clients("us-east-1"))
    backend = config.routes[0].backend.build(ctx)
    try:
        with pytest.raises(BackendTimeout, match="within 0.3 s"):
            backend(request(), timeout_s=0.3)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
