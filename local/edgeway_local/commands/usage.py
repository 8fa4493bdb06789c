"""``edgeway usage --consumer C --month 2026-11 [--json]``: per-route usage for billing;
``edgeway usage --all [--json]``: every consumer against its plan's quotas today and this
month (what the console's Consumers section shows, from the same function).

Reads the consumer's usage item for that month from the CountersTable of the
home region. With no table named (``--table`` or ``EDGEWAY_COUNTERS_TABLE``)
it reads the local stack's table in its moto server, so after ``make run`` the
command works with no flags but ``--consumer``.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from edgeway.errors import ConfigError
from edgeway.ratelimit.arithmetic import month_id_valid
from edgeway.ratelimit.usage import Usage, read_usage

LOCAL_MOTO = "http://127.0.0.1:5000"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _month(text: str) -> str:
    if not month_id_valid(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-11")
    return text


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "usage", help="per-route usage of one consumer in one month (for billing)",
        description="Print the units a consumer used per route in a UTC calendar month.")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--consumer", help="the consumer (API key or token subject)")
    who.add_argument("--all", action="store_true",
                     help="every consumer's usage against its quotas (today, this month)")
    parser.add_argument("--keys-table", default=None,
                        help="with --all: the keys table, for each consumer's plan (default: "
                             "$EDGEWAY_KEYS_TABLE, else the local stack's KeysTable)")
    parser.add_argument("--month", type=_month,
                        default=datetime.now(timezone.utc).strftime("%Y-%m"),
                        help="UTC month as YYYY-MM (default: this month)")
    parser.add_argument("--config", default="gateway.yaml",
                        help="gateway.yaml, for the home region (default: ./gateway.yaml)")
    parser.add_argument("--table", default=None,
                        help="counters table (default: $EDGEWAY_COUNTERS_TABLE, else the name "
                             "the local stack gives CountersTable in ./template.yaml)")
    parser.add_argument("--region", default=None,
                        help="region of the table (default: gateway.home_region)")
    parser.add_argument("--endpoint-url", default=None,
                        help=f"DynamoDB endpoint (default: $AWS_ENDPOINT_URL, else {LOCAL_MOTO} "
                             f"for the local stack's table)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def _home_region(path: str) -> str | None:
    if not Path(path).exists():
        return None
    from edgeway.config import load_config

    return load_config(path).home_region


def run(args: argparse.Namespace) -> int:
    from edgeway_local.tables import local_name

    local_table = local_name("CountersTable")
    table = args.table or os.environ.get("EDGEWAY_COUNTERS_TABLE") or local_table
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or (
        LOCAL_MOTO if table == local_table else None)
    region = (args.region or _home_region(args.config) or os.environ.get("AWS_REGION")
              or "us-east-1")
    if args.all:
        return _all(args, table, region, endpoint, local_table == table)
    usage = fetch(table, region, endpoint, args.consumer, args.month)
    if args.json:
        print(json.dumps(usage.as_dict(), indent=2))
    else:
        print(render(usage, f"table {table} in {region}"))
    return 0


def _client(region: str, endpoint: str | None) -> Any:
    import boto3

    extra: dict[str, Any] = {}
    if endpoint and urlsplit(endpoint).hostname in _LOOPBACK:
        extra = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint, **extra)


def _all(args: argparse.Namespace, table: str, region: str, endpoint: str | None,
         local: bool) -> int:
    import time

    from botocore.exceptions import BotoCoreError, ClientError

    from edgeway.config import load_config
    from edgeway.ratelimit.plans import parse_plans
    from edgeway.ratelimit.quota_report import quota_report
    from edgeway_local.tables import local_name

    plans = None
    if Path(args.config).exists():
        config = load_config(args.config)
        plans = parse_plans(config)
    keys = args.keys_table or os.environ.get("EDGEWAY_KEYS_TABLE") or (
        local_name("KeysTable") if local else None)
    try:
        report = quota_report(_client(region, endpoint), table, keys, plans, now=time.time())
    except (ClientError, BotoCoreError) as exc:
        raise ConfigError(f"cannot read the counters: {exc}", file=f"dynamodb {region} table {table}") \
            from exc
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    rows = report["consumers"]
    print(f"quota usage of every consumer (table {table} in {region})")
    if not rows:
        print("no consumer has been counted yet")
        return 0

    def used(window: dict[str, Any]) -> str:
        return f"{window['used']}/{window['limit']}" if window["limit"] is not None \
            else f"{window['used']}/-"

    width = max(len("CONSUMER"), *(len(r["consumer"]) for r in rows))
    print(f"{'CONSUMER':<{width}}  {'PLAN':<8}  {'TODAY':>12}  {'MONTH':>12}  STATUS")
    for r in rows:
        print(f"{r['consumer']:<{width}}  {r['plan'] or '-':<8}  {used(r['day']):>12}  "
              f"{used(r['month']):>12}  {'AT LIMIT' if r['at_limit'] else 'ok'}")
    return 0


def fetch(table: str, region: str, endpoint: str | None, consumer: str, month: str) -> Usage:
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(region, endpoint)
    try:
        return read_usage(client, table, consumer, month)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise ConfigError(f"cannot read usage: {error.get('Code')}: {error.get('Message')}",
                          file=f"dynamodb {region} table {table}") from exc
    except BotoCoreError as exc:
        raise ConfigError(f"cannot reach DynamoDB: {exc}",
                          file=f"dynamodb {endpoint or region}") from exc


def render(usage: Usage, where: str) -> str:
    lines = [f"usage of consumer {usage.consumer} in {usage.month} ({where})"]
    if not usage.routes:
        lines.append("no usage recorded")
        return "\n".join(lines)
    width = max(len("TOTAL"), *(len(r) for r in usage.routes))
    lines.append(f"{'ROUTE':<{width}}  {'UNITS':>10}")
    for route, units in sorted(usage.routes.items()):
        lines.append(f"{route:<{width}}  {units:>10}")
    lines.append(f"{'TOTAL':<{width}}  {usage.total:>10}")
    return "\n".join(lines)
