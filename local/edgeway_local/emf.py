"""The functions' EMF log lines as CloudWatch metrics on moto (what CloudWatch Logs does in the cloud).

Lambda's log pipeline turns every Embedded Metric Format line into metrics; the
local stack has no such pipeline, so ``edgeway serve`` reads the same lines from
the function output and sends them with ``PutMetricData`` to moto. Then one
reader (``GetMetricData``, the console's Traffic section) works in both places.

``metric_data`` is pure (one line in, PutMetricData arguments out); the
forwarder puts the calls on one background thread so a slow moto never slows
a request's log line.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger("edgeway_local.emf")

LogSink = Callable[[str, str], None]
QUEUE_MAX = 10_000   # lines waiting for moto; past that they are dropped (and counted)
BATCH = 500          # MetricData entries per PutMetricData call (the API takes 1,000)
FLUSH_S = 1.0        # lines gathered this long go to moto together


def metric_data(line: str) -> list[dict[str, Any]]:
    """``[{"Namespace", "MetricData"}]`` for one EMF line; [] for any other line."""
    if '"_aws"' not in line:
        return []
    try:
        doc = json.loads(line[line.index("{"):])
        meta = doc["_aws"]
        stamp = datetime.fromtimestamp(int(meta["Timestamp"]) / 1000, timezone.utc)
        calls = []
        for directive in meta["CloudWatchMetrics"]:
            data = []
            for dim_set in directive.get("Dimensions") or [[]]:
                dims = [{"Name": n, "Value": str(doc[n])} for n in dim_set if n in doc]
                for metric in directive["Metrics"]:
                    value = doc.get(metric["Name"])
                    values = value if isinstance(value, list) else [value]
                    entry: dict[str, Any] = {"MetricName": metric["Name"], "Dimensions": dims,
                                             "Timestamp": stamp,
                                             "Values": [float(v) for v in values]}
                    if metric.get("Unit"):
                        entry["Unit"] = metric["Unit"]
                    data.append(entry)
            calls.append({"Namespace": directive["Namespace"], "MetricData": data})
        return calls
    except (ValueError, KeyError, TypeError, AttributeError):
        return []  # not EMF after all, or malformed: it stays a log line


class EmfForwarder:
    def __init__(self, cloudwatch: Any) -> None:
        self.cloudwatch = cloudwatch
        self.dropped = 0
        # moto loads a service's backend on its first call, slowly and under the import lock:
        # pay that now, not beside the first request's DynamoDB call (which would time out).
        try:
            cloudwatch.list_metrics(Namespace="Edgeway")
        except Exception as exc:  # noqa: BLE001 - metrics are best effort
            log.warning("moto's CloudWatch does not answer: %s", exc)
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_MAX)
        self._thread = threading.Thread(target=self._run, name="emf-forwarder", daemon=True)
        self._thread.start()

    def tee(self, sink: LogSink) -> LogSink:
        """A sink that forwards EMF lines and still hands every line to ``sink``."""
        def both(function: str, line: str) -> None:
            for call in metric_data(line):
                try:
                    self._queue.put_nowait(call)
                except queue.Full:
                    self.dropped += 1
            sink(function, line)
        return both

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        # moto serves one request at a time (moto_server.py): gather a second's worth of
        # lines into few calls, so a burst of requests does not queue PutMetricData ahead
        # of the requests' own DynamoDB calls.
        while True:
            first = self._queue.get()
            if first is None:
                return
            pending = [first]
            deadline = time.monotonic() + FLUSH_S
            while (left := deadline - time.monotonic()) > 0:
                try:
                    call = self._queue.get(timeout=left)
                except queue.Empty:
                    break
                if call is None:
                    self._send(pending)
                    return
                pending.append(call)
            self._send(pending)

    def _send(self, calls: list[dict[str, Any]]) -> None:
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for call in calls:
            by_namespace.setdefault(call["Namespace"], []).extend(call["MetricData"])
        try:
            for namespace, data in by_namespace.items():
                for start in range(0, len(data), BATCH):
                    self.cloudwatch.put_metric_data(Namespace=namespace,
                                                    MetricData=data[start:start + BATCH])
        except Exception as exc:  # noqa: BLE001 - metrics are best effort; the stack goes on
            log.warning("could not put metrics on moto: %s", exc)
