"""moto in server mode: the embedded AWS every local function talks to.

One server answers every service and every region (the region travels in each
request's signature), so the template's tables, queues and event buses are
created once per served region: they are regional, exactly as in the cloud.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from edgeway_local.errors import StackError
from edgeway_local.ports import ensure_free, url_host
from edgeway_local.resources import EventBus, Queue, Table
from edgeway_local.template import Template

DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class MotoServer:
    host: str = "127.0.0.1"
    port: int = 5000
    _server: Any = None

    @property
    def url(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}"

    def start(self) -> MotoServer:
        # ThreadedMotoServer waits forever when its bind fails: check the port first.
        ensure_free(self.host, self.port, "moto")
        from moto.server import ThreadedMotoServer  # dev-only, heavy: import when used

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per AWS call
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.url, **DUMMY_CREDENTIALS)


def create_tables(dynamodb: Any, tables: Iterable[Table]) -> list[str]:
    """Create each table (idempotent) with its TTL and PITR settings; names created."""
    created = []
    for table in tables:
        try:
            dynamodb.create_table(**_create_args(table))
            created.append(table.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise StackError(f"cannot create table {table.name} ({table.logical_id}) in moto: "
                                 f"{exc.response['Error'].get('Message', exc)}") from exc
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute})
        if table.point_in_time_recovery:
            dynamodb.update_continuous_backups(
                TableName=table.name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return created


def create_queues(sqs: Any, queues: Iterable[Queue]) -> None:
    """Create each SQS queue (idempotent; redrive and retention do not matter locally)."""
    for queue in queues:
        attributes = {"FifoQueue": "true"} if queue.fifo else {}
        sqs.create_queue(QueueName=queue.name, Attributes=attributes)


def create_event_buses(events: Any, buses: Iterable[EventBus]) -> None:
    for bus in buses:
        try:
            events.create_event_bus(Name=bus.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise StackError(f"cannot create event bus {bus.name} in moto: {exc}") from exc


def create_resources(server: MotoServer, template: Template) -> None:
    """Every table, queue and event bus of ``template``, in its region."""
    region = template.region
    create_tables(server.client("dynamodb", region), template.tables.values())
    if template.queues:
        create_queues(server.client("sqs", region), template.queues.values())
    if template.event_buses:
        create_event_buses(server.client("events", region), template.event_buses.values())


def _create_args(table: Table) -> dict[str, Any]:
    args: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": list(table.key_schema),
        "AttributeDefinitions": list(table.attribute_definitions),
        "BillingMode": table.billing_mode,
    }
    if table.billing_mode == "PROVISIONED":
        args["ProvisionedThroughput"] = dict(table.provisioned_throughput or
                                             {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    if table.global_secondary_indexes:
        args["GlobalSecondaryIndexes"] = list(table.global_secondary_indexes)
    if table.local_secondary_indexes:
        args["LocalSecondaryIndexes"] = list(table.local_secondary_indexes)
    return args
