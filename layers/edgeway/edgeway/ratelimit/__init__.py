"""Rate limits and quotas per consumer on DynamoDB counters (docs/ratelimit.md).

    plans.py       gateway.yaml ``plans``: typed and checked at cold start
    arithmetic.py  token bucket (GCRA), UTC windows, headers: pure
    store.py       the counter item and its one conditional UpdateItem
    strict.py      strict mode: one write per admission, never above a limit
    leased.py      leased mode: blocks of tokens, >= 10x fewer writes
    policy.py      closed / open / local when DynamoDB fails
    usage.py       per-route monthly usage for billing
    stage.py       RateLimitStage: 429 + RateLimit headers

This module stays import-free on purpose: ``build_stage`` is what
``edgeway.pipeline.STAGES`` lists, and a gateway without ``plans`` never
imports the rest (cold start).
"""

from __future__ import annotations

from typing import Any


def build_stage(app: Any, ctx: Any) -> Any:
    """The pipeline's rate-limit stage factory: ``RateLimitStage.build`` when plans exist."""
    if not ctx.config.section("plans"):
        return app
    from edgeway.ratelimit.stage import RateLimitStage

    return RateLimitStage.build(app, ctx)
