"""`edgeway gslb sync-edge [--dry-run]`: publish the GSLB's decisions to the edge's store.

    edgeway gslb sync-edge                 local stack: health from its GslbTable (moto),
                                           decisions into the fake store .edgeway/edge-kvs.json
    edgeway gslb sync-edge --dry-run       show the changes, write nothing
    edgeway gslb sync-edge --kvs-arn ARN   the real CloudFront KeyValueStore (boto3, SigV4A)
    edgeway gslb sync-edge --offline       decisions from the config alone (no stack needed)

Exit status: 0 published or nothing to do, 1 kept the last good set (says why), 2 refused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from edgeway_local.commands.gslb import _config_arg, _dynamodb, _stack_args, _table


def register_gslb(sub: Any) -> None:
    p = sub.add_parser("sync-edge", help="write the current decisions to the edge's KeyValueStore",
                       description="Export the Engine's decision for every networks-table prefix "
                       "(health from the local stack's GslbTable) and send the edge's decision "
                       "store only what differs. Never publishes an empty set.")
    _config_arg(p)
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.add_argument("--store", type=Path, default=None,
                   help="the local fake store's file (default .edgeway/edge-kvs.json)")
    p.add_argument("--kvs-arn", default=None, help="a real CloudFront KeyValueStore ARN instead "
                   "of the local fake (AWS credentials from the usual boto3 sources)")
    p.add_argument("--offline", action="store_true",
                   help="do not read health from the local stack (decisions from the config alone)")
    p.add_argument("--down", default="", help="regions to treat as down, comma separated (what-if)")
    p.add_argument("--json", action="store_true", help="print JSON")
    _stack_args(p)
    p.set_defaults(func=run_sync_edge)


def run_sync_edge(args: argparse.Namespace) -> int:
    from gslb.config import load_gslb_config
    from gslb.edge_export import export
    from gslb.edge_sync import EdgeSyncError, EdgeSyncResult, describe, keep_last_good, sync
    from gslb.engine import Engine
    from gslb.networks import load_networks
    from gslb.store import GslbStore, StoreError

    config = load_gslb_config(args.config)
    engine = Engine(config, networks=load_networks(config.networks))
    client, arn, where = _target(args)
    result: EdgeSyncResult
    try:
        if not args.offline:
            store = GslbStore(_table(args), _dynamodb(args.moto_url, args.region))
            now = time.time()
            engine.load_health(store.read_health(config.region_names, now=now))
            engine.ingest(store.read_observations(now=now))
        down = [r.strip() for r in args.down.split(",") if r.strip()]
        if down:
            engine.set_down(down)
        result = sync(client, arn, export(engine), dry_run=args.dry_run)
    except StoreError as exc:
        result = keep_last_good(f"health unreadable from {args.moto_url} ({exc.__cause__ or exc}); "
                                f"is `edgeway serve` running? (--offline skips it)")
    except EdgeSyncError as exc:
        print(f"edgeway: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"store": where, **result.summary()}, indent=2))
    elif result.kept_last_good:
        print(f"edge store {where}: kept the last good decision set: {result.kept_last_good}")
    else:
        for line in describe(result.changes):
            print(line)
        verb = "would change" if args.dry_run else "changed"
        print(f"edge store {where}: {verb} {len(result.changes)} key(s), {result.unchanged} unchanged"
              + (f" (dry run: nothing written)" if args.dry_run else f", etag {result.etag}"))
    return 1 if result.kept_last_good else 0


def _target(args: argparse.Namespace) -> tuple[Any, str, str]:
    if args.kvs_arn:
        import boto3
        from botocore.config import Config

        client = boto3.client("cloudfront-keyvaluestore", region_name="us-east-1",
                              config=Config(connect_timeout=5, read_timeout=10,
                                            retries={"max_attempts": 3}))
        return client, args.kvs_arn, args.kvs_arn
    from edgeway_local.fake_kvs import DEFAULT_PATH, LOCAL_ARN, FakeKeyValueStore

    path = args.store or DEFAULT_PATH
    return FakeKeyValueStore(LOCAL_ARN, path=path), LOCAL_ARN, str(path)
