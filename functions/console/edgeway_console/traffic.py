"""Requests, errors and latency per route over the last hour, from CloudWatch.

The gateway writes one EMF line per request (``edgeway.observability``):
namespace ``Edgeway``, metrics ``Requests`` and ``Latency``, dimensions
``service``, ``route`` and ``status``. In the cloud CloudWatch turns those lines
into metrics; locally ``edgeway serve`` sends the same lines to moto with
PutMetricData. This one reader (ListMetrics + one GetMetricData) serves both.

A status of 500 or more counts as an error. Percentiles cannot be merged across
the status dimension, so p50/p99 are those of the route's 2xx series (the
latency users waited for an answer). A CloudWatch that computes no percentiles
(moto) returns none: the row then says so, with the average beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

NAMESPACE = "Edgeway"
PERIOD_S = 60
WINDOW_S = 3_600
MAX_QUERIES = 500          # GetMetricData's limit per call
CACHE_S = 10.0             # a minute-resolution chart gains nothing from fresher reads
PERCENTILES_RETRY_S = 600.0  # after a refusal, ask for percentiles again this much later


class TrafficReader:
    def __init__(self, cloudwatch: Any, *, percentiles: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cloudwatch = cloudwatch  # created once by the caller, with timeouts
        self.clock = clock
        self._cached: tuple[float, dict[str, Any]] | None = None
        # percentiles=False: never ask (a CloudWatch known to have none)
        self._no_percentiles_until = float("-inf") if percentiles else float("inf")

    def read(self, *, now: float) -> dict[str, Any]:
        from edgeway_console.sources import SourceUnavailable

        if self._cached is not None and self.clock() - self._cached[0] < CACHE_S:
            return self._cached[1]
        try:
            result = self._read(now)
        except (BotoCoreError, ClientError) as exc:
            raise SourceUnavailable("CloudWatch metrics cannot be read right now") from exc
        self._cached = (self.clock(), result)
        return result

    def _read(self, now: float) -> dict[str, Any]:
        series = []  # (route, status, dimensions), each once (moto lists a metric per datum)
        seen: set[tuple[tuple[str, str], ...]] = set()
        pages = self.cloudwatch.get_paginator("list_metrics").paginate(
            Namespace=NAMESPACE, MetricName="Requests")
        for page in pages:
            for metric in page.get("Metrics", []):
                dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                key = tuple(sorted(dims.items()))
                if "route" in dims and "status" in dims and key not in seen:
                    seen.add(key)
                    series.append((dims["route"], dims["status"], metric["Dimensions"]))
        series = series[:MAX_QUERIES // 2]
        counts, percentiles = [], []
        for i, (_, status, dims) in enumerate(series):
            counts.append(_query(f"r{i}", "Requests", dims, "Sum"))
            if status.startswith("2"):
                # one period of the whole hour: the hour's own statistics, not a mean of minutes
                counts.append(_query(f"a{i}", "Latency", dims, "Average", WINDOW_S))
                percentiles += [_query(f"p{i}", "Latency", dims, "p50", WINDOW_S),
                                _query(f"q{i}", "Latency", dims, "p99", WINDOW_S)]
        end = int(now) // PERIOD_S * PERIOD_S + PERIOD_S
        start = end - WINDOW_S
        results = self._fetch(counts, start, end)
        problems = []
        if percentiles and self.clock() >= self._no_percentiles_until:
            # Asked apart: a CloudWatch without percentiles (moto) fails only this call.
            try:
                results.update(self._fetch(percentiles, start, end))
            except (BotoCoreError, ClientError):
                self._no_percentiles_until = self.clock() + PERCENTILES_RETRY_S
        if percentiles and self.clock() < self._no_percentiles_until:
            problems.append("this CloudWatch answers no percentiles (moto does not compute them): "
                            "p50/p99 are blank; avg is the 2xx average")
        return _summarise(series, results, start, end, problems)

    def _fetch(self, queries: list[dict[str, Any]], start: int, end: int) -> dict[str, dict[int, float]]:
        results: dict[str, dict[int, float]] = {}
        for at in range(0, len(queries), MAX_QUERIES):
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries[at:at + MAX_QUERIES], "ScanBy": "TimestampAscending",
                "StartTime": datetime.fromtimestamp(start, timezone.utc),
                "EndTime": datetime.fromtimestamp(end, timezone.utc)}
            for page in self.cloudwatch.get_paginator("get_metric_data").paginate(**kwargs):
                for r in page.get("MetricDataResults", []):
                    points = results.setdefault(r["Id"], {})
                    for stamp, value in zip(r.get("Timestamps", []), r.get("Values", [])):
                        if value is not None:
                            points[int(stamp.timestamp())] = float(value)
        return results


def _query(qid: str, metric: str, dims: list[dict[str, str]], stat: str,
           period: int = PERIOD_S) -> dict[str, Any]:
    return {"Id": qid, "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dims},
        "Period": period, "Stat": stat}}


def _summarise(series: list[tuple[str, str, Any]], results: dict[str, dict[int, float]],
               start: int, end: int, problems: list[str]) -> dict[str, Any]:
    """Pure: per-series points in, per-route rows and per-minute totals out."""
    stamps = list(range(start, end, PERIOD_S))
    requests = dict.fromkeys(stamps, 0.0)
    errors = dict.fromkeys(stamps, 0.0)
    routes: dict[str, dict[str, Any]] = {}
    for i, (route, status, _) in enumerate(series):
        row = routes.setdefault(route, {"route": route, "requests": 0, "errors": 0,
                                        "p50_ms": None, "p99_ms": None, "avg_ms": None})
        for stamp, value in results.get(f"r{i}", {}).items():
            row["requests"] += int(value)
            if stamp in requests:
                requests[stamp] += value
            if status >= "500" and len(status) == 3:
                row["errors"] += int(value)
                if stamp in errors:
                    errors[stamp] += value
        for key, qid in (("p50_ms", f"p{i}"), ("p99_ms", f"q{i}"), ("avg_ms", f"a{i}")):
            points = results.get(qid)
            if points:
                row[key] = round(sum(points.values()) / len(points), 1)
    rows = sorted(routes.values(), key=lambda r: (-r["requests"], r["route"]))
    return {"window_s": WINDOW_S, "period_s": PERIOD_S, "routes": rows,
            "series": {"t": stamps, "requests": [requests[s] for s in stamps],
                       "errors": [errors[s] for s in stamps]},
            "problems": problems}
