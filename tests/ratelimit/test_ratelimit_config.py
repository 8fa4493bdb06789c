"""Bad plans are refused at start with the file, the key, the line and the reason."""

from __future__ import annotations

import pytest
from edgeway.config import parse_config
from edgeway.errors import ConfigError
from edgeway.pipeline import build_gateway
from edgeway.settings import Settings

from tests.ratelimit_support import RecordingObs

HEAD = """version: 1
routes:
  - id: orders.list
    path: /v1/orders
    backend: {type: lambda, function: OrdersFunction}
"""


def build(plans: str, routes_extra: str = "") -> None:
    text = HEAD + routes_extra + plans
    config = parse_config(text, "conf/gateway.yaml")
    build_gateway(config, Settings.from_env({"EDGEWAY_COUNTERS_TABLE": "t",
                                             "EDGEWAY_REGION": "us-east-1"}), obs=RecordingObs())


def refused(plans: str, routes_extra: str = "") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        build(plans, routes_extra)
    return info.value


def test_zero_daily_quota_is_refused_with_file_key_and_line(stub_backend) -> None:
    err = refused("plans:\n  trial:\n    quotas:\n      day: 0\n")
    assert err.file == "conf/gateway.yaml"
    assert err.key == "plans.trial.quotas.day"
    assert err.line == 9
    assert "greater than zero" in err.reason
    assert str(err).startswith("conf/gateway.yaml:9: plans.trial.quotas.day:")


@pytest.mark.parametrize("plans, key", [
    ("plans:\n  p:\n    rate: {per_second: -5, burst: 10}\n", "plans.p.rate.per_second"),
    ("plans:\n  p:\n    rate: {per_second: 5, burst: 0}\n", "plans.p.rate.burst"),
    ("plans:\n  p:\n    quotas: {month: -1}\n", "plans.p.quotas.month"),
    ("plans:\n  p:\n    quotas: {day: 5}\n    costs: {orders.list: 0}\n", "plans.p.costs.orders.list"),
    ("plans:\n  p:\n    quotas: {day: 5}\n    mode: leased\n    lease: {block: -2}\n", "plans.p.lease.block"),
    ("plans:\n  p:\n    quotas: {day: 5}\n    shards: 0\n", "plans.p.shards"),
])
def test_non_positive_limits_are_refused(stub_backend, plans: str, key: str) -> None:
    err = refused(plans)
    assert err.key == key and err.file == "conf/gateway.yaml" and err.line is not None
    assert "greater than zero" in err.reason


def test_a_cost_no_plan_could_ever_admit_is_refused(stub_backend) -> None:
    err = refused("plans:\n  p:\n    quotas: {day: 5}\n    costs: {orders.list: 6}\n")
    assert err.key == "plans.p.costs.orders.list"
    assert "always be refused" in err.reason
    err = refused("plans:\n  p:\n    rate: {per_second: 1, burst: 2}\n", "    cost: 3\n")
    assert err.key == "routes[0].cost"


def test_typos_are_named(stub_backend) -> None:
    assert refused("plans:\n  p:\n    quotas: {day: 5}\n    costs: {order.list: 1}\n").key == \
        "plans.p.costs.order.list"
    err = refused("plans:\n  p:\n    quotas: {day: 5}\ndefault_plan: gold\n")
    assert err.key == "default_plan" and "names no plan" in err.reason
    err = refused("plans:\n  p:\n    quotas: {day: 5, week: 3}\n")
    assert err.key == "plans.p.quotas.week" and "unknown key" in err.reason
    err = refused("plans:\n  p:\n    quotas: {day: 5}\n    mode: loose\n")
    assert err.key == "plans.p.mode"


def test_shards_that_leave_a_shard_empty_and_leases_bigger_than_the_bucket(stub_backend) -> None:
    err = refused("plans:\n  p:\n    quotas: {day: 3}\n    shards: 4\n")
    assert err.key == "plans.p.quotas.day" and "fewer shards" in err.reason
    err = refused("plans:\n  p:\n    rate: {per_second: 5, burst: 10}\n    mode: leased\n"
                  "    lease: {block: 20}\n")
    assert err.key == "plans.p.lease.block"


def test_local_fallback_needs_a_rate(stub_backend) -> None:
    err = refused("plans:\n  p:\n    quotas: {day: 3}\n    on_error: local\n")
    assert err.key == "plans.p.on_error"


def test_plans_without_a_counters_table_fail_closed_and_say_why(stub_backend) -> None:
    from tests.ratelimit_support import body, event, stages

    obs = RecordingObs()
    config = parse_config(HEAD + "plans:\n  p:\n    quotas: {day: 3}\n", "gateway.yaml")
    gw = build_gateway(config, Settings.from_env({}), obs=obs, stages=stages())
    assert "EDGEWAY_COUNTERS_TABLE" in obs.warnings[0][0]
    result = gw(event(consumer="c", plan="p"), None)
    assert result["statusCode"] == 503 and body(result)["status"] == 503


def test_no_plans_means_no_stage() -> None:
    """Without plans the stage is not in the pipeline at all: zero cost per request."""
    from edgeway.context import BuildContext
    from edgeway.ratelimit.stage import RateLimitStage

    def app(request):  # the next handler
        raise AssertionError("not called at build")

    ctx = BuildContext(config=parse_config(HEAD, "gateway.yaml"), settings=Settings.from_env({}),
                       clients=None, obs=RecordingObs())
    assert RateLimitStage.build(app, ctx) is app
    with_plans_off = HEAD.replace("    backend:", "    rate_limit: false\n    backend:")
    ctx = BuildContext(config=parse_config(with_plans_off + "plans:\n  p:\n    quotas: {day: 3}\n"),
                       settings=Settings.from_env({}), clients=None, obs=RecordingObs())
    assert RateLimitStage.build(app, ctx) is app  # plans, but no limited route


def test_the_demo_config_is_valid_and_its_trial_plan_is_ten_a_day() -> None:
    from pathlib import Path

    from edgeway.config import load_config
    from edgeway.ratelimit.plans import parse_plans

    config = load_config(Path(__file__).resolve().parents[2] / "gateway.yaml")
    plans = parse_plans(config)
    assert plans is not None and plans.default == "free"
    trial = plans.plans["trial"]
    assert trial.day == 10 and trial.bucket is not None and trial.bucket.burst >= 20
    free = plans.plans["free"]
    assert (free.bucket.per_second, free.bucket.burst, free.day) == (5, 10, 1000)
