"""The local Lambda runtime: containers as worker processes, Lambda's error shapes."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edgeway_local.lambda_service import LocalLambda

from .conftest import LogCapture


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def test_one_cold_start_per_container_then_warm(functions: LocalLambda) -> None:
    first = functions.invoke("EchoFunction", {"n": 1})
    second = functions.invoke("EchoFunction", {"n": 2})
    assert first.ok and second.ok
    # Same container, module imported once: its in-memory state survives.
    assert second.payload["pid"] == first.payload["pid"]
    assert (first.payload["invocations"], second.payload["invocations"]) == (1, 2)
    assert second.payload["event"] == {"n": 2}


def test_a_container_looks_like_lambda(functions: LocalLambda) -> None:
    result = functions.invoke("EchoFunction", {}, region="eu-west-1").payload
    env, context = result["env"], result["context"]
    assert env["AWS_REGION"] == "eu-west-1"
    assert env["REGION_LABEL"] == "echo-in-eu-west-1"
    assert env["EDGEWAY_KEYS_TABLE"] == "edgeway-local-KeysTable"
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_ENDPOINT_URL_LAMBDA"].startswith("http://127.0.0.1:")
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "EchoFunction"
    # moto answers one request at a time: counter checks get longer than the cloud's 1 s.
    assert env["EDGEWAY_COUNTER_TIMEOUT_S"] == "5"
    # LoggingConfig becomes Lambda's own variables (Powertools obeys AWS_LAMBDA_LOG_LEVEL).
    assert (env["AWS_LAMBDA_LOG_FORMAT"], env["AWS_LAMBDA_LOG_LEVEL"]) == ("JSON", "INFO")
    assert result["layer"] == "fixturelib-layer"  # the layer is importable, as from /opt
    assert result["cwd"].endswith("functions/echo")  # like /var/task
    assert context["function_name"] == "EchoFunction"
    assert context["invoked_function_arn"] == \
        "arn:aws:lambda:eu-west-1:123456789012:function:EchoFunction"
    assert context["memory_limit_in_mb"] == 256
    assert 0 < context["remaining_ms"] <= 10_000


def test_regions_get_separate_containers(functions: LocalLambda) -> None:
    east = functions.invoke("EchoFunction", {}, region="us-east-1").payload
    west = functions.invoke("EchoFunction", {}, region="eu-west-1").payload
    assert east["pid"] != west["pid"]
    assert (east["env"]["AWS_REGION"], west["env"]["AWS_REGION"]) == ("us-east-1", "eu-west-1")


def test_concurrent_invocations_run_in_separate_containers(functions: LocalLambda,
                                                            tmp_path: Path) -> None:
    # Each call waits until all three have started: that only completes if they run
    # at the same time, each in its own single-concurrency container.
    event = {"action": "barrier", "dir": str(tmp_path), "parties": 3}
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: functions.invoke("FaultsFunction", event), range(3)))
    assert all(r.ok for r in results), [r.payload for r in results]
    assert all(r.payload["met"] for r in results)
    assert len({r.payload["pid"] for r in results}) == 3
    assert functions.pool("FaultsFunction", "us-east-1").size == 3


def test_the_pool_never_grows_past_its_cap(logs: LogCapture, tmp_path: Path) -> None:
    from .conftest import TEMPLATE
    from edgeway_local.template import load_template

    capped = LocalLambda({"us-east-1": load_template(TEMPLATE)}, log=logs, max_workers=2)
    try:
        with ThreadPoolExecutor(5) as pool:
            pids = set(pool.map(lambda _: capped.invoke("FaultsFunction", {}).payload["pid"],
                                range(5)))
        assert 1 <= len(pids) <= 2
        assert capped.pool("FaultsFunction", "us-east-1").size <= 2
    finally:
        capped.close()


def test_timeout_kills_the_container_and_reports_like_lambda(functions: LocalLambda) -> None:
    before = functions.invoke("FaultsFunction", {}).payload["pid"]
    result = functions.invoke("FaultsFunction", {"action": "hang"})  # Timeout: 1 in the template
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.payload["errorMessage"]
    assert not _alive(before)
    after = functions.invoke("FaultsFunction", {})
    assert after.ok and after.payload["pid"] != before  # a fresh container took over


def test_unhandled_exception_has_lambdas_error_shape(functions: LocalLambda,
                                                     logs: LogCapture) -> None:
    pid = functions.invoke("FaultsFunction", {}).payload["pid"]
    result = functions.invoke("FaultsFunction", {"action": "raise", "detail": "bad input"})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "ValueError"
    assert result.payload["errorMessage"] == "boom: bad input"
    assert result.payload["requestId"] == result.request_id
    assert any("faults/app.py" in frame for frame in result.payload["stackTrace"])
    assert not any("edgeway_local" in frame for frame in result.payload["stackTrace"])
    # The container survives an exception, as on Lambda.
    assert functions.invoke("FaultsFunction", {}).payload["pid"] == pid
    functions.close()  # joins the log forwarders: every line has been read
    log = logs.text("FaultsFunction")
    assert "[ERROR] ValueError: boom: bad input" in log and "Traceback" in log


def test_a_container_that_exits_is_reported_and_replaced(functions: LocalLambda) -> None:
    result = functions.invoke("FaultsFunction", {"action": "exit"})
    assert result.payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in result.payload["errorMessage"]
    assert functions.invoke("FaultsFunction", {}).ok


def test_unserialisable_result_is_a_marshal_error(functions: LocalLambda) -> None:
    result = functions.invoke("FaultsFunction", {"action": "unserialisable"})
    assert result.payload["errorType"] == "Runtime.MarshalError"


def test_a_response_over_6_mb_fails_as_on_lambda(functions: LocalLambda) -> None:
    result = functions.invoke("FaultsFunction", {"action": "huge"})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Function.ResponseSizeTooLarge"


def test_function_logs_reach_the_sink(functions: LocalLambda, logs: LogCapture) -> None:
    functions.invoke("EchoFunction", {})
    functions.close()  # joins the log forwarders
    assert "echo invoked (1)" in logs.text("EchoFunction")


def test_close_kills_every_container(functions: LocalLambda) -> None:
    pids = [functions.invoke(name, {}).payload["pid"] for name in ("EchoFunction", "FaultsFunction")]
    functions.close()
    assert not any(_alive(pid) for pid in pids)


def test_only_the_functions_layers_provide_project_packages(functions: LocalLambda) -> None:
    # FaultsFunction has FixtureLayer only: `edgeway` (EdgewayLayer) is not importable,
    # even though the development virtualenv has it installed in editable mode.
    result = functions.invoke("FaultsFunction", {"action": "import_edgeway"})
    assert result.payload["errorType"] == "ModuleNotFoundError"
    assert "edgeway" in result.payload["errorMessage"]


def test_quiet_invocations_drop_only_their_own_logs(functions: LocalLambda,
                                                    logs: LogCapture) -> None:
    functions.invoke("EchoFunction", {"tail": "probe-tail"}, quiet=True)
    functions.invoke("EchoFunction", {"tail": "user-tail"})
    functions.close()
    log = logs.text("EchoFunction")
    assert "echo invoked (1)" not in log and "probe-tail" not in log
    assert "echo invoked (2)" in log and "user-tail" in log
    assert "\x1e" not in log  # the end-of-invocation marker never shows


def test_a_handler_that_cannot_import_fails_every_invocation(tmp_path: Path,
                                                             logs: LogCapture) -> None:
    from edgeway_local.template import load_template

    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("import no_such_package\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Broken:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.13\n      Handler: app.handler\n      CodeUri: fn/\n")
    broken = LocalLambda({"us-east-1": load_template(tmp_path / "template.yaml")}, log=logs)
    try:
        for _ in range(2):
            result = broken.invoke("Broken", {})
            assert result.payload["errorType"] == "Runtime.ImportModuleError"
            assert result.payload["errorMessage"] == \
                "Unable to import module 'app': No module named 'no_such_package'"
    finally:
        broken.close()
