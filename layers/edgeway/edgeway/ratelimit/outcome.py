"""What a limiter answers for one request."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from edgeway.ratelimit.arithmetic import ServiceLimit, Violation


class Source(enum.Enum):
    COUNTER = "counter"  # a conditional write on the shared counter decided
    LEASE = "lease"  # spent from a block this container holds
    CACHE = "cache"  # the last state seen already proves a denial (no write)
    OPEN = "open"  # counters down, plan fails open: not counted
    LOCAL = "local"  # counters down, plan falls back to an in-container bucket


@dataclass(frozen=True, slots=True)
class Admitted:
    """The request may go on; ``limits`` feed the RateLimit headers."""
    source: Source
    limits: list[ServiceLimit] = field(default_factory=list)  # empty: unknown (no header)


@dataclass(frozen=True, slots=True)
class Denied:
    """The request is refused with 429; ``violations`` say why and for how long."""
    source: Source
    violations: list[Violation]
    limits: list[ServiceLimit] = field(default_factory=list)


Outcome = Admitted | Denied
