"""A circuit breaker per backend: a pure state machine driven by a clock.

States and transitions (nothing else moves the state)::

    CLOSED --(consecutive failures >= threshold, or failure ratio over the
              window >= ratio with at least min_calls calls)--> OPEN
    OPEN   --(open_s elapsed; checked lazily on the next call)--> HALF_OPEN
    HALF_OPEN --(probes successes in a row)--> CLOSED
    HALF_OPEN --(any failure)--> OPEN (the open period starts again)

While OPEN every call is refused without reaching the backend (503 with
Retry-After = seconds until HALF_OPEN). In HALF_OPEN at most ``probes`` calls are
let through at a time; the others are refused as if OPEN.

The breaker never sleeps and never reads the time itself: ``clock`` is injected,
so tests drive it by hand.
"""

from __future__ import annotations

import enum
import math
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.errors import CircuitOpen


class CircuitState(enum.Enum):
    CLOSED = "closed"        # calls flow; outcomes are counted
    OPEN = "open"            # calls are refused until the open period ends
    HALF_OPEN = "half_open"  # a few probe calls test whether the backend recovered


@dataclass(frozen=True, slots=True)
class CircuitConfig:
    """When a backend's circuit opens (failures in a row or a failure ratio) and for how long."""
    consecutive_failures: int = 5
    failure_ratio: float | None = None  # e.g. 0.5: open when half the recent calls fail
    window: int = 20                    # calls the ratio is computed over
    min_calls: int = 10                 # no ratio decision on fewer calls than this
    open_s: float = 30.0
    probes: int = 1

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> CircuitConfig:
        # The schema allows only the fields' names, and half_open_probes for probes.
        return cls(**{"probes" if k == "half_open_probes" else k: v for k, v in spec.items()})


class CircuitBreaker:
    def __init__(self, config: CircuitConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self._state = CircuitState.CLOSED
        self._opened_at = 0.0
        self._consecutive = 0
        self._outcomes: deque[bool] = deque(maxlen=config.window)  # True = failure
        self._probes_in_flight = 0
        self._probe_successes = 0
        self._lock = threading.Lock()

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._current()

    def _current(self) -> CircuitState:
        if self._state is CircuitState.OPEN and self.clock() >= self._opened_at + self.config.open_s:
            self._state = CircuitState.HALF_OPEN
            self._probes_in_flight = 0
            self._probe_successes = 0
        return self._state

    def acquire(self) -> None:
        """Admit one call or raise CircuitOpen. Pair with ``record``."""
        with self._lock:
            state = self._current()
            if state is CircuitState.CLOSED:
                return
            if state is CircuitState.HALF_OPEN and self._probes_in_flight < self.config.probes:
                self._probes_in_flight += 1
                return
            # Retry-After: whole seconds until the breaker lets a probe through (at least 1).
            left = self._opened_at + self.config.open_s - self.clock()
            raise CircuitOpen(max(1, math.ceil(left)))

    def record(self, *, failure: bool) -> None:
        with self._lock:
            state = self._current()
            if state is CircuitState.HALF_OPEN:
                self._probes_in_flight = max(0, self._probes_in_flight - 1)
                if failure:
                    self._open()
                else:
                    self._probe_successes += 1
                    if self._probe_successes >= self.config.probes:
                        self._state = CircuitState.CLOSED
                        self._consecutive = 0
                        self._outcomes.clear()
                return
            if state is CircuitState.OPEN:
                return  # a call admitted before the breaker opened; its outcome is old news
            self._outcomes.append(failure)
            self._consecutive = self._consecutive + 1 if failure else 0
            if self._should_open():
                self._open()

    def _should_open(self) -> bool:
        cfg = self.config
        if cfg.consecutive_failures and self._consecutive >= cfg.consecutive_failures:
            return True
        if cfg.failure_ratio is not None and len(self._outcomes) >= cfg.min_calls:
            return sum(self._outcomes) / len(self._outcomes) >= cfg.failure_ratio
        return False

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self.clock()
