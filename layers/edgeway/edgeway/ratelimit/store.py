"""The counters in DynamoDB: one item per consumer (per shard), one conditional write per check.

Item layout (CountersTable, ``pk``/``sk`` strings)::

    pk = "rl#<consumer>"   sk = "s<shard>"
    tat          N   token bucket: theoretical arrival time, integer microseconds
    d, dc        S,N the current UTC day window id and its count
    m, mc        S,N the current UTC month window id and its count
    expires_at   N   TTL: a day after the month window ends

    pk = "usage#<consumer>"   sk = "<YYYY-MM>"      (billing, see usage.py)
    r:<route id> N   units admitted on that route in that month

Why one item for bucket, day and month: every limit of a check then moves in
ONE ``UpdateItem`` whose ``ConditionExpression`` states that every limit still
holds, so a check is atomic without a transaction (TransactWriteItems would
cost twice the write units and a second round of latency) and nothing can be
counted twice or half-counted. Each part of the item has two write variants
(ADD to the current window / SET a new one; ADD to a bucket in debt / SET a
full one); ``arithmetic.plan_attempt`` picks them from the last state seen.
If the item moved meanwhile, the write fails its condition, DynamoDB returns
the current item (``ReturnValuesOnConditionCheckFailure=ALL_OLD``) and the
caller decides again from that state: never a read before a write.

A failed condition means nothing was written, so re-deciding is safe. A
timeout or a 5xx may or may not have applied: those are never retried (the
client has botocore retries off), they go to the plan's failure policy, so a
request is counted at most once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from edgeway.errors import CounterUnavailable, EdgewayError
from edgeway.ratelimit.arithmetic import US, CounterState, Limits, Plan
from edgeway.ratelimit.usage import ROUTE_PREFIX, usage_key

USAGE_KEEP_S = 400 * 86_400  # usage items outlive a year of invoices
THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                            "RequestLimitExceeded"})


class Conflict(EdgewayError):
    """The condition failed: nothing was written; ``state`` is the item as it is now."""

    def __init__(self, state: CounterState) -> None:
        super().__init__("counter moved")
        self.state = state


def state_of(item: Mapping[str, Any] | None) -> CounterState:
    item = item or {}
    tat = item.get("tat", {}).get("N")
    return CounterState(tat=int(tat) if tat is not None else None, day=item.get("d", {}).get("S"),
                        day_count=int(item.get("dc", {}).get("N", 0)),
                        month=item.get("m", {}).get("S"),
                        month_count=int(item.get("mc", {}).get("N", 0)))


def build_expression(plan: Plan, limits: Limits) -> dict[str, Any]:
    """The UpdateItem expressions that apply ``plan`` only if every limit still holds."""
    names: dict[str, str] = {"#e": "expires_at"}
    values: dict[str, dict[str, str]] = {}
    sets: list[str] = []
    adds: list[str] = []
    conds: list[str] = []
    expires = int(plan.now_us // US) + 86_400
    if limits.bucket is not None:
        names["#t"] = "tat"
        inc = plan.cost * limits.bucket.emission_us
        values[":now"] = {"N": str(plan.now_us)}
        if plan.bucket_debt:
            conds.append("#t > :now AND #t <= :tmax")
            values[":tmax"] = {"N": str(plan.tat_max)}
            values[":inc"] = {"N": str(inc)}
            adds.append("#t :inc")
        else:
            conds.append("(attribute_not_exists(#t) OR #t <= :now)")
            values[":tnew"] = {"N": str(plan.now_us + inc)}
            sets.append("#t = :tnew")
        expires = max(expires, math.ceil((plan.now_us + limits.bucket.tau_us) / US) + 86_400)
    for tag, win, same, limit in (("d", plan.day, plan.day_same, limits.day),
                                  ("m", plan.month, plan.month_same, limits.month)):
        if win is None or limit is None:
            continue
        names[f"#{tag}"] = tag
        names[f"#{tag}c"] = f"{tag}c"
        values[f":{tag}"] = {"S": win.id}
        values[":c"] = {"N": str(plan.cost)}
        if same:
            # The classic shape: ADD #c :cost IF #c <= limit - cost (``count`` itself is reserved).
            conds.append(f"#{tag} = :{tag} AND #{tag}c <= :{tag}max")
            values[f":{tag}max"] = {"N": str(limit - plan.cost)}
            adds.append(f"#{tag}c :c")
        else:
            # Window ids sort by time: a stored later window is never overwritten by an older one.
            conds.append(f"(attribute_not_exists(#{tag}) OR #{tag} < :{tag})")
            sets.append(f"#{tag} = :{tag}")
            sets.append(f"#{tag}c = :c")
        expires = max(expires, win.end + 86_400)
    values[":exp"] = {"N": str(expires)}
    sets.append("#e = :exp")
    update = "SET " + ", ".join(sets)
    if adds:
        update += " ADD " + ", ".join(adds)
    return {"UpdateExpression": update, "ConditionExpression": " AND ".join(conds),
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


class CounterStore:
    """Thin I/O shell around the counters table; every foreign error is mapped here."""

    def __init__(self, client: Any, table: str | None) -> None:
        self.client = client
        self.table = table
        self.calls = 0  # DynamoDB requests made (benchmarks read it)

    @staticmethod
    def key(consumer: str, shard: int) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"rl#{consumer}"}, "sk": {"S": f"s{shard}"}}

    def apply(self, consumer: str, shard: int, plan: Plan, limits: Limits) -> CounterState:
        """Write ``plan``; the new state, or ``Conflict`` with the current one."""
        result = self._call(
            "update_item", TableName=self.table, Key=self.key(consumer, shard),
            **build_expression(plan, limits),
            ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD")
        return state_of(result.get("Attributes"))

    def refund(self, consumer: str, shard: int, units: int, *, day: str | None,
               month: str | None) -> None:
        """Give back ``units`` to the windows that are still current (leased mode).

        Only the quota windows are refunded, and only while the item still holds
        the same window ids: a refund can never lift a later window.
        """
        for _ in range(2):
            parts = [(tag, win) for tag, win in (("d", day), ("m", month)) if win is not None]
            if not parts:
                return
            names = {f"#{tag}{suffix}": f"{tag}{suffix}" for tag, _ in parts for suffix in ("", "c")}
            values = {":neg": {"N": str(-units)}, **{f":{tag}": {"S": win} for tag, win in parts}}
            try:
                self._call(
                    "update_item", TableName=self.table, Key=self.key(consumer, shard),
                    UpdateExpression="ADD " + ", ".join(f"#{t}c :neg" for t, _ in parts),
                    ConditionExpression=" AND ".join(f"#{t} = :{t}" for t, _ in parts),
                    ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD")
                return
            except Conflict as exc:
                day = day if exc.state.day == day else None
                month = month if exc.state.month == month else None

    def add_usage(self, consumer: str, month: str, month_end: int,
                  units: Mapping[str, int]) -> None:
        """ADD per-route units to the consumer's usage item for ``month`` (unconditional)."""
        names = {"#e": "expires_at"}
        values: dict[str, dict[str, str]] = {":exp": {"N": str(month_end + USAGE_KEEP_S)}}
        adds = []
        for i, (route, n) in enumerate(sorted(units.items())):
            names[f"#r{i}"] = ROUTE_PREFIX + route
            values[f":u{i}"] = {"N": str(n)}
            adds.append(f"#r{i} :u{i}")
        self._call("update_item", TableName=self.table, Key=usage_key(consumer, month),
                   UpdateExpression="SET #e = :exp ADD " + ", ".join(adds),
                   ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import (BotoCoreError, ClientError, ConnectionClosedError,
                                         ConnectTimeoutError, EndpointConnectionError,
                                         ReadTimeoutError)

        if self.table is None:
            raise CounterUnavailable("error", "no counters table is configured "
                                     "(EDGEWAY_COUNTERS_TABLE)", maybe_applied=False)
        self.calls += 1
        try:
            result: dict[str, Any] = getattr(self.client, operation)(**kwargs)
            return result
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise Conflict(state_of(exc.response.get("Item"))) from exc
            if code in THROTTLE_CODES:
                # Throttled requests are refused before they apply.
                raise CounterUnavailable("throttled", code, maybe_applied=False) from exc
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            raise CounterUnavailable("error", f"{code or 'HTTP ' + str(status)}",
                                     maybe_applied=status >= 500) from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            raise CounterUnavailable("timeout", type(exc).__name__, maybe_applied=True) from exc
        except (ConnectTimeoutError, EndpointConnectionError) as exc:
            raise CounterUnavailable("unreachable", type(exc).__name__, maybe_applied=False) from exc
        except BotoCoreError as exc:
            raise CounterUnavailable("error", type(exc).__name__, maybe_applied=True) from exc
