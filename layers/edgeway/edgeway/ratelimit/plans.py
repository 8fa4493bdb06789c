"""The ``plans`` section and the routes' costs, typed and checked by the config compile.

The keys and their defaults are described once, in the schema and in
docs/ratelimit.md. The schema checks shapes; this module checks what a schema
cannot say well (positive limits, a cost no bucket could ever pay, shards that
leave a shard with nothing) and raises ``config.error`` naming file, line and key.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from edgeway.ratelimit.arithmetic import Bucket, Limits, PolicyItem, window


class Mode(enum.Enum):
    STRICT = "strict"  # every admission is one conditional write: never above the limit
    LEASED = "leased"  # blocks of tokens taken with one write, spent locally


class OnError(enum.Enum):
    CLOSED = "closed"  # counters unreachable -> 503 with Retry-After (the default)
    OPEN = "open"  # admit without counting
    LOCAL = "local"  # an in-container bucket at local_fraction of the rate


@dataclass(frozen=True, slots=True)
class Lease:
    """How many tokens a container takes at once, and how long it may hold them."""
    block: int
    ttl_s: float


@dataclass(frozen=True, slots=True)
class PlanConfig:
    """One plan: rate, daily and monthly quotas, per-route costs, strict or leased counting."""
    name: str
    bucket: Bucket | None
    day: int | None
    month: int | None
    costs: Mapping[str, int]
    mode: Mode
    lease: Lease
    on_error: OnError
    local_fraction: float
    shards: int
    shard_limits: tuple[Limits, ...] = field(default=())

    def policies(self, now: float) -> list[PolicyItem]:
        out = []
        if self.bucket is not None:
            out.append(PolicyItem("rate", self.bucket.burst, self.bucket.window_s))
        if self.day is not None:
            out.append(PolicyItem("day", self.day, 86_400))
        if self.month is not None:
            out.append(PolicyItem("month", self.month, window("month", now).length))
        return out


@dataclass(frozen=True, slots=True)
class PlanSet:
    """Every plan of gateway.yaml, the default for consumers without one, and each
    limited route's cost under each plan."""
    plans: Mapping[str, PlanConfig]
    default: str | None
    costs: Mapping[str, Mapping[str, int]]  # route id -> plan name -> cost; absent: not limited

    def for_principal(self, plan_name: str | None) -> PlanConfig | None:
        plan = self.plans.get(plan_name) if plan_name else None
        if plan is None and self.default is not None:
            plan = self.plans[self.default]
        return plan


DEFAULT_LEASE = Lease(block=20, ttl_s=10.0)


def parse_plans(config: Any) -> PlanSet | None:
    """The ``plans`` section and every route's ``cost``, checked against each other;
    None when the config has no plans.

    A cost no plan could ever admit at once is refused here (at build, in
    ``edgeway serve`` and at cold start alike), not at the first request.
    """
    raw = config.section("plans")
    if not raw:
        return None
    route_ids = {rc.id for rc in config.routes}
    plans = {name: _plan(config, name, spec, route_ids) for name, spec in raw.items()}
    default = config.section("default_plan")
    if default is not None and default not in plans:
        raise config.error(["default_plan"], f"names no plan (plans: {', '.join(sorted(plans))})")
    costs: dict[str, dict[str, int]] = {}
    for rc in config.routes:
        if rc.spec.get("rate_limit", True) is False:
            continue
        route_cost = _positive(config, ["routes", rc.index, "cost"], rc.spec.get("cost", 1))
        costs[rc.id] = {}
        for plan in plans.values():
            cost = plan.costs.get(rc.id, route_cost)
            if cost > capacity(plan):
                where: list[str | int] = (["plans", plan.name, "costs", rc.id] if rc.id in plan.costs
                                          else ["routes", rc.index, "cost"])
                raise config.error(where, f"cost {cost} is more than plan {plan.name!r} can "
                                   f"ever admit at once ({capacity(plan)}): such a request "
                                   f"would always be refused")
            costs[rc.id][plan.name] = cost
    return PlanSet(plans=plans, default=default, costs=costs)


def _positive(config: Any, where: list[Any], value: Any) -> Any:
    # The schema has checked that ``value`` is a number (an integer where it must be).
    if value <= 0:
        raise config.error(where, f"must be greater than zero, got {value!r}: a limit of "
                           f"{value!r} would refuse every request (remove the key for no limit)")
    return value


def _plan(config: Any, name: str, spec: Mapping[str, Any], route_ids: set[str]) -> PlanConfig:
    at = ["plans", name]
    bucket = None
    if (rate := spec.get("rate")) is not None:
        per_second = _positive(config, [*at, "rate", "per_second"], rate["per_second"])
        burst = _positive(config, [*at, "rate", "burst"],
                          rate.get("burst", max(1, math.ceil(per_second))))
        bucket = Bucket(per_second=float(per_second), burst=burst)
    quotas = {kind: _positive(config, [*at, "quotas", kind], limit)
              for kind, limit in (spec.get("quotas") or {}).items()}
    costs: dict[str, int] = {}
    for route_id, cost in (spec.get("costs") or {}).items():
        if route_id not in route_ids:
            raise config.error([*at, "costs", route_id],
                               f"no route has id {route_id!r} (routes: {', '.join(sorted(route_ids))})")
        costs[route_id] = _positive(config, [*at, "costs", route_id], cost)
    lease_spec = spec.get("lease") or {}
    lease = Lease(
        block=_positive(config, [*at, "lease", "block"], lease_spec.get("block", DEFAULT_LEASE.block)),
        ttl_s=float(_positive(config, [*at, "lease", "ttl_s"],
                              lease_spec.get("ttl_s", DEFAULT_LEASE.ttl_s))))
    fraction = spec.get("local_fraction", 0.1)
    if not 0 < fraction <= 1:
        raise config.error([*at, "local_fraction"], f"must be a fraction in (0, 1], got {fraction!r}")
    shards = _positive(config, [*at, "shards"], spec.get("shards", 1))
    if spec.get("on_error") == "local" and bucket is None:
        raise config.error([*at, "on_error"],
                           "'local' needs a rate to scale (add rate: {per_second, burst})")
    plan = PlanConfig(name=name, bucket=bucket, day=quotas.get("day"), month=quotas.get("month"),
                      costs=costs, mode=Mode(spec.get("mode", "strict")), lease=lease,
                      on_error=OnError(spec.get("on_error", "closed")),
                      local_fraction=float(fraction), shards=shards)
    return _with_shards(config, at, plan)


def _share(total: int | None, shards: int, index: int) -> int | None:
    """Shard ``index``'s part of ``total``; the parts add up to exactly ``total``."""
    if total is None:
        return None
    return total // shards + (1 if index < total % shards else 0)


def _with_shards(config: Any, at: list[Any], plan: PlanConfig) -> PlanConfig:
    n = plan.shards
    shard_limits = []
    for i in range(n):
        bucket = None
        if plan.bucket is not None:
            # Each shard refills at rate/n with burst/n: together they are the plan's bucket.
            bucket = Bucket(per_second=plan.bucket.per_second / n,
                            burst=_share(plan.bucket.burst, n, i) or 0)
        shard_limits.append(Limits(bucket=bucket, day=_share(plan.day, n, i),
                                   month=_share(plan.month, n, i)))
    smallest = shard_limits[-1]  # shares only shrink with the index
    for key, value in (("rate.burst", smallest.bucket.burst if smallest.bucket else None),
                       ("quotas.day", smallest.day), ("quotas.month", smallest.month)):
        if value is not None and value < 1:
            raise config.error([*at, *key.split(".")],
                               f"{n} shards would leave a shard with nothing: use fewer shards")
    if (plan.mode is Mode.LEASED and smallest.bucket is not None
            and plan.lease.block > smallest.bucket.burst):
        raise config.error([*at, "lease", "block"],
                           f"a block of {plan.lease.block} is more than one bucket holds "
                           f"({smallest.bucket.burst}): no lease could ever be taken whole")
    return replace(plan, shard_limits=tuple(shard_limits))


def capacity(plan: PlanConfig) -> int:
    """The largest cost one request may have: what the smallest shard can ever hold."""
    limits = plan.shard_limits[-1]
    values = [v for v in (limits.bucket.burst if limits.bucket else None, limits.day, limits.month)
              if v is not None]
    return min(values) if values else 2**31
