"""One local Lambda container: a worker process, its pipes and its log forwarder.

The child runs ``edgeway_local.worker``: it imports the handler once (the cold
start) and then serves one invocation at a time, a JSON line each way over two
pipes of its own; its stdout/stderr are the function's log. A timeout or a
crash ends the container, as Lambda throws its sandbox away.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edgeway_local.template import Function

# Lambda gives init 10 s; a cold import on a busy laptop can take longer, and a
# slow start is not the function's fault locally.
INIT_TIMEOUT_S = 60.0

LogSink = Callable[[str, str], None]  # (function name, log line)
END_OF_INVOCATION = b"\x1eedgeway:end-of-invocation\x1e"  # the worker's marker on stdout


@dataclass(frozen=True, slots=True)
class Invocation:
    request_id: str
    payload: Any  # the function's result, or Lambda's error object
    function_error: str | None = None  # "Unhandled" when the function failed

    @property
    def ok(self) -> bool:
        return self.function_error is None


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
        self._fds: tuple[int, ...] = (self._req_w, self._resp_r)
        self._kill_lock = threading.Lock()
        self._buffer = b""
        self.invocations = 0
        # One flag per invocation sent, oldest first: whether its log lines are shown.
        self._quiet: deque[bool] = deque()
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
        # The child ends each invocation's output with END_OF_INVOCATION, so lines are
        # attributed to the right invocation however late this thread reads them.
        for raw in stream:
            raw = raw.rstrip(b"\n")
            ends = raw.endswith(END_OF_INVOCATION)  # the marker may follow text with no newline
            if ends:
                raw = raw[: -len(END_OF_INVOCATION)]
            if raw and not (self._quiet and self._quiet[0]):
                log(self.function.logical_id, raw.decode("utf-8", "replace"))
            if ends and self._quiet:
                self._quiet.popleft()
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

    def invoke(self, event: Any, request_id: str, timeout_s: float, arn: str, *,
               quiet: bool = False) -> Invocation:
        """Run one invocation; ``quiet`` drops its log lines (health probes)."""
        self.invocations += 1
        self._quiet.append(quiet)
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
            return lambda_error(request_id, "Runtime.ExitError",
                                 f"RequestId: {request_id} Error: Runtime exited with error: {exc}")
        if reply is None:
            self.kill()
            return lambda_error(request_id, "Sandbox.Timedout",
                                 f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds")
        if reply["ok"]:
            return Invocation(request_id, reply["result"])
        return Invocation(request_id, reply["error"], "Unhandled")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """End the container; safe to call again (the pool does, after a timeout)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        # Close each descriptor once only: a second close could hit a number the
        # process has since reused for something else (a client's socket).
        with self._kill_lock:  # the pool's close() may race an invocation's timeout
            fds, self._fds = self._fds, ()
        for fd in fds:
            os.close(fd)
        self._forwarder.join(timeout=2)


def lambda_error(request_id: str, error_type: str, message: str) -> Invocation:
    return Invocation(request_id, {"errorType": error_type, "errorMessage": message}, "Unhandled")
