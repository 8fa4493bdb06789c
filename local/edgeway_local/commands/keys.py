"""`edgeway keys create | plan | list | revoke`: API keys in the configured KeysTable.

By default against the local stack's moto (http://127.0.0.1:5000) and the
table name the local stack gives KeysTable (``edgeway_local.tables``); ``--aws``
uses whatever boto3 is configured for instead (a real account, with ``--table``
and ``--region``).

KeysTable is a global table in template.yaml: in the cloud a key written in the
home region replicates to every region. Locally each region's moto table is
independent, so against the local stack ``create`` and ``revoke`` write every
region of gateway.yaml by default, as replication would (``--region`` picks
regions explicitly). With ``--aws`` they write one region (the home region's
replica; DynamoDB replicates).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from edgeway_local.keyadmin import (
    KeyAdminError,
    copy_record,
    create_key,
    list_keys,
    revoke_key,
    set_plan,
)

LOCAL_ENDPOINT = "http://127.0.0.1:5000"
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", default=None,
                        help="KeysTable name (default: $EDGEWAY_KEYS_TABLE, else the name the "
                        "local stack gives KeysTable in ./template.yaml)")
    parser.add_argument("--endpoint-url", default=LOCAL_ENDPOINT,
                        help=f"AWS endpoint (default: the local stack's moto, {LOCAL_ENDPOINT})")
    parser.add_argument("--aws", action="store_true",
                        help="use boto3's configured AWS instead of the local endpoint")
    parser.add_argument("--region", action="append", default=None,
                        help="region of the table (default: $AWS_REGION, else us-east-1); "
                        "repeat to write the same key to several regions' tables")
    parser.add_argument("--all-regions", action="store_true",
                        help="every region in gateway.yaml's `regions` (the local stack serves "
                        "each with its own KeysTable; the default against the local stack when "
                        "KeysTable is a global table)")
    parser.add_argument("--config", default=None,
                        help="gateway.yaml, for auth.api_keys.pepper (default: ./gateway.yaml)")


def table(args: argparse.Namespace) -> str:
    from edgeway_local.tables import local_name

    return args.table or os.environ.get("EDGEWAY_KEYS_TABLE") or local_name("KeysTable")


def _replicate_locally(args: argparse.Namespace) -> bool:
    """Emulate a global KeysTable: write every local region when none is named."""
    from edgeway_local.tables import is_replicated

    return not args.aws and not args.region and is_replicated("KeysTable")


def regions(args: argparse.Namespace, *, writing: bool = False) -> list[str]:
    """The regions to act on, home (or the first named) first."""
    named = list(dict.fromkeys(args.region or []))
    if args.all_regions or (writing and _replicate_locally(args)):
        import yaml

        path = Path(args.config or "gateway.yaml")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise KeyAdminError(f"--all-regions: cannot read {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raw = {}
        home = (raw.get("gateway") or {}).get("home_region") if isinstance(
            raw.get("gateway"), dict) else None
        found = [r["name"] for r in raw.get("regions") or [] if isinstance(r, dict)
                 and isinstance(r.get("name"), str)]
        named += [r for r in sorted(found, key=lambda r: r != home) if r not in named]
    return named or [os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                     or "us-east-1"]


def client(args: argparse.Namespace, service: str, region: str | None = None) -> Any:
    import boto3

    region = region or regions(args)[0]
    if args.aws:
        return boto3.client(service, region_name=region)
    return boto3.client(service, region_name=region, endpoint_url=args.endpoint_url,
                        **LOCAL_CREDENTIALS)


def pepper(args: argparse.Namespace) -> bytes | None:
    """The configured pepper, read the way the gateway reads it; None for plain SHA-256."""
    from edgeway.auth.config import parse_auth
    from edgeway.config import load_config

    path = Path(args.config or "gateway.yaml")
    if args.config is None and not path.exists():
        return None
    ref = parse_auth(load_config(path)).api_keys.pepper
    if ref is None:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if ref.ssm:
            value = client(args, "ssm").get_parameter(Name=ref.ssm, WithDecryption=True)[
                "Parameter"]["Value"]
        else:
            value = client(args, "secretsmanager").get_secret_value(
                SecretId=ref.secretsmanager)["SecretString"]
    except (ClientError, BotoCoreError) as exc:
        raise KeyAdminError(f"cannot read the API-key pepper ({ref.label}): {exc}") from exc
    return value.encode()


def _when(epoch: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch)) if epoch else "never"


def check_plan(args: argparse.Namespace) -> None:
    """When gateway.yaml declares `plans`, the key's plan must be one of them."""
    import yaml

    path = Path(args.config or "gateway.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return  # no readable config: nothing to check against (pepper() reports real errors)
    plans = raw.get("plans") if isinstance(raw, dict) else None
    names = (set(plans) if isinstance(plans, dict) else
             {p.get("name") for p in plans if isinstance(p, dict)} if isinstance(plans, list)
             else None)
    if names and args.plan is not None and args.plan not in names:
        raise KeyAdminError(f"unknown plan {args.plan!r} ({path} declares: "
                            f"{', '.join(sorted(map(str, names)))})")


def cmd_create(args: argparse.Namespace) -> int:
    check_plan(args)
    scopes = sorted({s for chunk in args.scope for s in chunk.split()})
    home, *others = regions(args, writing=True)
    key, record = create_key(client(args, "dynamodb", home), table(args), consumer=args.consumer,
                             plan=args.plan, scopes=scopes, expires_in_days=args.expires_in,
                             pepper=pepper(args))
    for region in others:  # the same record: the key works in every region named
        copy_record(client(args, "dynamodb", region), table(args), record)
    if args.json:
        print(json.dumps({"key": key, **record.to_public()}))
        return 0
    print("API key (shown once; store it now, it cannot be recovered):")
    print(f"  {key}")
    print(f"id {record.key_id}  consumer {record.consumer}  plan {record.plan}  "
          f"scopes {' '.join(sorted(record.scopes)) or '-'}  expires {_when(record.expires)}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    check_plan(args)
    home, *others = regions(args, writing=True)
    moved = set_plan(client(args, "dynamodb", home), table(args), args.consumer, args.plan)
    for region in others:
        set_plan(client(args, "dynamodb", region), table(args), args.consumer, args.plan)
    if args.json:
        print(json.dumps({"consumer": args.consumer, "plan": args.plan,
                          "keys": [r.key_id for r in moved]}))
    else:
        print(f"consumer {args.consumer} is on plan {args.plan} ({len(moved)} key(s) moved); "
              "gateways apply it within auth.api_keys.cache_ttl_s (default 30 s)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    records = list_keys(client(args, "dynamodb"), table(args))
    if args.json:
        print(json.dumps([r.to_public() for r in records]))
        return 0
    if not records:
        print("no API keys")
        return 0
    rows = [("ID", "PREFIX", "CONSUMER", "PLAN", "STATUS", "CREATED", "EXPIRES", "SCOPES")]
    rows += [(r.key_id, r.prefix, r.consumer, r.plan, r.status.value, _when(r.created),
              _when(r.expires), " ".join(sorted(r.scopes)) or "-") for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from edgeway.auth.keyformat import normalise_id

    key_id = normalise_id(args.id)
    if key_id is None:
        raise KeyAdminError(f"{args.id!r} is not a key id (10 characters a-z2-7, as `keys list` "
                            "shows)")
    home, *others = regions(args, writing=True)
    record = revoke_key(client(args, "dynamodb", home), table(args), key_id)
    for region in others:
        try:
            revoke_key(client(args, "dynamodb", region), table(args), key_id)
        except KeyAdminError as exc:
            print(f"edgeway: {region}: {exc}", file=sys.stderr)
    if args.json:
        print(json.dumps(record.to_public()))
    else:
        print(f"revoked {record.key_id} (consumer {record.consumer}, plan {record.plan}); "
              "gateways refuse it within auth.api_keys.cache_ttl_s (default 30 s)")
    return 0


def _guard(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except KeyAdminError as exc:
            print(f"edgeway: {exc}", file=sys.stderr)
            return 1
    return run


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("keys", help="create, list and revoke API keys",
                                   description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="create a key (printed once)")
    create.add_argument("--consumer", required=True, help="who the key identifies")
    create.add_argument("--plan", default=None,
                        help="the consumer's plan (quotas, plan scopes): needed for a new "
                        "consumer; a consumer's later keys inherit its plan (another plan "
                        "is refused: see `keys plan`)")
    create.add_argument("--scope", action="append", default=[],
                        help='scopes the key carries (repeat or space separate: "a b")')
    create.add_argument("--expires-in", type=float, metavar="DAYS", default=None,
                        help="expire the key after DAYS days (default: never)")
    create.add_argument("--json", action="store_true", help="print JSON")
    add_connection_args(create)
    create.set_defaults(func=_guard(cmd_create))

    plan = actions.add_parser("plan", help="move a consumer and all its keys to another plan")
    plan.add_argument("--consumer", required=True, help="the consumer")
    plan.add_argument("--plan", required=True, help="its new plan")
    plan.add_argument("--json", action="store_true", help="print JSON")
    add_connection_args(plan)
    plan.set_defaults(func=_guard(cmd_plan))

    lister = actions.add_parser("list", help="list keys (never the keys themselves)")
    lister.add_argument("--json", action="store_true", help="print JSON")
    add_connection_args(lister)
    lister.set_defaults(func=_guard(cmd_list))

    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", help="key id or prefix (ewk_<id>), as `keys list` shows")
    revoke.add_argument("--json", action="store_true", help="print JSON")
    add_connection_args(revoke)
    revoke.set_defaults(func=_guard(cmd_revoke))
