"""Rate limits and quotas per consumer on DynamoDB counters (docs/ratelimit.md).

    plans.py       ``plans`` and route costs: typed and checked by the config compile
    arithmetic.py  token bucket (GCRA), UTC windows, headers: pure
    store.py       the counter item and its one conditional UpdateItem
    strict.py      strict mode: one write per admission, never above a limit
    leased.py      leased mode: blocks of tokens, >= 10x fewer writes
    policy.py      closed / open / local when DynamoDB fails
    usage.py       per-route monthly usage for billing
    stage.py       RateLimitStage

``edgeway.pipeline.STAGES`` names ``stage.py``; a gateway without ``plans``
never imports this package (cold start).
"""
