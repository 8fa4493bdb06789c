"""API-key authentication: a per-container cache in front of KeysTable.

The cache is the revocation bound. A key record (or the fact that an id does
not exist) is kept for ``cache_ttl_s`` (default 30 s), so a key revoked in
KeysTable keeps working for at most ``cache_ttl_s`` in a container that saw it
just before (plus DynamoDB replication lag when the table is replicated across
regions; in-region reads are strongly consistent). Expiry is checked on every
request against the cached record, so an expiring key stops on time.

Bounds against a flood of bad keys: malformed keys are refused without any
lookup; unknown ids are cached negatively (bounded LRU); and lookups of ids
not in the cache are limited to ``lookup_rate_per_s`` per container (a token
bucket) -- beyond it a new id gets 503 with Retry-After instead of a DynamoDB
read, while every cached key keeps working.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from edgeway.auth.challenge import invalid_key
from edgeway.auth.keyformat import (
    CONSUMER_SK,
    SK,
    KeyRecord,
    KeyStatus,
    consumer_pk,
    hash_key,
    key_id_of,
    pk,
)
from edgeway.errors import ServiceUnavailable
from edgeway.http import Principal

MAX_KEY_HEADER = 256
POSITIVE_ENTRIES = 10_000
NEGATIVE_ENTRIES = 2_000


class KeyStore:
    """Reads one key record from KeysTable (the gateway's only call)."""

    def __init__(self, table: str, clients: Any) -> None:
        self.table = table
        self._clients = clients

    def get(self, key_id: str) -> KeyRecord | None:
        item = self._item(pk(key_id), SK, "API keys cannot be checked right now")
        if item is None:
            return None
        try:
            return KeyRecord.from_item(item)
        except (KeyError, ValueError, TypeError):
            return None  # a damaged record never authenticates

    def consumer_plan(self, consumer: str) -> str | None:
        """The plan of ``consumer``'s record, or None when it has none."""
        plan = (self._item(consumer_pk(consumer), CONSUMER_SK, "consumer plans cannot be read right now")
                or {}).get("plan", {}).get("S")
        return plan if isinstance(plan, str) and plan else None

    def _item(self, partition: str, sk: str, unavailable: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result = self._clients.get("dynamodb").get_item(
                TableName=self.table, Key={"pk": {"S": partition}, "sk": {"S": sk}}, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            # Fail closed: no key is accepted on a guess, and a guessed plan could be a bigger one.
            raise ServiceUnavailable(unavailable, headers={"retry-after": "1"}) from exc
        item: dict[str, Any] | None = result.get("Item")
        return item


class ConsumerPlans:
    """A consumer's plan from its KeysTable record, cached like key records.

    Used for bearer tokens: a token whose subject is a consumer with keys gets
    the consumer's plan (and so its limits), whatever plan claim it carries. A
    plan change reaches every container within ``ttl_s``, as a revocation does.
    """

    def __init__(self, store: Any, *, ttl_s: float, clock: Callable[[], float]) -> None:
        self.store = store
        self.ttl = ttl_s
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        self._lock = threading.Lock()

    def plan_of(self, consumer: str) -> str | None:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(consumer)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        plan: str | None = self.store.consumer_plan(consumer)  # outside the lock: I/O
        with self._lock:
            self._cache.pop(consumer, None)
            self._cache[consumer] = (now, plan)
            while len(self._cache) > POSITIVE_ENTRIES:
                self._cache.popitem(last=False)
        return plan


class ApiKeyVerifier:
    def __init__(self, store: Any, *, header: str, cache_ttl_s: float, clock: Callable[[], float],
                 pepper: Callable[[], bytes | None] = lambda: None,
                 plan_scopes: Mapping[str, frozenset[str]] | None = None,
                 lookup_rate_per_s: float = 50.0) -> None:
        self.store = store
        self.header = header
        self.ttl = cache_ttl_s
        self._clock = clock
        self._pepper = pepper
        self._plan_scopes = plan_scopes or {}
        self._found: OrderedDict[str, tuple[float, KeyRecord]] = OrderedDict()
        self._missing: OrderedDict[str, float] = OrderedDict()
        self._rate = lookup_rate_per_s
        self._tokens = 2 * lookup_rate_per_s  # a full bucket
        self._tokens_at = clock()
        self._lock = threading.Lock()
        self._principals: dict[KeyRecord, Principal] = {}

    def verify(self, key: str) -> Principal:
        if len(key) > MAX_KEY_HEADER:
            raise invalid_key("the key is too long", self.header)
        key_id = key_id_of(key)
        if key_id is None:
            raise invalid_key("the key is malformed", self.header)
        now = self._clock()
        record = self._record(key_id, now)
        if record is None:
            raise invalid_key("the key is not known", self.header)
        # With a pepper configured only HMAC records count: someone who can write to
        # the table but has no pepper cannot plant a key of their own.
        hash_alg, digest = hash_key(key, self._pepper())
        if not record.matches(hash_alg, digest):
            raise invalid_key("the key is not known", self.header)
        if record.status is not KeyStatus.ACTIVE:
            raise invalid_key("the key has been revoked", self.header)
        if record.expires is not None and now >= record.expires:
            raise invalid_key("the key has expired", self.header)
        return self._principal(record)

    def _principal(self, record: KeyRecord) -> Principal:
        principal = self._principals.get(record)
        if principal is None:
            principal = Principal(
                subject=record.consumer, kind="api_key", consumer=record.consumer,
                plan=record.plan, key_id=record.key_id,
                scopes=record.scopes | self._plan_scopes.get(record.plan, frozenset()))
            self._principals = {record: principal}  # one entry: the hot key; no growth
        return principal

    def _record(self, key_id: str, now: float) -> KeyRecord | None:
        with self._lock:
            hit = self._found.get(key_id)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
            missed = self._missing.get(key_id)
            if missed is not None and now - missed < self.ttl:
                return None
            if hit is None and not self._may_look_up(now):
                raise ServiceUnavailable("too many unknown API keys; try again shortly",
                                         headers={"retry-after": "1"})
        record: KeyRecord | None = self.store.get(key_id)  # outside the lock: I/O
        with self._lock:
            self._found.pop(key_id, None)
            self._missing.pop(key_id, None)
            if record is None:
                self._missing[key_id] = now
                while len(self._missing) > NEGATIVE_ENTRIES:
                    self._missing.popitem(last=False)
            else:
                self._found[key_id] = (now, record)
                while len(self._found) > POSITIVE_ENTRIES:
                    self._found.popitem(last=False)
        return record

    def _may_look_up(self, now: float) -> bool:
        """A token bucket (burst: two seconds' worth) bounding DynamoDB lookups of unknown
        keys, so that a flood of bad keys costs little. Called under the lock."""
        self._tokens = min(2 * self._rate, self._tokens + (now - self._tokens_at) * self._rate)
        self._tokens_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
