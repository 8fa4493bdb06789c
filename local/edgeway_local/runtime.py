"""Run template functions locally the way Lambda does: a pool of containers.

Each worker is one child process (``edgeway_local.worker``): its own
environment, its own imports, its own in-memory state; it serves one
invocation at a time, as a Lambda container does. A pool per (function,
region) grows on demand up to ``max_workers``, so concurrent requests land in
separate containers; an idle worker is reused (a warm start).

Function errors come back in Lambda's shape (``FunctionError: Unhandled`` with
errorMessage, errorType, stackTrace); a timeout kills the worker, exactly as
Lambda throws the sandbox away.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from edgeway_local.intrinsics import ACCOUNT_ID
from edgeway_local.template import Function

# Lambda gives init 10 s; a cold import on a busy laptop can take longer, and a
# slow start is not the function's fault locally.
INIT_TIMEOUT_S = 60.0
DEFAULT_MAX_WORKERS = 8
# Environment a process needs to start at all; everything else comes from the template.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")

LogSink = Callable[[str, str], None]  # (function name, log line)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the AWS SDK inside a worker sends its calls."""

    aws: str = "http://127.0.0.1:5000"  # moto, for every service
    lambda_: str = "http://127.0.0.1:3001"  # our Invoke API


@dataclass(frozen=True, slots=True)
class Invocation:
    request_id: str
    payload: Any  # the function's result, or Lambda's error object
    function_error: str | None = None  # "Unhandled" when the function failed

    @property
    def ok(self) -> bool:
        return self.function_error is None


def function_arn(name: str, region: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def worker_environment(function: Function, region: str, endpoints: Endpoints,
                       overrides: Mapping[str, str] = ()) -> dict[str, str]:
    """The environment of one container: template variables, then Lambda's own."""
    env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
    env.update(function.environment)
    env.update(overrides)
    name = function.logical_id
    env.update({
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": endpoints.aws,
        "AWS_ENDPOINT_URL_LAMBDA": endpoints.lambda_,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "PYTHONUNBUFFERED": "1",
        "TZ": ":UTC",
    })
    if function.log_format:
        env["AWS_LAMBDA_LOG_FORMAT"] = function.log_format
        if function.log_format.upper() == "JSON" and function.log_level:
            env["AWS_LAMBDA_LOG_LEVEL"] = function.log_level
    return env


def _layer_paths(function: Function) -> list[str]:
    # A built layer keeps packages under python/; a source layer (ours) at its root.
    paths = []
    for layer in function.layers:
        nested = layer.content_dir / "python"
        paths.extend([str(layer.content_dir)] + ([str(nested)] if nested.is_dir() else []))
    return paths


class WorkerDied(Exception):
    """The worker process ended without answering."""


class Worker:
    """One container: a child process, its pipes and its log forwarder."""

    def __init__(self, function: Function, env: Mapping[str, str], log: LogSink) -> None:
        self.function = function
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "edgeway_local.worker", str(req_r), str(resp_w),
                 function.handler, *_layer_paths(function)],
                cwd=function.code_dir, env=dict(env), pass_fds=(req_r, resp_w),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C at the terminal reaches `edgeway serve` only,
                # which then stops its containers itself.
                start_new_session=True,
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._buffer = b""
        self.invocations = 0
        self._forwarder = threading.Thread(target=self._forward, args=(self.process.stdout, log),
                                           daemon=True, name=f"log-{function.logical_id}")
        self._forwarder.start()
        try:
            ready = self._receive(time.monotonic() + INIT_TIMEOUT_S)  # {"ready": true}
        except WorkerDied:
            self.kill()
            raise
        if ready is None:
            self.kill()
            raise WorkerDied(f"init did not finish within {INIT_TIMEOUT_S:.0f} seconds")

    def _forward(self, stream: Any, log: LogSink) -> None:
        for raw in stream:
            log(self.function.logical_id, raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        """The next JSON line, or None when ``deadline`` passes first."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._resp_r], [], [], remaining)
            if ready:
                chunk = os.read(self._resp_r, 65536)
                if not chunk:
                    raise WorkerDied(f"exit status {self.process.wait()}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def invoke(self, event: Any, request_id: str, timeout_s: float, arn: str) -> Invocation:
        self.invocations += 1
        deadline = time.monotonic() + timeout_s
        request = {"id": request_id, "event": event, "arn": arn,
                   "deadline_ms": int((time.time() + timeout_s) * 1000)}
        try:
            data = (json.dumps(request, separators=(",", ":")) + "\n").encode()
            while data:
                data = data[os.write(self._req_w, data):]
            reply = self._receive(deadline)
        except (WorkerDied, BrokenPipeError) as exc:
            self.kill()
            return _lambda_error(request_id, "Runtime.ExitError",
                                 f"RequestId: {request_id} Error: Runtime exited with error: {exc}")
        if reply is None:
            self.kill()
            return _lambda_error(request_id, "Sandbox.Timedout",
                                 f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds")
        if reply["ok"]:
            return Invocation(request_id, reply["result"])
        return Invocation(request_id, reply["error"], "Unhandled")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for fd in (self._req_w, self._resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._forwarder.join(timeout=2)


def _lambda_error(request_id: str, error_type: str, message: str) -> Invocation:
    return Invocation(request_id, {"errorType": error_type, "errorMessage": message}, "Unhandled")


@dataclass
class WorkerPool:
    """The containers of one function in one region."""

    function: Function
    region: str
    env: Mapping[str, str]
    log: LogSink
    max_workers: int = DEFAULT_MAX_WORKERS
    _idle: list[Worker] = field(default_factory=list)
    _all: set[Worker] = field(default_factory=set)
    _starting: int = 0
    _closed: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def size(self) -> int:
        with self._cond:
            return len(self._all)

    def invoke(self, event: Any, *, request_id: str | None = None) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        try:
            worker = self._acquire()
        except WorkerDied as exc:
            return _lambda_error(request_id, "Runtime.ExitError",
                                 f"RequestId: {request_id} Error: Runtime exited with error: {exc}")
        try:
            return worker.invoke(event, request_id, float(self.function.timeout),
                                 function_arn(self.function.logical_id, self.region))
        finally:
            self._release(worker)

    def _acquire(self) -> Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise WorkerDied("the local runtime is shutting down")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    self._all.discard(worker)  # died while idle (killed from outside)
                    worker.kill()
                if len(self._all) + self._starting < self.max_workers:
                    self._starting += 1
                    break
                self._cond.wait()
        try:
            worker = Worker(self.function, self.env, self.log)
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._starting -= 1
            self._all.add(worker)
        return worker

    def _release(self, worker: Worker) -> None:
        with self._cond:
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
                worker.kill()
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers, self._all, self._idle = list(self._all), set(), []
            self._cond.notify_all()
        for worker in workers:
            worker.kill()


def console_log(stream: TextIO | None = None) -> LogSink:
    """A sink that prints each line prefixed with the function's name."""
    lock = threading.Lock()

    def log(function: str, line: str) -> None:
        with lock:
            print(f"{function} | {line}", file=stream or sys.stderr, flush=True)

    return log


def quiet_log(function: str, line: str) -> None:
    """A sink that drops worker output (``--quiet``)."""


__all__ = ["Endpoints", "Invocation", "Worker", "WorkerPool", "console_log", "quiet_log",
           "worker_environment", "function_arn"]
