"""The one bounded thread pool of a container: fan-out, hedges, cache refreshes.

Created lazily on first use and kept for the life of the container (creating a
pool per request costs thread start-up on every call). It is bounded: a part
that hangs past its timeout keeps its worker until its own client timeout fires,
so the bound is what stops a slow backend from growing threads without limit.

A Lambda container serves one invocation at a time; the pool is sized for the
widest fan-out plus hedges and background refreshes, not for concurrency.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

MAX_WORKERS = 16

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="edgeway")
    return _pool
