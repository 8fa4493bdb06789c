"""The template's data resources the local stack creates in moto.

DynamoDB tables (``AWS::DynamoDB::Table``, ``AWS::DynamoDB::GlobalTable``,
``AWS::Serverless::SimpleTable``), SQS queues and EventBridge buses: each is
created in every served region, with the local name its ``!Ref`` resolves to
(its ``TableName`` when it has one: see ``intrinsics``).

Two cloud facts have no local counterpart, on purpose:

- a resource's ``Condition`` is ignored: in the cloud a table that only the
  home stack creates (``Condition: IsHomeRegion``) still exists for the other
  regions, by name or as their replica; locally there is no other stack to own
  it, so every served region gets it;
- a global table is one independent table per region (moto does not
  replicate). The table is marked ``replicated`` so that the local tools that
  write it (``edgeway keys``, the demo key) write every region, as replication
  would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.errors import ConfigError
from edgeway_local.intrinsics import (
    Resolver, local_bus_name, local_queue_name, local_table_name,
)

GLOBAL_TABLE_TYPE = "AWS::DynamoDB::GlobalTable"
QUEUE_TYPES = ("AWS::SQS::Queue",)
BUS_TYPES = ("AWS::Events::EventBus",)


@dataclass(frozen=True, slots=True)
class Table:
    logical_id: str
    name: str
    key_schema: tuple[Mapping[str, str], ...]
    attribute_definitions: tuple[Mapping[str, str], ...]
    billing_mode: str
    provisioned_throughput: Mapping[str, int] | None
    global_secondary_indexes: tuple[Mapping[str, Any], ...]
    local_secondary_indexes: tuple[Mapping[str, Any], ...]
    ttl_attribute: str | None
    point_in_time_recovery: bool
    # A global table in the template: the same data in every region.
    replicated: bool = False


@dataclass(frozen=True, slots=True)
class Queue:
    logical_id: str
    name: str
    fifo: bool


@dataclass(frozen=True, slots=True)
class EventBus:
    logical_id: str
    name: str


def _props(lid: str, resource: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    props = resolver.resolve(resource.get("Properties") or {}, f"Resources.{lid}.Properties")
    if not isinstance(props, dict):
        raise ConfigError("must be a mapping", file=resolver.file, key=f"Resources.{lid}.Properties")
    return props


def queue(lid: str, resource: Mapping[str, Any], resolver: Resolver) -> Queue:
    props = _props(lid, resource, resolver)
    return Queue(logical_id=lid, name=local_queue_name(lid, props),
                 fifo=str(props.get("FifoQueue")).lower() == "true")


def event_bus(lid: str, resource: Mapping[str, Any], resolver: Resolver) -> EventBus:
    return EventBus(logical_id=lid, name=local_bus_name(lid, _props(lid, resource, resolver)))


def table(lid: str, resource: Mapping[str, Any], resolver: Resolver) -> Table:
    key = f"Resources.{lid}.Properties"
    props = resolver.resolve(resource.get("Properties") or {}, key)
    if resource.get("Type") == "AWS::Serverless::SimpleTable":
        pk = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        kind = {"String": "S", "Number": "N", "Binary": "B"}.get(str(pk.get("Type")), "S")
        props = {
            "TableName": props.get("TableName"),
            "KeySchema": [{"AttributeName": pk["Name"], "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": pk["Name"], "AttributeType": kind}],
            "BillingMode": "PAY_PER_REQUEST" if "ProvisionedThroughput" not in props else "PROVISIONED",
            "ProvisionedThroughput": props.get("ProvisionedThroughput"),
        }
    for required in ("KeySchema", "AttributeDefinitions"):
        if not isinstance(props.get(required), list) or not props[required]:
            raise ConfigError("a table needs a non-empty list here", file=resolver.file,
                              key=f"{key}.{required}")
    ttl = props.get("TimeToLiveSpecification") or {}
    pitr = props.get("PointInTimeRecoverySpecification") or {}
    replicated = resource.get("Type") == GLOBAL_TABLE_TYPE
    if replicated:
        # Set per replica; locally: this region's replica, else the first one.
        replicas = [r for r in props.get("Replicas") or [] if isinstance(r, dict)]
        mine = [r for r in replicas if r.get("Region") == resolver.region] or replicas[:1]
        pitr = (mine[0].get("PointInTimeRecoverySpecification") or {}) if mine else {}
    return Table(
        logical_id=lid,
        name=local_table_name(lid, props),
        key_schema=tuple(props["KeySchema"]),
        attribute_definitions=tuple(props["AttributeDefinitions"]),
        billing_mode=props.get("BillingMode") or "PROVISIONED",
        provisioned_throughput=props.get("ProvisionedThroughput"),
        global_secondary_indexes=tuple(props.get("GlobalSecondaryIndexes") or ()),
        local_secondary_indexes=tuple(props.get("LocalSecondaryIndexes") or ()),
        ttl_attribute=ttl.get("AttributeName") if str(ttl.get("Enabled")).lower() == "true" else None,
        point_in_time_recovery=str(pitr.get("PointInTimeRecoveryEnabled")).lower() == "true",
        replicated=replicated,
    )
