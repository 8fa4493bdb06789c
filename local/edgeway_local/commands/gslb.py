"""`edgeway gslb`: resolve offline, feed latency observations, show region health.

    edgeway gslb resolve --ip 198.51.100.7 [--config F] [--networks CSV] [--observations CSV]
                         [--down R1,R2] [--json]
    edgeway gslb resolve --ips-file FILE        one JSON line per address
    edgeway gslb observe FILE [--dry-run]       CSV client,region,rtt_ms -> the local GslbTable
    edgeway gslb status [--json]                region health from the running local stack

Other modules may add sub-commands: if ``edgeway_local.commands.gslb_dns`` exists,
its ``register_gslb(gslb_subparsers)`` is called.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError

DEFAULT_CONFIG = "gateway.yaml"
MOTO_URL = "http://127.0.0.1:5000"
CONTROL_URL = "http://127.0.0.1:3001"
LOCAL_REGION = "us-east-1"
OPTIONAL_REGISTRARS = ("edgeway_local.commands.gslb_dns", "edgeway_local.commands.gslb_route53",
                       "edgeway_local.commands.gslb_edge")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gslb", help="inspect and feed the GSLB (resolve, observe, status, ...)",
        description="The GSLB: resolve clients offline, feed latency observations, show health.")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    sub = parser.add_subparsers(dest="gslb_command", metavar="SUBCOMMAND")
    _register_resolve(sub)
    _register_observe(sub)
    _register_status(sub)
    for module in OPTIONAL_REGISTRARS:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register_gslb(sub)


# -- resolve ---------------------------------------------------------------------------------
def _register_resolve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("resolve", help="which region the GSLB answers for an address (offline)",
                       description="Compute the GSLB answer from the config, the networks table and "
                       "optional observations, without a running stack (what-if analysis).")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--ip", help="client address (IPv4 or IPv6)")
    who.add_argument("--ips-file", type=Path, help="file with one address per line; prints one JSON line each")
    _config_arg(p)
    p.add_argument("--networks", type=Path, help="networks CSV prefix,lat,lon[,label] (default: from config)")
    p.add_argument("--observations", type=Path, help="latency CSV client,region,rtt_ms[,at]")
    p.add_argument("--down", default="", help="regions to treat as down, comma separated")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_resolve)


def _resolve(args: argparse.Namespace) -> int:
    from gslb.engine import build_engine, decision_as_dict

    from gslb.observations import read_observations

    down = [r.strip() for r in args.down.split(",") if r.strip()]
    observations = read_observations(args.observations) if args.observations else None
    # offline, "now" is the newest measurement: an old data set is not aged out by the wall clock
    stamps = [o.at for o in observations or () if o.at is not None]
    clock = (lambda: max(stamps)) if stamps else time.time
    engine = build_engine(args.config, networks=args.networks, observations=observations, down=down,
                          clock=clock)
    if observations:
        skipped = sorted({o.region for o in observations} - set(engine.config.region_names))
        if skipped:
            print(f"edgeway: warning: {args.observations}: rows for regions not in {args.config} "
                  f"ignored: {', '.join(skipped)}", file=sys.stderr)
    if args.ip is not None:
        try:
            decision = engine.resolve(args.ip)
        except ValueError:
            raise ConfigError(f"not an IP address: {args.ip!r}", key="--ip") from None
        if args.json:
            print(json.dumps(decision_as_dict(decision, args.ip), indent=2))
        else:
            _print_decision(args.ip, decision)
        return 0
    failures = 0
    for lineno, address in _addresses(args.ips_file):
        try:
            out = decision_as_dict(engine.resolve(address), address)
        except ValueError:
            failures += 1
            out = {"ip": address, "error": f"{args.ips_file}:{lineno}: not an IP address"}
        print(json.dumps(out), flush=False)
    sys.stdout.flush()
    return 1 if failures else 0


def _addresses(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip().split(",", 1)[0].strip()
        if line and line.lower() not in ("ip", "client", "address"):
            out.append((lineno, line))
    return out


def _print_decision(ip: str, decision: Any) -> None:
    r = decision.region
    print(f"{ip} -> {r.name}  {', '.join(r.ipv4 + r.ipv6)}  ({r.endpoint})")
    print(f"  reason: {decision.reason}")
    print(f"  prefix: {decision.prefix}   ttl: {decision.ttl}s")
    for i, alt in enumerate(decision.alternatives, start=2):
        print(f"  {i}. {alt.name:<16} {alt.latency_ms:8.1f} ms  {alt.reason}")


# -- observe ---------------------------------------------------------------------------------
def _register_observe(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("observe", help="load measured latencies (CSV client,region,rtt_ms) into the local stack",
                       description="Read CSV rows client,region,rtt_ms[,at] (client: IP or prefix) and "
                       "write them to the running local stack's GslbTable (moto).")
    p.add_argument("file", type=Path)
    _config_arg(p)
    p.add_argument("--dry-run", action="store_true", help="parse and print, write nothing")
    p.add_argument("--json", action="store_true", help="print JSON")
    _stack_args(p)
    p.set_defaults(func=_observe)


def _observe(args: argparse.Namespace) -> int:
    from gslb.config import load_gslb_config
    from gslb.observations import read_observations
    from edgeway.errors import StoreError
    from gslb.store import GslbStore

    config = load_gslb_config(args.config) if Path(args.config).exists() else None
    max_age = config.observations.max_age_s if config else 7 * 86400.0
    rows = read_observations(args.file, regions=config.region_names if config else None)
    if args.dry_run:
        if args.json:
            print(json.dumps([{"client": o.client, "region": o.region, "rtt_ms": o.rtt_ms, "at": o.at}
                              for o in rows], indent=2))
        else:
            for o in rows:
                print(f"{o.client:<40} {o.region:<16} {o.rtt_ms:8.2f} ms")
            print(f"{len(rows)} observation(s) parsed from {args.file} (dry run: nothing written)")
        return 0
    args.table = _table(args)
    store = GslbStore(args.table, _dynamodb(args.moto_url, args.region))
    try:
        written = store.put_observations(rows, now=time.time(), max_age_s=max_age)
    except StoreError as exc:
        print(f"edgeway: cannot write to {args.table} at {args.moto_url} (is `edgeway serve` running?): "
              f"{exc.__cause__ or exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"written": written, "table": args.table}))
    else:
        print(f"{written} observation(s) written to {args.table}")
    return 0


# -- status ----------------------------------------------------------------------------------
def _register_status(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="region health as the local stack's GSLB sees it",
                       description="Region health from the running local stack: the listeners' "
                       "up/down switches and the health checker's verdicts (per vantage point).")
    _config_arg(p)
    p.add_argument("--control-url", default=CONTROL_URL, help=f"local control API (default {CONTROL_URL})")
    p.add_argument("--json", action="store_true", help="print JSON")
    _stack_args(p)
    p.set_defaults(func=_status)


def _status(args: argparse.Namespace) -> int:
    from edgeway.errors import StoreError
    from gslb.config import load_gslb_config
    from gslb.status import region_report
    from gslb.store import GslbStore

    config = load_gslb_config(args.config)
    switches: dict[str, Any] = {}
    problems = []
    try:
        with urllib.request.urlopen(args.control_url.rstrip("/") + "/_edgeway/regions", timeout=3) as resp:
            switches = json.load(resp).get("regions", {})
    except (urllib.error.URLError, OSError, ValueError) as exc:
        problems.append(f"control API {args.control_url} unreachable: {exc}")
    args.table = _table(args)
    cells: list[Any] = []
    try:
        cells = list(GslbStore(args.table, _dynamodb(args.moto_url, args.region))
                     .read_health(config.region_names, now=time.time()))
    except StoreError as exc:
        problems.append(f"GslbTable {args.table} at {args.moto_url} unreadable: {exc.__cause__ or exc}")
    # after the read: probes written meanwhile must not look like the future
    report = region_report(config, cells, now=time.time(), switches=switches)
    blocks = _route53_blocks(config, cells)
    if args.json:
        print(json.dumps({"regions": report, "route53_blocks": blocks, "problems": problems}, indent=2))
    else:
        print(f"{'region':<16} {'health':<8} {'switch':<7} {'listener':<24} vantage points")
        for row in report:
            switch = {True: "down", False: "up", None: "?"}[row["switched_down"]]
            votes = ", ".join(f"{v}={d['state']}" + (f" ({d['age_s']}s ago)" if d["age_s"] is not None else "")
                              for v, d in row["vantages"].items()) or "no observations yet"
            print(f"{row['region']:<16} {row['health']:<8} {switch:<7} {row['listener'] or '-':<24} {votes}")
        print("route53 plan (CIDR blocks per region): "
              + ", ".join(f"{r} {n}" for r, n in blocks.items()))
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
    return 1 if len(problems) == 2 else 0


def _route53_blocks(config: Any, cells: list[Any]) -> dict[str, int]:
    """How many CIDR blocks each region holds in the Route 53 plan under this health."""
    from gslb.engine import Engine
    from gslb.networks import load_networks
    from gslb.route53_plan import plan

    engine = Engine(config, networks=load_networks(config.networks))
    engine.load_health(cells)
    locations = plan(engine).locations
    return {name: len(locations.get(name, ())) for name in config.region_names}


# -- shared ----------------------------------------------------------------------------------
def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_CONFIG,
                   help="gateway.yaml, or a file with only `regions` and `gslb` (default: ./gateway.yaml)")


def _stack_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--moto-url", default=MOTO_URL, help=f"local AWS endpoint (default {MOTO_URL})")
    p.add_argument("--table", default=None,
                   help="GSLB table name (default: the name the local stack gives GslbTable in "
                   "./template.yaml)")
    p.add_argument("--region", default=LOCAL_REGION, help=f"AWS region of the table (default {LOCAL_REGION})")


def _table(args: argparse.Namespace) -> str:
    from edgeway_local.tables import local_name

    # The local stack writes every vantage point's observations to this one table
    # in the home region, as the global GslbTable gathers them in the cloud.
    return args.table or local_name("GslbTable")


def _dynamodb(url: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodb", region_name=region, endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1}))
