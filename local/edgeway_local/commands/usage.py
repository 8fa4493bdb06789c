"""``edgeway usage --consumer C --month 2026-11 [--json]``: per-route usage for billing.

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
    parser.add_argument("--consumer", required=True, help="the consumer (API key or token subject)")
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
    usage = fetch(table, region, endpoint, args.consumer, args.month)
    if args.json:
        print(json.dumps(usage.as_dict(), indent=2))
    else:
        print(render(usage, f"table {table} in {region}"))
    return 0


def fetch(table: str, region: str, endpoint: str | None, consumer: str, month: str) -> Usage:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    extra: dict[str, Any] = {}
    if endpoint and urlsplit(endpoint).hostname in _LOOPBACK:
        extra = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint, **extra)
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
