"""Every consumer's usage against each quota window, from the CountersTable.

What ``edgeway usage --all`` prints and the console's Consumers section shows:
one row per consumer with the current UTC day and month counts (summed over the
counter shards) next to its plan's limits. A count that belongs to an older
window is 0 now: the window rolled over and the next admitted request resets it.

Read with one paginated ``Scan`` over the ``rl#`` items (the table holds one per
consumer and shard, plus the monthly usage items, which the filter drops). The
plan of a consumer comes from its record in the KeysTable when it has one, else
the config's ``default_plan``, as the rate-limit stage decides it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from edgeway.ratelimit.arithmetic import window
from edgeway.ratelimit.plans import PlanSet
from edgeway.ratelimit.store import state_of

COUNTER_PREFIX = "rl#"
MAX_PAGES = 1_000


def quota_rows(items: Iterable[Mapping[str, Any]], plans: PlanSet | None,
               plan_of: Mapping[str, str], *, now: float) -> list[dict[str, Any]]:
    """Pure: counter items in, one row per consumer out, busiest (day, then month) first."""
    day, month = window("day", now).id, window("month", now).id
    used: dict[str, list[int]] = {}
    for item in items:
        pk = item.get("pk", {}).get("S", "")
        if not pk.startswith(COUNTER_PREFIX):
            continue
        state = state_of(item)
        counts = used.setdefault(pk[len(COUNTER_PREFIX):], [0, 0])
        counts[0] += state.day_count if state.day == day else 0
        counts[1] += state.month_count if state.month == month else 0
    rows: list[dict[str, Any]] = []
    for consumer, (day_used, month_used) in used.items():
        plan = plans.for_principal(plan_of.get(consumer)) if plans is not None else None
        windows: dict[str, dict[str, Any]] = {
            "day": {"used": day_used, "limit": plan.day if plan else None},
            "month": {"used": month_used, "limit": plan.month if plan else None}}
        rows.append({"consumer": consumer, "plan": plan.name if plan else None, **windows,
                     "at_limit": any(w["limit"] is not None and w["used"] >= w["limit"]
                                     for w in windows.values())})
    rows.sort(key=lambda r: (-r["day"]["used"], -r["month"]["used"], r["consumer"]))
    return rows


def _scan(client: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a paginated ``Scan`` returns (botocore errors propagate to the caller's
    boundary)."""
    for _ in range(MAX_PAGES):
        page = client.scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def scan_counters(client: Any, table: str) -> Iterator[dict[str, Any]]:
    """Every ``rl#`` item of the table."""
    return _scan(client, TableName=table, FilterExpression="begins_with(pk, :p)",
                 ExpressionAttributeValues={":p": {"S": COUNTER_PREFIX}})


def plans_by_consumer(client: Any, keys_table: str) -> dict[str, str]:
    """consumer -> plan, from the consumers' records in the KeysTable (``sk = "consumer"``):
    a consumer's plan lives there once, for its keys and its tokens alike."""
    from edgeway.auth.keyformat import CONSUMER_SK

    out: dict[str, str] = {}
    for item in _scan(client, TableName=keys_table, FilterExpression="sk = :sk",
                      ExpressionAttributeValues={":sk": {"S": CONSUMER_SK}}):
        consumer, plan = item.get("consumer", {}).get("S"), item.get("plan", {}).get("S")
        if consumer and plan:
            out[consumer] = plan
    return out


def quota_report(client: Any, counters_table: str, keys_table: str | None,
                 plans: PlanSet | None, *, now: float) -> dict[str, Any]:
    """What ``edgeway usage --all --json`` prints and ``/_edgeway/api/consumers`` answers."""
    rows = quota_rows(scan_counters(client, counters_table), plans,
                      plans_by_consumer(client, keys_table) if keys_table else {}, now=now)
    return {"consumers": rows, "at_limit": [r["consumer"] for r in rows if r["at_limit"]]}
