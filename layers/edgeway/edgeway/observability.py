"""Structured logs and one EMF metric per request, through Powertools.

Created once per container. A Lambda container serves one invocation at a time,
so the request id appended to the logger for the current invocation cannot leak
into another request's lines.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Edgeway"


_LOGGERS: dict[str, Any] = {}


def service_logger(service: str) -> Any:
    """One Powertools Logger per service name and process.

    Powertools shares the stdlib logger between instances with one name, and a
    second instance finds it already configured and is left without a formatter.
    """
    if service not in _LOGGERS:
        _LOGGERS[service] = Logger(service=service)
    return _LOGGERS[service]


class Observability:
    def __init__(self, service: str, region: str, *, logger: Any = None, metrics: Any = None) -> None:
        self.logger = logger or service_logger(service)
        self.metrics = metrics or Metrics(namespace=NAMESPACE, service=service)
        self.region = region

    def begin(self, request_id: str) -> None:
        self.logger.append_keys(request_id=request_id)

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
        from aws_lambda_powertools.metrics import single_metric

        with single_metric(name=name, unit=MetricUnit.Count, value=value,
                           namespace=NAMESPACE) as metric:
            for key, val in (dimensions or {}).items():
                metric.add_dimension(name=key, value=val)

    def unexpected(self, exc: BaseException) -> None:
        self.logger.exception("unhandled error", exc_info=exc)

    def warning(self, message: str, **fields: Any) -> None:
        self.logger.warning(message, extra=fields)


_QUIET: dict[str, Any] = {}


def quiet_logger(service: str = "edgeway-quiet") -> Any:
    """A Logger that writes into a buffer (tests and benchmarks read ``.buffer``).

    Made once per service name: Powertools shares the stdlib logger between
    instances with one name, and a second instance would lose its formatter.
    """
    if service in _QUIET:
        return _QUIET[service]
    buffer = io.StringIO()
    logger = Logger(service=service, logger_handler=logging.StreamHandler(buffer))
    logger.buffer = buffer  # type: ignore[attr-defined]
    _QUIET[service] = logger
    return logger
