"""RateLimitStage: after auth, before the cache. 429 when a plan says so.

Per request: find the consumer's plan and the route's cost (both compiled at
build), ask the plan's limiter (strict or leased), fall back to the plan's
failure policy when the counters are down, then either refuse with 429
(problem+json, ``Retry-After``, ``RateLimit-Policy``, ``RateLimit``) or pass
the request on and stamp ``RateLimit`` on the answer.

Who is limited: every route, unless it says ``rate_limit: false``, for every
authenticated consumer. Anonymous requests (routes with ``auth: none``) carry
no consumer and are not limited per consumer. Fail closed: credentials that
name no consumer (the verifiers refuse them already) are refused here too, with
401, never passed on unlimited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from edgeway.context import BuildContext, Handler
from edgeway.errors import CounterUnavailable, Forbidden, TooManyRequests, Unauthorized
from edgeway.http import Request, Response, routed
from edgeway.ratelimit.arithmetic import policy_header, ratelimit_header, retry_after, window
from edgeway.ratelimit.leased import LeasedLimiter
from edgeway.ratelimit.outcome import Denied, Outcome, Source
from edgeway.ratelimit.plans import Mode, PlanConfig, PlanSet, parse_plans
from edgeway.ratelimit.policy import FailurePolicy
from edgeway.ratelimit.store import CounterStore
from edgeway.ratelimit.strict import StrictLimiter

_DETAIL = {
    "rate": "request rate above the plan's rate",
    "day": "daily quota exhausted",
    "month": "monthly quota exhausted",
    "contention": "too many simultaneous requests for this consumer",
}


def counter_store(ctx: BuildContext) -> CounterStore:
    """The counters table of the home region, or of this region.

    The home region is gateway.home_region, else the deployment's HomeRegion
    (EDGEWAY_HOME_REGION, set by the template), else this region.

    Quotas are global per consumer: every region writes the same items in the
    home region's table, so a client that moves between regions still has one
    quota (docs/ratelimit.md: the cost is a cross-region round trip per write).
    """
    settings = ctx.settings
    home = ctx.config.home_region or settings.home_region or settings.region
    table = settings.counters_table
    if home != settings.region:
        table = settings.home_counters_table or table
    if not table:
        # Not fatal at build (tests of other features load the demo config without a
        # table), but never silent: every limited request then meets the plan's
        # failure policy (closed: 503), and this is logged once per container.
        if ctx.obs is not None:
            ctx.obs.warning("plans are configured but EDGEWAY_COUNTERS_TABLE is not set: "
                            "limited routes follow each plan's on_error policy")
        return CounterStore(None, None)
    client = ctx.clients.get("dynamodb", read_timeout=settings.counter_timeout_s, region=home)
    return CounterStore(client, table)


class RateLimitStage:
    def __init__(self, app: Handler, *, plans: PlanSet, store: CounterStore, obs: Any,
                 clock: Callable[[], float]) -> None:
        self.app = app
        self.plans = plans
        self.costs = plans.costs
        self.store = store
        self.obs = obs
        self.clock = clock
        warn = obs.warning if obs is not None else (lambda message, **fields: None)
        self.strict = StrictLimiter(store)
        self.leased = LeasedLimiter(store, warn=warn)
        self.policy = FailurePolicy(obs)

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        plans = ctx.config.spec("ratelimit", PlanSet)
        if plans is None or not plans.costs:
            return app
        return cls(app, plans=plans, store=counter_store(ctx), obs=ctx.obs, clock=ctx.clock)

    def __call__(self, request: Request) -> Response:
        route_id = routed(request).id
        route_costs = self.costs.get(route_id)
        if route_costs is None:
            return self.app(request)
        consumer = request.principal.consumer
        if not consumer:
            if request.principal.kind == "anonymous":
                return self.app(request)  # a public route: nobody to count against
            raise Unauthorized("these credentials name no consumer; a rate-limited route "
                               "is never served without a limit")
        plan = self.plans.for_principal(request.principal.plan)
        if plan is None:
            raise Forbidden("this consumer has no rate-limit plan")
        cost = route_costs[plan.name]
        now = self.clock()
        outcome: Outcome
        try:
            if plan.mode is Mode.LEASED:
                outcome = self.leased.check(consumer, plan, cost, now, route_id)
            else:
                outcome = self.strict.check(consumer, plan, cost, now)
        except CounterUnavailable as exc:
            outcome = self.policy.on_failure(plan, consumer, cost, now, exc)
        if isinstance(outcome, Denied):
            self._count("RateLimited", consumer, route_id, cost)
            raise self._refusal(plan, outcome, now)
        if plan.mode is Mode.STRICT and outcome.source is Source.COUNTER:
            self._record_usage(consumer, route_id, cost, now)
        self._count("ConsumerUsage", consumer, route_id, cost)
        response = self.app(request)
        if outcome.limits:
            response.headers["ratelimit-policy"] = policy_header(plan.policies(now))
            response.headers["ratelimit"] = ratelimit_header(outcome.limits)
        return response

    def _refusal(self, plan: PlanConfig, outcome: Denied, now: float) -> TooManyRequests:
        wait = retry_after(outcome.violations)
        violated = {v.policy: v for v in outcome.violations}
        headers = {"retry-after": str(wait)}
        if outcome.limits:
            # The effective window of a violated policy ends no earlier than Retry-After.
            limits = [replace(s, remaining=0, reset_s=max(s.reset_s, violated[s.name].retry_after))
                      if s.name in violated else s for s in outcome.limits]
            headers["ratelimit-policy"] = policy_header(plan.policies(now))
            headers["ratelimit"] = ratelimit_header(limits)
        names = sorted(violated)
        detail = "; ".join(_DETAIL.get(n, n) for n in names) + f": retry in {wait} s"
        return TooManyRequests(detail, headers=headers, extensions={"violated-policies": names})

    def _record_usage(self, consumer: str, route_id: str, cost: int, now: float) -> None:
        month = window("month", now)
        try:
            self.store.add_usage(consumer, month.id, month.end, {route_id: cost})
        except CounterUnavailable as exc:
            # Not retried (it may have applied): billing may miss this unit, never count it twice.
            if self.obs is not None:
                self.obs.count("UsageWriteErrors", dimensions={"error": exc.kind})
                self.obs.warning("usage write failed", consumer=consumer, route=route_id,
                                 error=exc.kind)

    def _count(self, name: str, consumer: str, route_id: str, cost: int) -> None:
        if self.obs is not None:
            self.obs.count(name, dimensions={"consumer": consumer, "route": route_id}, value=cost)

compile = parse_plans  # the ``plans`` section and every route's cost, checked together
build = RateLimitStage.build
