"""The Lambda Invoke API through a real boto3 Lambda client, and the control API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from edgeway_local.invoke_api import InvokeApi
from edgeway_local.lambda_service import LocalLambda
from edgeway_local.ports import free_port
from edgeway_local.regions import RegionStates


@pytest.fixture
def api(functions: LocalLambda) -> Iterator[InvokeApi]:
    states = RegionStates({"us-east-1": "http://127.0.0.1:3000",
                           "eu-west-1": "http://127.0.0.1:3002"})
    server = InvokeApi("127.0.0.1", free_port(), functions, states).start()
    yield server
    server.stop()


def _client(api: InvokeApi, region: str = "us-east-1") -> Any:
    return boto3.client("lambda", region_name=region, endpoint_url=api.url,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": 1}))


def _payload(result: dict[str, Any]) -> Any:
    return json.loads(result["Payload"].read())


def test_invoke_by_logical_id_returns_the_result(api: InvokeApi) -> None:
    result = _client(api).invoke(FunctionName="EchoFunction", Payload=b'{"hello": "world"}')
    assert result["StatusCode"] == 200
    assert "FunctionError" not in result
    assert result["ExecutedVersion"] == "$LATEST"
    assert _payload(result)["event"] == {"hello": "world"}


def test_invoke_by_arn_and_region_of_the_signature(api: InvokeApi) -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:EchoFunction:$LATEST"
    body = _payload(_client(api, "eu-west-1").invoke(FunctionName=arn, Payload=b"{}"))
    assert body["env"]["AWS_REGION"] == "eu-west-1"
    # A client signing for us-east-1 reaches the us-east-1 containers.
    body = _payload(_client(api, "us-east-1").invoke(FunctionName="EchoFunction"))
    assert body["env"]["AWS_REGION"] == "us-east-1"
    assert body["event"] == {}  # no payload: Lambda passes an empty object


def test_invoke_by_the_templates_function_name(api: InvokeApi) -> None:
    # BackendFunction has FunctionName: ${AWS::StackName}-backend (a Mangum app).
    event = (Path(__file__).parent.parent / "events" / "http_api_v2.json").read_bytes()
    result = _client(api).invoke(FunctionName="edgeway-local-backend", Payload=event)
    assert "FunctionError" not in result
    assert json.loads(_payload(result)["body"])["id"] == "42"


def test_function_error_sets_x_amz_function_error(api: InvokeApi) -> None:
    result = _client(api).invoke(FunctionName="FaultsFunction", Payload=b'{"action": "raise"}')
    assert result["StatusCode"] == 200
    assert result["FunctionError"] == "Unhandled"
    error = _payload(result)
    assert error["errorType"] == "ValueError" and error["stackTrace"]


def test_unknown_function_is_resource_not_found(api: InvokeApi) -> None:
    client = _client(api)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
        client.invoke(FunctionName="NoSuchFunction", Payload=b"{}")
    assert "NoSuchFunction" in str(info.value)


def test_invalid_json_payload_is_rejected(api: InvokeApi) -> None:
    client = _client(api)
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="EchoFunction", Payload=b"{not json")


def test_a_request_over_6_mb_is_refused(api: InvokeApi) -> None:
    client = _client(api)
    with pytest.raises(client.exceptions.RequestTooLargeException):
        client.invoke(FunctionName="EchoFunction",
                      Payload=json.dumps({"blob": "x" * (6 * 1024 * 1024)}).encode())


def test_event_invocation_is_accepted_without_waiting(api: InvokeApi) -> None:
    result = _client(api).invoke(FunctionName="EchoFunction", InvocationType="Event",
                                 Payload=b"{}")
    assert result["StatusCode"] == 202
    dry = _client(api).invoke(FunctionName="EchoFunction", InvocationType="DryRun")
    assert dry["StatusCode"] == 204


def _call(api: InvokeApi, method: str, path: str) -> tuple[int, Any]:
    request = urllib.request.Request(api.url + path, method=method,
                                     data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_control_api_marks_regions_down_and_up(api: InvokeApi) -> None:
    assert _call(api, "GET", "/_edgeway/regions") == (200, {"regions": {
        "us-east-1": {"url": "http://127.0.0.1:3000", "down": False},
        "eu-west-1": {"url": "http://127.0.0.1:3002", "down": False}}})
    status, body = _call(api, "POST", "/_edgeway/regions/eu-west-1/down")
    assert (status, body["down"]) == (200, True)
    assert api.states.is_down("eu-west-1")
    assert _call(api, "GET", "/_edgeway/regions")[1]["regions"]["eu-west-1"]["down"] is True
    _call(api, "POST", "/_edgeway/regions/eu-west-1/up")
    assert not api.states.is_down("eu-west-1")


def test_control_api_rejects_unknown_regions_and_paths(api: InvokeApi) -> None:
    status, body = _call(api, "POST", "/_edgeway/regions/mars-north-1/down")
    assert status == 404 and "mars-north-1" in body["message"]
    assert body["regions"] == ["us-east-1", "eu-west-1"]
    assert _call(api, "GET", "/nothing/here")[0] == 404
