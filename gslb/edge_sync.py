"""Keep the edge's decision store (a CloudFront KeyValueStore) equal to the Engine's export.

Thin I/O around ``gslb.edge_export``: read the store (DescribeKeyValueStore for
the ETag, ListKeys for the pairs), diff, and send only what changed with
UpdateKeys, each call carrying the ETag it was computed against (``IfMatch``):
a concurrent writer makes the call fail with a conflict instead of being
overwritten blindly, and the sync then re-reads once and tries again.

Rules the edge depends on:

* an empty decision set is never published: the store keeps the last good one
  and the result says why (``kept_last_good``);
* a set over the store's limits is refused before any call (``EdgeStoreTooLarge``);
* puts go before deletes, and ``down`` and the other meta keys first: when a
  change needs more than one call, the first already steers viewers off a region
  that went down.

Callers: ``edgeway gslb sync-edge`` (CLI) and the scheduled sync function, as
one more publisher beside Route 53. ``client`` is a boto3
``cloudfront-keyvaluestore`` client (needs SigV4A: botocore with awscrt), or the
in-repo fake with the same methods (``edgeway_local.fake_kvs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from edgeway.errors import EdgewayError

from .edge_export import META_KEYS, EdgeDecisions, EdgeStoreTooLarge, check_limits

BATCH = 50          # changes per UpdateKeys call
PAGE = 50           # ListKeys page size


class EdgeSyncError(EdgewayError):
    """The edge's decision store could not be read or written; the cause is chained."""


@dataclass(frozen=True, slots=True)
class EdgeChange:
    action: Literal["put", "delete"]
    key: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Published:
    """What this writer last put in the store, and the ETag the store gave it back.

    A scheduled sync keeps it between runs (module state of a warm container): when
    the export has not changed, the sync makes no call at all, and when it has, one
    DescribeKeyValueStore proves nobody else wrote (same ETag) so no ListKeys is
    needed. KeyValueStore API calls are billed per thousand; a full read every
    minute would cost more than the edge function itself.
    """

    etag: str
    items: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class EdgeSyncResult:
    changes: tuple[EdgeChange, ...]
    unchanged: int
    applied: bool
    etag: str | None = None                 # the store's version after the sync
    kept_last_good: str | None = None       # why nothing was published, when so
    calls: int = 0                          # UpdateKeys calls made
    published: Published | None = None      # pass to the next sync (None: unknown, read again)

    def summary(self) -> dict[str, Any]:
        return {"applied": self.applied, "unchanged": self.unchanged, "etag": self.etag,
                "kept_last_good": self.kept_last_good, "update_calls": self.calls,
                "changes": [{"action": c.action, "key": c.key, "old": c.old, "new": c.new}
                            for c in self.changes]}


def diff(desired: Mapping[str, str], current: Mapping[str, str]) -> list[EdgeChange]:
    """Puts (meta keys first) then deletes; nothing for a key already equal."""
    def order(key: str) -> tuple[int, str]:
        return (META_KEYS.index(key) if key in META_KEYS else len(META_KEYS), key)

    puts = [EdgeChange("put", k, current.get(k), v) for k, v in desired.items() if current.get(k) != v]
    deletes = [EdgeChange("delete", k, v, None) for k, v in current.items() if k not in desired]
    return sorted(puts, key=lambda c: order(c.key)) + sorted(deletes, key=lambda c: c.key)


def read_store(client: Any, arn: str) -> tuple[str, dict[str, str]]:
    """(ETag, every pair) of the store."""
    try:
        etag = str(client.describe_key_value_store(KvsARN=arn)["ETag"])
        items: dict[str, str] = {}
        kwargs: dict[str, Any] = {"KvsARN": arn, "MaxResults": PAGE}
        while True:
            page = client.list_keys(**kwargs)
            for item in page.get("Items", []):
                items[item["Key"]] = item["Value"]
            if not page.get("NextToken"):
                return etag, items
            kwargs["NextToken"] = page["NextToken"]
    except (ClientError, BotoCoreError) as exc:
        raise EdgeSyncError(f"reading the edge decision store {arn}: {exc}") from exc


def keep_last_good(reason: str, *, unchanged: int = 0) -> EdgeSyncResult:
    return EdgeSyncResult((), unchanged, applied=False, kept_last_good=reason)


def sync(client: Any, arn: str, decisions: EdgeDecisions, *, dry_run: bool = False,
         last: Published | None = None) -> EdgeSyncResult:
    if not decisions.prefixes:
        return keep_last_good("the Engine exported no decisions (empty networks table?); "
                              "the store keeps the last good set")
    check_limits(decisions)
    desired = dict(decisions.items)
    if last is not None and dict(last.items) == desired:
        return EdgeSyncResult((), len(desired), applied=False, etag=last.etag, published=last)
    for attempt in (1, 2):
        etag, current = _current(client, arn, last)
        changes = diff(desired, current)
        unchanged = len(desired) - sum(c.action == "put" for c in changes)
        if dry_run or not changes:
            return EdgeSyncResult(tuple(changes), unchanged, applied=False, etag=etag,
                                  published=None if dry_run else Published(etag, desired))
        try:
            calls = 0
            for start in range(0, len(changes), BATCH):
                batch = changes[start:start + BATCH]
                puts = [{"Key": c.key, "Value": c.new} for c in batch if c.action == "put"]
                deletes = [{"Key": c.key} for c in batch if c.action == "delete"]
                kwargs: dict[str, Any] = {"KvsARN": arn, "IfMatch": etag}
                if puts:
                    kwargs["Puts"] = puts
                if deletes:
                    kwargs["Deletes"] = deletes
                etag = str(client.update_keys(**kwargs)["ETag"])
                calls += 1
            return EdgeSyncResult(tuple(changes), unchanged, applied=True, etag=etag, calls=calls,
                                  published=Published(etag, desired))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ConflictException" and attempt == 1:
                last = None       # someone wrote in between: read it all and diff again
                continue
            if code == "ServiceQuotaExceededException":
                raise EdgeStoreTooLarge(f"the edge decision store {arn} refused the update: "
                                        f"{exc}", key="gslb.networks") from exc
            raise EdgeSyncError(f"updating the edge decision store {arn}: {exc}") from exc
        except BotoCoreError as exc:
            raise EdgeSyncError(f"updating the edge decision store {arn}: {exc}") from exc
    raise EdgeSyncError(f"the edge decision store {arn} kept changing under the sync")  # pragma: no cover


def _current(client: Any, arn: str, last: Published | None) -> tuple[str, dict[str, str]]:
    """The store's ETag and pairs; our own copy stands in for ListKeys while the ETag is ours."""
    if last is not None:
        try:
            etag = str(client.describe_key_value_store(KvsARN=arn)["ETag"])
        except (ClientError, BotoCoreError) as exc:
            raise EdgeSyncError(f"reading the edge decision store {arn}: {exc}") from exc
        if etag == last.etag:
            return etag, dict(last.items)
    return read_store(client, arn)


def describe(changes: Sequence[EdgeChange]) -> list[str]:
    """One line per change, for people."""
    return [f"{'PUT' if c.action == 'put' else 'DELETE':<6} {c.key:<44} "
            f"{c.old if c.old is not None else '-'} -> {c.new if c.new is not None else '-'}"
            for c in changes]


__all__ = ["EdgeChange", "EdgeSyncError", "EdgeSyncResult", "Published", "describe", "diff", "keep_last_good",
           "read_store", "sync"]
