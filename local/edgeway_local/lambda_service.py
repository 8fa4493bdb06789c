"""The local Lambda service: every template function, in every served region.

It owns one ``WorkerPool`` per (function, region), created on first use, and
answers "which function does this name mean" the way the Lambda API does: a
logical id, a function ARN (full or partial), optionally with a qualifier.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edgeway_local.runtime import (
    DEFAULT_MAX_WORKERS, Endpoints, Invocation, LogSink, WorkerPool, console_log,
    worker_environment,
)
from edgeway_local.template import Template

# arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] or ACCOUNT:function:NAME[:QUALIFIER]
_ARN = re.compile(r"^(?:arn:aws[\w-]*:lambda:(?P<region>[\w-]+):)?(?:\d{12}:)?function:"
                  r"(?P<name>[\w-]+)(?::[\w$-]+)?$")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    logical_id: str
    region: str | None  # the region named in an ARN, if any


@dataclass
class LocalLambda:
    templates: Mapping[str, Template]  # region -> the template resolved for it
    endpoints: Endpoints = field(default_factory=Endpoints)
    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # per function, "*" = all
    log: LogSink = field(default_factory=console_log)
    max_workers: int = DEFAULT_MAX_WORKERS
    _pools: dict[tuple[str, str], WorkerPool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def home_region(self) -> str:
        return next(iter(self.templates))

    def lookup(self, name: str) -> FunctionRef | None:
        """The function a Lambda API ``FunctionName`` means, or None."""
        match = _ARN.match(name)
        short, region = (match["name"], match["region"]) if match else (name.split(":")[0], None)
        functions = self.templates[self.home_region].functions
        if short in functions:
            return FunctionRef(short, region)
        # A deployed-style name: the template's FunctionName of some function.
        logical = next((f.logical_id for f in functions.values() if f.name == short), None)
        return FunctionRef(logical, region) if logical else None

    def pool(self, logical_id: str, region: str) -> WorkerPool:
        template = self.templates.get(region) or self.templates[self.home_region]
        key = (logical_id, template.region)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                function = template.functions[logical_id]
                overrides = {**self.overrides.get("*", {}), **self.overrides.get(logical_id, {})}
                env = worker_environment(function, template.region, self.endpoints, overrides)
                pool = WorkerPool(function, template.region, env, self.log, self.max_workers)
                self._pools[key] = pool
            return pool

    def invoke(self, logical_id: str, event: Any, *, region: str | None = None,
               request_id: str | None = None, quiet: bool = False) -> Invocation:
        pool = self.pool(logical_id, region or self.home_region)
        return pool.invoke(event, request_id=request_id, quiet=quiet)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
