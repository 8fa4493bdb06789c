"""Request coalescing: one backend call per cold key per container.

The first request for a key becomes the leader and calls the backend; requests
for the same key that arrive meanwhile wait for the leader's result instead of
calling the backend too (a thundering herd on a cold or just-expired key).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any


class SingleFlight:
    def __init__(self) -> None:
        self._calls: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def join(self, key: str) -> tuple[bool, Future[Any]]:
        """(True, call) for the leader, (False, call) for a follower."""
        with self._lock:
            call = self._calls.get(key)
            if call is not None:
                return False, call
            call = self._calls[key] = Future()
            return True, call

    def finish(self, key: str, call: Future[Any], *, value: Any = None,
               error: BaseException | None = None) -> None:
        with self._lock:
            if self._calls.get(key) is call:
                del self._calls[key]
        if error is not None:
            call.set_exception(error)
        else:
            call.set_result(value)
