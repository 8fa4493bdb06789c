"""Stand-ins shared by the tests and the benchmarks: a clock moved by hand, a metrics sink."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FakeClock:
    """A clock that stands still until ``advance`` moves it (default 2027-01-15 08:00 UTC)."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class NullMetrics:
    """Stands in for Powertools Metrics: accepts every call, prints no EMF."""

    def add_dimension(self, *_: Any, **__: Any) -> None: ...
    def add_metric(self, *_: Any, **__: Any) -> None: ...
    def flush_metrics(self) -> None: ...
