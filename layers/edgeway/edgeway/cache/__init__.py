"""Response cache: per-route policy, in-memory LRU, DynamoDB layer, coalescing."""

from __future__ import annotations

from edgeway.cache.dynamo import DynamoCacheStore
from edgeway.errors import CacheUnavailable
from edgeway.cache.entry import CacheEntry, CacheStatus, Freshness
from edgeway.cache.memory import MemoryLRU
from edgeway.cache.policy import CachePolicy
from edgeway.cache.stage import CacheStage

__all__ = ["CacheEntry", "CachePolicy", "CacheStage", "CacheStatus", "CacheUnavailable",
           "DynamoCacheStore", "Freshness", "MemoryLRU"]
