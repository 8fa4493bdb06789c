"""Per-route usage per consumer and month, for billing.

Written by the stage: in strict mode one unconditional ``ADD`` per admitted
request on the item ``pk = usage#<consumer>, sk = <YYYY-MM>`` (attribute
``r:<route id>``, one write unit: the cost of exact billing is a second write
per request); in leased mode one ``ADD`` per lease with the lease's per-route
sums. The item expires (TTL) 400 days after its month ends.

Read here by ``edgeway usage`` with one ``GetItem``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROUTE_PREFIX = "r:"


@dataclass(frozen=True, slots=True)
class Usage:
    """One consumer's request counts for one month, per route."""
    consumer: str
    month: str
    routes: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.routes.values())

    def as_dict(self) -> dict[str, Any]:
        return {"consumer": self.consumer, "month": self.month,
                "routes": dict(sorted(self.routes.items())), "total": self.total}


def usage_key(consumer: str, month: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"usage#{consumer}"}, "sk": {"S": month}}


def read_usage(client: Any, table: str, consumer: str, month: str) -> Usage:
    item = client.get_item(TableName=table, Key=usage_key(consumer, month),
                           ConsistentRead=True).get("Item") or {}
    routes = {name[len(ROUTE_PREFIX):]: int(value["N"]) for name, value in item.items()
              if name.startswith(ROUTE_PREFIX) and "N" in value}
    return Usage(consumer=consumer, month=month, routes=routes)
