"""Layer 1: a bytes-bounded LRU in the container's memory.

Bounded by the bytes of the entries (bodies dominate), not by their number: a
few large responses must not push the container past its memory size.
Thread-safe (local servers and background refreshes share it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from edgeway.cache.entry import CacheEntry

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class MemoryLRU:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CacheEntry) -> None:
        if entry.size > self.max_bytes // 4:
            return  # one entry may take at most a quarter, so one response can't flush it
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            self._entries[key] = entry
            self.bytes += entry.size
            while self.bytes > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self.bytes -= evicted.size
