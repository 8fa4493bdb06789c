"""A stored response and how fresh it is."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from edgeway.http import Response


class Freshness(enum.Enum):
    FRESH = "fresh"      # age < ttl: served as HIT
    STALE = "stale"      # ttl <= age < ttl + stale_while_revalidate: served as STALE, refreshed once
    EXPIRED = "expired"  # past both: a miss


class CacheStatus(enum.Enum):
    """The ``x-cache`` header value."""

    HIT = "HIT"        # fresh entry, backend not called
    MISS = "MISS"      # no usable entry: the backend answered (possibly for a coalesced group)
    STALE = "STALE"    # stale entry served while one background refresh runs
    BYPASS = "BYPASS"  # the cache was not consulted (unsafe method, client no-cache)


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A stored response with the times that decide fresh, stale-while-revalidate or gone."""
    status: int
    headers: dict[str, str]
    body: bytes
    stored_at: float  # epoch seconds
    ttl_s: float
    swr_s: float
    path: str = ""
    size: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        size = len(self.body) + sum(len(k) + len(v) for k, v in self.headers.items()) + 128
        object.__setattr__(self, "size", size)

    @property
    def expires_at(self) -> float:
        """When the entry is useless even as STALE (the DynamoDB TTL attribute)."""
        return self.stored_at + self.ttl_s + self.swr_s

    def freshness(self, now: float) -> Freshness:
        age = now - self.stored_at
        if age < self.ttl_s:
            return Freshness.FRESH
        if age < self.ttl_s + self.swr_s:
            return Freshness.STALE
        return Freshness.EXPIRED

    def response(self, now: float, status: CacheStatus) -> Response:
        age = str(max(0, int(now - self.stored_at)))
        return Response(status=self.status, body=self.body,
                        headers={**self.headers, "x-cache": status.value, "age": age})
