"""Layer 2: the DynamoDB CacheTable, shared by every container of a region.

Item: ``pk = "cache#<route id>"``, ``sk = <key hash>``; the route is the
partition so that ``edgeway cache purge --route R`` is one Query, not a Scan.
``expires_at`` (the table's TTL attribute) is the end of the stale window;
DynamoDB deletes expired items up to a few days late, so every read checks it.

DynamoDB items are limited to 400 KB: a response that does not fit is kept in
layer 1 only (the stage counts ``CacheItemTooLarge``), never split.

Every botocore failure becomes ``CacheUnavailable``: the stage then serves the
request uncached rather than fail it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from edgeway.cache.entry import CacheEntry
from edgeway.errors import CacheUnavailable, aws_error_code

ITEM_LIMIT_BYTES = 400 * 1024
_ITEM_OVERHEAD = 1024  # attribute names, numbers, key: a generous allowance
_PATH = "#p"  # `path` is a DynamoDB reserved word


# The route's purge generation lives beside its entries; purge never deletes it.
GENERATION_SK = "#generation"


def partition(route_id: str) -> str:
    return f"cache#{route_id}"


class DynamoCacheStore:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, route_id: str, key: str, now: float) -> CacheEntry | None:
        with _failing_as("cache table read failed"):
            item = self.client.get_item(TableName=self.table,
                                        Key={"pk": {"S": partition(route_id)}, "sk": {"S": key}}).get("Item")
        if not item or float(item["expires_at"]["N"]) <= now:
            return None  # absent, or expired but not yet deleted by DynamoDB's TTL sweeper
        return CacheEntry(status=int(item["status"]["N"]), headers=json.loads(item["headers"]["S"]),
                          body=bytes(item["body"]["B"]) if "body" in item else b"",
                          stored_at=float(item["stored_at"]["N"]), ttl_s=float(item["ttl_s"]["N"]),
                          swr_s=float(item["swr_s"]["N"]), path=item.get("path", {}).get("S", ""))

    def fits(self, entry: CacheEntry) -> bool:
        return entry.size + len(entry.path) + _ITEM_OVERHEAD <= ITEM_LIMIT_BYTES

    def put(self, route_id: str, key: str, entry: CacheEntry) -> None:
        item: dict[str, dict[str, Any]] = {
            "pk": {"S": partition(route_id)}, "sk": {"S": key},
            "status": {"N": str(entry.status)}, "headers": {"S": json.dumps(entry.headers)},
            "stored_at": {"N": repr(entry.stored_at)}, "ttl_s": {"N": repr(float(entry.ttl_s))},
            "swr_s": {"N": repr(float(entry.swr_s))}, "path": {"S": entry.path},
            "expires_at": {"N": str(math.ceil(entry.expires_at))},
        }
        if entry.body:
            item["body"] = {"B": entry.body}
        with _failing_as("cache table write failed"):
            self.client.put_item(TableName=self.table, Item=item)

    def purge(self, route_id: str, path: str | None = None) -> int:
        """Delete a route's entries (only those for ``path`` if given); the count deleted.

        Then bump the route's generation, so containers that check it
        (``cache.purge_check_s``) stop reading what they hold in memory too.
        """
        with _failing_as("cache purge failed"):
            keys = list(self._keys(route_id, path))
            for start in range(0, len(keys), 25):
                self._delete_batch(keys[start:start + 25])
            self.client.update_item(
                TableName=self.table, Key={"pk": {"S": partition(route_id)}, "sk": {"S": GENERATION_SK}},
                UpdateExpression="ADD #g :one", ExpressionAttributeNames={"#g": "generation"},
                ExpressionAttributeValues={":one": {"N": "1"}})
        return len(keys)

    def generation(self, route_id: str) -> int:
        with _failing_as("cache generation read failed"):
            item = self.client.get_item(
                TableName=self.table,
                Key={"pk": {"S": partition(route_id)}, "sk": {"S": GENERATION_SK}}).get("Item")
        return int(item["generation"]["N"]) if item and "generation" in item else 0

    def _keys(self, route_id: str, path: str | None) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition(route_id)}},
            "ProjectionExpression": "pk, sk",
        }
        if path is not None:
            kwargs["FilterExpression"] = f"{_PATH} = :path"
            kwargs["ExpressionAttributeNames"] = {_PATH: "path"}
            kwargs["ExpressionAttributeValues"][":path"] = {"S": path}
        for page in self.client.get_paginator("query").paginate(**kwargs):
            for item in page.get("Items", []):
                if item["sk"]["S"] != GENERATION_SK:
                    yield {"pk": item["pk"], "sk": item["sk"]}

    def _delete_batch(self, keys: list[dict[str, Any]]) -> None:
        request = {self.table: [{"DeleteRequest": {"Key": k}} for k in keys]}
        for _ in range(8):  # bounded: unprocessed items come back under throttling
            left = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            if not left:
                return
            request = left
        raise CacheUnavailable("cache purge: DynamoDB kept items unprocessed (throttled); run it again")


@contextmanager
def _failing_as(what: str) -> Iterator[None]:
    """Any botocore failure inside becomes ``CacheUnavailable`` naming ``what`` and its code."""
    from botocore.exceptions import BotoCoreError, ClientError  # loaded only by a store in use

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise CacheUnavailable(f"{what}: {aws_error_code(exc) or type(exc).__name__}") from exc
