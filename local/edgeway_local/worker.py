"""One local "Lambda container": the child process a worker pool starts.

Run as ``python -m edgeway_local.worker REQ_FD RESP_FD HANDLER [LAYER_DIR ...]``
with the function's code directory as the working directory, like /var/task.
It imports the handler once (the cold start), then serves invocations one at
a time: a JSON line in on REQ_FD, a JSON line out on RESP_FD. stdout/stderr
are left to the function (its logs); the protocol never touches them.

Standard library only: everything imported here would otherwise sit in the
function's ``sys.modules`` before its own imports run.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
from typing import Any

END_OF_INVOCATION = b"\x1eedgeway:end-of-invocation\x1e"  # container.py reads it
MAX_RESPONSE_BYTES = 6_291_556  # Lambda's limit for a synchronous invocation's response


class LambdaContext:
    """The attributes and method of the Lambda Python runtime's context object."""

    def __init__(self, request: dict[str, Any]) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = request["id"]
        self.invoked_function_arn = request["arn"]
        self.client_context = request.get("client_context")
        self.identity = None
        self._deadline_ms = request["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def error_shape(exc: BaseException, request_id: str, error_type: str | None = None) -> dict[str, Any]:
    """The payload Lambda's Python runtime returns for an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


def _log_exception(exc: BaseException) -> None:
    # Lambda's runtime logs "[ERROR] Type: message" and the traceback to the function log.
    print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.flush()


def _load_handler(spec: str) -> Any:
    module_name, _, attribute = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 -- reported as Lambda does, per invocation
        _log_exception(exc)
        kind = "Runtime.UserCodeSyntaxError" if isinstance(exc, SyntaxError) \
            else "Runtime.ImportModuleError"
        return error_shape(Exception(f"Unable to import module '{module_name}': {exc}"), "", kind)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        message = f"Handler '{attribute}' missing on module '{module_name}'"
        return error_shape(AttributeError(message), "", "Runtime.HandlerNotFound")
    return handler


def _invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    if isinstance(handler, dict):  # the init error, answered on every invocation
        return {"ok": False, "error": {**handler, "requestId": request["id"]}}
    try:
        result = handler(request["event"], LambdaContext(request))
    except Exception as exc:  # noqa: BLE001 -- an unhandled function error, as Lambda reports it
        # Lambda's stack trace starts in the function: drop this frame.
        exc = exc.with_traceback(exc.__traceback__.tb_next if exc.__traceback__ else None)
        _log_exception(exc)
        return {"ok": False, "error": error_shape(exc, request["id"])}
    try:
        size = len(json.dumps(result).encode())
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        return {"ok": False, "error": error_shape(TypeError(message), request["id"], "Runtime.MarshalError")}
    if size > MAX_RESPONSE_BYTES:
        message = (f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
                   f"({MAX_RESPONSE_BYTES} bytes).")
        return {"ok": False, "error": {"errorType": "Function.ResponseSizeTooLarge",
                                       "errorMessage": message, "requestId": request["id"]}}
    return {"ok": True, "result": result}


def _exit_with_parent() -> None:
    # A container must not outlive the stack that started it (even one killed -9).
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _forget_editable_installs() -> None:
    # `pip install -e .` makes this project's packages (edgeway, gslb) importable from
    # anywhere. On Lambda a function only has them through its layers, so drop that
    # finder: a function that forgot its layer fails here as it would there.
    sys.meta_path[:] = [finder for finder in sys.meta_path
                        if not getattr(finder, "__module__", "").startswith("__editable__")]


def main(argv: list[str]) -> int:
    req_fd, resp_fd, handler_spec, *layer_dirs = argv
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    _forget_editable_installs()
    # /var/task first, then the layers (as /opt/python), then the runtime's own packages.
    sys.path[1:1] = layer_dirs
    requests = os.fdopen(int(req_fd), "r", encoding="utf-8")
    responses = os.fdopen(int(resp_fd), "w", encoding="utf-8")
    handler = _load_handler(handler_spec)
    responses.write('{"ready": true}\n')
    responses.flush()
    for line in requests:
        reply = _invoke(handler, json.loads(line))
        sys.stdout.flush()
        sys.stderr.flush()
        # stdout and stderr share one pipe: this marker closes the invocation's log.
        os.write(1, END_OF_INVOCATION + b"\n")
        responses.write(json.dumps(reply, separators=(",", ":")) + "\n")
        responses.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
