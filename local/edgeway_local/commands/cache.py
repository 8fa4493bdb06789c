"""``edgeway cache purge --route R [--path P] [--json]``: delete cached responses.

Deletes the route's entries from the CacheTable (layer 2). Layer-1 entries live
in the memory of running Lambda containers, which no command can reach: they
expire by their TTL (at most the route's ``ttl_s`` plus its
``stale_while_revalidate_s``). docs/caching.md says so too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from edgeway.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cache", help="manage the response cache")
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION")
    purge = sub.add_parser("purge", help="delete a route's cached responses from the CacheTable")
    purge.add_argument("--route", required=True, help="route id (as in gateway.yaml)")
    purge.add_argument("--path", help="only entries for this request path (any spelling of "
                       "it: /v1/users/%%33%%31%%39 and /v1/users/319/ purge /v1/users/319)")
    purge.add_argument("--config", default=os.environ.get("EDGEWAY_CONFIG", "gateway.yaml"),
                       help="gateway.yaml (default: %(default)s)")
    purge.add_argument("--table", default=None,
                       help="CacheTable name (default: $EDGEWAY_CACHE_TABLE; with --endpoint-url, "
                       "the name the local stack gives CacheTable in ./template.yaml)")
    purge.add_argument("--region", default=None, help="AWS region (default: from the environment)")
    purge.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"),
                       help="DynamoDB endpoint (the local stack's moto, e.g. http://127.0.0.1:5000)")
    purge.add_argument("--json", action="store_true", help="print the result as JSON")
    purge.set_defaults(func=run_purge)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_purge(args: argparse.Namespace) -> int:
    from edgeway.cache.dynamo import CacheUnavailable, DynamoCacheStore
    from edgeway.config import load_config
    from edgeway.settings import Settings

    settings = Settings.from_env()
    config = load_config(args.config)
    route = next((r for r in config.routes if r.id == args.route), None)
    if route is None:
        known = ", ".join(r.id for r in config.routes if r.spec.get("cache")) or "none"
        raise ConfigError(f"no route {args.route!r} (routes with a cache: {known})",
                          file=config.source, key="routes")
    if not route.spec.get("cache"):
        raise ConfigError(f"route {args.route!r} has no cache: section; nothing to purge",
                          file=config.source, key=f"routes[{route.index}]")
    table = args.table or settings.cache_table
    if not table and args.endpoint_url:
        from edgeway_local.tables import local_name

        table = local_name("CacheTable")  # the local stack's moto
    if not table:
        raise ConfigError("no cache table: pass --table or set EDGEWAY_CACHE_TABLE")
    path = args.path
    if path is not None:
        from edgeway.errors import HttpError
        from edgeway.routing import canonical_path

        try:
            # Entries are stored under the canonical path: any spelling of it purges them.
            path = canonical_path(path)
        except HttpError as exc:
            raise ConfigError(f"--path must be an absolute request path, got {args.path!r}: "
                              f"{exc.detail}") from exc
    import boto3

    client = boto3.client("dynamodb", region_name=args.region or settings.region,
                          endpoint_url=args.endpoint_url or None)
    try:
        deleted = DynamoCacheStore(client, table).purge(route.id, path)
    except CacheUnavailable as exc:
        message = f"edgeway: {exc}"
        print(json.dumps({"error": str(exc)}) if args.json else message,
              file=sys.stdout if args.json else sys.stderr)
        return 1
    result = {"route": route.id, "path": path, "table": table, "deleted": deleted,
              "note": "layer-1 (in-container) entries expire by their TTL"}
    if args.json:
        print(json.dumps(result))
    else:
        where = f" for {path}" if path else ""
        print(f"purged {deleted} cached response(s) of route {route.id}{where} from {table}")
        print("note: entries in running containers' memory expire by their TTL")
    return 0
