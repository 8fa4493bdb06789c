"""The one bounded thread pool of a container: fan-out, hedges, cache refreshes.

Created lazily on first use and kept for the life of the container (creating a
pool per request costs thread start-up on every call). It is bounded: a part
that hangs past its timeout keeps its worker until its own client timeout fires,
so the bound is what stops a slow backend from growing threads without limit.

A Lambda container serves one invocation at a time; the pool is sized for the
widest fan-out plus hedges and background refreshes, not for concurrency.

A part of the current request goes in through ``submit``: it runs in a copy of
the request's context, so its log lines carry the request's id. Work that may
outlive its request runs in a context of its own
(``observability.background_context``), so a pool thread keeps no context from
one task to the next.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

MAX_WORKERS = 16
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="edgeway")
    return _pool


def submit(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
    """Run a part of the current request on the pool, in a copy of its context."""
    return pool().submit(contextvars.copy_context().run, fn, *args, **kwargs)
