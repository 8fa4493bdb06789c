"""`edgeway edge`: the edge tier seen from a laptop.

    edgeway edge decide 198.51.100.7 [--method POST] [--country DE] [--store FILE]
        run edge/steer.js under node against the decision store the sync wrote
    edgeway edge export [--config F] [--down R]      the decision set, as JSON (offline)
    edgeway edge cache-patterns [--config F]         CacheablePathPattern values for the
                                                     routes gateway.yaml caches
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError

DECIDE_JS = Path(__file__).resolve().parents[3] / "edge" / "decide.mjs"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("edge", help="the edge tier: steering decisions, export",
                                   description="The CloudFront edge tier (docs/edge.md).")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    sub = parser.add_subparsers(dest="edge_command", metavar="SUBCOMMAND")

    p = sub.add_parser("decide", help="where the steering function sends a viewer (runs it under node)",
                       description="Run edge/steer.js (the CloudFront Function) under node against "
                       "the decision store `edgeway gslb sync-edge` keeps, for one viewer.")
    p.add_argument("ip", help="viewer address")
    p.add_argument("--method", default="GET", help="request method (default GET)")
    p.add_argument("--country", default="", help="CloudFront-Viewer-Country, e.g. DE")
    p.add_argument("--store", type=Path, default=None,
                   help="decision store file (default: the local fake, .edgeway/edge-kvs.json)")
    p.add_argument("--json", action="store_true", help="print the function's full answer")
    p.set_defaults(func=_decide)

    p = sub.add_parser("export", help="the decision set for the edge store, as JSON (offline)")
    p.add_argument("--config", default="gateway.yaml")
    p.add_argument("--down", default="", help="regions to treat as down, comma separated")
    p.set_defaults(func=_export)

    p = sub.add_parser("cache-patterns", help="CloudFront path patterns of the cacheable routes")
    p.add_argument("--config", default="gateway.yaml")
    p.set_defaults(func=_cache_patterns)


def _decide(args: argparse.Namespace) -> int:
    from edgeway_local.fake_kvs import DEFAULT_PATH

    store = args.store or DEFAULT_PATH
    if not store.exists():
        print(f"edgeway: no decision store at {store}; run `edgeway gslb sync-edge` first",
              file=sys.stderr)
        return 1
    node = shutil.which("node")
    if node is None:
        print("edgeway: node is not on PATH (the steering function is JavaScript)", file=sys.stderr)
        return 1
    proc = subprocess.run([node, str(DECIDE_JS), str(store), args.ip, args.method.upper(),
                           args.country], capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        print(f"edgeway: steer.js failed: {proc.stderr.strip()}", file=sys.stderr)
        return 1
    answer = json.loads(proc.stdout)
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    decision = answer.get("decision") or {}
    if not answer.get("region"):
        print(f"{args.ip} -> (no decision: the distribution's default origin)")
        return 0
    how = "origin group " + " -> ".join(decision.get("regions", [])[:2]) \
        if any("group" in p for p in answer["picked"]) else "origin " + answer["region"]
    print(f"{args.ip} {args.method.upper()} -> {answer['region']}  ({how}; key {decision.get('via')})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from gslb.edge_export import check_limits, export
    from gslb.engine import build_engine

    down = [r.strip() for r in args.down.split(",") if r.strip()]
    decisions = export(build_engine(args.config, down=down))
    check_limits(decisions)
    print(json.dumps({"items": dict(decisions.items), "prefixes": decisions.prefixes,
                      "size_bytes": decisions.size_bytes}, indent=1, sort_keys=True))
    return 0


def cache_patterns(config_path: str | Path) -> list[str]:
    """One CloudFront path pattern per cached route: the path up to its first parameter, then *."""
    from edgeway.config import load_config

    patterns: list[str] = []
    for route in load_config(config_path).routes:
        if not route.spec.get("cache"):
            continue
        head = route.path.split("{", 1)[0]
        pattern = head + "*" if "{" in route.path else route.path
        if pattern not in patterns:
            patterns.append(pattern)
    return patterns


def _cache_patterns(args: argparse.Namespace) -> int:
    patterns = cache_patterns(args.config)
    if not patterns:
        raise ConfigError("no route has `cache`; leave CacheablePathPattern empty", file=args.config)
    for pattern in patterns:
        print(pattern)
    return 0
