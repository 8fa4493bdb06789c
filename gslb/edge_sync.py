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

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from edgeway.errors import EdgewayError, StoreError, aws_error_code

from .config import GslbConfig
from .edge_export import META_KEYS, EdgeDecisions, EdgeStoreTooLarge, check_limits, export
from .health import Health
from .publish import changed, pages, with_retries
from .store import GslbStore

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
    writes, deletes = changed(desired, current)
    first = {key: i for i, key in enumerate(META_KEYS)}
    return ([EdgeChange("put", k, current.get(k), desired[k])
             for k in sorted(writes, key=lambda k: first.get(k, len(first)))]
            + [EdgeChange("delete", k, current[k], None) for k in deletes])


def _etag(client: Any, arn: str, doing: str = "reading") -> str:
    try:
        return str(client.describe_key_value_store(KvsARN=arn)["ETag"])
    except (ClientError, BotoCoreError) as exc:
        raise EdgeSyncError(f"{doing} the edge decision store {arn}: {exc}") from exc


def read_store(client: Any, arn: str, last: Published | None = None) -> tuple[str, dict[str, str]]:
    """(ETag, every pair) of the store; our own copy stands in for ListKeys while the ETag is
    the one we last wrote."""
    etag = _etag(client, arn)
    if last is not None and etag == last.etag:
        return etag, dict(last.items)
    try:
        return etag, {item["Key"]: item["Value"]
                      for page in pages(client.list_keys, KvsARN=arn, MaxResults=PAGE)
                      for item in page.get("Items", [])}
    except (ClientError, BotoCoreError) as exc:
        raise EdgeSyncError(f"reading the edge decision store {arn}: {exc}") from exc


def keep_last_good(reason: str) -> EdgeSyncResult:
    return EdgeSyncResult((), 0, applied=False, kept_last_good=reason)


def sync(client: Any, arn: str, decisions: EdgeDecisions, *, dry_run: bool = False,
         last: Published | None = None) -> EdgeSyncResult:
    if not decisions.prefixes:
        return keep_last_good("the Engine exported no decisions (empty networks table?); "
                              "the store keeps the last good set")
    check_limits(decisions)
    desired = dict(decisions.items)
    if last is not None and dict(last.items) == desired:
        return EdgeSyncResult((), len(desired), applied=False, etag=last.etag, published=last)

    def attempt() -> EdgeSyncResult:
        etag, current = read_store(client, arn, last)
        changes = diff(desired, current)
        unchanged = len(desired) - sum(c.action == "put" for c in changes)
        if dry_run or not changes:
            return EdgeSyncResult(tuple(changes), unchanged, applied=False, etag=etag,
                                  published=None if dry_run else Published(etag, desired))
        batches = [changes[start:start + BATCH] for start in range(0, len(changes), BATCH)]
        for batch in batches:
            etag = _update(client, arn, etag, batch)
        return EdgeSyncResult(tuple(changes), unchanged, applied=True, etag=etag,
                              calls=len(batches), published=Published(etag, desired))

    def forget(_attempt: int) -> None:
        nonlocal last
        last = None       # someone wrote in between: read it all and diff again

    try:
        return with_retries(attempt, {"ConflictException"}, attempts=2, pause=forget)
    except (ClientError, BotoCoreError) as exc:
        if aws_error_code(exc) == "ServiceQuotaExceededException":
            raise EdgeStoreTooLarge(f"the edge decision store {arn} refused the update: "
                                    f"{exc}", key="gslb.networks") from exc
        raise EdgeSyncError(f"updating the edge decision store {arn}: {exc}") from exc


def _update(client: Any, arn: str, etag: str, changes: Sequence[EdgeChange]) -> str:
    """One UpdateKeys call, made against ``etag`` (``IfMatch``); the store's new ETag."""
    puts = [{"Key": c.key, "Value": c.new} for c in changes if c.action == "put"]
    deletes = [{"Key": c.key} for c in changes if c.action == "delete"]
    kwargs: dict[str, Any] = {"KvsARN": arn, "IfMatch": etag}
    if puts:
        kwargs["Puts"] = puts
    if deletes:
        kwargs["Deletes"] = deletes
    return str(client.update_keys(**kwargs)["ETag"])


def publish_down(client: Any, arn: str, down: Iterable[str]) -> str:
    """Write only the ``down`` key (DescribeKeyValueStore + one UpdateKeys); the new ETag.

    The fast path of a failover: the function skips a region listed there at once,
    before the next full sync rewrites the prefixes.
    """
    put = [EdgeChange("put", "down", None, ",".join(sorted(down)))]

    def write() -> str:
        return _update(client, arn, _etag(client, arn, "writing `down` to"), put)

    try:
        return with_retries(write, {"ConflictException"}, attempts=2, pause=lambda _: None)
    except (ClientError, BotoCoreError) as exc:
        raise EdgeSyncError(f"writing `down` to the edge decision store {arn}: {exc}") from exc


class DownPublisher:
    """After every health-checker round: the regions the GslbTable's cells hold DOWN by
    quorum (as the Engine decides), written to the edge store when that set changed.

    Never raises: an unreadable table is the checker's to report, and a failing edge
    store is logged once (until it works again); neither must stop the probes.
    """

    def __init__(self, client: Any, arn: str, config: GslbConfig, store: GslbStore, *,
                 clock: Callable[[], float] = time.time, log: logging.Logger | None = None) -> None:
        self.client = client
        self.arn = arn
        self.config = config
        self.store = store
        self.clock = clock
        self.log = log or logging.getLogger("gslb.edge_sync")
        self._published: frozenset[str] | None = None   # unknown at cold start: write once
        self._failing = False

    def __call__(self, _report: object) -> bool:
        now = self.clock()
        try:
            cells = self.store.read_health(self.config.region_names, now=now)
        except StoreError:
            return False
        board = self.config.health_board()
        for vantage, region, cell in cells:
            if region in board.regions:
                board.put(vantage, region, cell)
        down = frozenset(r for r in board.regions if board.region(r, now).state is Health.DOWN)
        if down == self._published:
            return False
        try:
            publish_down(self.client, self.arn, down)
        except EdgeSyncError as exc:
            if not self._failing:
                self._failing = True
                self.log.error("edge store: could not publish down=%s (said once until it works "
                               "again): %s", ",".join(sorted(down)) or "-", exc)
            return False
        if self._failing:
            self._failing = False
            self.log.warning("edge store: publishing works again")
        self.log.info("edge store: down=%s", ",".join(sorted(down)) or "-")
        self._published = down
        return True


class EdgeStorePublisher:
    """The edge's decision store as one more publisher of the scheduled sync
    (``gslb.publish.Publisher``: ``name`` and ``publish(engine, dry_run=)``).

    It keeps what it last published between runs of a warm container on purpose:
    that is what lets an unchanged minute cost no KeyValueStore call (``Published``);
    a cold container starts from nothing and reads the store. A failure is reported
    in the summary, not raised, so one publisher cannot stop the others.
    """

    name = "edge"

    def __init__(self, client: Any, arn: str) -> None:
        self.client = client
        self.arn = arn
        self._last: Published | None = None

    def publish(self, engine: Any, *, dry_run: bool) -> Mapping[str, Any]:
        try:
            result = sync(self.client, self.arn, export(engine), dry_run=dry_run, last=self._last)
        except (EdgeSyncError, EdgeStoreTooLarge) as exc:
            self._last = None
            return {"applied": False, "error": str(exc)}
        if result.published is not None:
            self._last = result.published
        summary = result.summary()
        summary["changes"] = len(result.changes)      # counts only: a log line, not 400 keys
        return summary


def describe(changes: Sequence[EdgeChange]) -> list[str]:
    """One line per change, for people."""
    return [f"{'PUT' if c.action == 'put' else 'DELETE':<6} {c.key:<44} "
            f"{c.old if c.old is not None else '-'} -> {c.new if c.new is not None else '-'}"
            for c in changes]


__all__ = ["DownPublisher", "EdgeChange", "EdgeStorePublisher", "EdgeSyncError", "EdgeSyncResult",
           "Published", "describe", "diff", "keep_last_good", "publish_down", "read_store", "sync"]
