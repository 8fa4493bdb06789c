"""Rate limits and quotas per consumer on DynamoDB counters (docs/ratelimit.md).

    plans.py       gateway.yaml ``plans``: typed and checked at cold start
    arithmetic.py  token bucket (GCRA), UTC windows, headers: pure
    store.py       the counter item and its one conditional UpdateItem
    strict.py      strict mode: one write per admission, never above a limit
    leased.py      leased mode: blocks of tokens, >= 10x fewer writes
    policy.py      closed / open / local when DynamoDB fails
    usage.py       per-route monthly usage for billing
    stage.py       RateLimitStage: 429 + RateLimit headers
"""

from edgeway.ratelimit.plans import Mode, OnError, PlanConfig, PlanSet, parse_plans
from edgeway.ratelimit.stage import RateLimitStage

__all__ = ["Mode", "OnError", "PlanConfig", "PlanSet", "RateLimitStage", "parse_plans"]
