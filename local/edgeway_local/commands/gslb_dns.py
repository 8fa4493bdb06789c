"""`edgeway gslb dns` and `edgeway gslb sync-route53`.

The `gslb` command module (gslb-core) owns the `gslb` parser and calls
``register_gslb(gslb_subparsers)`` here to add these two sub-commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from edgeway.errors import ConfigError


def register_gslb(gslb_subparsers: Any) -> None:
    dns_parser = gslb_subparsers.add_parser(
        "dns", help="serve the GSLB zone over DNS (UDP and TCP)",
        description="Authoritative DNS for the GSLB zone: A/AAAA of the nearest healthy region "
        "for each client (EDNS Client Subnet aware), TXT saying why, SOA, NS.")
    dns_parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    dns_parser.add_argument("--port", type=int, default=None,
                            help="port for UDP and TCP (default: gslb.dns.port, 5353)")
    dns_parser.add_argument("--config", default="gateway.yaml",
                            help="gateway.yaml, or a file with only `regions` and `gslb`")
    dns_parser.add_argument("--networks", help="networks CSV (default: from the config)")
    dns_parser.add_argument("--observations", help="latency observations CSV client,region,rtt_ms")
    dns_parser.add_argument("--down", default="", help="regions to treat as down: R1,R2")
    dns_parser.add_argument("--workers", type=int, default=1,
                            help="processes sharing the port (SO_REUSEPORT); each holds its own "
                            "copy of the Engine, so use it for a static config (default 1)")
    dns_parser.add_argument("--json", action="store_true", help="print the listening address as JSON")
    dns_parser.set_defaults(func=run_dns)

    # `sync-route53` (CIDR routing, and --geolocation calling run_sync_route53 below) is
    # registered by edgeway_local.commands.gslb_route53.


def _engine(args: argparse.Namespace) -> Any:
    from gslb import build_engine

    down = [r.strip() for r in args.down.split(",") if r.strip()]
    engine = build_engine(args.config, networks=args.networks, observations=args.observations)
    unknown = sorted(set(down) - {r.name for r in engine.config.regions})
    if unknown:
        raise ConfigError(f"unknown region(s) {', '.join(unknown)}", file=args.config, key="--down")
    if down:
        engine.set_down(down)
    return engine


def run_dns(args: argparse.Namespace) -> int:
    from gslb.dns_workers import serve

    engine = _engine(args)
    port = args.port if args.port is not None else engine.config.dns.port
    zone = engine.config.dns.zone
    if args.workers < 1:
        raise ConfigError("must be at least 1", file="<command line>", key="--workers")
    if args.workers > 1 and port == 0:
        raise ConfigError("several workers need a fixed port", file="<command line>", key="--port")

    def ready(bound: int) -> None:
        if args.json:
            print(json.dumps({"host": args.host, "port": bound, "zone": zone,
                              "workers": args.workers}), flush=True)
        else:
            print(f"GSLB DNS for {zone} on {args.host} port {bound} (UDP, TCP; "
                  f"{args.workers} worker{'s' if args.workers > 1 else ''})", flush=True)
            print(f"  try: dig @{args.host} -p {bound} {zone} A", flush=True)

    return serve(engine, args.host, port, args.workers, on_ready=ready)


def run_sync_route53(args: argparse.Namespace) -> int:
    import boto3
    import botocore.exceptions

    from gslb.route53 import sync

    engine = _engine(args)
    client = boto3.client("route53", region_name="us-east-1")  # a global service, API in us-east-1
    try:
        result = sync(client, args.zone_id, engine, dry_run=args.dry_run,
                      health_checks=args.health_checks)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        print(f"edgeway: Route 53 sync failed: {exc}", file=sys.stderr)
        return 1
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    verb = "would change" if args.dry_run else "changed"
    print(f"{verb} {len(result.changes)} record set(s), {result.unchanged} already current")
    for change in summary["changes"]:
        print(f"  {change['action']:6} {change['set']:34} {' '.join(change['values'])}")
    checks = summary["health_checks"]
    if args.health_checks:
        print(f"health checks: {len(checks['created'])} created, {len(checks['deleted'])} deleted"
              + (f"; not probeable by Route 53: {', '.join(checks['skipped'])}" if checks["skipped"] else ""))
    return 0
