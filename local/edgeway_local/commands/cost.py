"""`edgeway cost`: what a month of traffic costs, per component and per million requests.

    edgeway cost --requests-per-month 50000000 [--cache-hit-ratio 0.5] [--regions 3] [--edge]
                 [--config gateway.yaml] [--template template.yaml] [--json]

Prices and their dates: edgeway_local/cost/prices.py. Assumptions: docs/edge.md.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("cost", help="monthly cost of a workload, per component",
                              description="Price a month of traffic for the config in hand: API "
                              "Gateway, Lambda, DynamoDB, schedules, Route 53 and, with --edge, "
                              "CloudFront, WAF and the edge function.")
    p.add_argument("--requests-per-month", type=float, required=True)
    p.add_argument("--cache-hit-ratio", type=float, default=0.5,
                   help="share of requests to cached routes answered from cache (default 0.5)")
    p.add_argument("--regions", type=int, default=None, help="regions (default: gateway.yaml's)")
    p.add_argument("--edge", action="store_true", help="with the edge stack (CloudFront + WAF)")
    p.add_argument("--config", default="gateway.yaml")
    p.add_argument("--template", default="template.yaml")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgeway.errors import ConfigError
    from edgeway_local.cost import Workload, estimate
    from edgeway_local.cost.facts import load_facts

    if args.requests_per_month < 0:
        raise ConfigError("must be >= 0", key="--requests-per-month")
    if not 0 <= args.cache_hit_ratio <= 1:
        raise ConfigError("must be between 0 and 1", key="--cache-hit-ratio")
    if args.regions is not None and args.regions < 1:
        raise ConfigError("must be at least 1", key="--regions")
    facts = load_facts(args.config, args.template)
    est = estimate(facts, Workload(args.requests_per_month, args.cache_hit_ratio, args.regions, args.edge))
    if args.json:
        print(json.dumps({"requests_per_month": est.requests, "total_usd": round(est.total, 2),
                          "per_million_usd": round(est.per_million(est.total), 4),
                          "lines": [{"component": l.component, "usd": round(l.usd, 2),
                                     "per_million_usd": round(est.per_million(l.usd), 4),
                                     "detail": l.detail} for l in est.lines],
                          "compare": {k: round(v, 2) for k, v in est.compare.items()}}, indent=2))
        return 0
    regions = args.regions or facts.regions
    print(f"{est.requests:,.0f} requests/month, {regions} region(s), cache hit ratio "
          f"{args.cache_hit_ratio:g}{', edge tier' if args.edge else ''}")
    print(f"{'component':<38} {'USD/month':>12} {'USD/M req':>10}  detail")
    for line in est.lines:
        print(f"{line.component:<38} {line.usd:>12,.2f} {est.per_million(line.usd):>10.4f}  {line.detail}")
    print(f"{'TOTAL':<38} {est.total:>12,.2f} {est.per_million(est.total):>10.4f}")
    print("for comparison (API layer alone, same requests):")
    for name, usd in est.compare.items():
        print(f"  {name:<36} {usd:>12,.2f} {est.per_million(usd):>10.4f}")
    print("DynamoDB writes per request by plan: " + ", ".join(
        f"{p.name} ({p.mode}) {p.counter_writes_per_request + 1:g}" for p in facts.plans))
    print("prices: edgeway_local/cost/prices.py (US East, list prices, no free tier)")
    return 0
