"""Two regions on moto: one quota, counted in the home region's table."""

from __future__ import annotations

from tests.ratelimit_support import TABLE, body, event, make_gateway
from tests.ratelimit.conftest import routes_yaml

CONFIG = routes_yaml("rl-regions") + """\
plans:
  trial:
    rate: {per_second: 10, burst: 20}
    quotas: {day: 10}
"""


def test_a_client_moving_between_regions_has_one_quota(moto, stub_backend) -> None:
    moto.create_table(TABLE, region="eu-west-1")  # each region's stack has its own table
    home = make_gateway(CONFIG, moto.url, region="us-east-1")
    eu = make_gateway(CONFIG, moto.url, region="eu-west-1")
    codes = []
    for i in range(14):  # alternate regions, as a client failing over back and forth would
        gw = home if i % 2 else eu
        codes.append(gw(event(consumer="traveller", plan="trial"), None)["statusCode"])
    assert codes.count(200) == 10 and codes[-4:] == [429] * 4
    # Counted in the home region's table only; the EU table holds nothing.
    assert moto.item("rl#traveller", "s0", region="us-east-1")["dc"] == {"N": "10"}
    assert moto.item("rl#traveller", "s0", region="eu-west-1") == {}
    eu_refusal = eu(event(consumer="traveller", plan="trial"), None)
    assert eu_refusal["headers"]["x-edgeway-region"] == "eu-west-1"
    assert body(eu_refusal)["violated-policies"] == ["day"]


def test_outside_the_home_region_the_home_table_name_can_differ(moto, stub_backend) -> None:
    moto.create_table("home-counters", region="us-east-1")
    eu = make_gateway(CONFIG, moto.url, region="eu-west-1", table="eu-counters",
                      home_table="home-counters")
    assert eu(event(consumer="named", plan="trial"), None)["statusCode"] == 200
    assert moto.item("rl#named", "s0", region="us-east-1", table="home-counters")["dc"] == {"N": "1"}


def test_home_region_unreachable_applies_the_plan_policy(moto, stub_backend) -> None:
    from tests.ratelimit_support import free_port

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    eu = make_gateway(CONFIG, dead, region="eu-west-1")
    result = eu(event(consumer="cut-off", plan="trial"), None)
    assert result["statusCode"] == 503  # trial fails closed (the default)
    assert result["headers"]["retry-after"] == "1"


def test_without_gateway_home_region_the_deployments_home_region_counts(
        moto, stub_backend) -> None:
    # The template sets EDGEWAY_HOME_REGION (HomeRegion) in every region; a config
    # without gateway.home_region still counts there, where the table exists.
    config = CONFIG.replace(", home_region: us-east-1", "")
    eu = make_gateway(config, moto.url, region="eu-west-1",
                      environ={"EDGEWAY_HOME_REGION": "us-east-1"})
    assert eu(event(consumer="deployed", plan="trial"), None)["statusCode"] == 200
    assert moto.item("rl#deployed", "s0", region="us-east-1")["dc"] == {"N": "1"}
