"""Request coalescing: one backend call per cold key per container.

The first request for a key becomes the leader and calls the backend; requests
for the same key that arrive meanwhile wait for the leader's result instead of
calling the backend too (a thundering herd on a cold or just-expired key).
"""

from __future__ import annotations

import threading
from typing import Any


class Call:
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}
        self._lock = threading.Lock()

    def join(self, key: str) -> tuple[bool, Call]:
        """(True, call) for the leader, (False, call) for a follower."""
        with self._lock:
            call = self._calls.get(key)
            if call is not None:
                return False, call
            call = self._calls[key] = Call()
            return True, call

    def finish(self, key: str, call: Call, *, value: Any = None,
               error: BaseException | None = None) -> None:
        call.value, call.error = value, error
        with self._lock:
            if self._calls.get(key) is call:
                del self._calls[key]
        call.done.set()
