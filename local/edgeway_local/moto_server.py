"""moto in server mode: the embedded AWS every local function talks to.

One server answers every service and every region (the region travels in each
request's signature), so the template's tables, queues and event buses are
created once per served region: they are regional, exactly as in the cloud.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from edgeway_local.errors import StackError
from edgeway_local.ports import ensure_free, url_host
from edgeway_local.resources import EventBus, Queue, Table
from edgeway_local.template import Template

# moto on loopback answers in milliseconds: a call that takes seconds is stuck, and
# botocore's defaults (60 s reads, retried) would hold a probe loop or a stop for minutes.
LOCAL_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=10,
                             retries={"max_attempts": 3, "mode": "standard"})
# How often the server loop looks for stop(): Ctrl-C should not wait half a second here.
STOP_POLL_S = 0.05
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class _OneAtATime:
    """WSGI wrapper: one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with self.lock:
            return list(self.app(environ, start_response))


def atomic_moto_server(host: str, port: int) -> Any:
    """moto server whose writes are atomic, as DynamoDB's are.

    moto applies an UpdateItem in steps (read the item, check the condition,
    write) with no lock, so two server threads can interleave and lose an
    update under load. DynamoDB applies every conditional write atomically;
    serving one request at a time gives moto the same guarantee, which the
    rate limiter's exactness relies on. Clients stay concurrent: they race for
    the lock the way concurrent writers race for an item.
    """
    # dev-only and heavy: imported when used
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                               create_backend_app)
    from werkzeug.serving import make_server

    class AtomicMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True,
                                       request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=STOP_POLL_S)

    return AtomicMotoServer(ip_address=host, port=port, verbose=False)


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
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per AWS call
        self._server = atomic_moto_server(self.host, self.port)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            config=LOCAL_CLIENT_CONFIG, **DUMMY_CREDENTIALS)


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
