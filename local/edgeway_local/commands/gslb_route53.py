"""`edgeway gslb route53-plan` and `edgeway gslb sync-route53` (Route 53 CIDR routing).

    edgeway gslb route53-plan [--config F] [--networks CSV] [--observations CSV] [--down R1,R2]
                              [--ips-file FILE] [--json]
    edgeway gslb sync-route53 --zone-id Z... [--domain api.example.com] [--stage prod] [--dry-run]
    edgeway gslb sync-route53 --local [--dry-run]    against the running local stack
    edgeway gslb sync-route53 --geolocation ...      the older geolocation records (explicit)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError

LOCAL_STATE = Path(".edgeway") / "route53-local.json"
LOCAL_ZONE_ID = "Z0EDGEWAYLOCAL"


def register_gslb(sub: Any) -> None:
    p = sub.add_parser("route53-plan", help="the Route 53 CIDR-routing plan for the current decisions (offline)",
                       description="What `sync-route53` would publish, computed offline from the same inputs "
                       "as `edgeway gslb resolve`: one CIDR location per region with its merged blocks, "
                       "the default location, the records, and what did not fit.")
    _inputs(p)
    p.add_argument("--ips-file", type=Path, help="also print, per address, what Route 53 would answer")
    p.add_argument("--max-blocks", type=int, default=1000, help="CIDR blocks the collection may hold")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_plan)

    s = sub.add_parser(
        "sync-route53", help="publish the decisions to Route 53 (CIDR routing; --dry-run shows the changes)",
        description="Keep Route 53 CIDR routing in step with the GSLB: the collection edgeway-<stage> "
        "(one location per region), CIDR alias records at the domain, latency alias records at "
        "_latency.<domain>, one health check per region. Only what differs is sent. AWS credentials "
        "come from the usual boto3 sources; --local works against the running local stack.")
    _inputs(s)
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--zone-id", help="the Route 53 hosted zone id")
    where.add_argument("--local", action="store_true",
                       help=f"the local stack: its health from moto, Route 53 kept in {LOCAL_STATE}")
    s.add_argument("--domain", help="the public name (default: gslb.dns.zone of the config)")
    s.add_argument("--stage", default="dev", help="names the CIDR collection edgeway-<stage> (default dev)")
    s.add_argument("--regions", default="",
                   help="regions to look for custom domains in (default: every configured region)")
    s.add_argument("--no-health-checks", action="store_true", help="do not create Route 53 health checks")
    s.add_argument("--max-blocks", type=int, default=1000, help="CIDR blocks the collection may hold")
    s.add_argument("--geolocation", action="store_true",
                   help="write the older geolocation records instead (gslb.route53; explicit opt-in)")
    s.add_argument("--health-checks", action="store_true", help="with --geolocation: keep health checks")
    s.add_argument("--moto-url", default="http://127.0.0.1:5000", help="with --local: the local AWS")
    s.add_argument("--dry-run", action="store_true", help="show the exact changes, send nothing")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=run_sync)


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="gateway.yaml", help="gateway.yaml, or a file with `regions` and `gslb`")
    p.add_argument("--networks", help="networks CSV (default: from the config)")
    p.add_argument("--observations", help="latency observations CSV client,region,rtt_ms")
    p.add_argument("--down", default="", help="regions to treat as down: R1,R2")


def _engine(args: argparse.Namespace) -> Any:
    from gslb.engine import build_engine
    from gslb.observations import read_observations

    down = [r.strip() for r in args.down.split(",") if r.strip()]
    observations = read_observations(args.observations) if args.observations else None
    stamps = [o.at for o in observations or () if o.at is not None]
    clock = (lambda: max(stamps)) if stamps else time.time
    return build_engine(args.config, networks=args.networks, observations=observations, down=down,
                        clock=clock)


def run_plan(args: argparse.Namespace) -> int:
    from gslb.route53_plan import plan

    if args.max_blocks < 1:
        raise ConfigError("must be at least 1", key="--max-blocks")
    engine = _engine(args)
    result = plan(engine, max_blocks=args.max_blocks)
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(f"Route 53 plan for {result.domain}: {result.blocks} CIDR block(s) from "
              f"{result.prefixes} table prefixes")
        for region, blocks in result.locations.items():
            print(f"  location {region:<16} {len(blocks):5} block(s)")
        print(f"  location *                default -> {result.default} (latency routing)")
        for d in result.dropped:
            print(f"  dropped {d.prefix} ({d.region}): {d.reason}")
    if args.ips_file:
        from edgeway_local.commands.gslb import _addresses

        failures = 0
        for lineno, address in _addresses(args.ips_file):
            try:
                a = result.answer(address)
                print(json.dumps({"ip": a.ip, "location": a.location, "region": a.region}))
            except ValueError:
                failures += 1
                print(json.dumps({"ip": address, "error": f"{args.ips_file}:{lineno}: not an IP address"}))
        return 1 if failures else 0
    return 0


def run_sync(args: argparse.Namespace) -> int:
    if args.geolocation:
        if args.local or not args.zone_id:
            raise ConfigError("--geolocation needs --zone-id", key="--geolocation")
        from edgeway_local.commands.gslb_dns import run_sync_route53

        return run_sync_route53(args)
    from gslb.route53_sync import Route53Sync, Route53SyncError

    if args.max_blocks < 1:
        raise ConfigError("must be at least 1", key="--max-blocks")
    engine = _engine(args)
    domain = (args.domain or engine.config.dns.zone).rstrip(".")
    regions = [r.strip() for r in args.regions.split(",") if r.strip()] or list(engine.config.region_names)
    if args.local:
        from edgeway_local.route53_cidr import FakeRoute53, local_domains

        _local_health(engine, args.moto_url)
        route53: Any = FakeRoute53(LOCAL_STATE)
        if not LOCAL_STATE.exists():
            route53.create_hosted_zone_for_test(engine.config.dns.zone, LOCAL_ZONE_ID)
        zone_id = LOCAL_ZONE_ID
        apis: dict[str, Any] = dict(local_domains(domain, regions))
    else:
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3})
        route53 = boto3.client("route53", region_name="us-east-1", config=config)
        apis = {r: boto3.client("apigatewayv2", region_name=r, config=config) for r in regions}
        zone_id = args.zone_id
    sync = Route53Sync(route53, apis, zone_id, domain, stage=args.stage,
                       health_checks=not args.no_health_checks, max_blocks=args.max_blocks)
    try:
        result = sync.run(engine, dry_run=args.dry_run)
    except Route53SyncError as exc:
        print(f"edgeway: {exc}", file=sys.stderr)
        return 1
    for line in result.skipped:
        print(f"edgeway: warning: skipped {line}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.summary(), indent=2))
        return 0
    verb = "would send" if args.dry_run else ("sent" if result.applied else "no change:")
    print(f"{verb} {len(result.collection_changes)} CIDR collection change(s), "
          f"{len(result.record_changes)} record change(s) ({result.calls} Route 53 call(s))")
    for c in result.collection_changes:
        print(f"  {c['Action']:<16} {c['LocationName']:<16} {len(c['CidrList']):4} block(s): "
              f"{' '.join(c['CidrList'][:4])}{' ...' if len(c['CidrList']) > 4 else ''}")
    for c in result.summary()["record_changes"]:
        print(f"  {c['action']:<16} {c['type']:<4} {c['set']:<28} {c['name']} -> {c['target']}")
    blocks = ", ".join(f"{r} {n}" for r, n in result.summary()["blocks"].items())
    print(f"blocks per region: {blocks or 'none'}")
    return 0


def _local_health(engine: Any, moto_url: str) -> None:
    """The local stack's health verdicts (GslbTable in moto) into the Engine, as the cloud sync reads them."""
    from edgeway_local.commands.gslb import _dynamodb, LOCAL_REGION
    from edgeway_local.tables import local_name
    from gslb.store import GslbStore, StoreError

    store = GslbStore(local_name("GslbTable"), _dynamodb(moto_url, LOCAL_REGION))
    try:
        engine.load_health(store.read_health(engine.config.region_names, now=time.time()))
    except StoreError as exc:
        raise ConfigError(f"cannot read the local stack's GslbTable at {moto_url} "
                          f"(is `edgeway serve` running?): {exc.__cause__ or exc}", key="--local") from exc
