"""Structured logs and one EMF metric per request, through Powertools.

``Observability`` is created once per container and holds nothing per request.
The log context (``request_id``, then ``route``, ``consumer``) lives in a
context variable, Powertools' thread-safe keys, which its formatter adds to
every line; each change sets a new dict, never mutates the current one. The edge
starts a fresh one per invocation, a fan-out part runs in a copy of its
request's context (``workers.submit``), and a background refresh runs in one of
its own with its own id (``background_context``), so a refresh that outlives its
request never logs under the id of a later one.
"""

from __future__ import annotations

import contextvars
import io
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import THREAD_LOCAL_KEYS
from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "Edgeway"
_LOGGERS: dict[str, Any] = {}


def new_request_id() -> str:
    return uuid.uuid4().hex


def begin_request(request_id: str) -> None:
    """A fresh log context for this invocation: its lines carry ``request_id``."""
    THREAD_LOCAL_KEYS.set({"request_id": request_id})


def bind(**fields: str) -> None:
    """Add facts to the current request's log context (the route, the consumer)."""
    THREAD_LOCAL_KEYS.set({**THREAD_LOCAL_KEYS.get(), **fields})


def bound() -> Mapping[str, Any]:
    return THREAD_LOCAL_KEYS.get()


def background_context(kind: str, parent: str | None = None) -> contextvars.Context:
    """A context of its own for work off the request path: a new id, the parent noted."""
    fields = {"request_id": f"{kind}-{new_request_id()}"}
    if parent:
        fields["parent_request_id"] = parent
    context = contextvars.Context()
    context.run(THREAD_LOCAL_KEYS.set, fields)
    return context


def service_logger(service: str, *, quiet: bool = False) -> Any:
    """One Powertools Logger per service name and process (``quiet``: into a buffer).

    Powertools shares the stdlib logger between instances with one name, and a
    second instance finds it already configured and is left without a formatter.
    """
    if service not in _LOGGERS:
        buffer = io.StringIO() if quiet else None
        _LOGGERS[service] = Logger(service=service, logger_handler=logging.StreamHandler(buffer)
                                   if buffer is not None else None)
        _LOGGERS[service].buffer = buffer
    return _LOGGERS[service]


class Observability:
    def __init__(self, service: str, region: str, *, logger: Any = None, metrics: Any = None) -> None:
        self.logger = logger or service_logger(service)
        self.metrics = metrics or Metrics(namespace=NAMESPACE, service=service)
        self.region = region

    def access(self, *, route: str, method: str, path: str, status: int, latency_ms: float,
               consumer: str | None) -> None:
        self.logger.info("request", extra={
            "route": route, "method": method, "path": path, "status": status,
            "latency_ms": round(latency_ms, 3), "consumer": consumer,
        })
        # One metric per request; route and status class are the dimensions, so the
        # dimension set stays small (CloudWatch bills per unique combination).
        self.metrics.add_dimension(name="route", value=route)
        self.metrics.add_dimension(name="status", value=str(status))
        self.metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        self.metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=latency_ms)
        self.metrics.flush_metrics()

    def count(self, name: str, *, dimensions: dict[str, str] | None = None, value: float = 1) -> None:
        """An extra counter (a fault, a cache hit...) emitted on its own."""
        with single_metric(name=name, unit=MetricUnit.Count, value=value,
                           namespace=NAMESPACE) as metric:
            for key, val in (dimensions or {}).items():
                metric.add_dimension(name=key, value=val)

    def unexpected(self, exc: BaseException) -> None:
        self.logger.exception("unhandled error", exc_info=exc)

    def warning(self, message: str, **fields: Any) -> None:
        self.logger.warning(message, extra=fields)


def quiet_logger(service: str = "edgeway-quiet") -> Any:
    """A Logger that writes into a buffer (tests and benchmarks read ``.buffer``)."""
    return service_logger(service, quiet=True)
