"""A month of traffic in dollars: pure arithmetic over facts from the config and a workload.

Every line is (component, monthly USD); per million requests is monthly / (requests / 1e6).
The assumptions are in the ``Workload`` defaults and in docs/edge.md ("What it costs").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import prices as P


@dataclass(frozen=True, slots=True)
class PlanFacts:
    name: str
    mode: str                 # "strict" | "leased"
    lease_block: int = 1

    @property
    def counter_writes_per_request(self) -> float:
        """Rate-limit writes on the counters table: one per admission, or one per lease block."""
        return 1.0 if self.mode == "strict" else 1.0 / max(1, self.lease_block)


@dataclass(frozen=True, slots=True)
class ConfigFacts:
    """What the config in hand says (gateway.yaml + template.yaml)."""

    regions: int
    gateway_memory_mb: int
    backend_memory_mb: int
    health_memory_mb: int
    health_schedule_s: float          # HealthCheckSchedule
    health_run_s: float               # how long one scheduled run loops (its timeout, at most the schedule)
    probe_interval_s: float           # gslb.health.interval_s
    limited_share: float              # share of routes with rate limiting
    cached_share: float               # share of routes with a response cache
    min_cache_ttl_s: float            # shortest configured cache TTL (0: no cached route)
    key_cache_ttl_s: float            # auth.api_keys.cache_ttl_s
    default_plan: PlanFacts
    plans: tuple[PlanFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class Workload:
    requests_per_month: float
    cache_hit_ratio: float = 0.5      # of requests to cached routes, answered from cache
    regions: int | None = None        # default: the config's regions
    edge: bool = False
    response_kb: float = 2.0
    gateway_ms: float = 40.0          # gateway billed duration per request
    backend_ms: float = 60.0          # backend billed duration per call
    backends_per_request: float = 1.0
    consumers: int = 100              # distinct API keys in use (key lookups)
    dns_queries_per_request: float = 0.05   # resolvers cache answers for the TTL
    sync_interval_s: float = 60.0     # Route 53 / edge sync schedule
    sync_run_s: float = 2.0
    sync_memory_mb: int = 512
    edge_store_changes_per_day: float = 24.0
    kvs_reads_per_request: float = 4.0      # lens, 1-2 prefix lengths, down
    waf_rules: int = 4                       # rate rule + 3 managed groups


@dataclass(frozen=True, slots=True)
class Line:
    component: str
    usd: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Estimate:
    requests: float
    lines: tuple[Line, ...]
    compare: Mapping[str, float] = field(default_factory=dict)   # alternative -> monthly USD

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def per_million(self, usd: float) -> float:
        return usd / (self.requests / 1e6) if self.requests else 0.0


def http_api(requests: float) -> float:
    m = requests / 1e6
    first = min(m, P.HTTP_API_TIER_M)
    return first * P.HTTP_API_PER_M.usd + max(0.0, m - P.HTTP_API_TIER_M) * P.HTTP_API_PER_M_OVER_300M.usd


def lambda_cost(invocations: float, seconds: float, memory_mb: int) -> tuple[float, float]:
    """(compute, requests) USD for arm64."""
    gb_s = invocations * seconds * memory_mb / 1024
    return gb_s * P.LAMBDA_ARM_GB_S.usd, invocations / 1e6 * P.LAMBDA_REQUESTS_PER_M.usd


def waf(requests: float, rules: int, acls: int = 1) -> float:
    return acls * P.WAF_ACL_MONTH.usd + rules * P.WAF_RULE_MONTH.usd + requests / 1e6 * P.WAF_REQUESTS_PER_M.usd


def estimate(facts: ConfigFacts, w: Workload) -> Estimate:
    if w.requests_per_month < 0 or not 0 <= w.cache_hit_ratio <= 1:
        raise ValueError("requests must be >= 0 and the cache hit ratio within 0..1")
    R = w.requests_per_month
    k = w.regions or facts.regions
    lines: list[Line] = []

    def add(component: str, usd: float, detail: str = "") -> None:
        lines.append(Line(component, usd, detail))

    add("API Gateway HTTP API", http_api(R), f"{R / 1e6:,.1f} M requests")

    # The response cache: a miss at least once per TTL per route (one shared DynamoDB item).
    cached = R * facts.cached_share
    hit = w.cache_hit_ratio
    if cached and facts.min_cache_ttl_s:
        hit = min(hit, max(0.0, 1 - (P.MONTH_SECONDS / facts.min_cache_ttl_s) / cached))
    misses = cached * (1 - hit)
    backend_calls = (R - cached * hit) * w.backends_per_request

    compute, reqs = lambda_cost(R, w.gateway_ms / 1000, facts.gateway_memory_mb)
    add("Lambda gateway (GB-s)", compute, f"{facts.gateway_memory_mb} MB x {w.gateway_ms:g} ms")
    add("Lambda gateway (requests)", reqs)
    compute, reqs = lambda_cost(backend_calls, w.backend_ms / 1000, facts.backend_memory_mb)
    add("Lambda backends (GB-s)", compute, f"{backend_calls / 1e6:,.1f} M calls, "
        f"{facts.backend_memory_mb} MB x {w.backend_ms:g} ms")
    add("Lambda backends (requests)", reqs)

    plan = facts.default_plan
    limited = R * facts.limited_share
    counter_writes = limited * plan.counter_writes_per_request + limited  # + the usage record
    add("DynamoDB rate limits", counter_writes / 1e6 * P.DYNAMODB_WRU_PER_M.usd,
        f"plan {plan.name} ({plan.mode}): {plan.counter_writes_per_request:g} + 1 usage write/request")
    containers = k * max(1, math.ceil(R / P.MONTH_SECONDS * w.gateway_ms / 1000 * 2))
    lookups = min(R, containers * w.consumers * P.MONTH_SECONDS / max(1.0, facts.key_cache_ttl_s))
    add("DynamoDB key lookups", lookups * 0.5 / 1e6 * P.DYNAMODB_RRU_PER_M.usd,
        f"{lookups / 1e6:,.1f} M eventually consistent reads (cache {facts.key_cache_ttl_s:g} s)")
    cache_wru = math.ceil(w.response_kb)
    add("DynamoDB response cache", misses * 0.5 / 1e6 * P.DYNAMODB_RRU_PER_M.usd
        + misses * cache_wru / 1e6 * P.DYNAMODB_WRU_PER_M.usd,
        f"{misses / 1e6:,.2f} M misses (hit ratio {hit:.2f})")

    runs = P.MONTH_SECONDS / facts.health_schedule_s * k
    compute, reqs = lambda_cost(runs, facts.health_run_s, facts.health_memory_mb)
    probe_writes = P.MONTH_SECONDS / facts.probe_interval_s * k * k       # every vantage, every region
    replicated = probe_writes * max(0, k - 1)
    add("Health checkers", compute + reqs + probe_writes / 1e6 * P.DYNAMODB_WRU_PER_M.usd
        + replicated / 1e6 * P.DYNAMODB_RWRU_PER_M.usd,
        f"{k} x every {facts.health_schedule_s:g} s, probes every {facts.probe_interval_s:g} s")
    syncs = P.MONTH_SECONDS / w.sync_interval_s
    compute, reqs = lambda_cost(syncs, w.sync_run_s, w.sync_memory_mb)
    add("GSLB sync schedule", compute + reqs, f"every {w.sync_interval_s:g} s in the home region")

    checks = k * (P.R53_HEALTH_CHECK_MONTH.usd + P.R53_HEALTH_CHECK_HTTPS_MONTH.usd)
    if w.edge:
        # The public name is an alias to CloudFront (alias queries are free).
        add("Route 53 zone + health checks", P.R53_ZONE_MONTH.usd + checks, "queries: alias to CloudFront")
    else:
        queries = R * w.dns_queries_per_request
        add("Route 53 queries", queries / 1e6 * P.R53_QUERIES_PER_M.usd, f"{queries / 1e6:,.1f} M CIDR queries")
        add("Route 53 zone + health checks", P.R53_ZONE_MONTH.usd + checks, f"{k} HTTPS health checks")

    gb_out = R * w.response_kb / (1024 * 1024)
    if w.edge:
        add("CloudFront requests", R / 1e6 * P.CLOUDFRONT_HTTPS_PER_M.usd)
        add("CloudFront data transfer", gb_out * P.CLOUDFRONT_DTO_GB.usd
            + R * 1.0 / (1024 * 1024) * P.CLOUDFRONT_ORIGIN_GB.usd, f"{gb_out:,.0f} GB out")
        add("CloudFront Function + KeyValueStore", R / 1e6 * P.CLOUDFRONT_FUNCTION_PER_M.usd
            + R * w.kvs_reads_per_request / 1e6 * P.KVS_READS_PER_M.usd
            + w.edge_store_changes_per_day * 730 / 24 * 3 / 1000 * P.KVS_API_PER_K.usd,
            f"{w.kvs_reads_per_request:g} store reads/request")
        add("AWS WAF", waf(R, w.waf_rules), f"1 web ACL, {w.waf_rules} rules")
    else:
        add("Data transfer out (regions)", gb_out * P.REGION_DTO_GB.usd, f"{gb_out:,.0f} GB out")

    compare = {"HTTP API alone": http_api(R), "REST API + usage plans": R / 1e6 * P.REST_API_PER_M.usd}
    return Estimate(R, tuple(lines), compare)
