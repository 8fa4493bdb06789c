"""Run template functions locally the way Lambda does: a pool of containers.

Each container (``edgeway_local.container.Worker``) is one child process with
its own environment, imports and in-memory state, serving one invocation at a
time. A pool per (function, region) grows on demand up to ``max_workers``, so
concurrent requests land in separate containers; an idle one is reused (a warm
start).

Function errors come back in Lambda's shape (``FunctionError: Unhandled`` with
errorMessage, errorType, stackTrace); a timeout kills the container, exactly as
Lambda throws the sandbox away.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from edgeway_local.container import Invocation, LogSink, Worker, WorkerDied, lambda_error
from edgeway_local.intrinsics import ACCOUNT_ID
from edgeway_local.template import Function

DEFAULT_MAX_WORKERS = 8
# Environment a process needs to start at all; everything else comes from the template.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the AWS SDK inside a worker sends its calls."""

    aws: str = "http://127.0.0.1:5000"  # moto, for every service
    lambda_: str = "http://127.0.0.1:3001"  # our Invoke API


def function_arn(name: str, region: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def worker_environment(function: Function, region: str, endpoints: Endpoints,
                       overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of one container: template variables, then Lambda's own."""
    env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
    env.update(function.environment)
    env.update(overrides or {})
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
        # moto serves one request at a time: under load a counter check can wait
        # longer than DynamoDB's milliseconds (the cloud keeps the 1 s default).
        "EDGEWAY_COUNTER_TIMEOUT_S": "5",
        "TZ": ":UTC",
    })
    if function.log_format:
        env["AWS_LAMBDA_LOG_FORMAT"] = function.log_format
        if function.log_format.upper() == "JSON" and function.log_level:
            env["AWS_LAMBDA_LOG_LEVEL"] = function.log_level
    return env


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

    def invoke(self, event: Any, *, request_id: str | None = None,
               quiet: bool = False) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        try:
            worker = self._acquire()
        except WorkerDied as exc:
            return lambda_error(request_id, "Runtime.ExitError",
                                 f"RequestId: {request_id} Error: Runtime exited with error: {exc}")
        try:
            return worker.invoke(event, request_id, float(self.function.timeout),
                                 function_arn(self.function.logical_id, self.region), quiet=quiet)
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


__all__ = ["DEFAULT_MAX_WORKERS", "Endpoints", "Invocation", "LogSink", "WorkerPool",
           "console_log", "function_arn", "quiet_log", "worker_environment"]
