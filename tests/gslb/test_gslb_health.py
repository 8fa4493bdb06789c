"""Region health: rise/fall per vantage point, quorum across them, staleness, no flapping."""

from __future__ import annotations

import ipaddress
import random

import pytest

from gslb.config import GslbConfig, HealthConfig, Location, RegionConfig
from gslb.engine import Engine
from gslb.health import Health, HealthBoard, VantageHealth, combine
from gslb.networks import Network, NetworkTable

T = HealthConfig(rise=2, fall=3, stale_after_s=10.0)
VANTAGES = ("us-east-1", "eu-west-1", "ap-southeast-1")


def feed(cell: VantageHealth, results: str, start: float = 0.0) -> VantageHealth:
    """'+' a pass, '-' a failure, one second apart."""
    for i, r in enumerate(results):
        cell = cell.observe(r == "+", start + i, T)
    return cell


def test_initial_state_is_unknown_and_rise_makes_it_up() -> None:
    assert VantageHealth().state is Health.UNKNOWN
    assert feed(VantageHealth(), "+").state is Health.UNKNOWN
    assert feed(VantageHealth(), "++").state is Health.UP


def test_fall_consecutive_failures_make_it_down_and_a_pass_resets_the_count() -> None:
    up = feed(VantageHealth(), "++")
    assert feed(up, "--", 2).state is Health.UP
    assert feed(up, "--+--", 2).state is Health.UP  # never three in a row
    down = feed(up, "---", 2)
    assert down.state is Health.DOWN and down.changed_at == 4
    assert feed(down, "+", 5).state is Health.DOWN  # one pass is not enough to come back
    assert feed(down, "++", 5).state is Health.UP


def test_unknown_goes_down_directly_on_fall_failures() -> None:
    assert feed(VantageHealth(), "---").state is Health.DOWN


def test_stale_reads_unknown_not_down_and_restarts_counting() -> None:
    down = feed(VantageHealth(), "---")
    assert down.state_at(12.0, T) is Health.DOWN          # last probe at t=2, 10 s ago
    assert down.state_at(12.5, T) is Health.UNKNOWN       # silent too long: unknown, not down
    # one fresh failure after the gap is not yet `fall` failures: the old streak does not count
    assert down.observe(False, 30.0, T).state is Health.UNKNOWN


def test_quorum_one_vantage_cannot_mark_a_region_down() -> None:
    up, down = feed(VantageHealth(), "++"), feed(VantageHealth(), "---")
    verdict = combine({"a": down, "b": up, "c": up}, 3.0, T, quorum=2)
    assert verdict.state is Health.UP and verdict.down_votes == 1
    assert combine({"a": down, "b": down, "c": up}, 3.0, T, quorum=2).state is Health.DOWN
    # one vantage says down, the others are silent: unknown (still served), not down
    assert combine({"a": down}, 3.0, T, quorum=2, vantages=3).state is Health.UNKNOWN


def test_quorum_with_stale_vantages() -> None:
    old_down = feed(VantageHealth(), "---")            # last probe t=2
    fresh_down = feed(VantageHealth(), "---", 20.0)     # last probe t=22
    fresh_up = feed(VantageHealth(), "++", 21.0)
    verdict = combine({"a": old_down, "b": fresh_down, "c": fresh_up}, 23.0, T, quorum=2)
    assert verdict.state is Health.UNKNOWN and verdict.unknown_votes == 1


def board(fall: int = 5, rise: int = 2) -> HealthBoard:
    return HealthBoard(VANTAGES, HealthConfig(rise=rise, fall=fall, stale_after_s=10.0), quorum=2)


def test_flapping_20_percent_random_failures_never_fail_over() -> None:
    """500 probe rounds, every vantage point loses 20% of its probes to a healthy region at random."""
    for seed in range(20):
        rng = random.Random(seed)
        b = board()
        verdicts = set()
        for rnd in range(500):
            for vantage in VANTAGES:
                b.observe(vantage, "eu-west-1", rng.random() >= 0.2, float(rnd))
            verdicts.add(b.region("eu-west-1", float(rnd)).state)
        assert Health.DOWN not in verdicts, f"false failover with seed {seed}"
        assert Health.UP in verdicts


def test_failover_after_exactly_fall_failed_rounds() -> None:
    b = board(fall=5)
    for rnd in range(10):
        for vantage in VANTAGES:
            b.observe(vantage, "eu-west-1", True, float(rnd))
    assert b.region("eu-west-1", 9.0).state is Health.UP
    for rnd in range(10, 15):
        assert b.region("eu-west-1", rnd - 1.0).state is Health.UP
        for vantage in VANTAGES:
            b.observe(vantage, "eu-west-1", False, float(rnd))
    assert b.region("eu-west-1", 14.0).state is Health.DOWN


def test_engine_fails_over_after_fall_rounds_and_comes_back_after_rise() -> None:
    regions = (
        RegionConfig("us-east-1", "http://a", ("192.0.2.1",), (), Location(38.9, -77.0)),
        RegionConfig("eu-west-1", "http://b", ("192.0.2.2",), (), Location(53.3, -6.3)),
        RegionConfig("ap-southeast-1", "http://c", ("192.0.2.3",), (), Location(1.3, 103.8)),
    )
    now = [0.0]
    config = GslbConfig(regions, health=HealthConfig(interval_s=1, fall=5, rise=2, stale_after_s=10))
    engine = Engine(config, clock=lambda: now[0])
    engine.networks = NetworkTable([Network(ipaddress.ip_network("198.51.100.0/24"), 50.1, 8.7)])

    def round_(ok_eu: bool) -> str:
        now[0] += 1.0
        for v in VANTAGES:
            for r in engine.config.region_names:
                engine.observe_probe(v, r, ok_eu or r != "eu-west-1")
        return engine.resolve("198.51.100.7").region.name

    assert [round_(True) for _ in range(3)][-1] == "eu-west-1"
    answers = [round_(False) for _ in range(5)]
    assert answers == ["eu-west-1"] * 4 + ["us-east-1"]
    assert engine.resolve("198.51.100.7").ttl == config.dns.ttl_near_change
    assert [round_(True) for _ in range(2)] == ["us-east-1", "eu-west-1"]


@pytest.mark.parametrize("state", list(Health))
def test_states_have_stable_string_values(state: Health) -> None:
    assert Health(state.value) is state
